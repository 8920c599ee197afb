#include "generate/jinja_text.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace llamafast::jinja {

namespace {

// Invalid bytes travel as lone surrogates, as Python's surrogateescape does.
constexpr char32_t kEscapedByteBase = 0xdc00;

bool is_continuation(uint8_t b) { return (b & 0xc0) == 0x80; }

}  // namespace

std::u32string decode_utf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t b = uint8_t(s[i]);
    size_t n = 0;
    char32_t c = 0;
    if (b < 0x80) {
      n = 1, c = b;
    } else if (b >= 0xc2 && b < 0xe0) {
      n = 2, c = b & 0x1f;
    } else if (b >= 0xe0 && b < 0xf0) {
      n = 3, c = b & 0x0f;
    } else if (b >= 0xf0 && b < 0xf5) {
      n = 4, c = b & 0x07;
    }
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) {
      ok = is_continuation(uint8_t(s[i + k]));
      c = (c << 6) | (uint8_t(s[i + k]) & 0x3f);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if (ok && ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c < 0xe000))) ok = false;
    if (ok) {
      out.push_back(c);
      i += n;
    } else {
      out.push_back(kEscapedByteBase + b);
      ++i;
    }
  }
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  if (c >= kEscapedByteBase + 0x80 && c <= kEscapedByteBase + 0xff) {
    out.push_back(char(c - kEscapedByteBase));
  } else if (c < 0x80) {
    out.push_back(char(c));
  } else if (c < 0x800) {
    out.push_back(char(0xc0 | (c >> 6)));
    out.push_back(char(0x80 | (c & 0x3f)));
  } else if (c < 0x10000) {
    out.push_back(char(0xe0 | (c >> 12)));
    out.push_back(char(0x80 | ((c >> 6) & 0x3f)));
    out.push_back(char(0x80 | (c & 0x3f)));
  } else {
    out.push_back(char(0xf0 | (c >> 18)));
    out.push_back(char(0x80 | ((c >> 12) & 0x3f)));
    out.push_back(char(0x80 | ((c >> 6) & 0x3f)));
    out.push_back(char(0x80 | (c & 0x3f)));
  }
}

std::string encode_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

size_t count_code_points(std::string_view s) {
  bool ascii = true;
  for (char c : s) ascii = ascii && uint8_t(c) < 0x80;
  return ascii ? s.size() : decode_utf8(s).size();
}

bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

namespace {

template <class Pred>
std::string strip_if(std::string_view s, StripSide side, Pred should_strip) {
  const std::u32string cps = decode_utf8(s);
  size_t begin = 0, end = cps.size();
  if (side != StripSide::right)
    while (begin < end && should_strip(cps[begin])) ++begin;
  if (side != StripSide::left)
    while (end > begin && should_strip(cps[end - 1])) --end;
  return encode_utf8(std::u32string_view(cps).substr(begin, end - begin));
}

}  // namespace

std::string strip(std::string_view s, StripSide side) { return strip_if(s, side, is_space); }

std::string strip_chars(std::string_view s, std::u32string_view chars, StripSide side) {
  return strip_if(s, side, [&](char32_t c) { return chars.find(c) != std::u32string_view::npos; });
}

std::vector<std::string> split_lines(std::string_view s, bool keep_ends) {
  const std::u32string cps = decode_utf8(s);
  std::vector<std::string> lines;
  size_t begin = 0;
  for (size_t i = 0; i < cps.size(); ++i) {
    const char32_t c = cps[i];
    const bool breaks = c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e) || c == 0x85 ||
                        c == 0x2028 || c == 0x2029;
    if (!breaks) continue;
    size_t end = i + 1;
    if (c == '\r' && end < cps.size() && cps[end] == '\n') ++end;
    lines.push_back(encode_utf8(std::u32string_view(cps).substr(begin, (keep_ends ? end : i) - begin)));
    begin = end;
    i = end - 1;
  }
  if (begin < cps.size()) lines.push_back(encode_utf8(std::u32string_view(cps).substr(begin)));
  return lines;
}

// ---- case ---------------------------------------------------------------------

char32_t to_upper(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  if (c >= 0xe0 && c <= 0xfe && c != 0xf7) return c - 32;
  if (c == 0xff) return 0x178;
  if (c >= 0x100 && c <= 0x17f) {
    if (c == 0x131) return 'I';  // dotless i
    if ((c <= 0x137 || (c >= 0x14a && c <= 0x177)) && (c & 1)) return c - 1;
    if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) && !(c & 1)) return c - 1;
    if (c == 0x17f) return 'S';
    return c;
  }
  if (c >= 0x3b1 && c <= 0x3c9) return c == 0x3c2 ? 0x3a3 : c - 32;
  if (c == 0x3ac) return 0x386;
  if (c >= 0x3ad && c <= 0x3af) return c - 37;
  if (c == 0x3cc) return 0x38c;
  if (c == 0x3cd || c == 0x3ce) return c - 63;
  if (c >= 0x430 && c <= 0x44f) return c - 32;
  if (c >= 0x450 && c <= 0x45f) return c - 80;
  return c;
}

