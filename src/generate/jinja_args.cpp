#include <algorithm>

#include "generate/jinja_builtins.h"

namespace llamafast::jinja {

BoundArgs::BoundArgs(std::string_view callee, const CallArgs& args, std::initializer_list<std::string_view> params,
                     bool extra_positional)
    : callee_(callee), names_(params), values_(params.size()) {
  for (size_t i = 0; i < args.positional.size(); ++i) {
    if (i < names_.size()) {
      values_[i] = args.positional[i];
    } else if (extra_positional) {
      extra_.push_back(args.positional[i]);
    } else {
      eval_error("{}() takes at most {} argument{} ({} given)", callee_, names_.size(), names_.size() == 1 ? "" : "s",
                 args.positional.size());
    }
  }
  for (const auto& [key, value] : args.keyword) {
    const auto it = std::find(names_.begin(), names_.end(), key);
    if (it == names_.end()) eval_error("{}() got an unexpected keyword argument '{}'", callee_, key);
    const size_t i = size_t(it - names_.begin());
    if (i < args.positional.size()) eval_error("{}() got multiple values for argument '{}'", callee_, key);
    values_[i] = value;
  }
}

int64_t BoundArgs::get_int(size_t i, int64_t fallback) const {
  if (!given(i) || values_[i].is_none()) return fallback;
  if (!values_[i].is_int() && !values_[i].is_bool()) {
    eval_error("{}(): '{}' must be an integer, not '{}'", callee_, names_[i], type_name(values_[i]));
  }
  return values_[i].as_int();
}

bool BoundArgs::get_bool(size_t i, bool fallback) const { return given(i) ? truthy(values_[i]) : fallback; }

std::string BoundArgs::get_string(size_t i, std::string fallback) const {
  if (!given(i) || values_[i].is_none()) return fallback;
  if (!values_[i].is_string()) {
    eval_error("{}(): '{}' must be a string, not '{}'", callee_, names_[i], type_name(values_[i]));
  }
  return values_[i].as_string();
}

}  // namespace llamafast::jinja
