// Hugging Face safetensors: an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets: [begin, end)}}, then the data.
#pragma once

#include <map>
#include <span>
#include <string>

#include "model/checkpoint.h"

namespace llamafast {

// Parses and validates the header of a safetensors file held in `bytes` (every
// offset inside the data section, sizes matching shapes, no overlaps) and returns
// its tensors by their stored names, pointing into `bytes`. `file` names the
// file in error messages. Unsupported dtypes are an error naming the tensor.
std::map<std::string, Tensor> parse_safetensors(std::span<const std::byte> bytes, const std::string& file);

}  // namespace llamafast
