#include "io/pth_reader.h"

#include <cstring>

#include <fmt/ranges.h>

#include "common/error.h"
#include "io/zip_reader.h"

namespace llamafast {

namespace {

using Kind = PickleValue::Kind;

constexpr const char* kRebuildTensor = "torch._utils._rebuild_tensor_v2";
constexpr const char* kRebuildParameter = "torch._utils._rebuild_parameter";
constexpr const char* kRebuildParameterWithState = "torch._utils._rebuild_parameter_with_state";

struct StorageType {
  const char* global;
  TorchDType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"torch.DoubleStorage", TorchDType::f64}, {"torch.FloatStorage", TorchDType::f32},
    {"torch.HalfStorage", TorchDType::f16},   {"torch.BFloat16Storage", TorchDType::bf16},
    {"torch.LongStorage", TorchDType::i64},   {"torch.IntStorage", TorchDType::i32},
    {"torch.ShortStorage", TorchDType::i16},  {"torch.CharStorage", TorchDType::i8},
    {"torch.ByteStorage", TorchDType::u8},    {"torch.BoolStorage", TorchDType::boolean},
};

// Far beyond any real tensor, and far enough from overflow for the extent arithmetic.
constexpr int64_t kMaxDim = int64_t(1) << 40;
constexpr int64_t kMaxElements = int64_t(1) << 48;
constexpr size_t kMaxRank = 16;

// Turns the pickle's records into tensors, checking each against its storage.
class StateDictReader {
 public:
  StateDictReader(const StorageLookup& lookup, const std::string& file) : lookup_(lookup), file_(file) {}

  std::map<std::string, PthTensor> read(const PickleValue& root) {
    if (!root.is(Kind::dict)) fail("{}: pickle holds {}, not a state dict", file_, pickle_kind_name(root.kind));
    std::map<std::string, PthTensor> out = read_dict(root);
    if (out.empty()) {
      // A training checkpoint: {"model": state_dict, "optimizer": ..., ...}.
      for (const auto& [key, value] : root.entries)
        if (key->is(Kind::string) && (key->text == "model" || key->text == "state_dict") && value->is(Kind::dict))
          return read_dict(*value);
    }
    return out;
  }

 private:
  struct Storage {
    TorchDType dtype;
    std::span<const std::byte> bytes;
  };

  std::map<std::string, PthTensor> read_dict(const PickleValue& dict) {
    std::map<std::string, PthTensor> out;
    for (const auto& [key, value] : dict.entries) {
      if (!key->is(Kind::string) || !is_tensor(*value)) continue;  // optimizer steps, metadata, ...
      out[key->text] = tensor(*value, key->text, 0);  // a repeated key: the last wins, as in Python
    }
    return out;
  }

  static bool is_tensor(const PickleValue& v) {
    return v.is(Kind::call) && (v.callable->is_global(kRebuildTensor) || v.callable->is_global(kRebuildParameter) ||
                                v.callable->is_global(kRebuildParameterWithState));
  }

  PthTensor tensor(const PickleValue& v, const std::string& name, int depth) {
    if (!is_tensor(v) || depth > 2)
      fail("{}: tensor {:?}: expected a tensor, found {}", file_, name, pickle_kind_name(v.kind));
    const auto& args = v.args->items;
    if (!v.callable->is_global(kRebuildTensor)) {
      // _rebuild_parameter(data, requires_grad, backward_hooks[, state]): an nn.Parameter around a tensor.
      if (args.size() < 3) fail("{}: tensor {:?}: {} needs at least 3 arguments", file_, name, v.callable->text);
      return tensor(*args[0], name, depth + 1);
    }
    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    if (args.size() != 6 && args.size() != 7)
      fail("{}: tensor {:?}: {} takes 6 or 7 arguments, got {}", file_, name, kRebuildTensor, args.size());
    PthTensor t;
    const Storage s = storage(*args[0], name);
    t.dtype = s.dtype;
    t.storage = s.bytes;
    t.offset = integer(*args[1], "storage offset", name);
    t.shape = integers(*args[2], "size", name);
    t.stride = integers(*args[3], "stride", name);
    if (!args[4]->is(Kind::boolean) && !args[4]->is(Kind::integer))
      fail("{}: tensor {:?}: requires_grad is {}, not a bool", file_, name, pickle_kind_name(args[4]->kind));
    check_extent(t, name);
    return t;
  }

