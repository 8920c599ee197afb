// A Jinja template engine for chat templates: the subset of Jinja2 that
// Hugging Face `chat_template` strings use, rendered the way
// transformers' apply_chat_template renders them (trim_blocks and
// lstrip_blocks on, Python semantics for values, Undefined printing as "").
//
//   jinja::Template t(source, "tokenizer_config.json chat_template");
//   jinja::Dict vars;
//   vars.set("messages", jinja::from_json(R"([{"role":"user","content":"hi"}])"));
//   std::string prompt = t.render(vars);
//
// Supported: {{ }}, {% %}, {# #} with `-`/`+` whitespace control; if/elif/
// else, for (tuple targets, `if` filter, else, loop.*, break/continue), set
// (also ns.attr and {% set %}...{% endset %}), macro, raw, generation;
// literals, . [] slices, calls with keywords, filters, tests, all Python
// operators; the globals range, namespace, dict, raise_exception and
// strftime_now. Not supported: template inheritance and includes, call
// blocks, recursive loops, printf-style `%` on strings.
//
// Errors (syntax, unknown filter, type errors, raise_exception, limits) are
// thrown as llamafast::Error with "name:line:column: message"; a template
// cannot crash, hang or exhaust memory: output, work, loop iterations and
// nesting are all bounded (RenderLimits).
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "generate/jinja_json.h"
#include "generate/jinja_value.h"

namespace llamafast::jinja {

struct Program;

struct RenderLimits {
  // The rendered text, and any macro or {% set %} block output.
  size_t max_output_bytes = size_t(16) << 20;
  // All for-loop iterations of one render together.
  uint64_t max_loop_iterations = 1'000'000;
  // Work units: about one per expression evaluated, element visited or 32
  // bytes of string built. A long chat uses well under a million.
  uint64_t max_work = 50'000'000;
};

struct RenderOptions {
  RenderLimits limits;
  // What strftime_now() formats; std::nullopt uses the local clock.
  std::optional<std::tm> now;
};

class Template {
 public:
  // Parses the source; throws llamafast::Error on a syntax error. `name`
  // starts every error message.
  explicit Template(std::string_view source, std::string name = "template");

  // Renders with `variables` (they shadow the globals). Throws llamafast::Error
  // on a render error, including raise_exception(msg), whose message ends with msg.
  // A Template is immutable once parsed: renders may run on several threads at once.
  std::string render(const Dict& variables, const RenderOptions& options = {}) const;

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::shared_ptr<const Program> program_;
};

}  // namespace llamafast::jinja
