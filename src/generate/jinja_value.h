// Values of the Jinja template language: what expressions evaluate to.
//
// They mirror the Python objects Jinja2 sees when Hugging Face renders a chat
// template: Undefined, None, bool, int, float, str, list, tuple, dict (keys are
// strings, insertion order kept), namespace (the one mutable object) and
// callables. Containers are immutable and shared, so copying a Value is cheap.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

namespace llamafast::jinja {

class Value;
struct Dict;
struct Callable;
using List = std::vector<Value>;

// Thrown by value operations and built-ins, which do not know where in the
// template they were called from; the evaluator adds the line and column.
class EvalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class... Args>
[[noreturn]] void eval_error(fmt::format_string<Args...> format, Args&&... args) {
  throw EvalError(fmt::format(format, std::forward<Args>(args)...));
}

// Hard caps that keep a hostile template from exhausting memory: no string
// or list may grow past them, and containers nest at most kMaxNesting deep
// (so printing, comparing and freeing them never recurse unboundedly).
inline constexpr size_t kMaxStringBytes = size_t(64) << 20;
inline constexpr size_t kMaxListItems = size_t(1) << 20;
inline constexpr int kMaxNesting = 100;

// Throws when a string being built would pass kMaxStringBytes.
void check_string_size(size_t bytes);

// Positional and keyword arguments of a call, as written.
struct CallArgs {
  List positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

using Function = std::function<Value(const CallArgs&)>;

class Value {
 public:
  enum class Kind : uint8_t { undefined, none, boolean, integer, floating, string, list, tuple, dict, ns, callable };

  Value() = default;  // undefined
  Value(bool b) : kind_(Kind::boolean), data_(b) {}
  Value(int v) : Value(int64_t(v)) {}
  Value(long v) : kind_(Kind::integer), data_(int64_t(v)) {}
  Value(long long v) : kind_(Kind::integer), data_(int64_t(v)) {}
  Value(unsigned long v);
  Value(double v) : kind_(Kind::floating), data_(v) {}
  Value(std::string s);
  Value(std::string_view s) : Value(std::string(s)) {}
  Value(const char* s) : Value(std::string(s)) {}

  static Value none();
  // An undefined value that remembers the name it was looked up by.
  static Value undefined(std::string name = {});
  static Value list(List items);
  static Value tuple(List items);
  static Value dict(Dict d);
  // Jinja's namespace(): attributes that `set ns.attr = ...` can change.
  static Value make_namespace(Dict attrs);
  static Value callable(std::string name, Function fn);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::undefined; }
  bool is_none() const { return kind_ == Kind::none; }
  bool is_bool() const { return kind_ == Kind::boolean; }
  bool is_int() const { return kind_ == Kind::integer; }
  bool is_float() const { return kind_ == Kind::floating; }
  // int, float or bool (Python's bool is an int).
  bool is_number() const { return kind_ == Kind::integer || kind_ == Kind::floating || kind_ == Kind::boolean; }
  bool is_string() const { return kind_ == Kind::string; }
  // list or tuple.
  bool is_sequence() const { return kind_ == Kind::list || kind_ == Kind::tuple; }
  bool is_dict() const { return kind_ == Kind::dict; }
  bool is_namespace() const { return kind_ == Kind::ns; }
  bool is_callable() const { return kind_ == Kind::callable; }

  bool as_bool() const { return std::get<bool>(data_); }
  // int or bool.
  int64_t as_int() const;
  // int, bool or float.
  double as_double() const;
  const std::string& as_string() const { return *std::get<std::shared_ptr<const std::string>>(data_); }
  const List& as_list() const { return *std::get<std::shared_ptr<const List>>(data_); }
  const Dict& as_dict() const { return *std::get<std::shared_ptr<const Dict>>(data_); }
  // The attributes of a namespace; shared by every copy of the value.
  Dict& namespace_attrs() const { return *std::get<std::shared_ptr<Dict>>(data_); }
  const Callable& as_callable() const { return *std::get<std::shared_ptr<const Callable>>(data_); }
  // The name an undefined value was looked up by ("" when it has none).
  const std::string& undefined_name() const;
  // True when both refer to the same container or namespace object.
  bool same_object(const Value& other) const;

  // What working on this value costs, in work units: one per element of
  // every nested container and one per 32 bytes of string.
  uint64_t footprint() const { return footprint_; }
  // Containers nested inside this one (0 for a scalar).
  int depth() const { return depth_; }
  // True when a namespace is somewhere inside (so it may not go into one).
  bool holds_namespace() const { return holds_namespace_; }

 private:
  Value(Kind kind, std::shared_ptr<const List> items);
  void absorb_children(const List& items);

  Kind kind_ = Kind::undefined;
  uint8_t depth_ = 0;
  bool holds_namespace_ = false;
  uint64_t footprint_ = 1;
  std::variant<std::monostate, bool, int64_t, double, std::shared_ptr<const std::string>, std::shared_ptr<const List>,
               std::shared_ptr<const Dict>, std::shared_ptr<Dict>, std::shared_ptr<const Callable>>
      data_;
};

// A dict with string keys in insertion order (as Python's dicts keep them).
struct Dict {
  std::vector<std::pair<std::string, Value>> entries;

  const Value* find(std::string_view key) const;
  // Replaces the value under key, or appends key at the end.
  void set(std::string key, Value value);
  size_t size() const { return entries.size(); }
};

struct Callable {
  std::string name;
  Function fn;
};

// ---- the Python object protocol, as Jinja2 uses it --------------------------

// Python's bool(): empty strings and containers, 0, None and undefined are false.
bool truthy(const Value& v);
// Python's str() (what {{ v }} prints); undefined prints as "".
std::string to_str(const Value& v);
// Python's repr() (how a value prints inside a list or dict).
std::string repr(const Value& v);
// Python's type name, for error messages.
std::string_view type_name(const Value& v);
// Python's ==: numbers across int/float/bool, containers element-wise.
bool equals(const Value& a, const Value& b);
// Python's ordering (<0, 0, >0) for numbers, strings and sequences; throws
// EvalError for types Python cannot order ("'<' not supported ...").
int compare(const Value& a, const Value& b, std::string_view op = "<");
// What a for loop visits: list items, dict keys, string characters; nothing for undefined.
List iterate(const Value& v);
// Python's len(); throws for values without a length.
int64_t length(const Value& v);

}  // namespace llamafast::jinja
