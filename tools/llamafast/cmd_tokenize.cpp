// llamafast tokenize / detokenize: text -> token ids -> text with a model's
// tokenizer, for checking prompts and comparing with other implementations.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "commands.h"
#include "llamafast/model.h"
#include "llamafast/tokenizer.h"

namespace llamafast::cli {

namespace {

namespace fs = std::filesystem;

struct TokenizerSource {
  std::string model;      // -m: a model file or directory
  std::string tokenizer;  // -z: a tokenizer file or directory

  void add(CLI::App& cmd) {
    auto* m = cmd.add_option("-m,--model", model, "Model file or directory (its tokenizer is used)");
    auto* z = cmd.add_option("-z,--tokenizer", tokenizer,
                             "Tokenizer: tokenizer.model, tokenizer.bin, tokenizer.json, or a directory");
    m->excludes(z);
  }

  // The tokenizer for -z, or the one that belongs to -m: a directory's
  // tokenizer.*, the tokenizer.bin beside a llama2.c .bin checkpoint, or the
  // one a model file carries (.llf, GGUF), which loading the model finds.
  std::shared_ptr<const Tokenizer> load() const {
    std::string path = tokenizer;
    if (path.empty()) {
      if (model.empty()) throw ExitError{2, "no tokenizer: give -z TOKENIZER or -m MODEL"};
      path = model;
      const fs::path p(model);
      if (!fs::is_directory(p) && p.extension() == ".bin") {
        const fs::path beside = p.parent_path() / "tokenizer.bin";
        if (!fs::exists(beside))
          throw ExitError{2, fmt::format("{}: a llama2.c checkpoint has no tokenizer of its own and there is no "
                                         "tokenizer.bin beside it; give one with -z",
                                         model)};
        path = beside.string();
      } else if (!fs::is_directory(p)) {
        // A model file: its tokenizer lives as long as the model, so share ownership of both.
        const std::shared_ptr<const Model> m = check(Model::load({.path = model}));
        return std::shared_ptr<const Tokenizer>(m, m->tokenizer());
      }
    }
    return check(load_tokenizer(path));
  }
};

std::string read_all(std::istream& in) { return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()}; }

std::vector<int> parse_ids(const std::string& text, const Tokenizer& tok) {
  std::vector<int> ids;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != word.size() || v < 0) throw ExitError{2, fmt::format("'{}' is not a token id", word)};
    if (v >= tok.vocab_size())
      throw ExitError{2, fmt::format("token id {} is outside the vocabulary (0..{})", v, tok.vocab_size() - 1)};
    ids.push_back(int(v));
  }
  return ids;
}

void write_stdout(std::string_view s) {
  if (std::fwrite(s.data(), 1, s.size(), stdout) != s.size() || std::fflush(stdout) != 0)
    throw ExitError{1, "cannot write to stdout"};
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  struct Options {
    TokenizerSource source;
    std::string prompt;
    std::string file;
    bool no_bos = false;
    bool pieces = false;
    bool parse_special = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Print the token ids of a text");
  o->source.add(*cmd);
  auto* p = cmd->add_option("-p,--prompt", o->prompt, "The text");
  auto* f = cmd->add_option("-f,--file", o->file, "Read the text from a file (every byte, newlines included)");
  p->excludes(f);
  cmd->add_flag("--no-bos", o->no_bos, "Do not prepend the BOS token");
  cmd->add_flag("--pieces", o->pieces, "Print one 'id<TAB>piece' line per token");
  cmd->add_flag("--parse-special", o->parse_special, "Turn special-token text such as </s> into its id");
  cmd->callback([o, p, f] {
    if (p->count() == 0 && f->count() == 0) throw ExitError{2, "tokenize: give the text with -p TEXT or -f FILE"};
    std::string text = o->prompt;
    if (f->count() > 0) {
      std::ifstream in(o->file, std::ios::binary);
      if (!in) throw ExitError{2, fmt::format("{}: cannot open", o->file)};
      text = read_all(in);
    }
    const auto tok = o->source.load();
    const std::vector<int> ids = tok->encode(text, {.add_bos = !o->no_bos, .parse_special = o->parse_special});
    std::string out;
    if (o->pieces) {
      for (int id : ids) out += fmt::format("{}\t{}\n", id, tok->piece(id));
    } else {
      out = fmt::format("{}\n", fmt::join(ids, " "));
    }
    write_stdout(out);
  });
}

void add_detokenize_command(CLI::App& app) {
  struct Options {
    TokenizerSource source;
    std::string ids;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("detokenize", "Print the text of token ids (exactly its bytes, no newline added)");
  o->source.add(*cmd);
  auto* ids = cmd->add_option("--ids", o->ids, "Token ids, space separated (default: read them from stdin)");
  cmd->callback([o, ids] {
    const auto tok = o->source.load();
    const std::string text = ids->count() > 0 ? o->ids : read_all(std::cin);
    write_stdout(tok->decode_all(parse_ids(text, *tok)));
  });
}

}  // namespace llamafast::cli
