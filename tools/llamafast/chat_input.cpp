#include "chat_input.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace llamafast::cli {

namespace {

constexpr const char* kPrompt = "> ";
constexpr const char* kMore = "... ";
constexpr std::string_view kBlock = R"(""")";

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

bool ChatInput::wait_readable() {
  // SIGINT stays blocked from the flag check until ppoll, which unblocks it
  // atomically: a Ctrl-C either sets the flag before the check or ends ppoll.
  sigset_t sigint, old;
  sigemptyset(&sigint);
  sigaddset(&sigint, SIGINT);
  sigprocmask(SIG_BLOCK, &sigint, &old);
  bool readable = false;
  while (!interrupt_->load()) {
    pollfd p{fd_, POLLIN, 0};
    if (ppoll(&p, 1, nullptr, &old) > 0) {
      readable = true;
      break;
    }
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return readable;
}

bool ChatInput::fill() {
  if (ended_) return false;
  if (interrupt_ && !wait_readable()) {
    interrupted_ = true;
    return false;
  }
  char chunk[4096];
  ssize_t n;
  do {
    n = ::read(fd_, chunk, sizeof chunk);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    ended_ = true;
    return false;
  }
  pending_.append(chunk, size_t(n));
  return true;
}

bool ChatInput::line(std::string& out, const char* prompt) {
  if (prompt_) {
    std::fputs(prompt, stdout);
    std::fflush(stdout);
  }
  size_t newline;
  while ((newline = pending_.find('\n')) == std::string::npos) {
    if (fill()) continue;
    if (interrupted_ || pending_.empty()) return false;
    newline = pending_.size();  // the last line has no line break
    pending_ += '\n';
  }
  out.assign(pending_, 0, newline);
  pending_.erase(0, newline + 1);
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return true;
}

ChatInput::Read ChatInput::next(std::string& text) {
  std::string l;
  while (true) {
    text.clear();
    if (!line(l, kPrompt)) return interrupted_ ? Read::interrupted : Read::end;
    if (l == kBlock) {
      bool first = true;
      while (line(l, kMore) && l != kBlock) {
        if (!first) text += '\n';
        text += l;
        first = false;
      }
    } else {
      text = l;
      while (!text.empty() && text.back() == '\\') {
        text.back() = '\n';
        if (!line(l, kMore)) break;
        text += l;
      }
    }
    if (interrupted_) return Read::interrupted;
    if (!blank(text)) return Read::message;
    if (ended_ && pending_.empty()) return Read::end;
  }
}

}  // namespace llamafast::cli
