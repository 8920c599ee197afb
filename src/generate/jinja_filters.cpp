// Filters on text and numbers, and the registry of all filters. Each follows
// Jinja2's filter of the same name; an undefined input reads as "" (where
// Jinja2 would sometimes raise).
#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "generate/jinja_filter_table.h"
#include "generate/jinja_json.h"
#include "generate/jinja_operators.h"
#include "generate/jinja_text.h"

namespace llamafast::jinja {

namespace {

Value filter_trim(const Value& v, const CallArgs& a) {
  const BoundArgs args("trim", a, {"chars"});
  if (args.given(0) && !args[0].is_none()) {
    return Value(strip_chars(to_str(v), decode_utf8(args.get_string(0, "")), StripSide::both));
  }
  return Value(strip(to_str(v), StripSide::both));
}

Value filter_upper(const Value& v, const CallArgs& a) {
  BoundArgs("upper", a, {});
  return Value(upper(to_str(v)));
}

Value filter_lower(const Value& v, const CallArgs& a) {
  BoundArgs("lower", a, {});
  return Value(lower(to_str(v)));
}

Value filter_capitalize(const Value& v, const CallArgs& a) {
  BoundArgs("capitalize", a, {});
  return Value(capitalize(to_str(v)));
}

Value filter_title(const Value& v, const CallArgs& a) {
  BoundArgs("title", a, {});
  return Value(jinja_title(to_str(v)));
}

// Python's str.replace(old, new, count) on code points (an empty `old`
// inserts `new` between characters).
std::string replace_all(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
  std::string out;
  if (from.empty()) {
    const std::u32string cps = decode_utf8(s);
    for (size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || int64_t(i) < count) out += to;
      if (i < cps.size()) append_utf8(out, cps[i]);
      check_string_size(out.size());
    }
    return out;
  }
  size_t at = 0;
  for (int64_t done = 0; count < 0 || done < count; ++done) {
    const size_t hit = s.find(from, at);
    if (hit == std::string::npos) break;
    out.append(s, at, hit - at);
    out += to;
    check_string_size(out.size());
    at = hit + from.size();
  }
  out.append(s, at, std::string::npos);
  check_string_size(out.size());
  return out;
}

Value filter_replace(const Value& v, const CallArgs& a) {
  const BoundArgs args("replace", a, {"old", "new", "count"});
  if (!args.given(0) || !args.given(1)) eval_error("replace() needs the old and the new string");
  return Value(replace_all(to_str(v), to_str(args[0]), to_str(args[1]), args.get_int(2, -1)));
}

Value filter_string(const Value& v, const CallArgs& a) {
  BoundArgs("string", a, {});
  return Value(to_str(v));
}

Value filter_escape(const Value& v, const CallArgs& a) {
  BoundArgs("escape", a, {});
  std::string out;
  for (char c : to_str(v)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return Value(std::move(out));
}

// The digits of a Python int literal as int() accepts them: surrounding
// whitespace, a sign, single underscores between digits, a base prefix.
bool parse_python_int(std::string_view text, int base, int64_t* out) {
  std::string s = strip(text, StripSide::both);
  std::string_view rest = s;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest.size() > 2 && rest[0] == '0') {
    const char p = char(rest[1] | 0x20);
    const int prefixed = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (prefixed && (base == prefixed || base == 0)) {
      base = prefixed;
      rest.remove_prefix(2);
      if (!rest.empty() && rest[0] == '_') rest.remove_prefix(1);
    }
  }
  if (base == 0) base = 10;
  std::string digits;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '_' && i > 0 && i + 1 < rest.size() && rest[i - 1] != '_') continue;
    digits += rest[i];
  }
  if (digits.empty() || base < 2 || base > 36) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(digits.c_str(), &end, base);
  if (*end || errno || digits[0] == '+' || digits[0] == '-' || digits[0] == ' ') return false;
  *out = negative ? -v : v;
  return true;
}

