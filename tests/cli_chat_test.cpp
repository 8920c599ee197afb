// `llamafast chat` on the demo model: piped conversations (multi-line
// messages, /reset, /exit) and, on a terminal, Ctrl-C stopping a reply.
#include <poll.h>
#include <pty.h>
#include <signal.h>

#include <chrono>
#include <sstream>

#include "test_support.h"

namespace llamafast {
namespace {

// Lines of `text` that contain `needle`.
std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) found.push_back(line);
  return found;
}

// The reused-token count of a `chat -v` stats line.
int reused(const std::string& stats_line) {
  int n = -1;
  std::sscanf(stats_line.c_str(), "llamafast: reused %d", &n);
  return n;
}

TEST(CliChat, PipedInputIsAConversationKeptInTheCache) {
  // No -m: the demo model. Two turns, the second continuing the first's cache.
  const auto r = test::run_cli("chat -n 8 --temperature 0 -v --system 'You tell fortunes.'", "Hello\nWhat next?\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.out.empty());
  const auto turns = lines_with(r.err, "reused");
  ASSERT_EQ(turns.size(), 2u) << r.err;
  EXPECT_EQ(reused(turns[0]), 0) << r.err;
  EXPECT_GT(reused(turns[1]), 0) << r.err;
  EXPECT_NE(r.err.find("built-in llama2 chat template"), std::string::npos) << r.err;
}

TEST(CliChat, MultiLineMessagesResetAndExit) {
  const std::string input =
      "first line \\\nsecond line\n\"\"\"\nblock one\nblock two\n\"\"\"\n/reset\nagain\n/exit\nnever sent\n";
  const auto r = test::run_cli("chat -n 4 --temperature 0 -v", input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto turns = lines_with(r.err, "reused");
  ASSERT_EQ(turns.size(), 3u) << r.err;  // two multi-line messages, one after /reset; none after /exit
  // After /reset only the start shared with the old conversation is reused.
  EXPECT_LT(reused(turns[2]), reused(turns[1])) << r.err;
}

TEST(CliChat, AnUnreadableTemplateIsAUsageError) {
  const auto r = test::run_cli("chat --template /nonexistent.jinja", "hi\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--template /nonexistent.jinja"), std::string::npos) << r.err;
}

// The CLI on a pseudo-terminal, killed at the end if it is still running.
class PtyChat {
 public:
  explicit PtyChat(std::vector<const char*> args) {
    args.insert(args.begin(), "llamafast");
    args.push_back(nullptr);
    pid_ = forkpty(&fd_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      execv(LLAMAFAST_CLI_PATH, const_cast<char* const*>(args.data()));
      _exit(127);
    }
  }
  ~PtyChat() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  bool started() const { return pid_ > 0; }

  void type(std::string_view keys) { ASSERT_EQ(write(fd_, keys.data(), keys.size()), ssize_t(keys.size())); }

  // Reads until the output after byte `from` contains `needle`, for at most 30 s.
  bool wait_for(std::string_view needle, size_t from = 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (output_.find(needle, from) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || !drain()) return false;
    }
    return true;
  }

  // The exit code, or -1 if it does not exit within 30 s.
  int wait_exit() {
    for (int i = 0; i < 300; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      if (!drain()) usleep(100'000);  // keep reading: a full terminal buffer would block it
    }
    return -1;
  }

  const std::string& output() const { return output_; }

 private:
  // Appends what the CLI wrote within 100 ms; false once the terminal is closed.
  bool drain() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) return true;
    char buf[4096];
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    output_.append(buf, size_t(n));
    return true;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
};

TEST(CliChat, OnATerminalCtrlCStopsTheReplyAndAtThePromptQuits) {
  // Greedy replies of the demo model run until the context is full: long
  // enough to be interrupted.
  PtyChat chat({"chat", "--temperature", "0", "-n", "100000", "--max-seq-len", "2048", "-t", "1"});
  ASSERT_TRUE(chat.started());
  ASSERT_TRUE(chat.wait_for("> ")) << chat.output();
  chat.type("Hello\n");
  ASSERT_TRUE(chat.wait_for("Hello\r\n")) << chat.output();
  const size_t reply_start = chat.output().find("Hello\r\n") + 7;
  ASSERT_TRUE(chat.wait_for("%", reply_start)) << chat.output();  // the reply is streaming
  chat.type("\x03");
  ASSERT_TRUE(chat.wait_for("reply stopped", reply_start)) << chat.output();
  const size_t stopped = chat.output().find("reply stopped", reply_start);
  ASSERT_TRUE(chat.wait_for("> ", stopped)) << chat.output();  // back at the prompt
  chat.type("\x03");
  EXPECT_EQ(chat.wait_exit(), 0) << chat.output();
}

}  // namespace
}  // namespace llamafast
