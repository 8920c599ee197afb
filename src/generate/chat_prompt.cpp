#include "generate/chat_prompt.h"

#include <algorithm>
#include <string_view>

#include "common/error.h"
#include "generate/jinja_text.h"

namespace llamafast {

namespace {

// Marks content i as kMarkerStart + prefix + i + kMarkerEnd. Control characters
// that no template prints and no trim strips; `prefix` is chosen so that no
// content contains it.
constexpr char kMarkerStart = '\x02';
constexpr char kMarkerEnd = '\x03';

std::string marker_prefix(const std::vector<ChatMessage>& messages) {
  for (int n = 0;; ++n) {
    const std::string prefix = std::string(1, kMarkerStart) + "msg" + std::to_string(n) + ":";
    const bool used = std::any_of(messages.begin(), messages.end(),
                                  [&](const ChatMessage& m) { return m.content.find(prefix) != std::string::npos; });
    if (!used) return prefix;
  }
}

}  // namespace

ChatPrompt::ChatPrompt(ChatTemplate chat_template, const Tokenizer& tokenizer, ChatRenderOptions options)
    : template_(std::move(chat_template)), tokenizer_(tokenizer), options_(std::move(options)) {
  const std::vector<int> bos = tokenizer_.encode("", {.add_bos = true});
  if (!bos.empty()) implicit_bos_ = bos.front();
}

ChatPrompt::Rendered ChatPrompt::render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  std::vector<ChatMessage> stripped = messages, marked = messages;
  for (ChatMessage& m : stripped) m.content = jinja::strip(m.content, jinja::StripSide::both);
  const std::string prefix = marker_prefix(stripped);
  for (size_t i = 0; i < marked.size(); ++i) marked[i].content = prefix + std::to_string(i) + kMarkerEnd;

  const std::string real = template_.render(stripped, add_generation_prompt, options_);
  const std::string shape = template_.render(marked, add_generation_prompt, options_);

  Rendered out;
  out.text.reserve(real.size());
  size_t at = 0;
  for (size_t hit = shape.find(prefix); hit != std::string::npos; hit = shape.find(prefix, at)) {
    const size_t digits = hit + prefix.size();
    const size_t end = shape.find(kMarkerEnd, digits);
    size_t index = messages.size();
    if (end != std::string::npos && end > digits && end - digits < 10 &&
        shape.find_first_not_of("0123456789", digits) == end)
      index = std::stoul(shape.substr(digits, end - digits));
    if (index >= messages.size()) fail("{}: rewrites message content (cannot tell it from the template's text)", template_.name());
    out.text.append(shape, at, hit - at);
    const std::string& content = stripped[index].content;
    if (!content.empty()) out.content.push_back({out.text.size(), out.text.size() + content.size()});
    out.text += content;
    at = end + 1;
  }
  out.text.append(shape, at);
  if (out.text != real)
    fail("{}: transforms message content (cannot tell it from the template's text, so special tokens in it "
         "could not be kept plain)", template_.name());
  return out;
}

std::vector<int> ChatPrompt::tokenize(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  Rendered r = render(messages, add_generation_prompt);
  std::vector<int> ids =
      tokenizer_.encode(r.text, {.add_bos = false, .parse_special = true, .plain_spans = std::move(r.content)});
  if (implicit_bos_ >= 0 && (ids.empty() || ids.front() != implicit_bos_)) ids.insert(ids.begin(), implicit_bos_);
  return ids;
}

std::vector<int> ChatPrompt::end_of_turn_ids() const {
  // The text between an assistant message and the next message (or the end)
  // in a minimal conversation; its first control token that is not BOS.
  const Rendered r = render({{"user", "a"}, {"assistant", "b"}, {"user", "c"}}, false);
  if (r.content.size() < 2) return {};
  const size_t from = r.content[1].end;
  const size_t to = r.content.size() > 2 ? r.content[2].begin : r.text.size();
  for (int id : tokenizer_.encode(std::string_view(r.text).substr(from, to - from),
                                  {.add_bos = false, .parse_special = true})) {
    if (tokenizer_.is_control(id) && id != tokenizer_.bos_id()) return {id};
  }
  return {};
}

}  // namespace llamafast