char32_t to_lower(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c >= 0xc0 && c <= 0xde && c != 0xd7) return c + 32;
  if (c >= 0x100 && c <= 0x17f) {
    if (c == 0x178) return 0xff;
    if ((c <= 0x137 || (c >= 0x14a && c <= 0x177)) && !(c & 1) && c != 0x130) return c + 1;
    if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) && (c & 1)) return c + 1;
    return c;
  }
  if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) return c + 32;
  if (c == 0x386) return 0x3ac;
  if (c >= 0x388 && c <= 0x38a) return c + 37;
  if (c == 0x38c) return 0x3cc;
  if (c == 0x38e || c == 0x38f) return c + 63;
  if (c >= 0x410 && c <= 0x42f) return c + 32;
  if (c >= 0x400 && c <= 0x40f) return c + 80;
  return c;
}

bool is_cased(char32_t c) { return to_upper(c) != c || to_lower(c) != c || c == 0xdf; }

namespace {

// Upper-cases one code point into out; 'ß' becomes "SS" as in Python.
void append_upper(std::u32string& out, char32_t c) {
  if (c == 0xdf) {
    out += U"SS";
  } else {
    out.push_back(to_upper(c));
  }
}

}  // namespace

std::string upper(std::string_view s) {
  std::u32string out;
  for (char32_t c : decode_utf8(s)) append_upper(out, c);
  return encode_utf8(out);
}

std::string lower(std::string_view s) {
  std::u32string cps = decode_utf8(s);
  for (char32_t& c : cps) c = to_lower(c);
  return encode_utf8(cps);
}

std::string capitalize(std::string_view s) {
  const std::u32string cps = decode_utf8(s);
  std::u32string out;
  for (size_t i = 0; i < cps.size(); ++i) {
    if (i == 0) {
      append_upper(out, cps[i]);
    } else {
      out.push_back(to_lower(cps[i]));
    }
  }
  return encode_utf8(out);
}

std::string python_title(std::string_view s) {
  std::u32string out;
  bool previous_cased = false;
  for (char32_t c : decode_utf8(s)) {
    if (previous_cased) {
      out.push_back(to_lower(c));
    } else {
      append_upper(out, c);
    }
    previous_cased = is_cased(c);
  }
  return encode_utf8(out);
}

std::string jinja_title(std::string_view s) {
  std::u32string out;
  bool word_start = true;
  for (char32_t c : decode_utf8(s)) {
    const bool separator = is_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    if (separator) {
      out.push_back(c);
      word_start = true;
    } else if (word_start) {
      append_upper(out, c);
      word_start = false;
    } else {
      out.push_back(to_lower(c));
    }
  }
  return encode_utf8(out);
}

// ---- repr ---------------------------------------------------------------------

std::string format_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  // The shortest digits that round-trip, then Python's layout: positional
  // for 1e-4 <= |v| < 1e16, scientific with a two-digit exponent otherwise.
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, size_t(r.ptr - buf));
  std::string sign;
  if (sci.front() == '-') {
    sign = "-";
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  const int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());
  if (exponent < -4 || exponent >= 16) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    return out + fmt::format("e{}{:02d}", exponent < 0 ? '-' : '+', std::abs(exponent));
  }
  const int point = exponent + 1;  // digits before the decimal point
  if (point <= 0) return sign + "0." + std::string(size_t(-point), '0') + digits;
  if (size_t(point) >= digits.size()) return sign + digits + std::string(size_t(point) - digits.size(), '0') + ".0";
  return sign + digits.substr(0, size_t(point)) + "." + digits.substr(size_t(point));
}

namespace {

// Code points Python's repr() escapes because str.isprintable() is false
// for them (control, format, separator and private-use characters).
bool is_unprintable(char32_t c) {
  return c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad || c == 0x1680 || (c >= 0x2000 && c <= 0x200f) ||
         (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x206f) || c == 0x3000 || (c >= 0xd800 && c < 0xf900) ||
         c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb) || c == 0xfffe || c == 0xffff || (c >= 0xe0000 && c <= 0xe007f) ||
         c >= 0xf0000;
}

}  // namespace

std::string quote_string(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (char32_t c : decode_utf8(s)) {
    if (c == char32_t(quote) || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (is_unprintable(c)) {
      if (c >= kEscapedByteBase + 0x80 && c <= kEscapedByteBase + 0xff) {
        out += fmt::format("\\u{:04x}", uint32_t(c));
      } else if (c < 0x100) {
        out += fmt::format("\\x{:02x}", uint32_t(c));
      } else if (c < 0x10000) {
        out += fmt::format("\\u{:04x}", uint32_t(c));
      } else {
        out += fmt::format("\\U{:08x}", uint32_t(c));
      }
    } else {
      append_utf8(out, c);
    }
  }
  out += quote;
  return out;
}

}  // namespace llamafast::jinja
