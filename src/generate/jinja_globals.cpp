// The global functions of a render: range, namespace and dict from Jinja2,
// raise_exception and strftime_now from Hugging Face's chat-template environment.
#include <vector>

#include "generate/jinja_builtins.h"

namespace llamafast::jinja {

namespace {

// Jinja2's sandbox refuses longer ranges; so does this one.
constexpr int64_t kMaxRange = 100000;

Value range(const CallArgs& a) {
  if (!a.keyword.empty()) eval_error("range() takes no keyword arguments");
  if (a.positional.empty() || a.positional.size() > 3) eval_error("range expected 1 to 3 arguments, got {}", a.positional.size());
  std::vector<int64_t> n;
  for (const Value& v : a.positional) {
    if (!v.is_int() && !v.is_bool()) eval_error("'{}' object cannot be interpreted as an integer", type_name(v));
    n.push_back(v.as_int());
  }
  const int64_t start = n.size() == 1 ? 0 : n[0];
  const int64_t stop = n.size() == 1 ? n[0] : n[1];
  const int64_t step = n.size() == 3 ? n[2] : 1;
  if (step == 0) eval_error("range() arg 3 must not be zero");
  // Count with 128-bit arithmetic: start and stop may be anything.
  const __int128 span = step > 0 ? __int128(stop) - start : __int128(start) - stop;
  const __int128 magnitude = step > 0 ? __int128(step) : -__int128(step);
  const __int128 count = span <= 0 ? 0 : (span + magnitude - 1) / magnitude;
  if (count > kMaxRange) {
    eval_error("Range too big. The sandbox blocks ranges larger than MAX_RANGE ({}).", kMaxRange);
  }
  List out;
  out.reserve(size_t(count));
  for (int64_t i = 0; i < int64_t(count); ++i) out.emplace_back(start + i * step);
  return Value::list(std::move(out));
}

// namespace({...}, key=value): a mapping argument and/or keywords.
Dict mapping_from_args(const CallArgs& a, std::string_view name) {
  Dict d;
  if (a.positional.size() > 1) eval_error("{}() takes at most one positional argument", name);
  if (a.positional.size() == 1) {
    if (!a.positional[0].is_dict()) eval_error("{}() needs a mapping, not '{}'", name, type_name(a.positional[0]));
    d = a.positional[0].as_dict();
  }
  for (const auto& [key, value] : a.keyword) d.set(key, value);
  return d;
}

std::string strftime_text(const std::string& format, const std::tm& when) {
  if (format.size() > 1024) eval_error("strftime_now() format longer than 1024 bytes");
  if (format.empty()) return {};
  // strftime returns 0 both for "no room" and for an empty result; a
  // buffer many times the format's length settles it.
  std::vector<char> buf(format.size() * 64 + 256);
  const size_t n = std::strftime(buf.data(), buf.size(), format.c_str(), &when);
  return std::string(buf.data(), n);
}

}  // namespace

Dict make_globals(std::optional<std::tm> now) {
  Dict g;
  g.set("range", Value::callable("range", range));
  g.set("namespace", Value::callable("namespace", [](const CallArgs& a) {
          return Value::make_namespace(mapping_from_args(a, "namespace"));
        }));
  g.set("dict", Value::callable("dict", [](const CallArgs& a) { return Value::dict(mapping_from_args(a, "dict")); }));
  g.set("raise_exception", Value::callable("raise_exception", [](const CallArgs& a) -> Value {
          const BoundArgs args("raise_exception", a, {"message"});
          eval_error("{}", to_str(args[0]));
        }));
  g.set("strftime_now", Value::callable("strftime_now", [now](const CallArgs& a) {
          const BoundArgs args("strftime_now", a, {"format"});
          std::tm when{};
          if (now) {
            // Fill in the weekday and day of the year from the date.
            std::tm copy = *now;
            const time_t seconds = timegm(&copy);
            gmtime_r(&seconds, &when);
          } else {
            const time_t seconds = std::time(nullptr);
            localtime_r(&seconds, &when);
          }
          return Value(strftime_text(args.get_string(0, ""), when));
        }));
  return g;
}

}  // namespace llamafast::jinja
