// ChatSession on the bundled demo model: the conversation stays in the KV
// cache, each turn prefills only what is new, and the cache always equals a
// from-scratch tokenization of the conversation.
#include "generate/chat_prompt.h"
#include "generate/jinja_text.h"
#include "llamafast/chat.h"
#include "test_support.h"

namespace llamafast {
namespace {

const auto kDemo = test::source_dir() / "models" / "demo";

class ChatSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = Model::load({.path = kDemo.string()});
    ASSERT_TRUE(m.ok()) << m.status().message();
    model = std::move(m).value();
  }

  std::unique_ptr<ChatSession> start(ChatParams params, int max_seq_len = 0) {
    auto session = Session::create(model, {.max_seq_len = max_seq_len, .threads = 1});
    EXPECT_TRUE(session.ok()) << session.status().message();
    params.sampling.temperature = 0;
    if (params.generation.max_new_tokens == 256) params.generation.max_new_tokens = 12;
    auto chat = ChatSession::create(std::move(session).value(), params);
    EXPECT_TRUE(chat.ok()) << chat.status().message();
    return chat.ok() ? std::move(chat).value() : nullptr;
  }

  // The ids of `messages` computed from scratch, as the demo model's chat does.
  std::vector<int> from_scratch(const std::vector<ChatMessage>& messages) const {
    const ChatPrompt prompt(ChatTemplate::builtin("llama2"), *model->tokenizer(),
                            {.bos_token = "<s>", .eos_token = "</s>"});
    return prompt.tokenize(messages, true);
  }

  static ChatTurnStats send(ChatSession& chat, const std::string& text, std::string* reply = nullptr) {
    auto turn = chat.send(text, [&](std::string_view s) {
      if (reply) *reply += s;
      return true;
    });
    EXPECT_TRUE(turn.ok()) << turn.status().message();
    return turn.ok() ? turn.value() : ChatTurnStats{};
  }

  static std::vector<int> prefix(std::span<const int> ids, size_t n) {
    return {ids.begin(), ids.begin() + long(std::min(n, ids.size()))};
  }

  std::shared_ptr<const Model> model;
};

TEST_F(ChatSessionTest, UsesTheBuiltInTemplateThatFitsTheTokenizer) {
  auto chat = start({});
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->template_name(), "built-in llama2 chat template");
}

TEST_F(ChatSessionTest, TheTemplateOfTokenizerConfigWinsAndAnExplicitOneWinsOverIt) {
  // The demo model with a chat_template added to its tokenizer_config.json.
  test::TempDir dir;
  for (const char* file : {"config.json", "model.safetensors", "tokenizer.model"})
    std::filesystem::create_symlink(kDemo / file, dir / file);
  auto config = test::read_json(kDemo / "tokenizer_config.json");
  config["chat_template"] =
      "{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] + '</s>' }}{% endfor %}"
      "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";
  const std::string text = config.dump();
  test::write_file(dir / "tokenizer_config.json", text.data(), text.size());
  auto m = Model::load({.path = dir.path().string()});
  ASSERT_TRUE(m.ok()) << m.status().message();
  model = std::move(m).value();

  auto chat = start({});
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->template_name(), "tokenizer_config.json chat_template");
  send(*chat, "Hi.");
  const std::vector<int> cached(chat->cached_tokens().begin(), chat->cached_tokens().end());
  const auto expected = model->tokenizer()->encode("<|user|>Hi.</s><|assistant|>", {.parse_special = true});
  EXPECT_EQ(prefix(cached, expected.size()), expected);

  auto builtin = start({.template_name = "llama3"});
  ASSERT_TRUE(builtin);
  EXPECT_EQ(builtin->template_name(), "built-in llama3 chat template");
}

