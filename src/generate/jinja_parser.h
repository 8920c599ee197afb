// Builds the syntax tree from the tokens, with Jinja2's operator precedence
// (lowest first): `x if c else y`, or, and, not, comparisons and `in`, + -,
// ~, * / // %, **, unary - +, then filters and tests, then . [] () on a
// primary. Unknown filters and tests are syntax errors, as in Jinja2.
#pragma once

#include <string_view>

#include "generate/jinja_ast.h"

namespace llamafast::jinja {

// Blocks and expressions nest at most this deep, so neither the parser nor
// the evaluator can run out of stack.
inline constexpr int kMaxSyntaxDepth = 128;

// Throws llamafast::Error "name:line:column: message" on a syntax error.
Body parse_template(std::string_view source, std::string_view template_name);

}  // namespace llamafast::jinja
