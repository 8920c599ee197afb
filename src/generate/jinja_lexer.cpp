#include "generate/jinja_lexer.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "common/error.h"
#include "generate/jinja_text.h"

namespace llamafast::jinja {

void syntax_error(std::string_view template_name, SourcePos pos, std::string_view message) {
  fail("{}:{}:{}: {}", template_name, pos.line, pos.column, message);
}

namespace {

// How a tag shapes the text that follows it.
enum class After { keep, trim_newline, strip_space };
// How a tag shapes the text that precedes it.
enum class Before { keep, lstrip_line, strip_space };

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class Lexer {
 public:
  Lexer(std::string_view source, std::string_view name) : src_(normalize_newlines(source)), name_(name) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  std::vector<Token> run() {
    size_t text_begin = 0;
    After after = After::keep;
    while (true) {
      const size_t open = find_tag(text_begin);
      if (open == std::string::npos) {
        emit_text(text_begin, src_.size(), after, Before::keep);
        break;
      }
      const char kind = src_[open + 1];
      const char mod = open + 2 < src_.size() ? src_[open + 2] : '\0';
      Before before = Before::keep;
      if (mod == '-') {
        before = Before::strip_space;
      } else if (kind != '{' && mod != '+') {
        before = Before::lstrip_line;
      }
      emit_text(text_begin, open, after, before);
      size_t body = open + 2 + ((mod == '-' || (mod == '+' && kind != '{')) ? 1 : 0);
      if (kind == '#') {
        text_begin = lex_comment(open, body, after);
      } else if (kind == '%' && is_raw_tag(body)) {
        text_begin = lex_raw(open, after);
      } else {
        text_begin = lex_tag(open, body, kind == '{', after);
      }
    }
    push(Token::Kind::end, src_.size());
    return std::move(tokens_);
  }

 private:
  SourcePos position(size_t offset) const {
    const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) - 1;
    return {uint32_t(it - line_starts_.begin() + 1), uint32_t(offset - *it + 1)};
  }

  [[noreturn]] void error(size_t offset, std::string_view message) const { syntax_error(name_, position(offset), message); }

  Token& push(Token::Kind kind, size_t offset, std::string text = {}) {
    Token& t = tokens_.emplace_back();
    t.kind = kind;
    t.text = std::move(text);
    t.pos = position(offset);
    return t;
  }

  size_t find_tag(size_t from) const {
    for (size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    }
    return std::string::npos;
  }

  // Text between two tags, shaped by the tag before it and the tag after it.
  void emit_text(size_t begin, size_t end, After after, Before before) {
    const std::string_view raw = std::string_view(src_).substr(begin, end - begin);
    size_t from = 0, to = raw.size();
    if (after == After::trim_newline && !raw.empty() && raw[0] == '\n') {
      from = 1;
    } else if (after == After::strip_space) {
      const std::u32string cps = decode_utf8(raw);
      size_t i = 0;
      while (i < cps.size() && is_space(cps[i])) ++i;
      from = encode_utf8(std::u32string_view(cps).substr(0, i)).size();
    }
    if (before == Before::strip_space) {
      const std::u32string cps = decode_utf8(raw);
      size_t i = cps.size();
      while (i > 0 && is_space(cps[i - 1])) --i;
      to = encode_utf8(std::u32string_view(cps).substr(0, i)).size();
    } else if (before == Before::lstrip_line) {
      // Only whitespace between the line start (or the template start) and the tag.
      const size_t newline = raw.rfind('\n');
      if (newline != std::string_view::npos || begin == 0) {
        const size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
        const std::u32string tail = decode_utf8(raw.substr(line_start));
        if (std::all_of(tail.begin(), tail.end(), is_space)) to = line_start;
      }
    }
    if (to > from) push(Token::Kind::text, begin + from, std::string(raw.substr(from, to - from)));
  }

  static After after_block(char mod) {
    return mod == '-' ? After::strip_space : mod == '+' ? After::keep : After::trim_newline;
  }

  size_t lex_comment(size_t open, size_t body, After& after) {
    const size_t close = src_.find("#}", body);
    if (close == std::string::npos) error(open, "unterminated comment: missing '#}'");
    after = after_block(close > body ? src_[close - 1] : '\0');
    return close + 2;
  }

  size_t skip_blanks(size_t i) const {
    while (i < src_.size() && is_blank(src_[i])) ++i;
    return i;
  }

