// GGUF (llama.cpp's single-file format), versions 2 and 3: "GGUF", a u32
// version, u64 tensor and metadata counts, typed key-value metadata, tensor
// infos (name, dims fastest-varying first, ggml type, offset), then the tensor
// data from the next multiple of general.alignment (default 32).
// This layer only checks the container: every count, length and offset is
// checked against the bytes before use. gguf_reader.cpp turns the result into a
// Checkpoint, tokenizer/gguf_tokenizer.cpp into a Tokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace llamafast {

// Metadata value types, numbered as in the file.
enum class GgufType : uint32_t { u8, i8, u16, i16, u32, i32, f32, boolean, string, array, u64, i64, f64 };

struct GgufValue {
  GgufType type = GgufType::u8;
  uint64_t bits = 0;      // integers and bool; signed types sign-extended
  double number = 0;      // f32 / f64
  std::string text;       // string
  GgufType item_type = GgufType::u8;  // array
  std::vector<GgufValue> items;       // array
};

// The tensor types llamafast reads; any other ggml type is refused by name.
enum class GgmlType : uint32_t { f32 = 0, f16 = 1, q4_0 = 2, q8_0 = 8, bf16 = 30 };
inline constexpr int64_t kGgmlBlock = 32;  // elements per Q8_0 / Q4_0 block

struct GgufTensor {
  std::string name;
  std::vector<int64_t> dims;  // as stored: dims[0] varies fastest
  GgmlType type = GgmlType::f32;
  const std::byte* data = nullptr;
  size_t nbytes = 0;
};

struct GgufFile {
  uint32_t version = 0;
  std::map<std::string, GgufValue> metadata;
  std::vector<GgufTensor> tensors;  // file order
  size_t metadata_end = 0;          // offset just past the last metadata pair

  // Typed look-ups: nullopt when the key is absent; a value of another type
  // fails with "<file>: <key> is <type>, expected ...". Integers of any width
  // are accepted where an integer is expected.
  std::optional<int64_t> integer(const std::string& key) const;
  std::optional<double> number(const std::string& key) const;  // any float or integer
  std::optional<bool> boolean(const std::string& key) const;
  std::optional<std::string> string(const std::string& key) const;
  // An array whose items have `item_type` (integers: any integer type).
  const std::vector<GgufValue>* array(const std::string& key, GgufType item_type) const;

  std::string file;  // for error messages
};

// Parses `bytes` (kept alive by the caller); `file` names them in errors. With
// `metadata_only`, stops after the metadata (tensors stays empty), which is all
// a tokenizer needs. Fails on versions other than 2 and 3, on any count,
// length or offset past the end, on unaligned tensor data, and with
// "unsupported tensor type X in tensor Y" for ggml types other than F32, F16,
// BF16, Q8_0 and Q4_0.
GgufFile parse_gguf(std::span<const std::byte> bytes, const std::string& file, bool metadata_only = false);

// True when the bytes start with GGUF's magic.
bool is_gguf(std::span<const std::byte> head);

// An integer metadata value as int64, failing when it cannot be one.
int64_t gguf_integer(const GgufValue& v, const std::string& file, const std::string& what);

}  // namespace llamafast
