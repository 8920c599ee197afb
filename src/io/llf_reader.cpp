// Reads .llf files: every offset and size is checked against the file before a
// tensor is handed out, and tensors point straight into the mapping.
#include "io/llf_reader.h"

#include <fmt/ranges.h>

#include <cstring>
#include <limits>
#include <set>

#include "common/error.h"
#include "model/checkpoint.h"
#include "model/config_json.h"
#include "quant/quantize.h"

namespace llamafast {

using nlohmann::json;

namespace llf {

Contents parse_contents(std::span<const std::byte> file, const std::string& path) {
  Contents c;
  if (file.size() < sizeof(Header)) fail("{}: truncated: {} bytes, a .llf header needs {}", path, file.size(), sizeof(Header));
  std::memcpy(&c.header, file.data(), sizeof(Header));
  const Header& h = c.header;
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) fail("{}: not a .llf file (bad magic)", path);
  if (h.version > kVersion)
    fail("{}: .llf format version {} is newer than this llamafast reads ({}); upgrade llamafast", path, h.version,
         kVersion);
  if (h.version == 0) fail("{}: invalid .llf format version 0", path);
  if (h.header_size != sizeof(Header)) fail("{}: invalid header size {}", path, h.header_size);
  const uint64_t size = file.size();
  if (h.metadata_offset < sizeof(Header) || h.metadata_offset > size || h.metadata_size > size - h.metadata_offset)
    fail("{}: metadata (offset {}, {} bytes) lies outside the file ({} bytes)", path, h.metadata_offset,
         h.metadata_size, size);
  if (h.data_offset % kAlign != 0) fail("{}: data offset {} is not {}-byte aligned", path, h.data_offset, kAlign);
  if (h.data_offset < h.metadata_offset + h.metadata_size || h.data_offset > size || h.data_size > size - h.data_offset)
    fail("{}: data (offset {}, {} bytes) lies outside the file ({} bytes); truncated?", path, h.data_offset,
         h.data_size, size);
  c.metadata_text = {reinterpret_cast<const char*>(file.data()) + h.metadata_offset, size_t(h.metadata_size)};
  if (header_checksum(h, c.metadata_text) != h.header_checksum)
    fail("{}: header checksum mismatch: the file is damaged", path);
  c.metadata = json::parse(c.metadata_text, nullptr, false);
  if (!c.metadata.is_object()) fail("{}: metadata is not a JSON object", path);
  c.data = file.subspan(size_t(h.data_offset), size_t(h.data_size));
  return c;
}

}  // namespace llf

namespace {

template <class T>
T get(const json& j, const char* key, const std::string& where) {
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    fail("{}: missing or invalid '{}'", where, key);
  }
}

// A region of the data section: offset and size checked, aligned.
const std::byte* region(const json& j, std::span<const std::byte> data, uint64_t expected_bytes,
                        const std::string& where) {
  const auto offset = get<uint64_t>(j, "offset", where);
  const auto nbytes = get<uint64_t>(j, "nbytes", where);
  if (nbytes != expected_bytes) fail("{}: holds {} bytes, its shape and type need {}", where, nbytes, expected_bytes);
  if (offset % llf::kAlign != 0) fail("{}: offset {} is not {}-byte aligned", where, offset, llf::kAlign);
  if (offset > data.size() || nbytes > data.size() - offset)
    fail("{}: bytes [{}, {}) lie past the end of the data ({} bytes)", where, offset, offset + nbytes, data.size());
  return data.data() + offset;
}

DType parse_dtype(const std::string& name, const std::string& where) {
  for (DType t : {DType::f32, DType::f16, DType::bf16, DType::q8, DType::q4})
    if (dtype_name(t) == name) return t;
  fail("{}: unknown dtype '{}'", where, name);
}