  // If a block tag's body at i is `name` and the tag then closes, the offset
  // just past "%}" and the close modifier; otherwise npos.
  size_t match_simple_tag(size_t i, std::string_view name, char* close_mod) const {
    i = skip_blanks(i);
    if (src_.compare(i, name.size(), name) != 0) return std::string::npos;
    i += name.size();
    if (i < src_.size() && is_name_char(src_[i])) return std::string::npos;
    i = skip_blanks(i);
    *close_mod = '\0';
    if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) *close_mod = src_[i++];
    if (src_.compare(i, 2, "%}") != 0) return std::string::npos;
    return i + 2;
  }

  bool is_raw_tag(size_t body) const {
    char mod;
    return match_simple_tag(body, "raw", &mod) != std::string::npos;
  }

  // {% raw %}...{% endraw %}: the inside is text, shaped by the two tags as
  // by other block tags, except that the newline after {% raw %} stays.
  size_t lex_raw(size_t open, After& after) {
    char mod = src_[open + 2];
    const size_t body = open + 2 + ((mod == '-' || mod == '+') ? 1 : 0);
    char close_mod;
    const size_t content = match_simple_tag(body, "raw", &close_mod);
    for (size_t end = src_.find("{%", content); end != std::string::npos; end = src_.find("{%", end + 2)) {
      const char end_mod = end + 2 < src_.size() ? src_[end + 2] : '\0';
      const size_t end_body = end + 2 + ((end_mod == '-' || end_mod == '+') ? 1 : 0);
      char end_close_mod;
      const size_t past = match_simple_tag(end_body, "endraw", &end_close_mod);
      if (past == std::string::npos) continue;
      const Before before = end_mod == '-' ? Before::strip_space : end_mod == '+' ? Before::keep : Before::lstrip_line;
      // Jinja2 keeps the newline after {% raw %} (trim_blocks does not apply there).
      emit_text(content, end, close_mod == '-' ? After::strip_space : After::keep, before);
      after = after_block(end_close_mod);
      return past;
    }
    error(open, "'raw' block is never closed with 'endraw'");
  }

  // The tokens of one {{ ... }} or {% ... %} tag.
  size_t lex_tag(size_t open, size_t i, bool print, After& after) {
    push(print ? Token::Kind::print_open : Token::Kind::block_open, open);
    std::string brackets;  // open ( [ { waiting for their partner
    while (true) {
      i = skip_blanks(i);
      if (i >= src_.size()) error(open, print ? "tag '{{' is never closed with '}}'" : "tag '{%' is never closed with '%}'");
      if (brackets.empty()) {
        const char closer = print ? '}' : '%';
        char mod = '\0';
        size_t at = i;
        if ((src_[i] == '-' || (!print && src_[i] == '+')) && i + 1 < src_.size() && src_[i + 1] == closer) mod = src_[at++];
        if (src_.compare(at, 2, print ? "}}" : "%}") == 0) {
          push(print ? Token::Kind::print_close : Token::Kind::block_close, i);
          after = print ? (mod == '-' ? After::strip_space : After::keep) : after_block(mod);
          return at + 2;
        }
      }
      const char c = src_[i];
      if (is_name_start(c)) {
        size_t end = i;
        while (end < src_.size() && is_name_char(src_[end])) ++end;
        push(Token::Kind::name, i, src_.substr(i, end - i));
        i = end;
      } else if (is_digit(c)) {
        i = lex_number(i);
      } else if (c == '\'' || c == '"') {
        i = lex_string(i);
      } else {
        i = lex_operator(i, brackets);
      }
    }
  }

