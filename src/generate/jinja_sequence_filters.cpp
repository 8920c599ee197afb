// Filters on lists and dicts. Jinja2 returns generators from some of them
// (map, select, reverse, unique); here they return lists, which print as
// lists where Jinja2 would print "<generator ...>".
#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <utility>

#include "generate/jinja_filter_table.h"
#include "generate/jinja_operators.h"
#include "generate/jinja_text.h"

namespace llamafast::jinja {

Value get_attribute_path(const Value& item, std::string_view path) {
  Value current = item;
  size_t begin = 0;
  while (true) {
    const size_t dot = path.find('.', begin);
    const std::string_view part = path.substr(begin, dot == std::string_view::npos ? std::string_view::npos : dot - begin);
    const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    Value next;
    if (current.is_dict()) {
      if (const Value* v = current.as_dict().find(part)) next = *v;
    } else if (current.is_namespace()) {
      if (const Value* v = current.namespace_attrs().find(part)) next = *v;
    } else if (current.is_sequence() && numeric && part.size() < 10) {
      const size_t i = size_t(std::stoul(std::string(part)));
      if (i < current.as_list().size()) next = current.as_list()[i];
    }
    if (next.is_undefined()) return Value::undefined(std::string(part));
    current = std::move(next);
    if (dot == std::string_view::npos) return current;
    begin = dot + 1;
  }
}

namespace {

Value filter_length(const Value& v, const CallArgs& a) {
  BoundArgs("length", a, {});
  return Value(length(v));
}

Value filter_first(const Value& v, const CallArgs& a) {
  BoundArgs("first", a, {});
  if (v.is_string()) {
    const std::u32string cps = decode_utf8(v.as_string());
    return cps.empty() ? Value::undefined() : Value(encode_utf8(cps.substr(0, 1)));
  }
  if (v.is_sequence()) return v.as_list().empty() ? Value::undefined() : v.as_list().front();
  const List items = iterate(v);
  return items.empty() ? Value::undefined() : items.front();
}

Value filter_last(const Value& v, const CallArgs& a) {
  BoundArgs("last", a, {});
  if (v.is_string()) {
    const std::u32string cps = decode_utf8(v.as_string());
    return cps.empty() ? Value::undefined() : Value(encode_utf8(cps.substr(cps.size() - 1)));
  }
  if (v.is_sequence()) return v.as_list().empty() ? Value::undefined() : v.as_list().back();
  const List items = iterate(v);
  return items.empty() ? Value::undefined() : items.back();
}

Value filter_list(const Value& v, const CallArgs& a) {
  BoundArgs("list", a, {});
  return Value::list(iterate(v));
}

Value filter_join(const Value& v, const CallArgs& a) {
  const BoundArgs args("join", a, {"d", "attribute"});
  const std::string separator = args.given(0) ? to_str(args[0]) : "";
  std::string out;
  bool first = true;
  for (const Value& item : iterate(v)) {
    if (!first) out += separator;
    first = false;
    out += to_str(args.given(1) ? get_attribute_path(item, to_str(args[1])) : item);
    check_string_size(out.size());
  }
  return Value(std::move(out));
}

Value filter_items(const Value& v, const CallArgs& a) {
  BoundArgs("items", a, {});
  if (v.is_undefined()) return Value::list({});
  if (!v.is_dict()) eval_error("Can only get item pairs from a mapping.");
  List pairs;
  for (const auto& [key, item] : v.as_dict().entries) pairs.push_back(Value::tuple({Value(key), item}));
  return Value::list(std::move(pairs));
}

Value filter_reverse(const Value& v, const CallArgs& a) {
  BoundArgs("reverse", a, {});
  if (v.is_string()) {
    std::u32string cps = decode_utf8(v.as_string());
    std::reverse(cps.begin(), cps.end());
    return Value(encode_utf8(cps));
  }
  List items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

// The value sort, unique, min and max compare: the attribute when given,
// lower-cased when comparing case-insensitively.
Value sort_key(const Value& item, const BoundArgs& args, size_t case_arg, size_t attribute_arg) {
  Value key = args.given(attribute_arg) ? get_attribute_path(item, to_str(args[attribute_arg])) : item;
  if (!args.get_bool(case_arg, false) && key.is_string()) key = Value(lower(key.as_string()));
  return key;
}

// Sorts items by key; Python's sort is stable, and so is this one.
List sorted_by_key(List items, const BoundArgs& args, size_t case_arg, size_t attribute_arg, bool reverse) {
  std::vector<std::pair<Value, size_t>> keyed;
  keyed.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) keyed.emplace_back(sort_key(items[i], args, case_arg, attribute_arg), i);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    return reverse ? compare(y.first, x.first) < 0 : compare(x.first, y.first) < 0;
  });
  List out;
  out.reserve(items.size());
  for (const auto& [key, i] : keyed) out.push_back(std::move(items[i]));
  return out;
}

