// Chat templates rendered byte-for-byte as Jinja2 renders them for Hugging
// Face (golden data from scripts/chat/gen_chat_expected.py), the built-in
// llama2/llama3 formats, tokenizer_config.json reading and prompt deltas.
#include "common/error.h"
#include "generate/chat_template.h"
#include "test_support.h"

namespace llamafast {
namespace {

// Key order matters (templates print dicts and JSON in insertion order).
using json = nlohmann::ordered_json;

const json& golden() {
  static const json data = [] {
    std::ifstream in(test::fixtures_dir() / "chat" / "expected.json");
    return json::parse(in);
  }();
  return data;
}

std::tm golden_now() {
  const json& now = golden()["now"];
  std::tm t{};
  t.tm_year = now[0].get<int>() - 1900;
  t.tm_mon = now[1].get<int>() - 1;
  t.tm_mday = now[2].get<int>();
  t.tm_hour = now[3].get<int>();
  t.tm_min = now[4].get<int>();
  t.tm_sec = now[5].get<int>();
  return t;
}

std::vector<ChatMessage> chat_messages(const json& context) {
  std::vector<ChatMessage> messages;
  for (const json& m : context["messages"]) messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
  return messages;
}

ChatRenderOptions chat_options(const json& context) {
  ChatRenderOptions o;
  o.bos_token = context["bos_token"].get<std::string>();
  o.eos_token = context["eos_token"].get<std::string>();
  o.now = golden_now();
  return o;
}

std::string read_text(const test::fs::path& p) {
  const std::vector<char> bytes = test::read_file(p);
  return std::string(bytes.begin(), bytes.end());
}

// Renders one golden case: chat cases through ChatTemplate (as the chat loop
// will), the others through jinja::Template with their full context.
std::string render_case(const json& c, const ChatTemplate* chat_template = nullptr) {
  const std::string source = golden()["templates"][c["template"].get<std::string>()].get<std::string>();
  const json& context = c["context"];
  if (c["chat"].get<bool>()) {
    const ChatTemplate t = chat_template ? *chat_template : ChatTemplate::from_source(source, c["name"].get<std::string>());
    return t.render(chat_messages(context), context["add_generation_prompt"].get<bool>(), chat_options(context));
  }
  const jinja::Template t(source, c["name"].get<std::string>());
  jinja::RenderOptions options;
  options.now = golden_now();
  return t.render(jinja::from_json(context.dump()).as_dict(), options);
}

// Compares one case with its golden result; returns false (with a message) on a mismatch.
::testing::AssertionResult matches_golden(const json& c, const ChatTemplate* chat_template = nullptr) {
  const std::string name = c["name"].get<std::string>();
  std::string got;
  try {
    got = render_case(c, chat_template);
  } catch (const Error& e) {
    if (c.contains("error") && std::string(e.what()).find(c["error"].get<std::string>()) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << name << ": unexpected error: " << e.what();
  }
  if (c.contains("error")) return ::testing::AssertionFailure() << name << ": expected error " << c["error"] << ", got output";
  const std::string expected = c["expected"].get<std::string>();
  if (got == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << name << ":\n  jinja2: " << json(expected).dump() << "\n  ours:   " << json(got).dump();
}

TEST(ChatTemplateGolden, EveryCaseRendersByteIdenticalToJinja2) {
  size_t checked = 0;
  for (const json& c : golden()["cases"]) {
    EXPECT_TRUE(matches_golden(c));
    ++checked;
  }
  EXPECT_GT(checked, 200u);
}

TEST(ChatTemplateGolden, RaiseExceptionCasesFailWithTheTemplatesMessage) {
  size_t errors = 0;
  for (const json& c : golden()["cases"]) {
    if (!c.contains("error")) continue;
    ++errors;
    try {
      render_case(c);
      ADD_FAILURE() << c["name"] << ": rendered without error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), StatusCode::invalid_input);
      EXPECT_NE(std::string(e.what()).find(c["error"].get<std::string>()), std::string::npos) << e.what();
    }
  }
  EXPECT_GE(errors, 5u);
}

TEST(ChatTemplateBuiltin, SourcesAreTheFixtureTemplatesJinja2Rendered) {
  for (std::string_view name : ChatTemplate::builtin_names()) {
    const std::string file = read_text(test::fixtures_dir() / "chat" / "templates" / (std::string(name) + ".jinja"));
    EXPECT_EQ(std::string(ChatTemplate::builtin_source(name)), file) << name;
    EXPECT_EQ(golden()["templates"][std::string(name)].get<std::string>(), file) << name;
  }
}

TEST(ChatTemplateBuiltin, RendersEveryGoldenConversationOfItsTemplate) {
  for (std::string_view name : ChatTemplate::builtin_names()) {
    const ChatTemplate builtin = ChatTemplate::builtin(name);
    size_t checked = 0;
    for (const json& c : golden()["cases"]) {
      if (c["template"] != name || !c["chat"].get<bool>()) continue;
      EXPECT_TRUE(matches_golden(c, &builtin));
      ++checked;
    }
    EXPECT_GT(checked, 10u) << name;
  }
}

// The official Llama 3 template (from the model's tokenizer_config.json)
// always ends with the assistant header; the built-in adds it only when
// asked, so the two agree whenever the generation prompt is requested.
TEST(ChatTemplateBuiltin, Llama3MatchesTheOfficialTemplateWithAGenerationPrompt) {
  const ChatTemplate builtin = ChatTemplate::builtin("llama3");
  size_t checked = 0;
  for (const json& c : golden()["cases"]) {
    if (c["template"] != "llama3_official" || !c["context"]["add_generation_prompt"].get<bool>()) continue;
    EXPECT_TRUE(matches_golden(c, &builtin));
    ++checked;
  }
  EXPECT_GT(checked, 10u);
}

TEST(ChatTemplateBuiltin, Llama2IsMetasChatFormat) {
  ChatRenderOptions o;
  o.bos_token = "<s>";
  o.eos_token = "</s>";
  const std::string prompt = ChatTemplate::builtin("llama2").render(
      {{"system", "SYS"}, {"user", "hi "}, {"assistant", " hello"}, {"user", "again"}}, true, o);
  EXPECT_EQ(prompt, "<s>[INST] <<SYS>>\nSYS\n<</SYS>>\n\nhi [/INST] hello </s><s>[INST] again [/INST]");
}

TEST(ChatTemplateBuiltin, Llama3HeadersEachMessageAndAddsTheAssistantHeader) {
  ChatRenderOptions o;
  o.bos_token = "<|begin_of_text|>";
  const ChatTemplate t = ChatTemplate::builtin("llama3");
  const std::vector<ChatMessage> chat = {{"system", "S"}, {"user", "U "}};
  EXPECT_EQ(t.render(chat, true, o),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(t.render(chat, false, o),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>");
}

TEST(ChatTemplateBuiltin, UnknownNameIsAnError) {
  EXPECT_THROW(ChatTemplate::builtin("gpt5"), Error);
  EXPECT_TRUE(ChatTemplate::builtin_source("gpt5").empty());
}

TEST(ChatTemplate, RoleAlternationErrorCarriesTheTemplatesMessage) {
  try {
    ChatTemplate::builtin("llama2").render({{"user", "a"}, {"user", "b"}}, true);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Conversation roles must alternate user/assistant/user/assistant/..."),
              std::string::npos)
        << e.what();
  }
}

TEST(ChatTemplate, SyntaxErrorNamesTheTemplateLineAndColumn) {
  try {
    ChatTemplate::from_source("{% for m in messages %}\n{{ m.content }", "my template");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), StatusCode::invalid_input);
    EXPECT_EQ(std::string(e.what()).rfind("my template:2:", 0), 0u) << e.what();
  }
}

TEST(ChatTemplate, StrftimeNowPrintsTheInjectedDate) {
  const ChatTemplate t = ChatTemplate::from_source("{{ strftime_now('%d %b %Y') }}");
  ChatRenderOptions o;
  o.now = golden_now();
  EXPECT_EQ(t.render({}, false, o), "26 Jul 2024");
  const std::string today = t.render({}, false);  // the real clock
  EXPECT_EQ(today.size(), 11u) << today;
}

TEST(ChatTemplateConfig, ReadsTemplateAndSpecialTokensInBothSpellings) {
  test::TempDir dir;
  const auto path = dir.path() / "tokenizer_config.json";
  const std::string text =
      R"({"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "chat_template": "{{ bos_token }}x"})";
  test::write_file(path, text.data(), text.size());
  const TokenizerChatConfig config = read_tokenizer_chat_config(path);
  EXPECT_EQ(config.bos_token, "<s>");
  EXPECT_EQ(config.eos_token, "</s>");
  EXPECT_EQ(config.chat_template, "{{ bos_token }}x");
  ChatRenderOptions o;
  o.bos_token = config.bos_token;
  EXPECT_EQ(choose_chat_template(config, "llama2").render({}, false, o), "<s>x");
}

TEST(ChatTemplateConfig, ANamedTemplateListYieldsTheDefault) {
  test::TempDir dir;
  const auto path = dir.path() / "tokenizer_config.json";
  const std::string text =
      R"({"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})";
  test::write_file(path, text.data(), text.size());
  EXPECT_EQ(read_tokenizer_chat_config(path).chat_template, "D");
}