// float() of a string: decimal or scientific, inf, nan, with whitespace around.
bool parse_python_float(std::string_view text, double* out) {
  std::string s = strip(text, StripSide::both);
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && i > 0 && i + 1 < s.size() && std::isdigit(uint8_t(s[i - 1])) && std::isdigit(uint8_t(s[i + 1]))) continue;
    if (std::isspace(uint8_t(s[i]))) return false;
    clean += s[i];
  }
  const std::string low = lower(clean);
  const std::string_view body = std::string_view(low).substr(!low.empty() && (low[0] == '+' || low[0] == '-'));
  if (body.empty() || body.find("0x") != std::string_view::npos) return false;
  if (body != "inf" && body != "infinity" && body != "nan" && !std::isdigit(uint8_t(body[0])) && body[0] != '.') return false;
  char* end = nullptr;
  *out = std::strtod(clean.c_str(), &end);
  return *end == '\0';
}

Value filter_int(const Value& v, const CallArgs& a) {
  const BoundArgs args("int", a, {"default", "base"});
  const Value fallback = args.given(0) ? args[0] : Value(0);
  const int base = int(args.get_int(1, 10));
  if (v.is_int() || v.is_bool()) return Value(v.as_int());
  if (v.is_float()) {
    const double d = v.as_double();
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return fallback;
    return Value(int64_t(d));
  }
  if (v.is_string()) {
    int64_t i;
    if (parse_python_int(v.as_string(), base, &i)) return Value(i);
    double d;
    if (parse_python_float(v.as_string(), &d) && std::isfinite(d) && std::fabs(d) < 9.2e18) return Value(int64_t(d));
  }
  return fallback;
}

Value filter_float(const Value& v, const CallArgs& a) {
  const BoundArgs args("float", a, {"default"});
  const Value fallback = args.given(0) ? args[0] : Value(0.0);
  if (v.is_number()) return Value(v.as_double());
  double d;
  if (v.is_string() && parse_python_float(v.as_string(), &d)) return Value(d);
  return fallback;
}

Value filter_abs(const Value& v, const CallArgs& a) {
  BoundArgs("abs", a, {});
  if (v.is_float()) return Value(std::fabs(v.as_double()));
  if (v.is_int() || v.is_bool()) {
    if (v.as_int() == INT64_MIN) eval_error("integer overflow");
    return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
  }
  eval_error("bad operand type for abs(): '{}'", type_name(v));
}

// Python's round(x, digits): the exact binary value rounded half to even,
// which is what printf's %.*f does.
double round_digits(double x, int64_t digits) {
  if (!std::isfinite(x)) return x;
  if (digits >= 0) {
    if (digits > 300) return x;
    const int n = std::snprintf(nullptr, 0, "%.*f", int(digits), x);
    std::vector<char> buf(size_t(n) + 1);
    std::snprintf(buf.data(), buf.size(), "%.*f", int(digits), x);
    return std::strtod(buf.data(), nullptr);
  }
  const double scale = std::pow(10.0, double(-digits));
  return std::nearbyint(x / scale) * scale;
}

