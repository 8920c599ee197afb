// A one-line progress bar on stderr for long runs. It draws only when stderr is
// a terminal, so logs and captured output never fill with carriage returns.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace llamafast::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string unit);
  ~ProgressBar();  // erases the bar, so an error message starts on a clean line

  // Redraws with `done` of `total` units complete (at most a few times a second).
  void update(size_t done, size_t total);
  // Erases the bar before other output goes to stderr.
  void clear();

 private:
  using Clock = std::chrono::steady_clock;
  std::string unit_;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_, last_draw_;
};

}  // namespace llamafast::cli
