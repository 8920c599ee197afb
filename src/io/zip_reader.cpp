// Zip layout (APPNOTE.TXT): local header + data per entry, then the central
// directory (one record per entry), then the end-of-central-directory record
// (EOCD). Archives over 4 GiB or 65535 entries add a ZIP64 EOCD record, a
// locator just before the EOCD, and ZIP64 "extended information" extra fields
// that carry the 64-bit sizes and offsets saturated in the 32-bit fields.
#include "io/zip_reader.h"

#include <cstdint>
#include <cstring>

#include "common/error.h"
#include "io/mapped_file.h"

namespace llamafast {

namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralEntrySig = 0x02014b50;
constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint16_t kZip64ExtraId = 0x0001;

constexpr size_t kEocdSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EocdSize = 56;
constexpr size_t kCentralEntrySize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kMaxComment = 0xffff;

uint16_t le16(const std::byte* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
uint32_t le32(const std::byte* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

struct Directory {
  uint64_t entries = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
  uint64_t end_limit = 0;  // the directory must end before this offset (the EOCD records)
};

// Finds the EOCD (and the ZIP64 records when present) and returns where the
// central directory is.
Directory find_directory(std::span<const std::byte> bytes, const std::string& file) {
  if (bytes.size() < kEocdSize)
    fail("{}: {} bytes is too small to be a zip archive (truncated?)", file, bytes.size());
  // The EOCD is the last record; only a comment (at most 64 KiB) may follow it.
  const size_t last = bytes.size() - kEocdSize;
  const size_t first = last > kMaxComment ? last - kMaxComment : 0;
  size_t eocd = SIZE_MAX;
  for (size_t pos = last + 1; pos-- > first;) {
    if (le32(bytes.data() + pos) == kEocdSig && pos + kEocdSize + le16(bytes.data() + pos + 20) == bytes.size()) {
      eocd = pos;
      break;
    }
  }
  if (eocd == SIZE_MAX)
    fail("{}: no zip end-of-central-directory record in the last 64 KiB (truncated, or not a zip archive)", file);

  ByteReader in(bytes.subspan(eocd), file);
  in.skip(4, "EOCD signature");
  const uint16_t disk = in.read<uint16_t>("EOCD disk number");
  const uint16_t cd_disk = in.read<uint16_t>("EOCD central directory disk");
  const uint16_t disk_entries = in.read<uint16_t>("EOCD entries on this disk");
  Directory d;
  d.entries = in.read<uint16_t>("EOCD entry count");
  d.size = in.read<uint32_t>("EOCD central directory size");
  d.offset = in.read<uint32_t>("EOCD central directory offset");
  d.end_limit = eocd;

  if (eocd >= kZip64LocatorSize && le32(bytes.data() + eocd - kZip64LocatorSize) == kZip64LocatorSig) {
    const size_t locator = eocd - kZip64LocatorSize;
    ByteReader loc(bytes.subspan(locator), file);
    loc.skip(4, "ZIP64 locator signature");
    const uint32_t zip64_disk = loc.read<uint32_t>("ZIP64 locator disk");
    const uint64_t record = loc.read<uint64_t>("ZIP64 EOCD offset");
    const uint32_t disks = loc.read<uint32_t>("ZIP64 locator disk count");
    if (zip64_disk != 0 || disks > 1) fail("{}: multi-disk zip archives are not supported", file);
    if (record > locator || locator - record < kZip64EocdSize)
      fail("{}: ZIP64 end-of-central-directory offset {} is outside the file", file, record);
    ByteReader z(bytes.subspan(size_t(record), locator - size_t(record)), file);
    if (z.read<uint32_t>("ZIP64 EOCD signature") != kZip64EocdSig)
      fail("{}: bad ZIP64 end-of-central-directory signature at offset {}", file, record);
    z.skip(8 + 2 + 2, "ZIP64 EOCD record size and versions");
    const uint32_t z_disk = z.read<uint32_t>("ZIP64 EOCD disk number");
    const uint32_t z_cd_disk = z.read<uint32_t>("ZIP64 EOCD central directory disk");
    const uint64_t z_disk_entries = z.read<uint64_t>("ZIP64 EOCD entries on this disk");
    d.entries = z.read<uint64_t>("ZIP64 EOCD entry count");
    d.size = z.read<uint64_t>("ZIP64 EOCD central directory size");
    d.offset = z.read<uint64_t>("ZIP64 EOCD central directory offset");
    d.end_limit = size_t(record);
    if (z_disk != 0 || z_cd_disk != 0 || z_disk_entries != d.entries)
      fail("{}: multi-disk zip archives are not supported", file);
  } else if (disk != 0 || cd_disk != 0 || disk_entries != d.entries) {
    fail("{}: multi-disk zip archives are not supported", file);
  }

  if (d.offset > d.end_limit || d.size > d.end_limit - d.offset)
    fail("{}: zip central directory (offset {}, {} bytes) runs past its end record at offset {}", file, d.offset,
         d.size, d.end_limit);
  if (d.entries > d.size / kCentralEntrySize)
    fail("{}: zip central directory claims {} entries but holds only {} bytes", file, d.entries, d.size);
  return d;
}

// Replaces the saturated 32-bit fields from a ZIP64 extended-information extra field.
void apply_zip64_extra(std::span<const std::byte> extra, uint64_t& size, uint64_t& csize, uint64_t& offset,
                       const std::string& file, std::string_view name) {
  ByteReader in(extra, file);
  while (in.remaining() >= 4) {
    const uint16_t id = in.read<uint16_t>("zip extra field id");
    const uint16_t len = in.read<uint16_t>("zip extra field size");
    if (len > in.remaining())
      fail("{}: zip entry {:?}: extra field 0x{:04x} of {} bytes runs past the entry's extra data", file, name, id,
           len);
    ByteReader field(std::span(in.skip(len, "zip extra field"), len), file);
    if (id != kZip64ExtraId) continue;
    // Only the fields whose 32-bit value is saturated are present, in this order.
    const auto take = [&](uint64_t& v, const char* what) {
      if (v == 0xffffffffu) {
        if (field.remaining() < 8) fail("{}: zip entry {:?}: ZIP64 extra field lacks the {}", file, name, what);
        v = field.read<uint64_t>(what);
      }
    };
    take(size, "uncompressed size");
    take(csize, "compressed size");
    take(offset, "local header offset");
  }
}

}  // namespace

bool looks_like_zip(std::span<const std::byte> bytes) {
  return bytes.size() >= 4 && le32(bytes.data()) == kLocalHeaderSig;
}

ZipArchive read_zip(std::span<const std::byte> bytes, const std::string& file) {
  const Directory dir = find_directory(bytes, file);
  ZipArchive zip;
  zip.file = file;
  ByteReader in(bytes.subspan(size_t(dir.offset), size_t(dir.size)), file);
  for (uint64_t i = 0; i < dir.entries; ++i) {
    if (in.read<uint32_t>("central directory signature") != kCentralEntrySig)
      fail("{}: zip central directory entry {} (offset {}) has a bad signature", file, i, dir.offset + in.offset() - 4);
    in.skip(4, "central directory versions");
    const uint16_t flags = in.read<uint16_t>("central directory flags");
    const uint16_t method = in.read<uint16_t>("central directory compression method");
    in.skip(4 + 4, "central directory time, date and CRC");
    uint64_t csize = in.read<uint32_t>("central directory compressed size");
    uint64_t size = in.read<uint32_t>("central directory uncompressed size");
    const uint16_t name_len = in.read<uint16_t>("central directory name length");
    const uint16_t extra_len = in.read<uint16_t>("central directory extra length");
    const uint16_t comment_len = in.read<uint16_t>("central directory comment length");
    const uint16_t disk = in.read<uint16_t>("central directory disk number");
    in.skip(2 + 4, "central directory attributes");
    uint64_t offset = in.read<uint32_t>("central directory local header offset");
    const std::string name(in.take(name_len, "central directory entry name"));
    const std::span<const std::byte> extra(in.skip(extra_len, "central directory extra field"), extra_len);
    in.skip(comment_len, "central directory entry comment");
    apply_zip64_extra(extra, size, csize, offset, file, name);

    if (name.empty()) fail("{}: zip central directory entry {} has an empty name", file, i);
    if (disk != 0 && disk != 0xffff) fail("{}: zip entry {:?} is on disk {}; multi-disk archives are not supported", file, name, disk);
    if (flags & 0x0041) fail("{}: zip entry {:?} is encrypted", file, name);
    if (method != 0)
      fail("{}: zip entry {:?} is compressed (method {}); torch.save writes stored entries, re-save the file "
           "without compression",
           file, name, method);
    if (csize != size)
      fail("{}: zip entry {:?} is stored but its sizes differ ({} compressed, {} uncompressed)", file, name, csize,
           size);

    // The local header repeats the name and may carry its own extra field (torch
    // pads it there so tensor data starts 64-byte aligned).
    if (offset > bytes.size() || bytes.size() - offset < kLocalHeaderSize)
      fail("{}: zip entry {:?}: local header offset {} is outside the file ({} bytes)", file, name, offset,
           bytes.size());
    const std::byte* local = bytes.data() + offset;
    if (le32(local) != kLocalHeaderSig)
      fail("{}: zip entry {:?}: bad local header signature at offset {}", file, name, offset);
    if (le16(local + 8) != method) fail("{}: zip entry {:?}: local header disagrees on the compression method", file, name);
    const uint64_t local_name_len = le16(local + 26), local_extra_len = le16(local + 28);
    const uint64_t data_begin = offset + kLocalHeaderSize + local_name_len + local_extra_len;
    if (data_begin > dir.offset || size > dir.offset - data_begin)
      fail("{}: zip entry {:?}: data (offset {}, {} bytes) runs into the central directory at offset {}", file, name,
           data_begin, size, dir.offset);
    if (local_name_len != name.size() || std::memcmp(local + kLocalHeaderSize, name.data(), name.size()) != 0)
      fail("{}: zip entry {:?}: local header names a different file", file, name);

    const std::span<const std::byte> data(bytes.data() + data_begin, size_t(size));
    if (!zip.entries.emplace(name, data).second) fail("{}: zip archive has two entries named {:?}", file, name);
  }
  return zip;
}

}  // namespace llamafast
