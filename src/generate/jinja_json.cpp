#include "generate/jinja_json.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "generate/jinja_text.h"

namespace llamafast::jinja {

namespace {

void append_escaped_string(std::string& out, std::string_view s, bool ensure_ascii) {
  out += '"';
  for (char32_t c : decode_utf8(s)) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || (ensure_ascii && c >= 0x7f)) {
          if (c >= 0x10000) {
            const char32_t v = c - 0x10000;
            out += fmt::format("\\u{:04x}\\u{:04x}", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
          } else {
            out += fmt::format("\\u{:04x}", uint32_t(c));
          }
        } else {
          append_utf8(out, c);
        }
    }
  }
  out += '"';
  check_string_size(out.size());
}

class JsonWriter {
 public:
  explicit JsonWriter(const JsonFormat& format) : format_(format) {}

  void write(const Value& v, int level) {
    switch (v.kind()) {
      case Value::Kind::none:
        out_ += "null";
        break;
      case Value::Kind::boolean:
        out_ += v.as_bool() ? "true" : "false";
        break;
      case Value::Kind::integer:
        out_ += std::to_string(v.as_int());
        break;
      case Value::Kind::floating: {
        const double d = v.as_double();
        if (std::isnan(d)) {
          out_ += "NaN";
        } else if (std::isinf(d)) {
          out_ += d < 0 ? "-Infinity" : "Infinity";
        } else {
          out_ += format_float(d);
        }
        break;
      }
      case Value::Kind::string:
        append_escaped_string(out_, v.as_string(), format_.ensure_ascii);
        break;
      case Value::Kind::list:
      case Value::Kind::tuple:
        write_list(v.as_list(), level);
        break;
      case Value::Kind::dict:
        write_dict(v.as_dict(), level);
        break;
      default:
        eval_error("Object of type {} is not JSON serializable", type_name(v));
    }
    check_string_size(out_.size());
  }

  std::string take() { return std::move(out_); }

 private:
  // Before an item at `level`: a newline and the indent when indenting.
  void newline(int level) {
    if (!format_.indent) return;
    out_ += '\n';
    for (int i = 0; i < level; ++i) {
      out_ += *format_.indent;
      check_string_size(out_.size());
    }
  }

  void write_list(const List& items, int level) {
    if (items.empty()) {
      out_ += "[]";
      return;
    }
    out_ += '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out_ += format_.item_separator;
      newline(level + 1);
      write(items[i], level + 1);
    }
    newline(level);
    out_ += ']';
  }

  void write_dict(const Dict& d, int level) {
    if (d.size() == 0) {
      out_ += "{}";
      return;
    }
    std::vector<const std::pair<std::string, Value>*> entries;
    for (const auto& entry : d.entries) entries.push_back(&entry);
    if (format_.sort_keys) {
      std::stable_sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
    }
    out_ += '{';
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i) out_ += format_.item_separator;
      newline(level + 1);
      append_escaped_string(out_, entries[i]->first, format_.ensure_ascii);
      out_ += format_.key_separator;
      write(entries[i]->second, level + 1);
    }
    newline(level);
    out_ += '}';
  }

  const JsonFormat& format_;
  std::string out_;
};

Value from_parsed(const nlohmann::ordered_json& j, int depth, std::string_view what) {
  if (depth > kMaxNesting) fail("{}: nested more than {} deep", what, kMaxNesting);
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value::none();
    case nlohmann::ordered_json::value_t::boolean:
      return Value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const uint64_t u = j.get<uint64_t>();
      return u > uint64_t(INT64_MAX) ? Value(double(u)) : Value(int64_t(u));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value(j.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      List items;
      items.reserve(j.size());
      for (const auto& item : j) items.push_back(from_parsed(item, depth + 1, what));
      return Value::list(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      Dict d;
      for (const auto& [key, item] : j.items()) d.set(key, from_parsed(item, depth + 1, what));
      return Value::dict(std::move(d));
    }
    default:
      fail("{}: unsupported JSON value", what);
  }
}

}  // namespace

std::string to_json(const Value& v, const JsonFormat& format) {
  JsonWriter writer(format);
  writer.write(v, 0);
  return writer.take();
}

Value from_json(std::string_view text, std::string_view what) {
  nlohmann::ordered_json parsed;
  try {
    parsed = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: invalid JSON: {}", what, e.what());
  }
  try {
    return from_parsed(parsed, 0, what);
  } catch (const EvalError& e) {
    fail("{}: {}", what, e.what());
  }
}

}  // namespace llamafast::jinja
