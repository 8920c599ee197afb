// PyTorch state dicts saved by torch.save (the zip format, torch >= 1.6):
//   <top>/data.pkl    the pickled dict {name: tensor}, each tensor a
//                     torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...) call
//   <top>/data/<key>  the raw little-endian bytes of storage <key>
//   <top>/version, <top>/byteorder (newer torch), ...
// Tensors are views into the storages: several tensors may share one storage,
// and a view need not be contiguous (a transposed stride).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/pickle_reader.h"
#include "model/checkpoint.h"

namespace llamafast {

// Element types of torch storages (torch.<Name>Storage).
enum class TorchDType : uint8_t { f64, f32, f16, bf16, i64, i32, i16, i8, u8, boolean };

size_t torch_dtype_size(TorchDType t);
std::string_view torch_dtype_name(TorchDType t);  // "float32", "bfloat16", "int8", ...

struct PthTensor {
  TorchDType dtype = TorchDType::f32;
  std::vector<int64_t> shape;   // outermost first
  std::vector<int64_t> stride;  // in elements, one per dimension
  int64_t offset = 0;           // storage offset of element [0, 0, ...], in elements
  std::span<const std::byte> storage;  // the whole storage (may be shared with other tensors)

  int64_t numel() const;
  size_t nbytes() const { return size_t(numel()) * torch_dtype_size(dtype); }
  // Row-major without gaps (strides of size-1 dimensions do not matter), as torch defines it.
  bool contiguous() const;
  const std::byte* data() const { return storage.data() + size_t(offset) * torch_dtype_size(dtype); }
};

// The "module.name" globals a torch state-dict pickle may use.
const std::set<std::string, std::less<>>& torch_pickle_globals();

// Reads the tensors of a state-dict pickle. `storage(key)` returns the bytes of
// storage `key` (archive entry data/<key>), or null if there is none. Every
// tensor's extent is checked against its storage. Values that are not tensors
// are skipped; a dict under "model" or "state_dict" is read when the top level
// holds no tensors. `file` names the archive in errors.
using StorageLookup = std::function<const std::span<const std::byte>*(std::string_view key)>;
std::map<std::string, PthTensor> state_dict_from_pickle(const Pickle& pickle, const StorageLookup& storage,
                                                        const std::string& file);

// Reads a torch.save zip archive held in `bytes` (kept alive by the caller).
// The legacy (pre-1.6, non-zip) format is refused with a message saying so.
std::map<std::string, PthTensor> read_pth(std::span<const std::byte> bytes, const std::string& file);

// Strides of a contiguous row-major array of `shape`, in elements.
std::vector<int64_t> row_major_strides(std::span<const int64_t> shape);

// Copies an n-dimensional strided array of `elem_size`-byte elements. Strides are in elements.
void copy_strided(std::byte* dst, std::span<const int64_t> dst_stride, const std::byte* src,
                  std::span<const int64_t> src_stride, std::span<const int64_t> shape, size_t elem_size);

// The checkpoint tensor for `t`: a view into the archive when it is contiguous and
// aligned for its dtype, otherwise a row-major copy owned by `ck`. Dtypes the
// runtime cannot use (int8, float64, ...) are an error naming `name` and `file`.
Tensor checkpoint_tensor(const PthTensor& t, const std::string& name, const std::string& file, Checkpoint& ck);

// float32, float16 and bfloat16, as the runtime's DType; false for the others.
bool runtime_dtype(TorchDType t, DType* out);

}  // namespace llamafast
