// Reads chat messages, from a terminal or a pipe alike:
//   - one line is one message;
//   - a line ending in a backslash goes on on the next line (the backslash
//     becomes a line break);
//   - a line that is exactly """ opens a block that the next such line
//     closes: everything in between is one message;
//   - blank messages are skipped.
// On a terminal it prompts "> " (and "... " inside a message) on stdout.
#pragma once

#include <cstdio>
#include <string>

namespace llamafast::cli {

class ChatInput {
 public:
  ChatInput(std::FILE* in, bool prompt) : in_(in), prompt_(prompt) {}
  ~ChatInput();
  ChatInput(const ChatInput&) = delete;
  ChatInput& operator=(const ChatInput&) = delete;

  enum class Read { message, end, interrupted };
  // The next message into `text`; `end` at the end of input (a message cut
  // short by it is still returned first), `interrupted` when a signal broke
  // the read (Ctrl-C at the prompt).
  Read next(std::string& text);

 private:
  // One line without its line break; false at the end of input or on a signal.
  bool line(std::string& out, const char* prompt);

  std::FILE* in_;
  bool prompt_;
  bool interrupted_ = false;
  bool ended_ = false;
  char* buf_ = nullptr;  // getline(3)'s buffer
  size_t cap_ = 0;
};

}  // namespace llamafast::cli