Value filter_sort(const Value& v, const CallArgs& a) {
  const BoundArgs args("sort", a, {"reverse", "case_sensitive", "attribute"});
  return Value::list(sorted_by_key(iterate(v), args, 1, 2, args.get_bool(0, false)));
}

Value filter_dictsort(const Value& v, const CallArgs& a) {
  const BoundArgs args("dictsort", a, {"case_sensitive", "by", "reverse"});
  if (!v.is_dict()) eval_error("dictsort needs a dict, not '{}'", type_name(v));
  const std::string by = args.get_string(1, "key");
  if (by != "key" && by != "value") eval_error("You can only sort by either \"key\" or \"value\"");
  const bool case_sensitive = args.get_bool(0, false), reverse = args.get_bool(2, false);
  std::vector<std::pair<Value, Value>> keyed;  // (sort key, pair)
  for (const auto& [key, item] : v.as_dict().entries) {
    Value k = by == "key" ? Value(key) : item;
    if (!case_sensitive && k.is_string()) k = Value(lower(k.as_string()));
    keyed.emplace_back(std::move(k), Value::tuple({Value(key), item}));
  }
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    return reverse ? compare(y.first, x.first) < 0 : compare(x.first, y.first) < 0;
  });
  List out;
  for (auto& [k, pair] : keyed) out.push_back(std::move(pair));
  return Value::list(std::move(out));
}

// A hashable identity for unique(): equal values (1, 1.0 and True alike) share it.
std::string unique_identity(const Value& key) {
  std::string id;
  if (key.is_int() || key.is_bool()) {
    id.assign(1, 'n').append(std::to_string(key.as_int()));
  } else if (key.is_float()) {
    const double d = key.as_double();
    if (d == std::floor(d) && std::fabs(d) < 9.2e18) {
      id.assign(1, 'n').append(std::to_string(int64_t(d)));
    } else {
      id.assign(1, 'f').append(format_float(d));
    }
  } else if (key.is_string()) {
    id.assign(1, 's').append(key.as_string());
  } else if (key.is_none() || key.is_undefined()) {
    id.assign(key.is_none() ? "none" : "undefined");
  } else {
    eval_error("unhashable type: '{}'", type_name(key));
  }
  return id;
}