TEST_F(ChatSessionTest, SecondTurnPrefillsOnlyTheNewPartAndTheCacheEqualsAFreshTokenization) {
  auto chat = start({.system_prompt = "You tell fortunes."});
  ASSERT_TRUE(chat);
  const ChatTurnStats first = send(*chat, "What will happen today?");
  const auto first_ids = from_scratch({chat->history().begin(), chat->history().end() - 1});
  EXPECT_EQ(first.reused_tokens, 0);
  EXPECT_EQ(first.prefilled_tokens, int(first_ids.size()));

  const ChatTurnStats second = send(*chat, "And tomorrow?");
  ASSERT_EQ(chat->history().size(), 5u);  // system, user, assistant, user, assistant
  const auto conversation = from_scratch({chat->history().begin(), chat->history().end() - 1});
  // The whole first prompt came from the cache; only the reply's closing
  // markup and the new message were prefilled.
  EXPECT_GE(second.reused_tokens, int(first_ids.size()));
  EXPECT_EQ(second.reused_tokens + second.prefilled_tokens, int(conversation.size()));
  EXPECT_LT(second.prefilled_tokens, int(conversation.size() - first_ids.size()) + 2);
  // Incremental == from scratch: the cache holds the conversation's ids, then the reply.
  EXPECT_EQ(prefix(chat->cached_tokens(), conversation.size()), conversation);
  EXPECT_EQ(int(chat->cached_tokens().size()), chat->session().position());
  EXPECT_EQ(chat->session().position(), int(conversation.size()) + second.generation.generated_tokens - 1);
}

TEST_F(ChatSessionTest, ReplyFromTheKeptCacheEqualsAReplyComputedFromScratch) {
  auto chat = start({});
  ASSERT_TRUE(chat);
  send(*chat, "Tell me a fortune.");
  std::string incremental;
  send(*chat, "Another one, please.", &incremental);
  const auto conversation = from_scratch({chat->history().begin(), chat->history().end() - 1});

  auto fresh = Session::create(model, {.threads = 1});
  ASSERT_TRUE(fresh.ok());
  Sampler greedy({.temperature = 0.0f});
  std::string scratch;
  auto stats = generate_tokens(**fresh, *model->tokenizer(), greedy, conversation, {.max_new_tokens = 12},
                               [&](std::string_view s) { scratch += s; return true; });
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(incremental, scratch);
}

TEST_F(ChatSessionTest, ResetStartsANewConversationWithTheSystemPrompt) {
  auto chat = start({.system_prompt = "You tell fortunes."});
  ASSERT_TRUE(chat);
  send(*chat, "First question?");
  send(*chat, "Second question?");
  chat->reset();
  ASSERT_EQ(chat->history().size(), 1u);
  EXPECT_EQ(chat->history()[0].role, "system");

  const ChatTurnStats turn = send(*chat, "A new start.");
  const auto conversation = from_scratch({chat->history().begin(), chat->history().end() - 1});
  EXPECT_EQ(chat->history().size(), 3u);
  EXPECT_EQ(prefix(chat->cached_tokens(), conversation.size()), conversation);
  // Only what the new conversation shares with the old one (BOS, system prompt) is reused.
  EXPECT_GT(turn.reused_tokens, 0);
  EXPECT_LT(turn.reused_tokens, int(conversation.size()));
}

TEST_F(ChatSessionTest, AConversationTooLongForTheContextIsAClearErrorAndChangesNothing) {
  auto chat = start({}, 48);
  ASSERT_TRUE(chat);
  std::string long_message;
  for (int i = 0; i < 40; ++i) long_message += "word ";
  auto turn = chat->send(long_message, {});
  ASSERT_FALSE(turn.ok());
  EXPECT_EQ(turn.status().code(), StatusCode::invalid_input);
  EXPECT_NE(turn.status().message().find("reset"), std::string::npos) << turn.status().message();
  EXPECT_TRUE(chat->history().empty());
  send(*chat, "Short.");  // the chat goes on
  EXPECT_EQ(chat->history().size(), 2u);
}

TEST_F(ChatSessionTest, ACallbackReturningFalseStopsTheReplyAndKeepsWhatWasSaid) {
  ChatParams params;
  params.generation.max_new_tokens = 32;
  auto chat = start(params);
  ASSERT_TRUE(chat);
  std::string seen;
  auto turn = chat->send("Talk to me.", [&](std::string_view s) {
    seen += s;
    return false;
  });
  ASSERT_TRUE(turn.ok()) << turn.status().message();
  EXPECT_EQ(turn->generation.stop_reason, "cancelled");
  EXPECT_EQ(turn->generation.generated_tokens, 1);
  ASSERT_EQ(chat->history().size(), 2u);
  EXPECT_EQ(chat->history()[1].content, jinja::strip(seen, jinja::StripSide::both));
}

}  // namespace
}  // namespace llamafast
