// Zip archives as torch.save writes them: stored (uncompressed) entries,
// ZIP64 records for large files. Entry data is returned as spans into the
// caller's bytes (normally a memory mapping), never copied.
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace llamafast {

struct ZipArchive {
  std::string file;  // names the archive in error messages
  std::map<std::string, std::span<const std::byte>, std::less<>> entries;  // name -> stored bytes

  // The entry's bytes, or null when there is no such entry.
  const std::span<const std::byte>* find(std::string_view name) const {
    auto it = entries.find(name);
    return it == entries.end() ? nullptr : &it->second;
  }
};

// True when `bytes` starts like a zip archive (a local file header, "PK\3\4").
bool looks_like_zip(std::span<const std::byte> bytes);

// Reads the central directory of the zip archive held in `bytes` and checks every
// entry: name, local header, and data range inside the file. Compressed, encrypted
// or multi-disk archives, duplicate names and any offset or size outside the file
// are errors naming `file` and the field. `bytes` must outlive the result.
ZipArchive read_zip(std::span<const std::byte> bytes, const std::string& file);

}  // namespace llamafast