TEST(ChatTemplateConfig, WithoutATemplateTheBuiltinIsChosen) {
  const ChatTemplate t = choose_chat_template(TokenizerChatConfig{}, "llama3");
  EXPECT_EQ(t.source(), std::string(ChatTemplate::builtin_source("llama3")));
}

TEST(ChatTemplateConfig, MissingOrBrokenFilesAreErrorsNamingTheFile) {
  test::TempDir dir;
  const auto path = dir.path() / "tokenizer_config.json";
  EXPECT_THROW(read_tokenizer_chat_config(path), Error);
  test::write_file(path, "{nope", 5);
  try {
    read_tokenizer_chat_config(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer_config.json"), std::string::npos) << e.what();
  }
}

TEST(ChatTemplateConfig, ReadsTheSharedLlama3Config) {
  LLAMAFAST_REQUIRE_SHARED("tokenizers/llama3/tokenizer_config.json");
  const TokenizerChatConfig config = read_tokenizer_chat_config(test::shared_dir() / "tokenizers/llama3/tokenizer_config.json");
  EXPECT_EQ(config.bos_token, "<|begin_of_text|>");
  EXPECT_EQ(config.chat_template, golden()["templates"]["llama3_official"].get<std::string>());
}

TEST(ChatTemplatePromptDelta, TheNextTurnIsTheSuffixOfTheNewRendering) {
  ChatRenderOptions o;
  o.bos_token = "<|begin_of_text|>";
  const ChatTemplate t = ChatTemplate::builtin("llama3");
  std::vector<ChatMessage> chat = {{"user", "Hi"}};
  const std::string first = t.render(chat, true, o);
  chat.push_back({"assistant", "Hello!"});
  chat.push_back({"user", "Bye"});
  const std::string second = t.render(chat, true, o);
  const PromptDelta delta = prompt_delta(first, second);
  EXPECT_TRUE(delta.extends_previous);
  EXPECT_EQ(delta.common_prefix, first.size());
  EXPECT_EQ(delta.suffix,
            "Hello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplatePromptDelta, ATemplateThatRewritesEarlierTextIsNotAnExtension) {
  // Mistral-style: the system prompt moves to the last user message.
  const json& templates = golden()["templates"];
  const ChatTemplate t = ChatTemplate::from_source(templates["mistral"].get<std::string>());
  std::vector<ChatMessage> chat = {{"system", "S"}, {"user", "a"}};
  const std::string first = t.render(chat, true);
  chat.push_back({"assistant", "b"});
  chat.push_back({"user", "c"});
  const PromptDelta delta = prompt_delta(first, t.render(chat, true));
  EXPECT_FALSE(delta.extends_previous);
  EXPECT_LT(delta.common_prefix, first.size());
}

TEST(ChatTemplatePromptDelta, NeverSplitsAUtf8Character) {
  const PromptDelta delta = prompt_delta("x\xc3\xa9", "x\xc3\xa8y");  // é vs è share their lead byte
  EXPECT_EQ(delta.common_prefix, 1u);
  EXPECT_EQ(delta.suffix, "\xc3\xa8y");
  EXPECT_FALSE(delta.extends_previous);
}

}  // namespace
}  // namespace llamafast
