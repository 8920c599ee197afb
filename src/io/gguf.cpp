#include "io/gguf.h"

#include <array>
#include <cstring>
#include <limits>
#include <set>
#include <string_view>

#include "common/error.h"
#include "io/mapped_file.h"

namespace llamafast {

namespace {

constexpr uint32_t kMaxDims = 4;         // ggml's GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 4;      // no known key nests arrays at all
constexpr int64_t kMaxDim = int64_t(1) << 40;
// Array items held in memory (~90 bytes each): real vocabularies (tokens +
// merges) stay under 1M; the cap keeps a hostile file from costing gigabytes.
constexpr uint64_t kMaxArrayItems = uint64_t(1) << 22;

std::string_view value_type_name(GgufType t) {
  static constexpr std::array<std::string_view, 13> names = {
      "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
      "bool",  "string", "array", "uint64", "int64", "float64"};
  const auto i = static_cast<uint32_t>(t);
  return i < names.size() ? names[i] : "unknown";
}

// ggml's names, so that the error for a K-quant or other type names it the way
// the user's file name and llama.cpp's tools do.
std::string ggml_type_name(uint32_t t) {
  static constexpr std::array<std::string_view, 40> names = {
      "F32",     "F16",    "Q4_0",    "Q4_1",    "Q4_2",   "Q4_3",   "Q5_0",     "Q5_1",     "Q8_0",     "Q8_1",
      "Q2_K",    "Q3_K",   "Q4_K",    "Q5_K",    "Q6_K",   "Q8_K",   "IQ2_XXS",  "IQ2_XS",   "IQ3_XXS",  "IQ1_S",
      "IQ4_NL",  "IQ3_S",  "IQ2_S",   "IQ4_XS",  "I8",     "I16",    "I32",      "I64",      "F64",      "IQ1_M",
      "BF16",    "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "TQ1_0", "TQ2_0", "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4"};
  return t < names.size() ? std::string(names[t]) : fmt::format("#{}", t);
}

bool is_integer(GgufType t) {
  switch (t) {
    case GgufType::u8: case GgufType::i8: case GgufType::u16: case GgufType::i16:
    case GgufType::u32: case GgufType::i32: case GgufType::u64: case GgufType::i64: return true;
    default: return false;
  }
}

// Smallest number of bytes one value of type `t` occupies, so that an array's
// count can be checked against what is left before anything is allocated.
size_t min_value_bytes(GgufType t) {
  switch (t) {
    case GgufType::u8: case GgufType::i8: case GgufType::boolean: return 1;
    case GgufType::u16: case GgufType::i16: return 2;
    case GgufType::u32: case GgufType::i32: case GgufType::f32: return 4;
    case GgufType::u64: case GgufType::i64: case GgufType::f64: case GgufType::string: return 8;
    case GgufType::array: return 12;
  }
  return 1;
}

class Parser {
 public:
  Parser(std::span<const std::byte> bytes, const std::string& file) : in_(bytes, file), file_(file) {}

  std::string string(std::string_view what) {
    const uint64_t n = in_.read<uint64_t>(what);
    if (n > in_.remaining())
      fail("{}: {} is {} bytes long, past the end of the file ({} bytes left at offset {})", file_, what, n,
           in_.remaining(), in_.offset());
    return std::string(in_.take(static_cast<size_t>(n), what));
  }

  GgufType value_type(std::string_view what) {
    const uint32_t t = in_.read<uint32_t>(what);
    if (t > static_cast<uint32_t>(GgufType::f64)) fail("{}: {} has unknown value type {}", file_, what, t);
    return static_cast<GgufType>(t);
  }

  GgufValue value(GgufType type, const std::string& key, int depth) {
    GgufValue v;
    v.type = type;
    switch (type) {
      case GgufType::u8: v.bits = in_.read<uint8_t>(key); break;
      case GgufType::i8: v.bits = static_cast<uint64_t>(int64_t{in_.read<int8_t>(key)}); break;
      case GgufType::u16: v.bits = in_.read<uint16_t>(key); break;
      case GgufType::i16: v.bits = static_cast<uint64_t>(int64_t{in_.read<int16_t>(key)}); break;
      case GgufType::u32: v.bits = in_.read<uint32_t>(key); break;
      case GgufType::i32: v.bits = static_cast<uint64_t>(int64_t{in_.read<int32_t>(key)}); break;
      case GgufType::u64: v.bits = in_.read<uint64_t>(key); break;
      case GgufType::i64: v.bits = static_cast<uint64_t>(in_.read<int64_t>(key)); break;
      case GgufType::f32: v.number = in_.read<float>(key); break;
      case GgufType::f64: v.number = in_.read<double>(key); break;
      case GgufType::boolean: {
        const uint8_t b = in_.read<uint8_t>(key);
        if (b > 1) fail("{}: {} is a bool stored as {}, not 0 or 1", file_, key, b);
        v.bits = b;
        break;
      }
      case GgufType::string: v.text = string(key); break;
      case GgufType::array: {
        if (depth >= kMaxArrayNesting) fail("{}: {} nests arrays more than {} deep", file_, key, kMaxArrayNesting);
        v.item_type = value_type(key);
        const uint64_t n = in_.read<uint64_t>(key);
        if (n > in_.remaining() / min_value_bytes(v.item_type))
          fail("{}: {} claims {} items, more than the {} bytes left can hold", file_, key, n, in_.remaining());
        items_ += n;
        if (items_ > kMaxArrayItems)
          fail("{}: {} brings the metadata to more than {} array items", file_, key, kMaxArrayItems);
        v.items.reserve(static_cast<size_t>(n));
        for (uint64_t i = 0; i < n; ++i) v.items.push_back(value(v.item_type, key, depth + 1));
        break;
      }
    }
    return v;
  }

  ByteReader in_;
  const std::string& file_;
  uint64_t items_ = 0;  // array items so far, against kMaxArrayItems
};

uint64_t checked_count(ByteReader& in, const std::string& file, std::string_view what, size_t min_bytes_each) {
  const uint64_t n = in.read<uint64_t>(what);
  if (n > in.remaining() / min_bytes_each)
    fail("{}: {} is {}, more than the {} bytes left can hold", file, what, n, in.remaining());
  return n;
}

// Bytes a tensor of `type` with `dims` occupies; checks block-type rows.
size_t tensor_bytes(uint32_t type, const std::vector<int64_t>& dims, const std::string& file, const std::string& name) {
  uint64_t numel = 1;
  for (int64_t d : dims) {
    if (d < 0 || d > kMaxDim || (d != 0 && numel > (std::numeric_limits<uint64_t>::max() / 8) / uint64_t(d)))
      fail("{}: tensor {} has an impossible dimension {}", file, name, d);
    numel *= uint64_t(d);
  }
  switch (type) {
    case uint32_t(GgmlType::f32): return numel * 4;
    case uint32_t(GgmlType::f16):
    case uint32_t(GgmlType::bf16): return numel * 2;
    case uint32_t(GgmlType::q8_0):
    case uint32_t(GgmlType::q4_0): {
      if (dims.empty() || dims[0] % kGgmlBlock != 0)
        fail("{}: tensor {} is {} with rows of {} elements, not a multiple of the {}-element block", file, name,
             ggml_type_name(type), dims.empty() ? 0 : dims[0], kGgmlBlock);
      return numel / kGgmlBlock * (type == uint32_t(GgmlType::q8_0) ? 34 : 18);
    }
    default:
      fail("{}: unsupported tensor type {} in tensor {} (supported: F32, F16, BF16, Q8_0, Q4_0)", file,
           ggml_type_name(type), name);
  }
}

}  // namespace

bool is_gguf(std::span<const std::byte> head) {
  return head.size() >= 4 && std::memcmp(head.data(), "GGUF", 4) == 0;
}

GgufFile parse_gguf(std::span<const std::byte> bytes, const std::string& file, bool metadata_only) {
  GgufFile g;
  g.file = file;
  Parser p(bytes, file);
  ByteReader& in = p.in_;
  if (!is_gguf(bytes)) fail("{}: not a GGUF file (no \"GGUF\" magic)", file);
  in.skip(4, "magic");
  g.version = in.read<uint32_t>("GGUF version");
  if (g.version != 2 && g.version != 3) {
    // A big-endian file (v3 allows one) reads as a huge version here.
    fail("{}: GGUF version {} is not supported (llamafast reads versions 2 and 3{})", file, g.version,
         g.version > 0xffff ? "; this may be a big-endian file" : "");
  }
  // Each tensor info takes at least 8 + 4 + 4 + 8 bytes, each metadata pair 8 + 4 + 1.
  const uint64_t n_tensors = checked_count(in, file, "tensor count", 24);
  const uint64_t n_kv = checked_count(in, file, "metadata count", 13);
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = p.string("a metadata key");
    const GgufType type = p.value_type(key);
    GgufValue v = p.value(type, key, 0);
    if (!g.metadata.emplace(key, std::move(v)).second) fail("{}: metadata key {} appears twice", file, key);
  }
  g.metadata_end = in.offset();
  if (metadata_only) return g;

