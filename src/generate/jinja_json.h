// JSON in and out of Jinja values. to_json writes exactly what Python's
// json.dumps writes (Hugging Face's |tojson filter is json.dumps with
// ensure_ascii=False): the same separators, indentation, escapes and float
// digits, keys in insertion order unless sort_keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "generate/jinja_value.h"

namespace llamafast::jinja {

struct JsonFormat {
  bool ensure_ascii = false;      // escape every non-ASCII character as \uXXXX
  std::optional<std::string> indent;  // per-level indent; none: everything on one line
  std::string item_separator = ", ";  // json.dumps uses "," when indenting
  std::string key_separator = ": ";
  bool sort_keys = false;
};

// Throws EvalError for values JSON cannot hold (undefined, namespaces, functions).
std::string to_json(const Value& v, const JsonFormat& format);

// Parses JSON text (objects keep their key order); throws llamafast::Error
// (invalid_input) naming `what` when the text is not JSON.
Value from_json(std::string_view text, std::string_view what = "JSON");

}  // namespace llamafast::jinja
