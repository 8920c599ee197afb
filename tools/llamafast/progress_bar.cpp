#include "progress_bar.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace llamafast::cli {

namespace {

constexpr int kWidth = 30;
constexpr auto kRedrawEvery = std::chrono::milliseconds(200);

}  // namespace

ProgressBar::ProgressBar(std::string unit)
    : unit_(std::move(unit)), enabled_(::isatty(STDERR_FILENO) == 1), start_(Clock::now()), last_draw_(start_) {}

ProgressBar::~ProgressBar() { clear(); }

void ProgressBar::clear() {
  if (drawn_) std::fputs("\r\033[K", stderr);
  drawn_ = false;
}

void ProgressBar::update(size_t done, size_t total) {
  const auto now = Clock::now();
  if (!enabled_ || total == 0 || (drawn_ && done < total && now - last_draw_ < kRedrawEvery)) return;
  last_draw_ = now;
  drawn_ = true;
  const double fraction = double(done) / double(total);
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0 ? double(done) / seconds : 0;
  const int filled = int(fraction * kWidth);
  std::string line = fmt::format("\r[{}{}] {:3.0f}% {}/{} {}, {:.0f} {}/s", std::string(size_t(filled), '#'),
                                 std::string(size_t(kWidth - filled), '.'), fraction * 100, done, total, unit_, rate,
                                 unit_);
  if (rate > 0 && done < total) line += fmt::format(", {:.0f} s left", double(total - done) / rate);
  line += "\033[K";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace llamafast::cli
