// The checked parts of a .llf file, shared by the model reader, `inspect` and `verify`.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "io/llf_format.h"

namespace llamafast::llf {

struct Contents {
  Header header;
  std::string_view metadata_text;
  nlohmann::json metadata;
  std::span<const std::byte> data;  // the data region
};

// Checks magic, version, sizes and the header checksum, and parses the metadata.
// Throws Error "<path>: ..." on anything wrong; reads no tensor data.
Contents parse_contents(std::span<const std::byte> file, const std::string& path);

}  // namespace llamafast::llf
