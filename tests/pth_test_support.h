// Builders for hand-made torch.save archives: a stored-zip writer and a pickle
// writer that emits the opcodes torch.save uses for a state dict. The tests use
// them to make well-formed and deliberately broken .pth files byte by byte
// (nothing here runs Python or pickles a real object).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace llamafast::test {

inline void put16(std::string& s, uint16_t v) { s.append(reinterpret_cast<const char*>(&v), 2); }
inline void put32(std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
inline void put64(std::string& s, uint64_t v) { s.append(reinterpret_cast<const char*>(&v), 8); }

struct ZipEntrySpec {
  std::string name;
  std::string data;
  uint16_t method = 0;      // 0: stored; 8: deflate (only the header says so)
  size_t local_extra = 0;   // padding bytes in the local header's extra field (moves the data)
};

// A zip archive of stored entries; with `zip64`, sizes and offsets go in ZIP64
// extra fields and the end records are the ZIP64 ones (as torch writes).
inline std::string make_zip(const std::vector<ZipEntrySpec>& entries, bool zip64 = false) {
  std::string out, cd;
  for (const ZipEntrySpec& e : entries) {
    const uint32_t offset = uint32_t(out.size());
    put32(out, 0x04034b50);
    put16(out, 20);
    put16(out, 0);         // flags
    put16(out, e.method);
    put32(out, 0);         // time, date
    put32(out, 0);         // crc (not checked by the reader)
    put32(out, uint32_t(e.data.size()));
    put32(out, uint32_t(e.data.size()));
    put16(out, uint16_t(e.name.size()));
    put16(out, uint16_t(e.local_extra ? e.local_extra + 4 : 0));
    out += e.name;
    if (e.local_extra) {
      put16(out, 0x4246);  // "FB": torch's padding field
      put16(out, uint16_t(e.local_extra));
      out.append(e.local_extra, 'Z');
    }
    out += e.data;

    std::string extra;
    if (zip64) {
      put16(extra, 0x0001);
      put16(extra, 24);
      put64(extra, e.data.size());
      put64(extra, e.data.size());
      put64(extra, offset);
    }
    put32(cd, 0x02014b50);
    put16(cd, 20);
    put16(cd, zip64 ? 45 : 20);
    put16(cd, 0);
    put16(cd, e.method);
    put32(cd, 0);
    put32(cd, 0);
    put32(cd, zip64 ? 0xffffffffu : uint32_t(e.data.size()));
    put32(cd, zip64 ? 0xffffffffu : uint32_t(e.data.size()));
    put16(cd, uint16_t(e.name.size()));
    put16(cd, uint16_t(extra.size()));
    put16(cd, 0);  // comment
    put16(cd, 0);  // disk
    put16(cd, 0);  // internal attributes
    put32(cd, 0);  // external attributes
    put32(cd, zip64 ? 0xffffffffu : offset);
    cd += e.name;
    cd += extra;
  }
  const uint64_t cd_offset = out.size();
  out += cd;
  if (zip64) {
    const uint64_t record = out.size();
    put32(out, 0x06064b50);
    put64(out, 44);
    put16(out, 45);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, entries.size());
    put64(out, entries.size());
    put64(out, cd.size());
    put64(out, cd_offset);
    put32(out, 0x07064b50);
    put32(out, 0);
    put64(out, record);
    put32(out, 1);
  }
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, zip64 ? 0xffff : uint16_t(entries.size()));
  put16(out, zip64 ? 0xffff : uint16_t(entries.size()));
  put32(out, zip64 ? 0xffffffffu : uint32_t(cd.size()));
  put32(out, zip64 ? 0xffffffffu : uint32_t(cd_offset));
  put16(out, 0);
  return out;
}

// Pickle opcodes, written one call at a time.
class PickleWriter {
 public:
  PickleWriter& proto(uint8_t v = 2) { return op('\x80').byte(v); }
  PickleWriter& op(char c) {
    bytes_ += c;
    return *this;
  }
  PickleWriter& byte(uint8_t v) {
    bytes_ += char(v);
    return *this;
  }
  PickleWriter& u32(uint32_t v) {
    put32(bytes_, v);
    return *this;
  }
  PickleWriter& str(const std::string& s) {  // BINUNICODE
    op('X');
    put32(bytes_, uint32_t(s.size()));
    bytes_ += s;
    return *this;
  }
  PickleWriter& integer(int32_t v) {  // BININT
    op('J');
    put32(bytes_, uint32_t(v));
    return *this;
  }
  PickleWriter& global(const std::string& module, const std::string& name) {
    bytes_ += 'c' + module + '\n' + name + '\n';
    return *this;
  }
  PickleWriter& ints(const std::vector<int64_t>& v) {  // a tuple of ints
    op('(');
    for (int64_t i : v) integer(int32_t(i));
    return op('t');
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

struct TensorSpec {
  std::string name;
  std::string key;                      // storage key: archive entry data/<key>
  int64_t storage_numel = 0;
  std::vector<int64_t> size, stride;
  int64_t offset = 0;
  std::string storage_type = "FloatStorage";
};

// _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())
inline void write_tensor(PickleWriter& w, const TensorSpec& t) {
  w.global("torch._utils", "_rebuild_tensor_v2").op('(');
  w.op('(').str("storage").global("torch", t.storage_type).str(t.key).str("cpu").integer(int32_t(t.storage_numel));
  w.op('t').op('Q');
  w.integer(int32_t(t.offset)).ints(t.size).ints(t.stride).op('\x89');
  w.global("collections", "OrderedDict").op(')').op('R');
  w.op('t').op('R');
}

// The data.pkl of a state dict {name: tensor}.
inline std::string state_dict_pickle(const std::vector<TensorSpec>& tensors) {
  PickleWriter w;
  w.proto().op('}').op('(');
  for (const TensorSpec& t : tensors) {
    w.str(t.name);
    write_tensor(w, t);
  }
  w.op('u').op('.');
  return w.bytes();
}

inline std::string floats_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// A torch.save-style archive: <top>/data.pkl, <top>/data/<key> for each storage, <top>/version.
inline std::string make_pth(const std::string& pickle, const std::vector<std::pair<std::string, std::string>>& storages,
                            const std::string& top = "archive", size_t data_padding = 0) {
  std::vector<ZipEntrySpec> entries = {{top + "/data.pkl", pickle}};
  for (const auto& [key, data] : storages) entries.push_back({top + "/data/" + key, data, 0, data_padding});
  entries.push_back({top + "/version", "3\n"});
  return make_zip(entries, true);
}

}  // namespace llamafast::test
