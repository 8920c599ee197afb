// llamafast logits: run a token sequence as one prefill and save every
// position's logits (float32, [n_tokens, vocab]) as .npy or raw little-endian.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "commands.h"
#include "model_options.h"

namespace llamafast::cli {

namespace {

std::vector<int> parse_ids(const std::string& text) {
  std::vector<int> ids;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != word.size() || v < 0 || v > INT32_MAX) throw ExitError{2, fmt::format("--tokens: '{}' is not a token id", word)};
    ids.push_back(int(v));
  }
  if (ids.empty()) throw ExitError{2, "--tokens: no token ids given"};
  return ids;
}

// NumPy format 1.0: magic, version, a padded Python-dict header, raw data.
void write_npy(std::ofstream& out, size_t rows, size_t cols) {
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", rows, cols);
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  const uint16_t len = uint16_t(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(char(len & 0xff));
  out.put(char(len >> 8));
  out << header;
}

}  // namespace

void add_logits_command(CLI::App& app) {
  struct Options {
    ModelOptions model;
    std::string tokens;
    std::string output;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("logits", "Write the logits of every position of a token sequence");
  o->model.add(*cmd);
  cmd->add_option("--tokens", o->tokens, "Token ids, space separated")->required();
  cmd->add_option("-o,--output", o->output, "Output file: .npy, or raw little-endian float32 otherwise")->required();
  cmd->callback([o] {
    const std::vector<int> ids = parse_ids(o->tokens);
    auto model = o->model.load(false);
    ModelOptions sized = o->model;
    if (sized.max_seq_len == 0) sized.max_seq_len = std::max<int>(int(ids.size()), 1);
    auto session = sized.session(model);
    const size_t vocab = size_t(model->info().vocab_size);
    std::vector<float> logits(ids.size() * vocab);
    check(session->prefill_all(ids, logits));

    std::ofstream out(o->output, std::ios::binary);
    if (!out) throw ExitError{2, fmt::format("{}: cannot open for writing", o->output)};
    if (o->output.size() >= 4 && o->output.compare(o->output.size() - 4, 4, ".npy") == 0)
      write_npy(out, ids.size(), vocab);
    static_assert(std::endian::native == std::endian::little, "raw output is written as the host's floats");
    out.write(reinterpret_cast<const char*>(logits.data()), std::streamsize(logits.size() * sizeof(float)));
    if (!out.flush()) throw ExitError{1, fmt::format("{}: write failed", o->output)};
  });
}

}  // namespace llamafast::cli
