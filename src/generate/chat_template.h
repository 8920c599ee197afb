// Chat formatting: turns a conversation into the prompt text a chat model
// was trained on, by rendering the model's Jinja chat template the way
// Hugging Face's apply_chat_template does.
//
// A template comes from tokenizer_config.json ("chat_template"; it wins
// when present) or is built in: "llama2" (Meta's Llama 2 chat format) and
// "llama3" (Llama 3 headers). The built-ins are Jinja sources too, rendered
// by the same engine.
#pragma once

#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "generate/jinja.h"
#include "llamafast/chat.h"

namespace llamafast {

struct ChatRenderOptions {
  std::string bos_token;  // what the template prints for bos_token / eos_token
  std::string eos_token;
  // The date strftime_now() formats (Llama 3.2 prints today's date);
  // std::nullopt: the local clock.
  std::optional<std::tm> now{};
  jinja::RenderLimits limits{};
};

class ChatTemplate {
 public:
  // Parses a Jinja chat template; throws Error (invalid input) naming `name`,
  // line and column on a syntax error.
  static ChatTemplate from_source(std::string_view source, std::string name = "chat_template");
  // A built-in template by name ("llama2", "llama3"); throws for other names.
  static ChatTemplate builtin(std::string_view name);
  static std::vector<std::string_view> builtin_names();
  // The Jinja source of a built-in; empty for an unknown name.
  static std::string_view builtin_source(std::string_view name);

  // The prompt for `messages`. The template sees messages (role, content),
  // add_generation_prompt, bos_token, eos_token, and tools = documents = none,
  // as in apply_chat_template. Throws Error with the template's message when
  // it calls raise_exception (e.g. roles that do not alternate).
  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                     const ChatRenderOptions& options = {}) const;

  const std::string& source() const { return source_; }
  const std::string& name() const { return template_->name(); }

 private:
  ChatTemplate(std::string source, std::string name);

  std::string source_;
  std::shared_ptr<const jinja::Template> template_;
};

// What tokenizer_config.json says about chat formatting; empty strings for
// what it lacks. A list of named templates yields the one named "default".
struct TokenizerChatConfig {
  std::string chat_template;
  std::string bos_token;
  std::string eos_token;
};

// Throws Error (invalid input) naming the file when it cannot be read or parsed.
TokenizerChatConfig read_tokenizer_chat_config(const std::filesystem::path& tokenizer_config_json);
// The same from the file's content (a .llf embeds it); `name` prefixes errors.
TokenizerChatConfig parse_tokenizer_chat_config(std::string_view text, const std::string& name);

// The config's template when it has one, otherwise the named built-in.
ChatTemplate choose_chat_template(const TokenizerChatConfig& config, std::string_view fallback_builtin);

// How a new rendering relates to the previous one, for a chat loop that
// keeps the previous prompt in its KV cache and only prefills the new text.
//
// After a turn, render the conversation again with the reply and the next
// user message appended. For templates that render each message without
// looking at later ones (llama2, llama3, zephyr, chatml, and Llama 3.x when
// the date does not change) the previous rendering, made with
// add_generation_prompt, is a prefix of the new one, so the new text is the
// suffix. It does not hold when a template looks ahead or back (Mistral
// puts the system prompt into the last user message; some templates drop
// earlier reasoning), when the date printed by strftime_now() changes, or
// when the model's own reply was not exactly the text appended. Then
// `extends_previous` is false and the caller must prefill `current` anew
// (or from `common_prefix` after truncating its cache).
struct PromptDelta {
  size_t common_prefix = 0;       // bytes shared by both, cut back to a UTF-8 character boundary
  bool extends_previous = false;  // previous is a prefix of current
  std::string_view suffix;        // current after the common prefix (a view into current)
};

PromptDelta prompt_delta(std::string_view previous, std::string_view current);

}  // namespace llamafast
