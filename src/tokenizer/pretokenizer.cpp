#include "tokenizer/pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/error.h"

namespace llamafast {

// Unicode White_Space, as Rust's regex and Oniguruma mean by \s.
static constexpr std::string_view kWhiteSpaceClassBody =
    R"(\t\n\x{0B}\f\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

std::string rust_regex_to_pcre2(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 64);
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[++i];
      if (e == 's') {
        if (in_class) {
          out += kWhiteSpaceClassBody;
        } else {
          out += '[';
          out += kWhiteSpaceClassBody;
          out += ']';
        }
      } else if (e == 'S' && !in_class) {
        out += "[^";
        out += kWhiteSpaceClassBody;
        out += ']';
      } else {
        out += c;
        out += e;
      }
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal member, not the end.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (in_class && c == ']') in_class = false;
    out += c;
  }
  return out;
}

struct Regex::Impl {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Impl() { pcre2_code_free(code); }
};

Regex::Regex(std::string_view pattern, std::string_view where) : impl_(std::make_unique<Impl>()) {
  const std::string translated = rust_regex_to_pcre2(pattern);
  int error = 0;
  PCRE2_SIZE offset = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                              PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &offset, nullptr);
  if (!impl_->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    fail("{}: invalid regex '{}': {} at offset {}", where, pattern, reinterpret_cast<const char*>(message), offset);
  }
  impl_->jit = pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

void Regex::find_all(std::string_view text, std::vector<Span>& out) const {
  struct MatchData {
    pcre2_match_data* p;
    ~MatchData() { pcre2_match_data_free(p); }
  } md{pcre2_match_data_create_from_pattern(impl_->code, nullptr)};
  if (!md.p) return;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0;
  while (pos < text.size()) {
    int rc = pcre2_match(impl_->code, subject, text.size(), pos, 0, md.p, nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)  // the interpreter keeps its stack on the heap
      rc = pcre2_match(impl_->code, subject, text.size(), pos, PCRE2_NO_JIT, md.p, nullptr);
    if (rc < 0) return;  // no match (or a limit hit): the rest stays unmatched
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.p);
    const size_t begin = ov[0], end = ov[1];
    if (end > begin) {
      out.push_back({uint32_t(begin), uint32_t(end)});
      pos = end;
    } else {
      // An empty match: step over one character so the scan makes progress.
      pos = begin + 1;
      while (pos < text.size() && (uint8_t(text[pos]) & 0xc0) == 0x80) ++pos;
    }
  }
}

void split_at_matches(size_t text_size, const std::vector<Span>& matches, SplitBehavior behavior, bool invert,
                      std::vector<Span>& out) {
  // Every byte of the text, as alternating pieces flagged "is a match".
  struct Piece {
    Span span;
    bool is_match;
  };
  std::vector<Piece> pieces;
  pieces.reserve(matches.size() * 2 + 1);
  uint32_t pos = 0;
  for (const Span& m : matches) {
    if (m.begin > pos) pieces.push_back({{pos, m.begin}, invert});
    pieces.push_back({m, !invert});
    pos = m.end;
  }
  if (pos < text_size) pieces.push_back({{pos, uint32_t(text_size)}, invert});

  const size_t first_out = out.size();
  switch (behavior) {
    case SplitBehavior::removed:
      for (const Piece& p : pieces)
        if (!p.is_match) out.push_back(p.span);
      break;
    case SplitBehavior::isolated:
      for (const Piece& p : pieces) out.push_back(p.span);
      break;
    case SplitBehavior::merged_with_previous: {
      bool previous_match = false;
      for (const Piece& p : pieces) {
        if (p.is_match && !previous_match && out.size() > first_out) {
          out.back().end = p.span.end;
        } else {
          out.push_back(p.span);
        }
        previous_match = p.is_match;
      }
      break;
    }
    case SplitBehavior::merged_with_next: {
      // A match starts the piece that follows it (scan from the right).
      std::vector<Span> rev;
      bool previous_match = false;
      for (size_t i = pieces.size(); i-- > 0;) {
        const Piece& p = pieces[i];
        if (p.is_match && !previous_match && !rev.empty()) {
          rev.back().begin = p.span.begin;
        } else {
          rev.push_back(p.span);
        }
        previous_match = p.is_match;
      }
      out.insert(out.end(), rev.rbegin(), rev.rend());
      break;
    }
    case SplitBehavior::contiguous: {
      int previous = -1;
      for (const Piece& p : pieces) {
        if (previous == int(p.is_match)) {
          out.back().end = p.span.end;
        } else {
          out.push_back(p.span);
        }
        previous = int(p.is_match);
      }
      break;
    }
  }
  // Drop empty pieces (there are none unless a match was empty).
  size_t w = first_out;
  for (size_t r = first_out; r < out.size(); ++r)
    if (out[r].end > out[r].begin) out[w++] = out[r];
  out.resize(w);
}

}  // namespace llamafast
