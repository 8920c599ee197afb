// The built-in filters (`x|trim`), tests (`x is defined`), methods of str and
// dict (`s.strip()`, `d.items()`) and global functions (`range`, `namespace`,
// `raise_exception`, `strftime_now`) that templates can call.
#pragma once

#include <ctime>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "generate/jinja_value.h"

namespace llamafast::jinja {

// What a built-in costs beyond building its result: constant (len, first)
// or linear in the size of its input (trim, join, sort).
enum class Cost { constant, linear };

using FilterFn = Value (*)(const Value& input, const CallArgs& args);
using TestFn = bool (*)(const Value& v, const CallArgs& args);

struct FilterInfo {
  FilterFn fn;
  Cost cost;
};

struct TestInfo {
  TestFn fn;
};

// nullptr when there is no filter (test) of that name.
const FilterInfo* find_filter(std::string_view name);
const TestInfo* find_test(std::string_view name);

// True when receiver.name is a method (s.strip, d.items); call_method calls it.
bool has_method(const Value& receiver, std::string_view name);
Value call_method(const Value& receiver, std::string_view name, const CallArgs& args);

// The global functions; strftime_now formats `now` when given, else the local clock.
Dict make_globals(std::optional<std::tm> now);

// Binds a call's arguments to parameter names the way Python does: positional
// first, then keywords; an unknown keyword or a surplus positional argument
// is an error unless the callee takes extra positional arguments.
class BoundArgs {
 public:
  BoundArgs(std::string_view callee, const CallArgs& args, std::initializer_list<std::string_view> params,
            bool extra_positional = false);

  // The argument bound to parameter i, or undefined when it was not given.
  const Value& operator[](size_t i) const { return values_[i]; }
  bool given(size_t i) const { return !values_[i].is_undefined(); }
  // Positional arguments past the named parameters (when allowed).
  const List& extra() const { return extra_; }

  int64_t get_int(size_t i, int64_t fallback) const;
  bool get_bool(size_t i, bool fallback) const;
  std::string get_string(size_t i, std::string fallback) const;

 private:
  std::string_view callee_;
  std::vector<std::string_view> names_;
  List values_;
  List extra_;
};

}  // namespace llamafast::jinja
