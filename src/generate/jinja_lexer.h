// Splits a Jinja template into text and the tokens inside its tags, applying
// Hugging Face's whitespace settings on the way: trim_blocks (the newline
// after a block or comment tag is dropped), lstrip_blocks (spaces before a
// block or comment tag at the start of a line are dropped), the `-` and `+`
// tag modifiers, and keep_trailing_newline=False (one final newline of the
// source is dropped). Newlines are normalised to "\n". {# comments #} vanish
// and {% raw %}...{% endraw %} becomes plain text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llamafast::jinja {

struct SourcePos {
  uint32_t line = 1;
  uint32_t column = 1;  // in bytes, from 1
};

struct Token {
  enum class Kind {
    text,         // literal template text (already whitespace-shaped)
    print_open,   // {{
    print_close,  // }}
    block_open,   // {%
    block_close,  // %}
    name,
    string,  // text holds the decoded value
    integer,
    floating,
    op,  // text holds the spelling: "+", "//", "==", "(", ...
    end,
  };
  Kind kind = Kind::end;
  std::string text;
  int64_t integer = 0;
  double floating = 0;
  SourcePos pos;
};

// Throws llamafast::Error "name:line:column: message" (invalid input).
[[noreturn]] void syntax_error(std::string_view template_name, SourcePos pos, std::string_view message);

std::vector<Token> tokenize(std::string_view source, std::string_view template_name);

}  // namespace llamafast::jinja
