// A conversation -> token ids, through a chat template, with the messages'
// text kept apart from the template's markup: special-token text the
// template writes ("<|eot_id|>", "<s>") becomes control ids, the same text
// inside a message stays plain text. Conversations without special-token
// text in their messages get exactly the ids of encoding the whole rendered
// text with parse_special (what Hugging Face's apply_chat_template does).
//
// How: the template is rendered twice, once with each message's content
// replaced by a marker and once as is. The marked rendering shows where each
// content landed; replacing the markers by the contents must give the real
// rendering (else the template transformed a content in a way llamafast
// cannot follow, and the conversation is refused rather than guessed). The
// text is then encoded in one call, contents as EncodeOptions::plain_spans,
// so the tokenizer sees the same stretches between control tokens as when
// encoding the whole text (SentencePiece's dummy prefix, BPE merges across
// the markup/content boundary), only without special tokens inside contents.
#pragma once

#include <string>
#include <vector>

#include "generate/chat_template.h"
#include "llamafast/chat.h"
#include "llamafast/tokenizer.h"

namespace llamafast {

class ChatPrompt {
 public:
  // `tokenizer` must outlive the ChatPrompt.
  ChatPrompt(ChatTemplate chat_template, const Tokenizer& tokenizer, ChatRenderOptions options);

  struct Rendered {
    std::string text;
    std::vector<TextSpan> content;  // where messages' contents lie in `text` (sorted, non-empty)
  };

  // Message contents are stripped of surrounding whitespace first (Python's
  // str.strip(), as templates do), so a template's trim keeps them verbatim.
  // Throws Error (invalid input) when the template fails or transforms content.
  Rendered render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  // The ids of render(): BOS first when the tokenizer adds one and the
  // template did not write it.
  std::vector<int> tokenize(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  // Control ids the template writes right after an assistant message (e.g.
  // <|eot_id|> for Llama 3, </s> for Llama 2): a reply ends when the model
  // samples one. Empty when the template writes none.
  std::vector<int> end_of_turn_ids() const;

  const ChatTemplate& chat_template() const { return template_; }

 private:
  ChatTemplate template_;
  const Tokenizer& tokenizer_;
  ChatRenderOptions options_;
  int implicit_bos_ = -1;  // the BOS id encode() adds, -1 when none
};

}  // namespace llamafast