Tensor parse_tensor(const json& j, std::span<const std::byte> data, const std::string& where) {
  Tensor t;
  t.dtype = parse_dtype(get<std::string>(j, "dtype", where), where);
  t.shape = get<std::vector<int64_t>>(j, "shape", where);
  if (t.shape.empty() || t.shape.size() > 2) fail("{}: shape must have 1 or 2 dimensions", where);
  for (int64_t d : t.shape)
    if (d <= 0 || d > std::numeric_limits<int32_t>::max()) fail("{}: invalid dimension {}", where, d);
  const uint64_t rows = t.shape.size() == 2 ? uint64_t(t.shape[0]) : 1, cols = uint64_t(t.shape.back());
  // At most 2^40 elements, so every size below (bytes of values or scales) fits in 64 bits.
  if (rows > (uint64_t(1) << 40) / cols) fail("{}: {} x {} elements is too large", where, rows, cols);
  t.bf16_activations = j.contains("bf16_activations") && get<bool>(j, "bf16_activations", where);
  if (t.bf16_activations && (t.dtype != DType::bf16 || t.shape.size() != 2))
    fail("{}: bf16_activations applies only to a bf16 matrix", where);
  if (!is_quantized(t.dtype)) {
    t.nbytes = rows * cols * dtype_size(t.dtype);
    t.data = region(j, data, t.nbytes, where);
    return t;
  }
  if (t.shape.size() != 2) fail("{}: a quantized tensor must be a matrix", where);
  const int group = get<int>(j, "group", where);
  const bool q4 = t.dtype == DType::q4;
  if (group <= 0 || (q4 && group % 2 != 0)) fail("{}: invalid group size {}", where, group);
  const int groups = quant::group_count(int(cols), group);
  const json& s = j.contains("scales") ? j["scales"] : json();
  const std::string swhere = where + " scales";
  const DType scale_dtype = parse_dtype(get<std::string>(s, "dtype", swhere), swhere);
  if (scale_dtype != DType::f32 && scale_dtype != DType::f16) fail("{}: scales must be f32 or f16", where);
  kernels::QuantLayout& q = t.quant;
  q.group = group;
  q.row_stride = q4 ? quant::q4_row_bytes(int(cols), group) : cols;
  q.group_stride = q4 ? size_t(group / 2) : size_t(group);
  q.scale_dtype = scale_dtype;
  q.scale_group_stride = dtype_size(scale_dtype);
  q.scale_row_stride = size_t(groups) * q.scale_group_stride;
  t.data = region(j, data, rows * q.row_stride, where);
  q.scales = region(s, data, rows * q.scale_row_stride, swhere);
  t.nbytes = rows * (q.row_stride + q.scale_row_stride);
  t.int8_activations = j.contains("int8_activations") && get<bool>(j, "int8_activations", where);
  return t;
}

}  // namespace

std::unique_ptr<Checkpoint> parse_llf(std::span<const std::byte> bytes, const std::string& path) {
  const llf::Contents c = llf::parse_contents(bytes, path);
  const json& m = c.metadata;
  auto ck = std::make_unique<Checkpoint>();
  ck->source = path;
  ck->format = "llf";
  if (!m.contains("config")) fail("{}: metadata has no 'config'", path);
  ck->config = config_from_json(m["config"], path);

  const json& tensors = m.contains("tensors") ? m["tensors"] : json();
  if (!tensors.is_array()) fail("{}: metadata has no 'tensors' table", path);
  for (const json& j : tensors) {
    const std::string name = get<std::string>(j, "name", path + ": tensor");
    const std::string where = fmt::format("{}: tensor '{}'", path, name);
    Tensor t = parse_tensor(j, c.data, where);
    t.origin = path;
    if (!ck->tensors.emplace(name, std::move(t)).second) fail("{}: tensor '{}' appears twice", path, name);
  }

  if (m.contains("tokenizer")) {
    const json& tj = m["tokenizer"];
    const std::string where = path + ": tokenizer";
    TokenizerFiles tf;
    tf.kind = get<std::string>(tj, "kind", where);
    tf.main = get<std::string>(tj, "main", where);
    const json& files = tj.contains("files") ? tj["files"] : json();
    if (!files.is_array()) fail("{}: missing or invalid 'files'", where);
    for (const json& f : files) {
      const std::string name = get<std::string>(f, "name", where);
      const std::string fwhere = fmt::format("{}: embedded file '{}'", path, name);
      const auto* p = region(f, c.data, get<uint64_t>(f, "nbytes", fwhere), fwhere);
      tf.files[name] = std::string(reinterpret_cast<const char*>(p), get<size_t>(f, "nbytes", fwhere));
    }
    if (!tf.files.count(tf.main)) fail("{}: main file '{}' is not embedded", where, tf.main);
    ck->embedded_tokenizer = std::move(tf);
  }
  return ck;
}

std::unique_ptr<Checkpoint> read_llf(const std::string& path) {
  MappedFile file = MappedFile::open(path);
  const std::span<const std::byte> bytes = file.bytes();
  auto ck = parse_llf(bytes, path);
  ck->keep(std::move(file));
  return ck;
}

}  // namespace llamafast
