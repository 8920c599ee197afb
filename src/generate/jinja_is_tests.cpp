// The tests of `x is name(args)`, as Jinja2 defines them.
#include <cmath>
#include <map>

#include "generate/jinja_builtins.h"
#include "generate/jinja_operators.h"
#include "generate/jinja_text.h"

namespace llamafast::jinja {

namespace {

// The one argument of a comparison test (`x is eq 3`, `x is divisibleby(2)`).
const Value& only_argument(const CallArgs& a, std::string_view name) {
  if (a.positional.size() != 1 || !a.keyword.empty()) eval_error("test '{}' takes one argument", name);
  return a.positional[0];
}

void no_arguments(const CallArgs& a, std::string_view name) {
  if (!a.positional.empty() || !a.keyword.empty()) eval_error("test '{}' takes no arguments", name);
}

template <bool (*Pred)(const Value&)>
bool unary_test(const Value& v, const CallArgs& a) {
  no_arguments(a, "is");
  return Pred(v);
}

bool is_defined(const Value& v) { return !v.is_undefined(); }
bool is_undefined(const Value& v) { return v.is_undefined(); }
bool is_none(const Value& v) { return v.is_none(); }
bool is_boolean(const Value& v) { return v.is_bool(); }
bool is_true(const Value& v) { return v.is_bool() && v.as_bool(); }
bool is_false(const Value& v) { return v.is_bool() && !v.as_bool(); }
bool is_integer(const Value& v) { return v.is_int(); }
bool is_float(const Value& v) { return v.is_float(); }
bool is_number(const Value& v) { return v.is_number(); }
bool is_string(const Value& v) { return v.is_string(); }
bool is_mapping(const Value& v) { return v.is_dict(); }
bool is_iterable(const Value& v) { return v.is_undefined() || v.is_string() || v.is_sequence() || v.is_dict(); }
bool is_sequence(const Value& v) { return v.is_undefined() || v.is_string() || v.is_sequence() || v.is_dict(); }
bool is_callable(const Value& v) { return v.is_callable() || v.is_undefined(); }  // Jinja2's Undefined is callable
bool is_lower(const Value& v) {
  const std::string s = to_str(v);
  return lower(s) == s && upper(s) != s;
}
bool is_upper(const Value& v) {
  const std::string s = to_str(v);
  return upper(s) == s && lower(s) != s;
}

// value % divisor == 0 with Python's numbers (floats included).
bool divisible(const Value& v, const Value& divisor, std::string_view test) {
  if (!v.is_number() || !divisor.is_number()) eval_error("test '{}' needs numbers, not '{}'", test, type_name(v));
  if (!v.is_float() && !divisor.is_float()) {
    if (divisor.as_int() == 0) eval_error("integer division or modulo by zero");
    if (divisor.as_int() == -1) return true;
    return v.as_int() % divisor.as_int() == 0;
  }
  if (divisor.as_double() == 0) eval_error("float modulo");
  return std::fmod(v.as_double(), divisor.as_double()) == 0;
}

bool test_even(const Value& v, const CallArgs& a) {
  no_arguments(a, "even");
  return divisible(v, Value(2), "even");
}

bool test_odd(const Value& v, const CallArgs& a) {
  no_arguments(a, "odd");
  if (v.is_float()) return std::fabs(std::fmod(v.as_double(), 2.0)) == 1.0;
  return !divisible(v, Value(2), "odd");
}

bool test_divisibleby(const Value& v, const CallArgs& a) {
  return divisible(v, only_argument(a, "divisibleby"), "divisibleby");
}

template <CompareOp Op>
bool compare_test(const Value& v, const CallArgs& a) {
  return apply_compare(Op, v, only_argument(a, symbol(Op)));
}

bool test_sameas(const Value& v, const CallArgs& a) {
  const Value& other = only_argument(a, "sameas");
  if (v.kind() != other.kind()) return false;
  if (v.is_none() || v.is_undefined()) return true;
  if (v.is_bool()) return v.as_bool() == other.as_bool();
  return v.same_object(other);
}

bool test_filter(const Value& v, const CallArgs& a) {
  no_arguments(a, "filter");
  return v.is_string() && find_filter(v.as_string()) != nullptr;
}

bool test_test(const Value& v, const CallArgs& a) {
  no_arguments(a, "test");
  return v.is_string() && find_test(v.as_string()) != nullptr;
}

bool test_escaped(const Value&, const CallArgs& a) {
  no_arguments(a, "escaped");
  return false;
}

const std::map<std::string_view, TestInfo, std::less<>>& registry() {
  static const std::map<std::string_view, TestInfo, std::less<>> table = {
      {"defined", {unary_test<is_defined>}},
      {"undefined", {unary_test<is_undefined>}},
      {"none", {unary_test<is_none>}},
      {"boolean", {unary_test<is_boolean>}},
      {"true", {unary_test<is_true>}},
      {"false", {unary_test<is_false>}},
      {"integer", {unary_test<is_integer>}},
      {"float", {unary_test<is_float>}},
      {"number", {unary_test<is_number>}},
      {"string", {unary_test<is_string>}},
      {"mapping", {unary_test<is_mapping>}},
      {"iterable", {unary_test<is_iterable>}},
      {"sequence", {unary_test<is_sequence>}},
      {"callable", {unary_test<is_callable>}},
      {"lower", {unary_test<is_lower>}},
      {"upper", {unary_test<is_upper>}},
      {"even", {test_even}},
      {"odd", {test_odd}},
      {"divisibleby", {test_divisibleby}},
      {"eq", {compare_test<CompareOp::eq>}},
      {"equalto", {compare_test<CompareOp::eq>}},
      {"==", {compare_test<CompareOp::eq>}},
      {"ne", {compare_test<CompareOp::ne>}},
      {"!=", {compare_test<CompareOp::ne>}},
      {"lt", {compare_test<CompareOp::lt>}},
      {"lessthan", {compare_test<CompareOp::lt>}},
      {"<", {compare_test<CompareOp::lt>}},
      {"le", {compare_test<CompareOp::le>}},
      {"<=", {compare_test<CompareOp::le>}},
      {"gt", {compare_test<CompareOp::gt>}},
      {"greaterthan", {compare_test<CompareOp::gt>}},
      {">", {compare_test<CompareOp::gt>}},
      {"ge", {compare_test<CompareOp::ge>}},
      {">=", {compare_test<CompareOp::ge>}},
      {"in", {compare_test<CompareOp::in>}},
      {"sameas", {test_sameas}},
      {"filter", {test_filter}},
      {"test", {test_test}},
      {"escaped", {test_escaped}},
  };
  return table;
}

}  // namespace

const TestInfo* find_test(std::string_view name) {
  const auto& table = registry();
  const auto it = table.find(name);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace llamafast::jinja