Value filter_unique(const Value& v, const CallArgs& a) {
  const BoundArgs args("unique", a, {"case_sensitive", "attribute"});
  std::unordered_set<std::string> seen;
  List out;
  for (const Value& item : iterate(v)) {
    if (seen.insert(unique_identity(sort_key(item, args, 0, 1))).second) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value extreme(const Value& v, const CallArgs& a, std::string_view name, bool want_max) {
  const BoundArgs args(name, a, {"case_sensitive", "attribute"});
  Value best, best_key;
  for (const Value& item : iterate(v)) {
    Value key = sort_key(item, args, 0, 1);
    if (best.is_undefined() || (want_max ? compare(key, best_key) > 0 : compare(key, best_key) < 0)) {
      best = item;
      best_key = std::move(key);
    }
  }
  return best;
}

Value filter_min(const Value& v, const CallArgs& a) { return extreme(v, a, "min", false); }
Value filter_max(const Value& v, const CallArgs& a) { return extreme(v, a, "max", true); }

Value filter_sum(const Value& v, const CallArgs& a) {
  const BoundArgs args("sum", a, {"attribute", "start"});
  Value total = args.given(1) ? args[1] : Value(0);
  for (const Value& item : iterate(v)) {
    total = apply_binary(BinaryOp::add, total, args.given(0) ? get_attribute_path(item, to_str(args[0])) : item);
  }
  return total;
}

Value filter_batch(const Value& v, const CallArgs& a) {
  const BoundArgs args("batch", a, {"linecount", "fill_with"});
  const int64_t size = args.get_int(0, 0);
  if (size <= 0) eval_error("batch() needs a positive line count");
  List out, row;
  for (const Value& item : iterate(v)) {
    row.push_back(item);
    if (int64_t(row.size()) == size) out.push_back(Value::list(std::exchange(row, {})));
  }
  if (!row.empty()) {
    if (args.given(1)) {
      while (int64_t(row.size()) < size) row.push_back(args[1]);
    }
    out.push_back(Value::list(std::move(row)));
  }
  return Value::list(std::move(out));
}

Value filter_map(const Value& v, const CallArgs& a) {
  List out;
  if (!truthy(v)) return Value::list({});  // Jinja2 maps nothing over a false value
  const auto attribute = std::find_if(a.keyword.begin(), a.keyword.end(), [](const auto& k) { return k.first == "attribute"; });
  if (attribute != a.keyword.end()) {
    const BoundArgs args("map", a, {"attribute", "default"});
    for (const Value& item : iterate(v)) {
      Value mapped = get_attribute_path(item, to_str(args[0]));
      if (mapped.is_undefined() && args.given(1)) mapped = args[1];
      out.push_back(std::move(mapped));
    }
    return Value::list(std::move(out));
  }
  if (a.positional.empty() || !a.positional[0].is_string()) eval_error("map() needs a filter name or attribute=");
  const std::string& name = a.positional[0].as_string();
  const FilterInfo* filter = find_filter(name);
  if (!filter) eval_error("no filter named '{}'", name);
  CallArgs rest{List(a.positional.begin() + 1, a.positional.end()), a.keyword};
  for (const Value& item : iterate(v)) out.push_back(filter->fn(item, rest));
  return Value::list(std::move(out));
}

// select / reject / selectattr / rejectattr: keep the items (or the items
// whose attribute) pass the named test, or are truthy when no test is named.
Value select_items(const Value& v, const CallArgs& a, std::string_view name, bool by_attribute, bool keep) {
  List args = a.positional;
  if (!a.keyword.empty()) eval_error("{}() takes no keyword arguments", name);
  std::string attribute;
  if (by_attribute) {
    if (args.empty()) eval_error("{}() needs an attribute name", name);
    attribute = to_str(args.front());
    args.erase(args.begin());
  }
  const TestInfo* test = nullptr;
  if (!args.empty()) {
    const std::string test_name = to_str(args.front());
    test = find_test(test_name);
    if (!test) eval_error("no test named '{}'", test_name);
    args.erase(args.begin());
  }
  const CallArgs test_args{std::move(args), {}};
  List out;
  if (!truthy(v)) return Value::list({});  // as in Jinja2, a false value selects nothing
  for (const Value& item : iterate(v)) {
    const Value subject = by_attribute ? get_attribute_path(item, attribute) : item;
    const bool passes = test ? test->fn(subject, test_args) : truthy(subject);
    if (passes == keep) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value filter_select(const Value& v, const CallArgs& a) { return select_items(v, a, "select", false, true); }
Value filter_reject(const Value& v, const CallArgs& a) { return select_items(v, a, "reject", false, false); }
Value filter_selectattr(const Value& v, const CallArgs& a) { return select_items(v, a, "selectattr", true, true); }
Value filter_rejectattr(const Value& v, const CallArgs& a) { return select_items(v, a, "rejectattr", true, false); }

}  // namespace

void add_sequence_filters(FilterTable& table) {
  const FilterTable filters = {
      {"length", {filter_length, Cost::constant}},
      {"count", {filter_length, Cost::constant}},
      {"first", {filter_first, Cost::constant}},
      {"last", {filter_last, Cost::constant}},
      {"list", {filter_list, Cost::linear}},
      {"join", {filter_join, Cost::linear}},
      {"items", {filter_items, Cost::linear}},
      {"reverse", {filter_reverse, Cost::linear}},
      {"sort", {filter_sort, Cost::linear}},
      {"dictsort", {filter_dictsort, Cost::linear}},
      {"unique", {filter_unique, Cost::linear}},
      {"min", {filter_min, Cost::linear}},
      {"max", {filter_max, Cost::linear}},
      {"sum", {filter_sum, Cost::linear}},
      {"batch", {filter_batch, Cost::linear}},
      {"map", {filter_map, Cost::linear}},
      {"select", {filter_select, Cost::linear}},
      {"reject", {filter_reject, Cost::linear}},
      {"selectattr", {filter_selectattr, Cost::linear}},
      {"rejectattr", {filter_rejectattr, Cost::linear}},
  };
  table.insert(table.end(), filters.begin(), filters.end());
}

}  // namespace llamafast::jinja