  size_t lex_number(size_t i) {
    const size_t begin = i;
    std::string digits;
    auto take_digits = [&] {
      while (i < src_.size() && (is_digit(src_[i]) || (src_[i] == '_' && i + 1 < src_.size() && is_digit(src_[i + 1])))) {
        if (src_[i] != '_') digits += src_[i];
        ++i;
      }
    };
    if (src_[i] == '0' && i + 1 < src_.size() && std::string_view("xXoObB").find(src_[i + 1]) != std::string_view::npos) {
      const int base = (src_[i + 1] == 'x' || src_[i + 1] == 'X') ? 16 : (src_[i + 1] == 'o' || src_[i + 1] == 'O') ? 8 : 2;
      i += 2;
      while (i < src_.size() && (std::isxdigit(uint8_t(src_[i])) || src_[i] == '_')) {
        if (src_[i] != '_') digits += src_[i];
        ++i;
      }
      errno = 0;
      char* end = nullptr;
      const long long v = std::strtoll(digits.c_str(), &end, base);
      if (digits.empty() || *end || errno) error(begin, "invalid integer literal");
      push(Token::Kind::integer, begin).integer = v;
      return i;
    }
    take_digits();
    bool is_float = false;
    if (i + 1 < src_.size() && src_[i] == '.' && is_digit(src_[i + 1])) {
      is_float = true;
      digits += src_[i++];
      take_digits();
    }
    if (i < src_.size() && (src_[i] == 'e' || src_[i] == 'E')) {
      size_t j = i + 1;
      if (j < src_.size() && (src_[j] == '+' || src_[j] == '-')) ++j;
      if (j < src_.size() && is_digit(src_[j])) {
        is_float = true;
        digits += 'e';
        digits.append(src_, i + 1, j - i - 1);
        i = j;
        take_digits();
      }
    }
    if (is_float) {
      push(Token::Kind::floating, begin).floating = std::strtod(digits.c_str(), nullptr);
    } else {
      errno = 0;
      const long long v = std::strtoll(digits.c_str(), nullptr, 10);
      if (errno) error(begin, "integer literal does not fit in 64 bits");
      push(Token::Kind::integer, begin).integer = v;
    }
    return i;
  }

  // Python's string escapes (unicode-escape): unknown ones stay as written.
  size_t lex_string(size_t i) {
    const size_t begin = i;
    const char quote = src_[i++];
    std::string value;
    auto hex = [&](size_t at, size_t n) -> char32_t {
      if (at + n > src_.size()) error(at - 2, "truncated escape in string literal");
      char32_t v = 0;
      for (size_t k = 0; k < n; ++k) {
        const char h = src_[at + k];
        if (!std::isxdigit(uint8_t(h))) error(at - 2, "truncated escape in string literal");
        v = v * 16 + char32_t(is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
      }
      return v;
    };
    while (true) {
      if (i >= src_.size()) error(begin, "unterminated string literal");
      const char c = src_[i];
      if (c == quote) {
        push(Token::Kind::string, begin, std::move(value));
        return i + 1;
      }
      if (c != '\\') {
        value += c;
        ++i;
        continue;
      }
      if (i + 1 >= src_.size()) error(begin, "unterminated string literal");
      const char e = src_[i + 1];
      i += 2;
      switch (e) {
        case '\n':
          break;  // line continuation
        case '\\':
        case '\'':
        case '"':
          value += e;
          break;
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'v':
          value += '\v';
          break;
        case 'a':
          value += '\a';
          break;
        case 'x':
          append_utf8(value, hex(i, 2));
          i += 2;
          break;
        case 'u':
          append_utf8(value, hex(i, 4));
          i += 4;
          break;
        case 'U': {
          const char32_t cp = hex(i, 8);
          if (cp > 0x10ffff) error(i - 2, "escape \\U beyond U+10FFFF");
          append_utf8(value, cp);
          i += 8;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            char32_t v = char32_t(e - '0');
            for (int k = 0; k < 2 && i < src_.size() && src_[i] >= '0' && src_[i] <= '7'; ++k) v = v * 8 + char32_t(src_[i++] - '0');
            append_utf8(value, v);
          } else {
            value += '\\';
            value += e;
          }
      }
    }
  }

  size_t lex_operator(size_t i, std::string& brackets) {
    static constexpr std::string_view kTwoChar[] = {"//", "**", "==", "!=", "<=", ">="};
    for (std::string_view op : kTwoChar) {
      if (src_.compare(i, 2, op) == 0) {
        push(Token::Kind::op, i, std::string(op));
        return i + 2;
      }
    }
    const char c = src_[i];
    if (std::string_view("+-*/%~<>=().[]{},:|").find(c) == std::string_view::npos) {
      error(i, fmt::format("unexpected character '{}'", c));
    }
    if (c == '(' || c == '[' || c == '{') {
      brackets += c;
    } else if (c == ')' || c == ']' || c == '}') {
      const char expected = c == ')' ? '(' : c == ']' ? '[' : '{';
      if (brackets.empty() || brackets.back() != expected) error(i, fmt::format("unexpected '{}'", c));
      brackets.pop_back();
    }
    push(Token::Kind::op, i, std::string(1, c));
    return i + 1;
  }

  std::string src_;
  std::string_view name_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source, std::string_view template_name) {
  return Lexer(source, template_name).run();
}

}  // namespace llamafast::jinja