  uint64_t alignment = 32;
  if (auto a = g.integer("general.alignment")) {
    if (*a <= 0 || *a > 65536 || (*a & (*a - 1)) != 0)
      fail("{}: general.alignment is {}, not a power of two up to 65536", file, *a);
    alignment = uint64_t(*a);
  }

  struct Pending {
    uint32_t type;
    uint64_t offset;
  };
  std::vector<Pending> pending;
  std::set<std::string_view> names;
  g.tensors.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensor t;
    t.name = p.string("a tensor name");
    const uint32_t n_dims = in.read<uint32_t>(t.name);
    if (n_dims == 0 || n_dims > kMaxDims) fail("{}: tensor {} has {} dimensions (1 to {} allowed)", file, t.name, n_dims, kMaxDims);
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t v = in.read<uint64_t>(t.name);
      if (v > uint64_t(kMaxDim)) fail("{}: tensor {} has an impossible dimension {}", file, t.name, v);
      t.dims.push_back(int64_t(v));
    }
    const uint32_t type = in.read<uint32_t>(t.name);
    const uint64_t offset = in.read<uint64_t>(t.name);
    pending.push_back({type, offset});
    g.tensors.push_back(std::move(t));
  }
  for (const GgufTensor& t : g.tensors)
    if (!names.insert(t.name).second) fail("{}: tensor {} appears twice", file, t.name);

  const uint64_t data_start = (in.offset() + alignment - 1) / alignment * alignment;
  const uint64_t data_size = data_start <= bytes.size() ? bytes.size() - data_start : 0;
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    GgufTensor& t = g.tensors[i];
    const auto [type, offset] = pending[i];
    t.nbytes = tensor_bytes(type, t.dims, file, t.name);
    t.type = static_cast<GgmlType>(type);
    if (offset % alignment != 0)
      fail("{}: tensor {} starts at data offset {}, not a multiple of the alignment {}", file, t.name, offset,
           alignment);
    if (offset > data_size || t.nbytes > data_size - offset)
      fail("{}: tensor {} needs bytes [{}, {}) of the data section, which holds only {}", file, t.name, offset,
           offset + t.nbytes, data_size);
    t.data = bytes.data() + data_start + offset;
  }
  return g;
}

