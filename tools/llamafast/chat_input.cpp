#include "chat_input.h"

#include <cerrno>
#include <cstdlib>

namespace llamafast::cli {

namespace {

constexpr const char* kPrompt = "> ";
constexpr const char* kMore = "... ";
constexpr std::string_view kBlock = R"(""")";

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

ChatInput::~ChatInput() { std::free(buf_); }

bool ChatInput::line(std::string& out, const char* prompt) {
  if (ended_) return false;
  if (prompt_) {
    std::fputs(prompt, stdout);
    std::fflush(stdout);
  }
  errno = 0;
  const ssize_t n = ::getline(&buf_, &cap_, in_);
  if (n < 0) {
    if (errno == EINTR) {
      interrupted_ = true;
      clearerr(in_);  // the stream stays usable
    } else {
      ended_ = true;
    }
    return false;
  }
  out.assign(buf_, size_t(n));
  if (!out.empty() && out.back() == '\n') out.pop_back();
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return true;
}

ChatInput::Read ChatInput::next(std::string& text) {
  const auto at_end = [&] { return interrupted_ ? Read::interrupted : Read::end; };
  interrupted_ = false;
  std::string l;
  while (true) {
    text.clear();
    if (!line(l, kPrompt)) return at_end();
    if (l == kBlock) {
      bool first = true;
      while (line(l, kMore) && l != kBlock) {
        if (!first) text += '\n';
        text += l;
        first = false;
      }
      if (interrupted_) return Read::interrupted;
    } else {
      text = l;
      while (!text.empty() && text.back() == '\\') {
        text.back() = '\n';
        if (!line(l, kMore)) break;
        text += l;
      }
      if (interrupted_) return Read::interrupted;
    }
    if (!blank(text)) return Read::message;
    if (ended_) return Read::end;
  }
}

}  // namespace llamafast::cli
