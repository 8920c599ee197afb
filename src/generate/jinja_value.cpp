#include "generate/jinja_value.h"

#include <algorithm>
#include <limits>

#include "generate/jinja_text.h"

namespace llamafast::jinja {

void check_string_size(size_t bytes) {
  if (bytes > kMaxStringBytes) eval_error("string longer than the {} MiB limit", kMaxStringBytes >> 20);
}

namespace {

uint64_t saturating_add(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max() : a + b;
}

const std::string& empty_string() {
  static const std::string empty;
  return empty;
}

}  // namespace

Value::Value(unsigned long v) : kind_(Kind::integer) {
  if (v > uint64_t(std::numeric_limits<int64_t>::max())) eval_error("integer {} is too large", v);
  data_ = int64_t(v);
}

Value::Value(std::string s) : kind_(Kind::string) {
  check_string_size(s.size());
  footprint_ = 1 + s.size() / 32;
  data_ = std::make_shared<const std::string>(std::move(s));
}

Value Value::none() {
  Value v;
  v.kind_ = Kind::none;
  return v;
}

Value Value::undefined(std::string name) {
  Value v;
  if (!name.empty()) v.data_ = std::make_shared<const std::string>(std::move(name));
  return v;
}

Value::Value(Kind kind, std::shared_ptr<const List> items) : kind_(kind) {
  if (items->size() > kMaxListItems) eval_error("list longer than {} items", kMaxListItems);
  absorb_children(*items);
  data_ = std::move(items);
}

void Value::absorb_children(const List& items) {
  int deepest = 0;
  for (const Value& item : items) {
    deepest = std::max(deepest, int(item.depth_));
    footprint_ = saturating_add(footprint_, item.footprint_);
    holds_namespace_ = holds_namespace_ || item.holds_namespace_;
  }
  if (deepest + 1 > kMaxNesting) eval_error("values nested more than {} deep", kMaxNesting);
  depth_ = uint8_t(deepest + 1);
}

Value Value::list(List items) { return Value(Kind::list, std::make_shared<const List>(std::move(items))); }

Value Value::tuple(List items) { return Value(Kind::tuple, std::make_shared<const List>(std::move(items))); }

Value Value::dict(Dict d) {
  Value v;
  v.kind_ = Kind::dict;
  if (d.size() > kMaxListItems) eval_error("dict larger than {} items", kMaxListItems);
  int deepest = 0;
  for (const auto& [key, item] : d.entries) {
    deepest = std::max(deepest, int(item.depth_));
    v.footprint_ = saturating_add(v.footprint_, saturating_add(1 + key.size() / 32, item.footprint_));
    v.holds_namespace_ = v.holds_namespace_ || item.holds_namespace_;
  }
  if (deepest + 1 > kMaxNesting) eval_error("values nested more than {} deep", kMaxNesting);
  v.depth_ = uint8_t(deepest + 1);
  v.data_ = std::make_shared<const Dict>(std::move(d));
  return v;
}

Value Value::make_namespace(Dict attrs) {
  for (const auto& [key, item] : attrs.entries) {
    if (item.holds_namespace()) eval_error("a namespace cannot hold another namespace");
  }
  Value v;
  v.kind_ = Kind::ns;
  v.holds_namespace_ = true;
  v.depth_ = 1;
  v.data_ = std::make_shared<Dict>(std::move(attrs));
  return v;
}

Value Value::callable(std::string name, Function fn) {
  Value v;
  v.kind_ = Kind::callable;
  v.data_ = std::make_shared<const Callable>(Callable{std::move(name), std::move(fn)});
  return v;
}

int64_t Value::as_int() const { return kind_ == Kind::boolean ? int64_t(as_bool()) : std::get<int64_t>(data_); }

double Value::as_double() const {
  if (kind_ == Kind::floating) return std::get<double>(data_);
  return double(as_int());
}

const std::string& Value::undefined_name() const {
  if (const auto* name = std::get_if<std::shared_ptr<const std::string>>(&data_)) return **name;
  return empty_string();
}

bool Value::same_object(const Value& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::list:
    case Kind::tuple:
      return &as_list() == &other.as_list();
    case Kind::dict:
      return &as_dict() == &other.as_dict();
    case Kind::ns:
      return &namespace_attrs() == &other.namespace_attrs();
    case Kind::callable:
      return &as_callable() == &other.as_callable();
    default:
      return false;
  }
}

const Value* Dict::find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Dict::set(std::string key, Value value) {
  for (auto& [k, v] : entries) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  entries.emplace_back(std::move(key), std::move(value));
}

// ---- protocol -----------------------------------------------------------------

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::none:
      return false;
    case Value::Kind::boolean:
      return v.as_bool();
    case Value::Kind::integer:
      return v.as_int() != 0;
    case Value::Kind::floating:
      return v.as_double() != 0.0;
    case Value::Kind::string:
      return !v.as_string().empty();
    case Value::Kind::list:
    case Value::Kind::tuple:
      return !v.as_list().empty();
    case Value::Kind::dict:
      return v.as_dict().size() != 0;
    case Value::Kind::ns:
    case Value::Kind::callable:
      return true;
  }
  return false;
}

