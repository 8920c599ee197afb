#include "generate/jinja.h"

#include "generate/jinja_eval.h"
#include "generate/jinja_parser.h"

namespace llamafast::jinja {

Template::Template(std::string_view source, std::string name) : name_(std::move(name)) {
  auto program = std::make_shared<Program>();
  program->body = parse_template(source, name_);
  program_ = std::move(program);
}

std::string Template::render(const Dict& variables, const RenderOptions& options) const {
  return render_program(*program_, name_, variables, options);
}

}  // namespace llamafast::jinja
