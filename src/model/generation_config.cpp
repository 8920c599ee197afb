#include "model/generation_config.h"

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace llamafast {

GenerationDefaults parse_generation_config(std::string_view text, const std::string& name) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) fail("{}: not a JSON object", name);
  GenerationDefaults d;
  const auto number = [&](const char* key) -> std::optional<double> {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    if (!j[key].is_number()) fail("{}: '{}' must be a number", name, key);
    return j[key].get<double>();
  };
  if (auto v = number("temperature")) d.temperature = float(*v);
  if (auto v = number("top_p")) d.top_p = float(*v);
  if (auto v = number("top_k")) d.top_k = int(*v);
  if (auto v = number("repetition_penalty")) d.repetition_penalty = float(*v);
  // transformers samples only with do_sample: true; without it the defaults mean greedy.
  if (j.contains("do_sample") && j["do_sample"].is_boolean() && !j["do_sample"].get<bool>()) d.temperature = 0.0f;
  return d;
}

}  // namespace llamafast