namespace {

void append_checked(std::string& out, std::string_view piece) {
  check_string_size(out.size() + piece.size());
  out += piece;
}

void append_repr(std::string& out, const Value& v);

void append_dict_body(std::string& out, const Dict& d) {
  out += '{';
  bool first = true;
  for (const auto& [key, item] : d.entries) {
    if (!first) out += ", ";
    first = false;
    append_checked(out, quote_string(key));
    out += ": ";
    append_repr(out, item);
  }
  out += '}';
}

void append_repr(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::string:
      append_checked(out, quote_string(v.as_string()));
      return;
    case Value::Kind::undefined:
      out += "Undefined";
      return;
    case Value::Kind::list:
    case Value::Kind::tuple: {
      const bool tuple = v.kind() == Value::Kind::tuple;
      const List& items = v.as_list();
      out += tuple ? '(' : '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        append_repr(out, items[i]);
      }
      if (tuple && items.size() == 1) out += ',';
      out += tuple ? ')' : ']';
      return;
    }
    case Value::Kind::dict:
      append_dict_body(out, v.as_dict());
      return;
    case Value::Kind::ns:
      out += "<Namespace ";
      append_dict_body(out, v.namespace_attrs());
      out += '>';
      return;
    default:
      append_checked(out, to_str(v));
  }
}

}  // namespace

std::string to_str(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined:
      return "";
    case Value::Kind::none:
      return "None";
    case Value::Kind::boolean:
      return v.as_bool() ? "True" : "False";
    case Value::Kind::integer:
      return std::to_string(v.as_int());
    case Value::Kind::floating:
      return format_float(v.as_double());
    case Value::Kind::string:
      return v.as_string();
    case Value::Kind::callable:
      return "<function " + v.as_callable().name + ">";
    default:
      return repr(v);
  }
}

std::string repr(const Value& v) {
  std::string out;
  append_repr(out, v);
  return out;
}

std::string_view type_name(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined:
      return "Undefined";
    case Value::Kind::none:
      return "NoneType";
    case Value::Kind::boolean:
      return "bool";
    case Value::Kind::integer:
      return "int";
    case Value::Kind::floating:
      return "float";
    case Value::Kind::string:
      return "str";
    case Value::Kind::list:
      return "list";
    case Value::Kind::tuple:
      return "tuple";
    case Value::Kind::dict:
      return "dict";
    case Value::Kind::ns:
      return "Namespace";
    case Value::Kind::callable:
      return "function";
  }
  return "object";
}

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (!a.is_float() && !b.is_float()) return a.as_int() == b.as_int();
    return a.as_double() == b.as_double();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::none:
      return true;
    case Value::Kind::string:
      return a.as_string() == b.as_string();
    case Value::Kind::list:
    case Value::Kind::tuple: {
      if (a.same_object(b)) return true;
      const List &x = a.as_list(), &y = b.as_list();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!equals(x[i], y[i])) return false;
      }
      return true;
    }
    case Value::Kind::dict: {
      if (a.same_object(b)) return true;
      const Dict &x = a.as_dict(), &y = b.as_dict();
      if (x.size() != y.size()) return false;
      for (const auto& [key, item] : x.entries) {
        const Value* other = y.find(key);
        if (!other || !equals(item, *other)) return false;
      }
      return true;
    }
    default:
      return a.same_object(b);
  }
}

int compare(const Value& a, const Value& b, std::string_view op) {
  if (a.is_number() && b.is_number()) {
    if (!a.is_float() && !b.is_float()) return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int();
    const double x = a.as_double(), y = b.as_double();
    return x < y ? -1 : x > y;
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.as_string().compare(b.as_string());  // UTF-8 byte order is code point order
    return c < 0 ? -1 : c > 0;
  }
  if (a.kind() == b.kind() && a.is_sequence()) {
    const List &x = a.as_list(), &y = b.as_list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equals(x[i], y[i])) return compare(x[i], y[i], op);
    }
    return x.size() < y.size() ? -1 : x.size() > y.size();
  }
  eval_error("'{}' not supported between instances of '{}' and '{}'", op, type_name(a), type_name(b));
}

List iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined:
      return {};
    case Value::Kind::list:
    case Value::Kind::tuple:
      return v.as_list();
    case Value::Kind::dict: {
      List keys;
      keys.reserve(v.as_dict().size());
      for (const auto& [key, item] : v.as_dict().entries) keys.emplace_back(key);
      return keys;
    }
    case Value::Kind::string: {
      const std::u32string cps = decode_utf8(v.as_string());
      if (cps.size() > kMaxListItems) eval_error("string of {} characters is too long to iterate", cps.size());
      List chars;
      chars.reserve(cps.size());
      std::string one;
      for (char32_t c : cps) {
        one.clear();
        append_utf8(one, c);
        chars.emplace_back(one);
      }
      return chars;
    }
    default:
      eval_error("'{}' object is not iterable", type_name(v));
  }
}

int64_t length(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined:
      return 0;
    case Value::Kind::string:
      return int64_t(count_code_points(v.as_string()));
    case Value::Kind::list:
    case Value::Kind::tuple:
      return int64_t(v.as_list().size());
    case Value::Kind::dict:
      return int64_t(v.as_dict().size());
    default:
      eval_error("object of type '{}' has no len()", type_name(v));
  }
}

}  // namespace llamafast::jinja