  // The persistent id ('storage', torch.<T>Storage, key, location, numel).
  Storage storage(const PickleValue& pid, const std::string& name) {
    if (!pid.is(Kind::persistent_id) || !pid.args->is(Kind::tuple) || pid.args->items.size() != 5)
      fail("{}: tensor {:?}: storage is not a ('storage', type, key, location, numel) persistent id", file_, name);
    const auto& id = pid.args->items;
    if (!id[0]->is(Kind::string) || id[0]->text != "storage" || !id[1]->is(Kind::global) || !id[2]->is(Kind::string) ||
        !id[3]->is(Kind::string))
      fail("{}: tensor {:?}: storage is not a ('storage', type, key, location, numel) persistent id", file_, name);
    const std::string& key = id[2]->text;
    const int64_t numel = integer(*id[4], "storage size", name);

    const StorageType* type = nullptr;
    for (const StorageType& st : kStorageTypes)
      if (id[1]->text == st.global) type = &st;
    if (!type) fail("{}: tensor {:?}: {} is not a storage type", file_, name, id[1]->text);

    if (auto it = storages_.find(key); it != storages_.end()) {
      if (it->second.dtype != type->dtype)
        fail("{}: storage {:?} is used as both {} and {}", file_, key, torch_dtype_name(it->second.dtype),
             torch_dtype_name(type->dtype));
      if (size_t(numel) * torch_dtype_size(type->dtype) != it->second.bytes.size())
        fail("{}: storage {:?} is given two different sizes", file_, key);
      return it->second;
    }
    const std::span<const std::byte>* bytes = lookup_(key);
    if (!bytes) fail("{}: tensor {:?}: its storage {:?} has no data/{} entry in the archive", file_, name, key, key);
    const size_t elem = torch_dtype_size(type->dtype);
    if (size_t(numel) > bytes->size() / elem || size_t(numel) * elem != bytes->size())
      fail("{}: storage {:?} holds {} bytes, but the pickle says {} {} elements ({} bytes)", file_, key, bytes->size(),
           numel, torch_dtype_name(type->dtype), numel * int64_t(elem));
    return storages_[key] = Storage{type->dtype, *bytes};
  }

  int64_t integer(const PickleValue& v, const char* what, const std::string& name) {
    if (!v.is(Kind::integer)) fail("{}: tensor {:?}: {} is {}, not an integer", file_, name, what, pickle_kind_name(v.kind));
    if (v.integer < 0 || v.integer > kMaxElements)
      fail("{}: tensor {:?}: {} {} is out of range", file_, name, what, v.integer);
    return v.integer;
  }

  std::vector<int64_t> integers(const PickleValue& v, const char* what, const std::string& name) {
    if (!v.is(Kind::tuple)) fail("{}: tensor {:?}: {} is {}, not a tuple", file_, name, what, pickle_kind_name(v.kind));
    if (v.items.size() > kMaxRank) fail("{}: tensor {:?}: {} has {} dimensions", file_, name, what, v.items.size());
    std::vector<int64_t> out;
    for (const PickleValue* item : v.items) {
      const int64_t i = integer(*item, what, name);
      if (i > kMaxDim) fail("{}: tensor {:?}: {} entry {} is out of range", file_, name, what, i);
      out.push_back(i);
    }
    return out;
  }

