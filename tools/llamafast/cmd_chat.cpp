// llamafast chat: a conversation with a chat model, replies streamed to
// stdout, notes and stats on stderr. Reads the same messages from a terminal
// (with prompts, Ctrl-C stopping a reply) or from a pipe (scriptable: each
// message's reply, then a newline).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "chat_input.h"
#include "commands.h"
#include "llamafast/chat.h"
#include "model_options.h"
#include "sampling_options.h"

namespace llamafast::cli {

namespace {

struct ChatOptions {
  ModelOptions model;
  std::string system;
  std::string chat_template;
  int max_new_tokens = 512;
  SamplingOptions sampling;
  bool verbose = false;
};

// Set by SIGINT; the reply callback polls it.
std::atomic<bool> g_interrupted{false};

void on_sigint(int) { g_interrupted.store(true); }

// Ctrl-C sets the flag instead of killing the process. Interrupted writes
// restart; the input's wait for a line ends (ppoll never restarts).
void catch_sigint() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
}

// --template: a built-in name or a Jinja file.
void set_template(ChatParams& params, const std::string& arg) {
  if (arg.empty()) return;
  if (arg == "llama2" || arg == "llama3") {
    params.template_name = arg;
    return;
  }
  std::ifstream in(arg, std::ios::binary);
  if (!in || std::filesystem::is_directory(arg))
    throw ExitError{2, "--template " + arg + ": neither llama2, llama3 nor a readable template file"};
  std::stringstream text;
  text << in.rdbuf();
  params.template_source = text.str();
}

void print_stats(const ChatTurnStats& t) {
  std::fprintf(stderr,
               "llamafast: reused %d tokens, prefilled %d, generated %d, prefill %.1f tok/s, decode %.1f tok/s, "
               "stop: %s\n",
               t.reused_tokens, t.prefilled_tokens, t.generation.generated_tokens, t.generation.prefill_tok_s(),
               t.generation.decode_tok_s(), t.generation.stop_reason.c_str());
}

void run_chat(const ChatOptions& o) {
  const bool interactive = isatty(STDIN_FILENO);
  auto model = o.model.load(true);
  ChatParams params;
  params.system_prompt = o.system;
  set_template(params, o.chat_template);
  params.sampling = o.sampling.resolved(model->info());
  params.generation.max_new_tokens = o.max_new_tokens;
  auto chat = check(ChatSession::create(o.model.session(model), params));
  if (interactive) {
    catch_sigint();
    std::fprintf(stderr,
                 "llamafast: chat with %s (%s). /reset starts over, /exit or Ctrl-D quits, Ctrl-C stops a reply; "
                 "end a line with \\ to go on, or put a message between lines of \"\"\".\n",
                 model->info().source.c_str(), chat->template_name().c_str());
  } else if (o.verbose) {
    std::fprintf(stderr, "llamafast: template: %s\n", chat->template_name().c_str());
  }

  ChatInput input(STDIN_FILENO, interactive, interactive ? &g_interrupted : nullptr);
  std::string message;
  while (true) {
    const ChatInput::Read read = input.next(message);
    if (read == ChatInput::Read::interrupted) std::fputc('\n', stdout);
    if (read != ChatInput::Read::message) break;
    const std::string command = message.substr(0, message.find_last_not_of(" \t\r\n") + 1);
    if (command == "/exit") break;
    if (command == "/reset") {
      chat->reset();
      if (interactive) std::fprintf(stderr, "llamafast: new conversation\n");
      continue;
    }
    auto turn = chat->send(message, [](std::string_view text) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      return !g_interrupted.load();
    });
    g_interrupted.store(false);  // that Ctrl-C stopped the reply; the next one may quit at the prompt
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (!turn.ok()) {
      if (!interactive) check(turn.status());
      std::fprintf(stderr, "llamafast: %s\n", turn.status().message().c_str());
      continue;
    }
    if (o.verbose) print_stats(turn.value());
    if (turn->generation.stop_reason == "cancelled") std::fprintf(stderr, "llamafast: reply stopped\n");
    if (turn->generation.stop_reason == "context-full")
      std::fprintf(stderr, "llamafast: the context is full; /reset starts a new conversation\n");
  }
}

}  // namespace

void add_chat_command(CLI::App& app) {
  auto o = std::make_shared<ChatOptions>();
  CLI::App* cmd = app.add_subcommand(
      "chat",
      "Chat with a model. Replies stream to stdout; the conversation stays in the KV cache.\n"
      "Each line is a message; end a line with \\ to go on on the next one, or put a message\n"
      "between two lines that are just \"\"\". /reset starts a new conversation, /exit (or the\n"
      "end of input) quits. On a terminal Ctrl-C stops the current reply (at the prompt it\n"
      "quits); from a pipe the same input is read without prompts and each reply ends with a\n"
      "newline, e.g.  printf 'Hi\\nTell me more\\n' | llamafast chat -m MODEL");
  o->model.add(*cmd);
  cmd->add_option("--system", o->system, "System prompt: the first message of every conversation");
  cmd->add_option("--template", o->chat_template,
                  "Chat template: llama2, llama3, or a Jinja file (default: the chat_template of "
                  "tokenizer_config.json beside the tokenizer, else the built-in that fits the tokenizer)");
  cmd->add_option("-n,--max-new-tokens", o->max_new_tokens, "Most tokens per reply")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  o->sampling.add(*cmd);
  cmd->add_flag("-v,--verbose", o->verbose, "Print the template used and per-reply stats on stderr");
  cmd->callback([o] { run_chat(*o); });
}

}  // namespace llamafast::cli