Value filter_round(const Value& v, const CallArgs& a) {
  const BoundArgs args("round", a, {"precision", "method"});
  const int64_t precision = args.get_int(0, 0);
  const std::string method = args.get_string(1, "common");
  if (!v.is_number()) eval_error("type {} doesn't define __round__ method", type_name(v));
  if (method == "common") {
    if (!v.is_float() && precision >= 0) return Value(v.as_int());
    return Value(round_digits(v.as_double(), precision));
  }
  if (method != "ceil" && method != "floor") eval_error("round() method must be 'common', 'ceil' or 'floor'");
  const double scale = std::pow(10.0, double(std::clamp<int64_t>(precision, -300, 300)));
  const double scaled = v.as_double() * scale;
  return Value((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
}

Value filter_default(const Value& v, const CallArgs& a) {
  const BoundArgs args("default", a, {"default_value", "boolean"});
  const bool use_default = v.is_undefined() || (args.get_bool(1, false) && !truthy(v));
  if (!use_default) return v;
  return args.given(0) ? args[0] : Value("");
}

Value filter_tojson(const Value& v, const CallArgs& a) {
  const BoundArgs args("tojson", a, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonFormat format;
  format.ensure_ascii = args.get_bool(0, false);
  if (args.given(1) && !args[1].is_none()) {
    if (args[1].is_string()) {
      format.indent = args[1].as_string();
    } else {
      const int64_t width = args.get_int(1, 0);
      if (width > 1024) eval_error("tojson indent {} is too large", width);
      format.indent = std::string(size_t(std::max<int64_t>(width, 0)), ' ');
    }
    format.item_separator.assign(1, ',');  // json.dumps drops the space when indenting
  }
  if (args.given(2) && !args[2].is_none()) {
    if (!args[2].is_sequence() || args[2].as_list().size() != 2 || !args[2].as_list()[0].is_string() ||
        !args[2].as_list()[1].is_string()) {
      eval_error("tojson separators must be a pair of strings");
    }
    format.item_separator = args[2].as_list()[0].as_string();
    format.key_separator = args[2].as_list()[1].as_string();
  }
  format.sort_keys = args.get_bool(3, false);
  return Value(to_json(v, format));
}

Value filter_indent(const Value& v, const CallArgs& a) {
  const BoundArgs args("indent", a, {"width", "first", "blank"});
  std::string pad;
  if (args.given(0) && args[0].is_string()) {
    pad = args[0].as_string();
  } else {
    const int64_t width = args.get_int(0, 4);
    if (width > 4096) eval_error("indent width {} is too large", width);
    pad.assign(size_t(std::max<int64_t>(width, 0)), ' ');
  }
  const bool first = args.get_bool(1, false), blank = args.get_bool(2, false);
  const std::vector<std::string> lines = split_lines(to_str(v) + "\n", false);
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    if ((i > 0 || first) && (blank || !lines[i].empty())) out += pad;
    out += lines[i];
    check_string_size(out.size());
  }
  // Jinja2 indents the first line after the fact, even when it is blank.
  if (first && !blank && !lines.empty() && lines[0].empty()) out.insert(0, pad);
  return Value(std::move(out));
}

Value filter_center(const Value& v, const CallArgs& a) {
  const BoundArgs args("center", a, {"width"});
  const std::string s = to_str(v);
  const int64_t width = args.get_int(0, 80);
  const int64_t n = int64_t(count_code_points(s));
  if (width <= n) return Value(s);
  check_string_size(size_t(width - n) + s.size());
  const int64_t pad = width - n;
  const int64_t left = pad / 2 + (pad & width & 1);
  return Value(std::string(size_t(left), ' ') + s + std::string(size_t(pad - left), ' '));
}

// "%s and %s"|format(a, b): printf-style, as the % operator.
Value filter_format(const Value& v, const CallArgs& a) {
  if (!a.keyword.empty()) eval_error("format() with keyword arguments is not supported");
  return apply_binary(BinaryOp::modulo, Value(to_str(v)), Value::tuple(a.positional));
}

Value filter_wordcount(const Value& v, const CallArgs& a) {
  BoundArgs("wordcount", a, {});
  int64_t words = 0;
  bool in_word = false;
  for (char32_t c : decode_utf8(to_str(v))) {
    const bool word_char = c == '_' || (c < 0x80 ? std::isalnum(int(c)) != 0 : !is_space(c));
    if (word_char && !in_word) ++words;
    in_word = word_char;
  }
  return Value(words);
}

const std::map<std::string_view, FilterInfo, std::less<>>& registry() {
  static const auto* table = [] {
    FilterTable list = {
        {"trim", {filter_trim, Cost::linear}},
        {"upper", {filter_upper, Cost::linear}},
        {"lower", {filter_lower, Cost::linear}},
        {"capitalize", {filter_capitalize, Cost::linear}},
        {"title", {filter_title, Cost::linear}},
        {"replace", {filter_replace, Cost::linear}},
        {"string", {filter_string, Cost::linear}},
        {"safe", {filter_string, Cost::linear}},
        {"escape", {filter_escape, Cost::linear}},
        {"e", {filter_escape, Cost::linear}},
        {"int", {filter_int, Cost::linear}},
        {"float", {filter_float, Cost::linear}},
        {"abs", {filter_abs, Cost::constant}},
        {"round", {filter_round, Cost::constant}},
        {"default", {filter_default, Cost::constant}},
        {"d", {filter_default, Cost::constant}},
        {"tojson", {filter_tojson, Cost::linear}},
        {"indent", {filter_indent, Cost::linear}},
        {"center", {filter_center, Cost::linear}},
        {"wordcount", {filter_wordcount, Cost::linear}},
        {"format", {filter_format, Cost::linear}},
    };
    add_sequence_filters(list);
    return new std::map<std::string_view, FilterInfo, std::less<>>(list.begin(), list.end());
  }();
  return *table;
}

}  // namespace

const FilterInfo* find_filter(std::string_view name) {
  const auto& table = registry();
  const auto it = table.find(name);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace llamafast::jinja