  // Every element the view can reach must lie inside its storage.
  void check_extent(const PthTensor& t, const std::string& name) {
    if (t.shape.size() != t.stride.size())
      fail("{}: tensor {:?}: size [{}] and stride [{}] have different lengths", file_, name, fmt::join(t.shape, ", "),
           fmt::join(t.stride, ", "));
    const int64_t storage_numel = int64_t(t.storage.size() / torch_dtype_size(t.dtype));
    int64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d != 0 && numel > kMaxElements / d) fail("{}: tensor {:?}: size is impossibly large", file_, name);
      numel *= d;
    }
    // More elements than the storage holds means a broadcast or overlapping view
    // (stride 0): never a weight, and a copy of it could be far larger than the file.
    if (numel > storage_numel)
      fail("{}: tensor {:?}: size [{}] has {} elements but its storage only {} (an expanded or overlapping view)",
           file_, name, fmt::join(t.shape, ", "), numel, storage_numel);
    // Index of the last element reachable; all terms are < 2^80, so __int128 cannot overflow.
    __int128 last = t.offset;
    if (numel > 0)
      for (size_t i = 0; i < t.shape.size(); ++i) last += __int128(t.shape[i] - 1) * t.stride[i];
    if (numel == 0 ? t.offset > storage_numel : last >= storage_numel)
      fail("{}: tensor {:?}: storage offset {} with size [{}] and stride [{}] reaches past its storage of {} "
           "elements",
           file_, name, t.offset, fmt::join(t.shape, ", "), fmt::join(t.stride, ", "), storage_numel);
  }

  const StorageLookup& lookup_;
  const std::string& file_;
  std::map<std::string, Storage> storages_;
};

template <size_t N>
void copy_rows(std::byte* dst, std::span<const int64_t> dst_stride, const std::byte* src,
               std::span<const int64_t> src_stride, std::span<const int64_t> shape) {
  const size_t nd = shape.size();
  const int64_t inner = shape[nd - 1], ds = dst_stride[nd - 1], ss = src_stride[nd - 1];
  std::vector<int64_t> index(nd - 1, 0);
  while (true) {
    int64_t d = 0, s = 0;
    for (size_t i = 0; i + 1 < nd; ++i) {
      d += index[i] * dst_stride[i];
      s += index[i] * src_stride[i];
    }
    std::byte* out = dst + d * int64_t(N);
    const std::byte* in = src + s * int64_t(N);
    if (ds == 1 && ss == 1) {
      std::memcpy(out, in, size_t(inner) * N);
    } else {
      for (int64_t j = 0; j < inner; ++j) std::memcpy(out + j * ds * int64_t(N), in + j * ss * int64_t(N), N);
    }
    // Next row: an odometer over the outer dimensions.
    size_t k = nd - 1;
    while (k > 0 && ++index[k - 1] == shape[k - 1]) index[--k] = 0;
    if (k == 0) return;
  }
}

}  // namespace

size_t torch_dtype_size(TorchDType t) {
  switch (t) {
    case TorchDType::f64: case TorchDType::i64: return 8;
    case TorchDType::f32: case TorchDType::i32: return 4;
    case TorchDType::f16: case TorchDType::bf16: case TorchDType::i16: return 2;
    case TorchDType::i8: case TorchDType::u8: case TorchDType::boolean: return 1;
  }
  return 1;
}

std::string_view torch_dtype_name(TorchDType t) {
  switch (t) {
    case TorchDType::f64: return "float64";
    case TorchDType::f32: return "float32";
    case TorchDType::f16: return "float16";
    case TorchDType::bf16: return "bfloat16";
    case TorchDType::i64: return "int64";
    case TorchDType::i32: return "int32";
    case TorchDType::i16: return "int16";
    case TorchDType::i8: return "int8";
    case TorchDType::u8: return "uint8";
    case TorchDType::boolean: return "bool";
  }
  return "?";
}

bool runtime_dtype(TorchDType t, DType* out) {
  switch (t) {
    case TorchDType::f32: *out = DType::f32; return true;
    case TorchDType::f16: *out = DType::f16; return true;
    case TorchDType::bf16: *out = DType::bf16; return true;
    default: return false;
  }
}

