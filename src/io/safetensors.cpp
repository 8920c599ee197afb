#include "io/safetensors.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace llamafast {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // the format's own limit

DType parse_dtype(const std::string& s, const std::string& file, const std::string& name) {
  if (s == "F32") return DType::f32;
  if (s == "F16") return DType::f16;
  if (s == "BF16") return DType::bf16;
  fail("{}: tensor '{}' has dtype {}; supported: F32, F16, BF16", file, name, s);
}

}  // namespace

std::map<std::string, Tensor> parse_safetensors(std::span<const std::byte> bytes, const std::string& file) {
  ByteReader in(bytes, file);
  const uint64_t header_len = in.read<uint64_t>("safetensors header length");
  if (header_len > kMaxHeaderBytes || header_len > in.remaining())
    fail("{}: safetensors header length {} runs past the end of the file ({} bytes)", file, header_len,
         bytes.size());
  const std::string_view header_text = in.take(size_t(header_len), "safetensors header");
  const std::byte* data = bytes.data() + in.offset();
  const uint64_t data_size = in.remaining();

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: safetensors header is not valid JSON: {}", file, e.what());
  }
  if (!header.is_object()) fail("{}: safetensors header is not a JSON object", file);

  struct Extent {
    uint64_t begin, end;
    const std::string* name;
  };
  std::vector<Extent> extents;
  std::map<std::string, Tensor> out;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets") || !entry["dtype"].is_string() || !entry["shape"].is_array() ||
        !entry["data_offsets"].is_array() || entry["data_offsets"].size() != 2)
      fail("{}: tensor '{}' needs dtype, shape and data_offsets [begin, end]", file, name);
    Tensor t;
    t.dtype = parse_dtype(entry["dtype"].get<std::string>(), file, name);
    t.origin = file;
    uint64_t numel = 1;
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned()) fail("{}: tensor '{}' has a shape entry that is not a non-negative integer", file, name);
      const uint64_t v = d.get<uint64_t>();
      if (v > (uint64_t(1) << 40) || (v != 0 && numel > std::numeric_limits<uint64_t>::max() / 8 / v))
        fail("{}: tensor '{}' has an impossibly large shape", file, name);
      numel *= v;
      t.shape.push_back(int64_t(v));
    }
    const auto& offs = entry["data_offsets"];
    if (!offs[0].is_number_unsigned() || !offs[1].is_number_unsigned())
      fail("{}: tensor '{}' has data_offsets that are not non-negative integers", file, name);
    const uint64_t begin = offs[0].get<uint64_t>(), end = offs[1].get<uint64_t>();
    if (begin > end || end > data_size)
      fail("{}: tensor '{}' has data_offsets [{}, {}) outside the data section ({} bytes)", file, name, begin, end,
           data_size);
    if (end - begin != numel * dtype_size(t.dtype))
      fail("{}: tensor '{}' holds {} bytes but its shape and dtype need {}", file, name, end - begin,
           numel * dtype_size(t.dtype));
    t.data = data + begin;
    t.nbytes = size_t(end - begin);
    auto [it, inserted] = out.emplace(name, std::move(t));
    extents.push_back({begin, end, &it->first});
  }

  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < extents.size(); ++i)
    if (extents[i].begin < extents[i - 1].end)
      fail("{}: tensors '{}' and '{}' overlap in the data section", file, *extents[i - 1].name, *extents[i].name);
  return out;
}

}  // namespace llamafast
