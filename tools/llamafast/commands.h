// Subcommands of the `llamafast` CLI. Each add_*_command registers its options
// and its callback on the parent app; callbacks report failure by throwing
// ExitError, which main() prints as one line on stderr and turns into the exit code.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "llamafast/status.h"

namespace llamafast::cli {

struct ExitError {
  int code;  // 2: bad input or usage, 1: internal failure
  std::string message;
};

// Throws ExitError for a failed Status.
inline void check(const Status& st) {
  if (!st.ok()) throw ExitError{int(st.code()), st.message()};
}
template <class T>
T check(Result<T> r) {
  check(r.status());
  return std::move(r).value();
}

void add_generate_command(CLI::App& app);
void add_chat_command(CLI::App& app);
void add_logits_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_detokenize_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_init_random_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_verify_command(CLI::App& app);
void add_perplexity_command(CLI::App& app);

}  // namespace llamafast::cli
