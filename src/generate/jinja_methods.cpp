// The methods templates call on str and dict values (`s.strip()`,
// `d.items()`), with Python's semantics. Indices are in code points.
#include <algorithm>
#include <array>

#include "generate/jinja_builtins.h"
#include "generate/jinja_text.h"

namespace llamafast::jinja {

namespace {

constexpr std::array<std::string_view, 26> kStringMethods = {
    "strip", "lstrip", "rstrip", "split",   "rsplit",  "splitlines", "startswith", "endswith", "upper",
    "lower", "title",  "capitalize", "replace", "find", "rfind",      "index",      "count",    "join",
    "format", "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper",   "zfill"};
constexpr std::array<std::string_view, 4> kDictMethods = {"items", "keys", "values", "get"};

std::string text_argument(const BoundArgs& args, size_t i, std::string_view method) {
  if (!args[i].is_string()) eval_error("{}() argument must be str, not '{}'", method, type_name(args[i]));
  return args[i].as_string();
}

Value strip_method(const std::string& s, const CallArgs& a, std::string_view name, StripSide side) {
  const BoundArgs args(name, a, {"chars"});
  if (!args.given(0) || args[0].is_none()) return Value(strip(s, side));
  return Value(strip_chars(s, decode_utf8(text_argument(args, 0, name)), side));
}

// str.split / str.rsplit.
Value split_method(const std::string& s, const CallArgs& a, bool from_right) {
  const std::string_view name = from_right ? "rsplit" : "split";
  const BoundArgs args(name, a, {"sep", "maxsplit"});
  int64_t max_splits = args.get_int(1, -1);
  std::vector<std::u32string> parts;
  std::u32string cps = decode_utf8(s);
  if (from_right) std::reverse(cps.begin(), cps.end());
  if (!args.given(0) || args[0].is_none()) {
    // Runs of whitespace separate; whitespace at the ends makes no empty parts.
    size_t i = 0;
    while (true) {
      while (i < cps.size() && is_space(cps[i])) ++i;
      if (i == cps.size()) break;
      if (max_splits == 0) {  // the rest, whitespace at its far end included
        parts.push_back(cps.substr(i));
        break;
      }
      const size_t begin = i;
      while (i < cps.size() && !is_space(cps[i])) ++i;
      parts.push_back(cps.substr(begin, i - begin));
      if (max_splits > 0) --max_splits;
    }
  } else {
    std::u32string sep = decode_utf8(text_argument(args, 0, name));
    if (sep.empty()) eval_error("empty separator");
    if (from_right) std::reverse(sep.begin(), sep.end());
    size_t begin = 0;
    while (max_splits != 0) {
      const size_t hit = cps.find(sep, begin);
      if (hit == std::u32string::npos) break;
      parts.push_back(cps.substr(begin, hit - begin));
      begin = hit + sep.size();
      if (max_splits > 0) --max_splits;
    }
    parts.push_back(cps.substr(begin));
  }
  List out;
  for (std::u32string& part : parts) {
    if (from_right) std::reverse(part.begin(), part.end());
    out.emplace_back(encode_utf8(part));
  }
  if (from_right) std::reverse(out.begin(), out.end());
  return Value::list(std::move(out));
}

// The code-point range [start, end) that startswith/find/count look at.
std::u32string window(const std::u32string& cps, const BoundArgs& args, size_t start_arg) {
  const int64_t n = int64_t(cps.size());
  auto clamp = [&](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };
  const int64_t start = clamp(args.get_int(start_arg, 0));
  const int64_t end = clamp(args.get_int(start_arg + 1, n));
  return end > start ? cps.substr(size_t(start), size_t(end - start)) : std::u32string();
}

Value affix_method(const std::string& s, const CallArgs& a, bool prefix) {
  const std::string_view name = prefix ? "startswith" : "endswith";
  const BoundArgs args(name, a, {prefix ? "prefix" : "suffix", "start", "end"});
  const std::u32string text = window(decode_utf8(s), args, 1);
  List candidates;
  if (args[0].is_sequence()) {
    candidates = args[0].as_list();
  } else {
    candidates.push_back(args[0]);
  }
  for (const Value& c : candidates) {
    if (!c.is_string()) eval_error("{}() argument must be str or a tuple of str, not '{}'", name, type_name(c));
    const std::u32string affix = decode_utf8(c.as_string());
    if (affix.size() > text.size()) continue;
    if (prefix ? text.compare(0, affix.size(), affix) == 0 : text.compare(text.size() - affix.size(), affix.size(), affix) == 0) {
      return Value(true);
    }
  }
  return Value(false);
}

Value find_method(const std::string& s, const CallArgs& a, std::string_view name, bool from_right, bool must_find) {
  const BoundArgs args(name, a, {"sub", "start", "end"});
  const std::u32string cps = decode_utf8(s);
  const int64_t n = int64_t(cps.size());
  const int64_t start = std::clamp<int64_t>(args.get_int(1, 0) < 0 ? args.get_int(1, 0) + n : args.get_int(1, 0), 0, n);
  const std::u32string text = window(cps, args, 1);
  const std::u32string sub = decode_utf8(text_argument(args, 0, name));
  const size_t at = from_right ? text.rfind(sub) : text.find(sub);
  if (at == std::u32string::npos) {
    if (must_find) eval_error("substring not found");
    return Value(-1);
  }
  return Value(start + int64_t(at));
}

Value count_method(const std::string& s, const CallArgs& a) {
  const BoundArgs args("count", a, {"sub", "start", "end"});
  const std::u32string text = window(decode_utf8(s), args, 1);
  const std::u32string sub = decode_utf8(text_argument(args, 0, "count"));
  if (sub.empty()) return Value(int64_t(text.size()) + 1);
  int64_t count = 0;
  for (size_t at = text.find(sub); at != std::u32string::npos; at = text.find(sub, at + sub.size())) ++count;
  return Value(count);
}

Value join_method(const std::string& separator, const CallArgs& a) {
  const BoundArgs args("join", a, {"iterable"});
  std::string out;
  bool first = true;
  for (const Value& item : iterate(args[0])) {
    if (!item.is_string()) eval_error("sequence item: expected str instance, {} found", type_name(item));
    if (!first) out += separator;
    first = false;
    out += item.as_string();
    check_string_size(out.size());
  }
  return Value(std::move(out));
}

template <class Pred>
Value all_chars(const std::string& s, const CallArgs& a, std::string_view name, Pred pred) {
  BoundArgs(name, a, {});
  const std::u32string cps = decode_utf8(s);
  return Value(!cps.empty() && std::all_of(cps.begin(), cps.end(), pred));
}

bool ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool letter(char32_t c) { return (c < 0x80 && std::isalpha(int(c))) || (c >= 0x80 && is_cased(c)); }

// One replacement field's format spec: [[fill]align][sign][0][width][.precision][type].
std::string apply_format_spec(const Value& v, std::string_view spec) {
  char32_t fill = ' ';
  char align = '\0', sign = '-', type = '\0';
  int64_t width = 0, precision = -1;
  std::u32string s = decode_utf8(spec);
  size_t i = 0;
  auto is_align = [](char32_t c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (s.size() >= 2 && is_align(s[1])) {
    fill = s[0];
    align = char(s[1]);
    i = 2;
  } else if (!s.empty() && is_align(s[0])) {
    align = char(s[0]);
    i = 1;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) sign = char(s[i++]);
  if (i < s.size() && s[i] == '0' && !align) {
    fill = '0';
    align = '=';
    ++i;
  }
  while (i < s.size() && ascii_digit(s[i]) && width < 100000) width = width * 10 + (s[i++] - '0');
  if (i < s.size() && s[i] == '.') {
    precision = 0;
    ++i;
    while (i < s.size() && ascii_digit(s[i]) && precision < 1000) precision = precision * 10 + (s[i++] - '0');
  }
  if (i < s.size()) type = char(s[i++]);
  if (i != s.size() || (type && std::string_view("sdfF").find(type) == std::string_view::npos)) {
    eval_error("format spec '{}' is not supported", spec);
  }
  std::string body;
  const bool numeric = v.is_number();
  if (type == 'd') {
    if (!v.is_int() && !v.is_bool()) eval_error("format code 'd' needs an integer, not '{}'", type_name(v));
    body = std::to_string(v.as_int());
  } else if (type == 'f' || type == 'F' || (numeric && precision >= 0)) {
    if (!numeric) eval_error("format code 'f' needs a number, not '{}'", type_name(v));
    body = fmt::format("{:.{}f}", v.as_double(), int(precision < 0 ? 6 : precision));
  } else {
    if (type == 's' && !v.is_string()) eval_error("format code 's' needs a string, not '{}'", type_name(v));
    body = to_str(v);
    if (precision >= 0 && v.is_string()) body = encode_utf8(decode_utf8(body).substr(0, size_t(precision)));
  }
  if (numeric && sign != '-' && body[0] != '-') body.insert(body.begin(), sign);
  std::u32string text = decode_utf8(body);
  const int64_t pad = width - int64_t(text.size());
  if (pad <= 0) return body;
  if (!align) align = numeric ? '>' : '<';
  const std::u32string fill_run(size_t(pad), fill);
  switch (align) {
    case '<':
      text += fill_run;
      break;
    case '>':
      text = fill_run + text;
      break;
    case '^':
      text = fill_run.substr(0, size_t(pad / 2)) + text + fill_run.substr(0, size_t(pad - pad / 2));
      break;
    default: {  // '=': padding after the sign
      const size_t after_sign = (!text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ')) ? 1 : 0;
      text.insert(after_sign, fill_run);
    }
  }
  return encode_utf8(text);
}

// str.format: {} {0} {name}, !r / !s conversions, {{ and }} escapes.
Value format_method(const std::string& pattern, const CallArgs& a) {
  std::string out;
  size_t next_auto = 0;
  size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    if (c == '}') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '}') {
        out += '}';
        i += 2;
        continue;
      }
      eval_error("Single '}}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
      out += '{';
      i += 2;
      continue;
    }
    const size_t close = pattern.find('}', i);
    if (close == std::string::npos) eval_error("Single '{{' encountered in format string");
    std::string_view field(pattern.data() + i + 1, close - i - 1);
    std::string_view spec, conversion;
    if (const size_t colon = field.find(':'); colon != std::string_view::npos) {
      spec = field.substr(colon + 1);
      field = field.substr(0, colon);
    }
    if (const size_t bang = field.find('!'); bang != std::string_view::npos) {
      conversion = field.substr(bang + 1);
      field = field.substr(0, bang);
    }
    const Value* arg = nullptr;
    if (field.empty() || std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
      const size_t index = field.empty() ? next_auto++ : size_t(std::stoul(std::string(field.substr(0, 9))));
      if (index >= a.positional.size()) eval_error("Replacement index {} out of range for positional args tuple", index);
      arg = &a.positional[index];
    } else {
      for (const auto& [key, value] : a.keyword) {
        if (key == field) arg = &value;
      }
      if (!arg) eval_error("format() has no argument named '{}'", field);
    }
    Value v = *arg;
    if (conversion == "r" || conversion == "a") {
      v = Value(repr(v));
    } else if (conversion == "s") {
      v = Value(to_str(v));
    } else if (!conversion.empty()) {
      eval_error("Unknown conversion specifier {}", conversion);
    }
    out += spec.empty() ? to_str(v) : apply_format_spec(v, spec);
    check_string_size(out.size());
    i = close + 1;
  }
  return Value(std::move(out));
}

Value string_method(const std::string& s, std::string_view name, const CallArgs& a) {
  if (name == "strip") return strip_method(s, a, name, StripSide::both);
  if (name == "lstrip") return strip_method(s, a, name, StripSide::left);
  if (name == "rstrip") return strip_method(s, a, name, StripSide::right);
  if (name == "split") return split_method(s, a, false);
  if (name == "rsplit") return split_method(s, a, true);
  if (name == "splitlines") {
    const BoundArgs args(name, a, {"keepends"});
    List out;
    for (std::string& line : split_lines(s, args.get_bool(0, false))) out.emplace_back(std::move(line));
    return Value::list(std::move(out));
  }
  if (name == "startswith") return affix_method(s, a, true);
  if (name == "endswith") return affix_method(s, a, false);
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
    BoundArgs(name, a, {});
    if (name == "upper") return Value(upper(s));
    if (name == "lower") return Value(lower(s));
    if (name == "title") return Value(python_title(s));
    return Value(capitalize(s));
  }
  if (name == "replace") {
    const BoundArgs args(name, a, {"old", "new", "count"});
    const std::string from = text_argument(args, 0, name), to = text_argument(args, 1, name);
    const FilterInfo* replace = find_filter("replace");
    return replace->fn(Value(s), CallArgs{{Value(from), Value(to), Value(args.get_int(2, -1))}, {}});
  }
  if (name == "find") return find_method(s, a, name, false, false);
  if (name == "rfind") return find_method(s, a, name, true, false);
  if (name == "index") return find_method(s, a, name, false, true);
  if (name == "count") return count_method(s, a);
  if (name == "join") return join_method(s, a);
  if (name == "format") return format_method(s, a);
  if (name == "isdigit") return all_chars(s, a, name, ascii_digit);
  if (name == "isalpha") return all_chars(s, a, name, letter);
  if (name == "isalnum") return all_chars(s, a, name, [](char32_t c) { return ascii_digit(c) || letter(c); });
  if (name == "isspace") return all_chars(s, a, name, is_space);
  if (name == "islower" || name == "isupper") {
    BoundArgs(name, a, {});
    const std::string low = lower(s), up = upper(s);
    return Value(name == "islower" ? (low == s && up != s) : (up == s && low != s));
  }
  if (name == "zfill") {
    const BoundArgs args(name, a, {"width"});
    return Value(apply_format_spec(Value(s), fmt::format("0={}", std::min<int64_t>(args.get_int(0, 0), 100000))));
  }
  eval_error("'str' object has no attribute '{}'", name);
}

Value dict_method(const Dict& d, std::string_view name, const CallArgs& a) {
  if (name == "get") {
    const BoundArgs args(name, a, {"key", "default"});
    if (!args.given(0)) eval_error("get() needs a key");
    if (args[0].is_string()) {
      if (const Value* v = d.find(args[0].as_string())) return *v;
    }
    return args.given(1) ? args[1] : Value::none();
  }
  BoundArgs(name, a, {});
  List out;
  for (const auto& [key, value] : d.entries) {
    if (name == "keys") {
      out.emplace_back(key);
    } else if (name == "values") {
      out.push_back(value);
    } else {
      out.push_back(Value::tuple({Value(key), value}));
    }
  }
  return Value::list(std::move(out));
}

}  // namespace

bool has_method(const Value& receiver, std::string_view name) {
  if (receiver.is_string()) return std::find(kStringMethods.begin(), kStringMethods.end(), name) != kStringMethods.end();
  if (receiver.is_dict()) return std::find(kDictMethods.begin(), kDictMethods.end(), name) != kDictMethods.end();
  return false;
}

Value call_method(const Value& receiver, std::string_view name, const CallArgs& args) {
  if (receiver.is_string()) return string_method(receiver.as_string(), name, args);
  if (receiver.is_dict()) return dict_method(receiver.as_dict(), name, args);
  eval_error("'{}' object has no attribute '{}'", type_name(receiver), name);
}

}  // namespace llamafast::jinja
