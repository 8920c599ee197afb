// Multi-turn chat on one Session, keeping the conversation in its KV cache.
//
//   auto chat = llamafast::ChatSession::create(std::move(session), {.system_prompt = "Be brief."});
//   auto turn = (*chat)->send("Hello!", [](std::string_view text) { print(text); return true; });
//   turn = (*chat)->send("And then?", ...);  // prefills only what the cache lacks
//
// Each turn renders the whole conversation with the model's chat template,
// tokenizes it, and compares the ids with those already in the KV cache: only
// the tail that differs is prefilled (the new user message and the template's
// markup around it). The cache therefore always holds exactly the ids a fresh
// session would compute for the same conversation, even when the model's
// sampled reply tokenizes differently or a template rewrites earlier turns;
// the cost per turn is one render and tokenization of the text (milliseconds),
// never a prefill of the history.
//
// Prompt-injection safety: special-token text written by the template
// (Llama 3's "<|eot_id|>", Llama 2's "<s>" before "[INST]") becomes control
// ids, while the same text inside a message stays plain text
// (EncodeOptions::plain_spans), so a user cannot end a turn or fake a role by
// typing it. (A llama2.c tokenizer.bin parses no special tokens and stores
// BOS as "\n<s>\n": the template gets empty bos_token and eos_token, and only
// the BOS that starts the conversation is a control id.)
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llamafast/generate.h"
#include "llamafast/model.h"
#include "llamafast/sampler.h"
#include "llamafast/status.h"

namespace llamafast {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", ...
  std::string content;
};

struct ChatParams {
  std::string system_prompt{};  // the first message of every conversation; empty: none
  // Which chat template formats the conversation. Empty: the "chat_template"
  // of the tokenizer_config.json beside the tokenizer when it has one (it
  // wins), else the built-in that fits the tokenizer ("llama3" when it has
  // <|start_header_id|>, else "llama2"). Or a built-in by name: "llama2", "llama3".
  std::string template_name{};
  std::string template_source{};  // Jinja source of a template; wins over template_name
  SamplerParams sampling{};
  // Per reply: max_new_tokens and stop strings. The model's EOS ids and the
  // template's end-of-turn token always end a reply; `encode` is not used
  // (the template decides BOS and special tokens).
  GenerationConfig generation{};
};

// What one turn did.
struct ChatTurnStats {
  int reused_tokens = 0;     // conversation tokens already in the KV cache
  int prefilled_tokens = 0;  // tokens prefilled this turn (the conversation minus the reused part)
  GenerationStats generation{};  // prompt_tokens == prefilled_tokens; stop_reason "cancelled" when on_text said stop
};

class ChatSession {
 public:
  // Takes over `session` (its KV cache holds the conversation from now on).
  // Fails with invalid_input when the model has no tokenizer, `template_name`
  // is unknown, a template does not parse, or tokenizer_config.json is corrupt.
  static Result<std::unique_ptr<ChatSession>> create(std::unique_ptr<Session> session, const ChatParams& params);
  ~ChatSession();

  // Adds a user message and streams the assistant's reply through `on_text`
  // (whole UTF-8 characters; return false to stop the reply, which is then
  // kept as far as it went). The reply ends at EOS, the template's end of
  // turn, a stop string, max_new_tokens or a full context (stop_reason
  // "context-full": the next turn will not fit).
  // Errors leave the conversation as it was before the call:
  //   invalid_input  the conversation with this message does not fit the
  //                  context (the message says so: reset() to start over), or
  //                  the template refused it (e.g. raise_exception);
  //   internal       a failure inside the engine.
  Result<ChatTurnStats> send(std::string_view user_text, const TextCallback& on_text);

  // Starts a new conversation (only the system prompt). The KV cache is kept:
  // the next turn reuses whatever the new conversation shares with it (BOS,
  // the system prompt) and overwrites the rest.
  void reset();

  // The conversation so far, system prompt first; contents are stored
  // stripped of surrounding whitespace, as chat templates print them.
  const std::vector<ChatMessage>& history() const;
  // The token ids in the KV cache, in order (size == session().position()).
  std::span<const int> cached_tokens() const;
  // What formats the conversation: "tokenizer_config.json chat_template",
  // "built-in llama3 chat template", ...
  const std::string& template_name() const;
  const Session& session() const;

  struct Impl;
  explicit ChatSession(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace llamafast
