// Reads the sampling defaults of a Hugging Face generation_config.json.
#pragma once

#include <string>
#include <string_view>

#include "llamafast/model.h"

namespace llamafast {

// Fields it does not have stay unset; `name` prefixes errors (invalid JSON or
// a value of the wrong type). Throws Error.
GenerationDefaults parse_generation_config(std::string_view json_text, const std::string& name);

}  // namespace llamafast
