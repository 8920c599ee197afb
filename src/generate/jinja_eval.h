// Renders a parsed template: runs the statements, evaluates expressions,
// keeps Jinja's scopes (a for-loop body and a macro get their own; `set`
// elsewhere writes the enclosing one) and enforces the render limits.
#pragma once

#include <string>
#include <string_view>

#include "generate/jinja.h"
#include "generate/jinja_ast.h"

namespace llamafast::jinja {

std::string render_program(const Program& program, std::string_view template_name, const Dict& variables,
                           const RenderOptions& options);

}  // namespace llamafast::jinja
