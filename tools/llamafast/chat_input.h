// Reads chat messages, from a terminal or a pipe alike:
//   - one line is one message;
//   - a line ending in a backslash goes on on the next line (the backslash
//     becomes a line break);
//   - a line that is exactly """ opens a block that the next such line
//     closes: everything in between is one message;
//   - blank messages are skipped.
// On a terminal it prompts "> " (and "... " inside a message) on stdout.
#pragma once

#include <atomic>
#include <string>

namespace llamafast::cli {

class ChatInput {
 public:
  // Reads file descriptor `fd`. `interrupt`, when given, is the flag a SIGINT
  // handler sets: reading then stops when it is set, without the race of a
  // Ctrl-C arriving just before a blocking read (it would be lost).
  ChatInput(int fd, bool prompt, const std::atomic<bool>* interrupt = nullptr)
      : fd_(fd), prompt_(prompt), interrupt_(interrupt) {}

  enum class Read { message, end, interrupted };
  // The next message into `text`; `end` at the end of input (a message cut
  // short by it is still returned first), `interrupted` when the flag was set.
  Read next(std::string& text);

 private:
  // One line without its line break; false at the end of input or on interrupt.
  bool line(std::string& out, const char* prompt);
  // Appends the next bytes of input to pending_; false at the end or on interrupt.
  bool fill();
  // Waits until fd_ is readable; false when the interrupt flag is (or gets) set.
  bool wait_readable();

  int fd_;
  bool prompt_;
  const std::atomic<bool>* interrupt_;
  std::string pending_;  // bytes read but not yet returned
  bool interrupted_ = false;
  bool ended_ = false;
};

}  // namespace llamafast::cli
