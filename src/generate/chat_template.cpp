#include "generate/chat_template.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace llamafast {

namespace {

// The built-in templates. Their text equals tests/fixtures/chat/templates/
// llama2.jinja and llama3.jinja, which the golden data renders with Jinja2.
constexpr std::string_view kLlama2 = R"jinja({#- Llama 2 chat, as Meta's reference code formats a dialog: an optional
    system prompt folded into the first user turn inside <<SYS>> markers,
    then <s>[INST] {user} [/INST] {assistant} </s> for every exchange. -#}
{%- if messages[0]['role'] == 'system' %}
    {%- set loop_messages = messages[1:] %}
    {%- set system_message = messages[0]['content'] %}
{%- else %}
    {%- set loop_messages = messages %}
    {%- set system_message = false %}
{%- endif %}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if loop.index0 == 0 and system_message != false %}
        {%- set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}
    {%- else %}
        {%- set content = message['content'] %}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {{- bos_token + '[INST] ' + content.strip() + ' [/INST]' }}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + content.strip() + ' ' + eos_token }}
    {%- endif %}
{%- endfor %}
)jinja";

constexpr std::string_view kLlama3 = R"jinja({#- Llama 3 (the built-in "llama3"): every message as a header and its
    trimmed content, the first preceded by bos_token. -#}
{%- for message in messages %}
    {%- if loop.first %}
        {{- bos_token }}
    {%- endif %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
)jinja";

struct Builtin {
  std::string_view name;
  std::string_view source;
};

constexpr Builtin kBuiltins[] = {{"llama2", kLlama2}, {"llama3", kLlama3}};

// A special token in tokenizer_config.json: a string, or {"content": ...}.
std::string token_text(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content") && j["content"].is_string()) return j["content"].get<std::string>();
  return {};
}

}  // namespace

ChatTemplate::ChatTemplate(std::string source, std::string name)
    : source_(std::move(source)), template_(std::make_shared<const jinja::Template>(source_, std::move(name))) {}

ChatTemplate ChatTemplate::from_source(std::string_view source, std::string name) {
  return ChatTemplate(std::string(source), std::move(name));
}

ChatTemplate ChatTemplate::builtin(std::string_view name) {
  const std::string_view source = builtin_source(name);
  if (source.empty()) fail("unknown built-in chat template '{}' (known: llama2, llama3)", name);
  return ChatTemplate(std::string(source), "built-in " + std::string(name) + " chat template");
}

std::vector<std::string_view> ChatTemplate::builtin_names() {
  std::vector<std::string_view> names;
  for (const Builtin& b : kBuiltins) names.push_back(b.name);
  return names;
}

std::string_view ChatTemplate::builtin_source(std::string_view name) {
  for (const Builtin& b : kBuiltins) {
    if (b.name == name) return b.source;
  }
  return {};
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                                 const ChatRenderOptions& options) const {
  jinja::List list;
  list.reserve(messages.size());
  try {
    for (const ChatMessage& m : messages) {
      jinja::Dict d;
      d.set("role", jinja::Value(m.role));
      d.set("content", jinja::Value(m.content));
      list.push_back(jinja::Value::dict(std::move(d)));
    }
  } catch (const jinja::EvalError& e) {
    fail("{}: {}", name(), e.what());
  }
  jinja::Dict variables;
  variables.set("messages", jinja::Value::list(std::move(list)));
  variables.set("tools", jinja::Value::none());
  variables.set("documents", jinja::Value::none());
  variables.set("add_generation_prompt", jinja::Value(add_generation_prompt));
  variables.set("bos_token", jinja::Value(options.bos_token));
  variables.set("eos_token", jinja::Value(options.eos_token));
  jinja::RenderOptions render_options;
  render_options.limits = options.limits;
  render_options.now = options.now;
  return template_->render(variables, render_options);
}

TokenizerChatConfig read_tokenizer_chat_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open", path.string());
  std::stringstream text;
  text << in.rdbuf();
  return parse_tokenizer_chat_config(text.str(), path.string());
}

TokenizerChatConfig parse_tokenizer_chat_config(std::string_view text, const std::string& name) {
  const std::filesystem::path path = name;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: invalid JSON: {}", path.string(), e.what());
  }
  if (!j.is_object()) fail("{}: expected a JSON object", path.string());
  TokenizerChatConfig config;
  if (j.contains("bos_token")) config.bos_token = token_text(j["bos_token"]);
  if (j.contains("eos_token")) config.eos_token = token_text(j["eos_token"]);
  if (j.contains("chat_template")) {
    const nlohmann::json& t = j["chat_template"];
    if (t.is_string()) {
      config.chat_template = t.get<std::string>();
    } else if (t.is_array()) {
      // [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
      for (const nlohmann::json& entry : t) {
        if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
            entry["template"].is_string()) {
          config.chat_template = entry["template"].get<std::string>();
        }
      }
      if (config.chat_template.empty()) fail("{}: chat_template list has no template named 'default'", path.string());
    } else if (!t.is_null()) {
      fail("{}: chat_template must be a string or a list of named templates", path.string());
    }
  }
  return config;
}

ChatTemplate choose_chat_template(const TokenizerChatConfig& config, std::string_view fallback_builtin) {
  if (!config.chat_template.empty()) return ChatTemplate::from_source(config.chat_template, "tokenizer_config.json chat_template");
  return ChatTemplate::builtin(fallback_builtin);
}

PromptDelta prompt_delta(std::string_view previous, std::string_view current) {
  size_t common = 0;
  const size_t limit = std::min(previous.size(), current.size());
  while (common < limit && previous[common] == current[common]) ++common;
  PromptDelta delta;
  delta.extends_previous = common == previous.size();
  // Never split a UTF-8 character between the two parts.
  while (common > 0 && common < current.size() && (uint8_t(current[common]) & 0xc0) == 0x80) --common;
  delta.common_prefix = common;
  delta.suffix = current.substr(common);
  return delta;
}

}  // namespace llamafast