int64_t PthTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool PthTensor::contiguous() const {
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 0) return true;
    if (shape[i] != 1 && stride[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

const std::set<std::string, std::less<>>& torch_pickle_globals() {
  static const std::set<std::string, std::less<>> globals = [] {
    std::set<std::string, std::less<>> g = {"collections.OrderedDict", kRebuildTensor, kRebuildParameter,
                                            kRebuildParameterWithState};
    for (const StorageType& st : kStorageTypes) g.insert(st.global);
    return g;
  }();
  return globals;
}

std::map<std::string, PthTensor> state_dict_from_pickle(const Pickle& pickle, const StorageLookup& storage,
                                                        const std::string& file) {
  return StateDictReader(storage, file).read(*pickle.root);
}

std::map<std::string, PthTensor> read_pth(std::span<const std::byte> bytes, const std::string& file) {
  if (!looks_like_zip(bytes)) {
    if (bytes.size() >= 2 && uint8_t(bytes[0]) == 0x80 && uint8_t(bytes[1]) <= 5)
      fail("{}: legacy torch.save format (a bare pickle, from torch < 1.6 or _use_new_zipfile_serialization=False) "
           "is not supported; re-save it with a current torch: torch.save(torch.load(f), f)",
           file);
    if (bytes.size() >= 262 && std::memcmp(bytes.data() + 257, "ustar", 5) == 0)
      fail("{}: legacy tar-based torch.save format is not supported; re-save it with a current torch", file);
    fail("{}: not a torch.save archive (no zip signature at the start)", file);
  }
  const ZipArchive zip = read_zip(bytes, file);

  // data.pkl sits in one top folder named after the file ("archive" in older torch).
  std::string pkl;
  for (const auto& [name, data] : zip.entries) {
    const bool top_level = name == "data.pkl" ||
                           (name.size() > 9 && name.ends_with("/data.pkl") && name.find('/') == name.size() - 9);
    if (!top_level) continue;
    if (!pkl.empty()) fail("{}: archive has two pickles, {:?} and {:?}; not a single torch.save file", file, pkl, name);
    pkl = name;
  }
  if (pkl.empty()) fail("{}: zip archive without a data.pkl entry: not a torch.save file", file);
  const std::string prefix = pkl.substr(0, pkl.size() - 8);

  if (const auto* order = zip.find(prefix + "byteorder")) {
    const std::string_view text(reinterpret_cast<const char*>(order->data()), order->size());
    if (text != "little") fail("{}: tensors are stored with byte order {:?}; only little-endian is supported", file, text);
  }

  const Pickle pickle = read_pickle(*zip.find(pkl), torch_pickle_globals(), file);
  return state_dict_from_pickle(
      pickle, [&](std::string_view key) { return zip.find(prefix + "data/" + std::string(key)); }, file);
}

std::vector<int64_t> row_major_strides(std::span<const int64_t> shape) {
  std::vector<int64_t> stride(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    stride[i] = s;
    s *= shape[i];
  }
  return stride;
}

void copy_strided(std::byte* dst, std::span<const int64_t> dst_stride, const std::byte* src,
                  std::span<const int64_t> src_stride, std::span<const int64_t> shape, size_t elem_size) {
  for (int64_t d : shape)
    if (d == 0) return;
  if (shape.empty()) {
    std::memcpy(dst, src, elem_size);
    return;
  }
  switch (elem_size) {
    case 1: return copy_rows<1>(dst, dst_stride, src, src_stride, shape);
    case 2: return copy_rows<2>(dst, dst_stride, src, src_stride, shape);
    case 4: return copy_rows<4>(dst, dst_stride, src, src_stride, shape);
    case 8: return copy_rows<8>(dst, dst_stride, src, src_stride, shape);
    default: fail_internal("copy_strided: element size {}", elem_size);
  }
}

Tensor checkpoint_tensor(const PthTensor& t, const std::string& name, const std::string& file, Checkpoint& ck) {
  Tensor out;
  if (!runtime_dtype(t.dtype, &out.dtype))
    fail("{}: tensor {:?} is {}; llamafast reads float32, float16 and bfloat16 weights", file, name,
         torch_dtype_name(t.dtype));
  out.shape = t.shape;
  out.nbytes = t.nbytes();
  out.origin = file;
  const size_t elem = torch_dtype_size(t.dtype);
  if (t.contiguous() && reinterpret_cast<uintptr_t>(t.data()) % elem == 0) {
    out.data = t.data();  // in place, in the mapping
    return out;
  }
  // A transposed or strided view, or data misaligned for its dtype: a row-major copy.
  std::unique_ptr<std::byte[]> buf(new std::byte[out.nbytes]);
  copy_strided(buf.get(), row_major_strides(t.shape), t.data(), t.stride, t.shape, elem);
  out.data = buf.get();
  ck.buffers.push_back(std::move(buf));
  return out;
}

}  // namespace llamafast
