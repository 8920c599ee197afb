// A base model's log-probabilities over a scored token stream, saved once so a
// quantized or otherwise changed model can be compared with it later
// (`llamafast perplexity --kl-base FILE`). The format is in src/eval/log_prob_file.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <span>
#include <string>

#include "llamafast/status.h"

namespace llamafast {

// What the rows were computed over; a reader refuses a file whose stream differs.
struct LogProbHeader {
  int vocab = 0;
  size_t token_count = 0;   // scored tokens (rows)
  int ctx = 0;              // window length they were scored with
  uint64_t token_hash = 0;  // hash_tokens() of the whole stream, BOS included
  double nll_total = 0;     // the base model's sum of -ln p(target)
};

// FNV-1a (64-bit) over the ids as little-endian 32-bit values.
uint64_t hash_tokens(std::span<const int> tokens);

// Writes rows to a temporary file beside `path`; commit() renames it into place,
// so an interrupted run never leaves a partial file under the real name.
class LogProbWriter {
 public:
  // header.nll_total is written by commit().
  static Result<std::unique_ptr<LogProbWriter>> create(const std::string& path, const LogProbHeader& header);
  ~LogProbWriter();  // removes the temporary file unless committed

  // Appends [n][vocab] rows.
  Status append(std::span<const float> rows);
  // Checks that every row was written, records nll_total and renames the file into place.
  Status commit(double nll_total);

  LogProbWriter(std::string path, std::string temp_path, LogProbHeader header, std::ofstream out);

 private:
  std::string path_, temp_path_;
  LogProbHeader header_;
  std::ofstream out_;
  size_t rows_written_ = 0;
  bool committed_ = false;
};

class LogProbReader {
 public:
  // Opens and validates the header and the file's length.
  static Result<std::unique_ptr<LogProbReader>> open(const std::string& path);

  const LogProbHeader& header() const { return header_; }
  // Fails (naming the file) unless the file was made for this vocabulary, window and stream.
  Status check_matches(const LogProbHeader& expected) const;
  // Reads rows [first, first + out.size() / vocab) into out.
  Status read(size_t first, std::span<float> out);

  LogProbReader(std::string path, LogProbHeader header, std::ifstream in);

 private:
  std::string path_;
  LogProbHeader header_;
  std::ifstream in_;
};

}  // namespace llamafast
