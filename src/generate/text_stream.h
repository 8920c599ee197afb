// Turns decoded token bytes into text that is safe to print as it arrives:
// only complete UTF-8 characters, and nothing that might be the start of a
// stop string until it is known not to be one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace llamafast {

class TextStream {
 public:
  explicit TextStream(std::vector<std::string> stop = {}) : stop_(std::move(stop)) {}

  // Adds bytes; returns the text that can be released now.
  std::string push(std::string_view bytes);
  // True once a stop string has appeared (push released everything before it).
  bool stopped() const { return stopped_; }
  // At the end: everything still held back (a truncated character is passed
  // through as its raw bytes), unless a stop string was hit.
  std::string flush();

 private:
  std::vector<std::string> stop_;
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace llamafast
