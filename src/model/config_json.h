// ModelConfig <-> JSON, as stored in a .llf file's metadata. Every field is
// written, so a model exported and read back has exactly the same config.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "model/config.h"

namespace llamafast {

nlohmann::json config_to_json(const ModelConfig& c);
// Throws Error "<file>: config: ..." on a missing or mistyped field.
ModelConfig config_from_json(const nlohmann::json& j, const std::string& file);

}  // namespace llamafast