int64_t gguf_integer(const GgufValue& v, const std::string& file, const std::string& what) {
  if (!is_integer(v.type)) fail("{}: {} is {}, expected an integer", file, what, value_type_name(v.type));
  const bool is_unsigned = v.type == GgufType::u8 || v.type == GgufType::u16 || v.type == GgufType::u32 ||
                           v.type == GgufType::u64;
  if (is_unsigned && v.bits > uint64_t(std::numeric_limits<int64_t>::max()))
    fail("{}: {} is {}, too large", file, what, v.bits);
  return static_cast<int64_t>(v.bits);
}

std::optional<int64_t> GgufFile::integer(const std::string& key) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  return gguf_integer(it->second, file, key);
}

std::optional<double> GgufFile::number(const std::string& key) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  const GgufValue& v = it->second;
  if (v.type == GgufType::f32 || v.type == GgufType::f64) return v.number;
  return double(gguf_integer(v, file, key));
}

std::optional<bool> GgufFile::boolean(const std::string& key) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  if (it->second.type != GgufType::boolean)
    fail("{}: {} is {}, expected a bool", file, key, value_type_name(it->second.type));
  return it->second.bits != 0;
}

std::optional<std::string> GgufFile::string(const std::string& key) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  if (it->second.type != GgufType::string)
    fail("{}: {} is {}, expected a string", file, key, value_type_name(it->second.type));
  return it->second.text;
}

const std::vector<GgufValue>* GgufFile::array(const std::string& key, GgufType item_type) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) return nullptr;
  const GgufValue& v = it->second;
  const bool ok = v.type == GgufType::array &&
                  (v.item_type == item_type || (is_integer(item_type) && is_integer(v.item_type)));
  if (!ok)
    fail("{}: {} is {}{}, expected an array of {}", file, key, value_type_name(v.type),
         v.type == GgufType::array ? fmt::format(" of {}", value_type_name(v.item_type)) : "",
         value_type_name(item_type));
  return &v.items;
}

}  // namespace llamafast
