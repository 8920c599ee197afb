// `llamafast inspect` and `llamafast verify`.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "io/llf_reader.h"
#include "io/mapped_file.h"
#include "llamafast/export.h"
#include "model/checkpoint.h"

namespace llamafast {

using nlohmann::json;

Result<std::string> describe_llf(const std::string& path) {
  std::string out;
  Status st = catch_status([&] {
    const MappedFile file = MappedFile::open(path);
    parse_llf(file.bytes(), path);  // the whole table, checked as a load would
    const llf::Contents c = llf::parse_contents(file.bytes(), path);
    const json& m = c.metadata;
    out += fmt::format("file: {}\nformat version: {}\nsize: {} bytes (metadata {}, data {} at offset {})\n", path,
                       c.header.version, file.size(), c.header.metadata_size, c.header.data_size,
                       c.header.data_offset);
    out += fmt::format("data checksum (xxh3-64): {:016x}\n", c.header.data_checksum);
    out += "config: " + m["config"].dump() + "\n";
    if (m.contains("provenance")) out += "provenance: " + m["provenance"].dump() + "\n";
    if (m.contains("tokenizer")) {
      const json& t = m["tokenizer"];
      std::vector<std::string> names;
      for (const json& f : t["files"]) names.push_back(fmt::format("{} ({} bytes)", f["name"].get<std::string>(),
                                                                   f["nbytes"].get<uint64_t>()));
      out += fmt::format("tokenizer: {} from {}; files: {}\n", t["kind"].get<std::string>(),
                         t["main"].get<std::string>(), fmt::join(names, ", "));
    }
    out += fmt::format("tensors: {}\n", m["tensors"].size());
    out += fmt::format("{:<40} {:<6} {:>14} {:>12} {:>12}  {}\n", "name", "dtype", "shape", "offset", "bytes",
                       "quantization");
    for (const json& t : m["tensors"]) {
      std::string quant;
      if (t.contains("group")) {
        quant = fmt::format("group {}, {} scales ({} bytes at {}){}", t["group"].get<int>(),
                            t["scales"]["dtype"].get<std::string>(), t["scales"]["nbytes"].get<uint64_t>(),
                            t["scales"]["offset"].get<uint64_t>(),
                            t.value("int8_activations", false) ? ", int8 activations" : "");
      } else if (t.value("bf16_activations", false)) {
        quant = "bf16 activations";
      }
      out += fmt::format("{:<40} {:<6} {:>14} {:>12} {:>12}  {}\n", t["name"].get<std::string>(),
                         t["dtype"].get<std::string>(),
                         fmt::format("[{}]", fmt::join(t["shape"].get<std::vector<int64_t>>(), ", ")),
                         t["offset"].get<uint64_t>(), t["nbytes"].get<uint64_t>(), quant);
    }
  });
  if (!st.ok()) return st;
  return out;
}

Status verify_llf(const std::string& path) {
  return catch_status([&] {
    const MappedFile file = MappedFile::open(path);
    parse_llf(file.bytes(), path);
    const llf::Contents c = llf::parse_contents(file.bytes(), path);
    if (llf::data_checksum(c.data.data(), c.data.size()) != c.header.data_checksum)
      fail("{}: data checksum mismatch: the weights are damaged", path);
  });
}

}  // namespace llamafast
