// ChatSession: the conversation, its rendering, and the KV cache kept in step
// with it (see include/llamafast/chat.h).
#include <algorithm>
#include <ctime>
#include <filesystem>
#include <optional>

#include "common/error.h"
#include "generate/chat_prompt.h"
#include "generate/jinja_text.h"
#include "llamafast/chat.h"

namespace llamafast {

namespace fs = std::filesystem;

namespace {

// The tokenizer_config.json embedded in the model file or beside its tokenizer, if any.
std::optional<TokenizerChatConfig> tokenizer_chat_config(const ModelInfo& info) {
  if (!info.tokenizer_config_json.empty())
    return parse_tokenizer_chat_config(info.tokenizer_config_json, info.source + " (embedded tokenizer_config.json)");
  const std::string& tokenizer_path = info.tokenizer_path;
  if (tokenizer_path.empty()) return std::nullopt;
  const fs::path dir = fs::is_directory(tokenizer_path) ? fs::path(tokenizer_path)
                                                         : fs::path(tokenizer_path).parent_path();
  const fs::path file = dir / "tokenizer_config.json";
  if (!fs::exists(file)) return std::nullopt;
  return read_tokenizer_chat_config(file);
}

// The text of a special token, when encoding it with parse_special gives back
// exactly that id (llama2.c's "\n<s>\n" pieces do not, so they are not used).
std::string special_text(const Tokenizer& tokenizer, int id) {
  if (id < 0) return {};
  const std::string text = tokenizer.piece(id);
  const std::vector<int> ids = tokenizer.encode(text, {.add_bos = false, .parse_special = true});
  return ids.size() == 1 && ids[0] == id ? text : std::string();
}

ChatPrompt make_prompt(const Tokenizer& tokenizer, const ModelInfo& info, const ChatParams& params) {
  const std::optional<TokenizerChatConfig> config =
      params.template_source.empty() && params.template_name.empty() ? tokenizer_chat_config(info)
                                                                     : std::nullopt;
  ChatRenderOptions options;
  options.bos_token = config && !config->bos_token.empty() ? config->bos_token : special_text(tokenizer, tokenizer.bos_id());
  const std::vector<int> eos = tokenizer.eos_ids();
  options.eos_token = config && !config->eos_token.empty() ? config->eos_token
                      : eos.empty()                        ? std::string()
                                                           : special_text(tokenizer, eos.front());
  // A fixed date for the whole session: Llama 3.2 prints today's date, and a
  // new date at midnight would change the first message and force a re-prefill.
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  options.now = local;

  if (!params.template_source.empty())
    return ChatPrompt(ChatTemplate::from_source(params.template_source, "chat template"), tokenizer, options);
  if (!params.template_name.empty())
    return ChatPrompt(ChatTemplate::builtin(params.template_name), tokenizer, options);
  const bool llama3 = tokenizer.encode("<|start_header_id|>", {.add_bos = false, .parse_special = true}).size() == 1;
  return ChatPrompt(choose_chat_template(config.value_or(TokenizerChatConfig{}), llama3 ? "llama3" : "llama2"),
                    tokenizer, options);
}

size_t common_prefix(std::span<const int> a, std::span<const int> b) {
  const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return size_t(ia - a.begin());
}

}  // namespace

struct ChatSession::Impl {
  Impl(std::unique_ptr<Session> s, const ChatParams& p, ChatPrompt chat_prompt)
      : session(std::move(s)), params(p), prompt(std::move(chat_prompt)), sampler(p.sampling) {}

  std::unique_ptr<Session> session;
  ChatParams params;
  ChatPrompt prompt;
  Sampler sampler;
  std::vector<int> stop_ids;          // the template's end of turn
  std::vector<ChatMessage> history;
  std::vector<int> cached;            // ids in the KV cache: (session->position())
};

ChatSession::ChatSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChatSession::~ChatSession() = default;

Result<std::unique_ptr<ChatSession>> ChatSession::create(std::unique_ptr<Session> session, const ChatParams& params) {
  std::unique_ptr<ChatSession> chat;
  Status st = catch_status([&] {
    if (!session) fail_internal("ChatSession::create: no session");
    const Tokenizer* tokenizer = session->model().tokenizer();
    if (!tokenizer) fail("{}: chat needs a tokenizer, and none was loaded", session->model().info().source);
    session->rewind(0);
    ChatPrompt prompt = make_prompt(*tokenizer, session->model().info(), params);
    auto impl = std::make_unique<Impl>(std::move(session), params, std::move(prompt));
    impl->stop_ids = impl->prompt.end_of_turn_ids();
    chat = std::make_unique<ChatSession>(std::move(impl));
    chat->reset();
  });
  if (!st.ok()) return st;
  return chat;
}

void ChatSession::reset() {
  impl_->history.clear();
  const std::string system = jinja::strip(impl_->params.system_prompt, jinja::StripSide::both);
  if (!system.empty()) impl_->history.push_back({"system", system});
}

Result<ChatTurnStats> ChatSession::send(std::string_view user_text, const TextCallback& on_text) {
  Impl& s = *impl_;
  Session& session = *s.session;
  const size_t history_size = s.history.size();
  ChatTurnStats stats;
  std::string reply;
  bool stopped = false;  // on_text said stop: what follows (a flush) is not shown
  const TextCallback collect = [&](std::string_view text) {
    if (stopped) return false;
    reply += text;
    stopped = on_text && !on_text(text);
    return !stopped;
  };
  std::vector<int> generated;

  Status st = catch_status([&] {
    s.history.push_back({"user", jinja::strip(user_text, jinja::StripSide::both)});
    const std::vector<int> ids = s.prompt.tokenize(s.history, /*add_generation_prompt=*/true);
    if (ids.empty()) fail("{}: renders the conversation as no tokens at all", s.prompt.chat_template().name());
    if (int(ids.size()) >= session.capacity())
      fail("the conversation ({} tokens with this message) does not fit the context ({} tokens): reset to start over",
           ids.size(), session.capacity());
    // At least the last token is prefilled: its logits start the reply.
    const size_t reuse = std::min(common_prefix(s.cached, ids), ids.size() - 1);
    session.rewind(int(reuse));
    s.cached.resize(reuse);
    const std::span<const int> delta = std::span(ids).subspan(reuse);
    stats.reused_tokens = int(reuse);
    stats.prefilled_tokens = int(delta.size());

    GenerationConfig config = s.params.generation;
    config.stop_at_eos = true;
    config.stop_ids.insert(config.stop_ids.end(), s.stop_ids.begin(), s.stop_ids.end());
    auto result = generate_tokens(session, *session.model().tokenizer(), s.sampler, delta, config, collect,
                                  [&](int id) { generated.push_back(id); });
    // The last sampled token is never decoded into the cache: position() says how far it went.
    s.cached.insert(s.cached.end(), delta.begin(), delta.end());
    s.cached.insert(s.cached.end(), generated.begin(), generated.end());
    s.cached.resize(std::min(s.cached.size(), size_t(session.position())));
    if (!result.ok()) throw Error(result.status().code(), result.status().message());
    stats.generation = result.value();
    s.history.push_back({"assistant", jinja::strip(reply, jinja::StripSide::both)});
  });
  if (!st.ok()) {
    s.history.resize(history_size);
    return st;
  }
  return stats;
}

const std::vector<ChatMessage>& ChatSession::history() const { return impl_->history; }
std::span<const int> ChatSession::cached_tokens() const { return impl_->cached; }
const std::string& ChatSession::template_name() const { return impl_->prompt.chat_template().name(); }
const Session& ChatSession::session() const { return *impl_->session; }

}  // namespace llamafast
