// llamafast export / inspect / verify: writing and checking .llf files.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <map>

#include <fmt/format.h>

#include "commands.h"
#include "llamafast/export.h"

namespace llamafast::cli {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) { g_interrupted.store(true); }

// "int4" / "int4,64" -> scheme and group.
void parse_embedding_scheme(const std::string& text, ExportOptions& o) {
  const size_t comma = text.find(',');
  const std::string name = text.substr(0, comma);
  if (name == "int8") o.embeddings = QuantScheme::int8;
  else if (name == "int4") o.embeddings = QuantScheme::int4;
  else throw ExitError{2, fmt::format("--quantize-embeddings: unknown scheme '{}' (use int8 or int4[,GROUP])", name)};
  if (comma != std::string::npos) {
    try {
      size_t used = 0;
      o.embedding_group_size = std::stoi(text.substr(comma + 1), &used);
      if (used != text.size() - comma - 1) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw ExitError{2, fmt::format("--quantize-embeddings: bad group size in '{}'", text)};
    }
  }
}

void progress_bar(int done, int total) {
  constexpr int kWidth = 40;
  const int filled = total > 0 ? done * kWidth / total : kWidth;
  std::fprintf(stderr, "\rexport [%s%s] %d/%d tensors", std::string(size_t(filled), '#').c_str(),
               std::string(size_t(kWidth - filled), ' ').c_str(), done, total);
  if (done == total) std::fputc('\n', stderr);
}

// Options shared by `export` and `init-random`: how the file is stored.
void add_storage_options(CLI::App* cmd, ExportOptions& o, std::string& embeddings) {
  static const std::map<std::string, QuantScheme> kLinear{
      {"int8", QuantScheme::int8}, {"int4", QuantScheme::int4}, {"8da4w", QuantScheme::da8w4},
      {"8da8w", QuantScheme::da8w8}};
  cmd->add_option("-z,--tokenizer", o.tokenizer_path, "Tokenizer to embed (default: the model's own)");
  cmd->add_option("-o,--output", o.output, "The .llf file to write")->required();
  cmd->add_option("--dtype", o.dtype, "Unquantized matrices: fp32, fp16 or bf16 (default: as in the source)")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}));
  cmd->add_option("--quantize-linear", o.linear,
                  "Attention/FFN matrices (and an untied output head): int8 (per channel), int4 (groupwise) "
                  "8da4w (int4 weights, int8 dynamic activations) or 8da8w (int8 weights, int8 dynamic activations)")
      ->transform(CLI::CheckedTransformer(kLinear));
  cmd->add_flag("--bf16-activations", o.bf16_activations,
                "With --dtype bf16: round the matrices' activations to bf16 too, as PyTorch's bf16 inference "
                "does (faster prefill with bf16 dot products)");
  cmd->add_option("--group-size", o.group_size, "Group size of int4 / 8da4w: 32, 64, 128 or 256")
      ->capture_default_str();
  cmd->add_option("--quantize-embeddings", embeddings, "Embeddings: int8 (per row) or int4[,GROUP] (default group 32)");
  cmd->add_flag("--no-tie-word-embeddings", [&o](int64_t) { o.tie_word_embeddings = false; },
                "Store a separate output head even when the model ties it to the embeddings");
  cmd->add_option("--max-seq-len", o.max_seq_len, "Cap the context length the file declares");
}

void run_export(ExportOptions& o, const std::string& embeddings) {
  if (!embeddings.empty()) parse_embedding_scheme(embeddings, o);
  if (isatty(STDERR_FILENO)) o.progress = progress_bar;
  o.cancel = &g_interrupted;
  auto* previous = std::signal(SIGINT, on_sigint);
  const Status st = export_model(o);
  std::signal(SIGINT, previous);
  if (g_interrupted.load()) throw ExitError{130, "interrupted; no file written"};
  check(st);
  std::fprintf(stderr, "wrote %s\n", o.output.c_str());
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Write a model as one self-contained .llf file, optionally quantized");
  auto o = std::make_shared<ExportOptions>();
  auto embeddings = std::make_shared<std::string>();
  auto* m = cmd->add_option("-m,--model", o->source, "Source model: file or directory (any format llamafast reads)");
  auto* ck = cmd->add_option("--checkpoint", o->source, "Source .pth checkpoint (with --params)");
  m->excludes(ck);
  cmd->add_option("--params", o->params_path, "Meta params.json for --checkpoint");
  cmd->add_flag("--no-tokenizer", o->without_tokenizer,
                "Export the weights alone (running the file then needs -z TOKENIZER)");
  add_storage_options(cmd, *o, *embeddings);
  cmd->callback([o, embeddings] {
    if (o->source.empty()) throw ExitError{2, "no source model: give -m MODEL or --checkpoint X.pth"};
    run_export(*o, *embeddings);
  });
}

void add_init_random_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "init-random", "Write a random-weight model of a real shape as a .llf, in any dtype or scheme (benchmarks)");
  auto o = std::make_shared<ExportOptions>();
  auto embeddings = std::make_shared<std::string>();
  cmd->add_option("--shape", o->random_shape, "stories110m, tinyllama-1.1b, llama-3.2-1b or llama-2-7b")
      ->required()
      ->check(CLI::IsMember({"stories110m", "tinyllama-1.1b", "llama-3.2-1b", "llama-2-7b"}));
  add_storage_options(cmd, *o, *embeddings);
  cmd->callback([o, embeddings] { run_export(*o, *embeddings); });
}

void add_inspect_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Print a .llf file's metadata and tensor table");
  auto path = std::make_shared<std::string>();
  cmd->add_option("file", *path, "The .llf file")->required();
  cmd->callback([path] { std::fputs(check(describe_llf(*path)).c_str(), stdout); });
}

void add_verify_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify", "Check a .llf file completely, data checksum included");
  auto path = std::make_shared<std::string>();
  cmd->add_option("file", *path, "The .llf file")->required();
  cmd->callback([path] {
    check(verify_llf(*path));
    std::printf("%s: OK\n", path->c_str());
  });
}

}  // namespace llamafast::cli
