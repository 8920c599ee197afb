// The .llf file: llamafast's deployable model (spec: docs/format.md).
//
//   [0, 64)                      Header (below), little-endian
//   [64, 64 + metadata_size)     metadata: UTF-8 JSON (config, tensor table,
//                                embedded files, provenance)
//   [data_offset, +data_size)    data: tensors and embedded files, each at a
//                                64-byte aligned offset from data_offset
//
// The header checksum covers header bytes [0, 56) and the metadata, so a
// damaged table is caught at load without reading the weights; the data
// checksum covers the whole data region and is checked by `llamafast verify`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace llamafast::llf {

inline constexpr char kMagic[8] = {'L', 'L', 'A', 'M', 'A', 'F', 'S', 'T'};
inline constexpr uint32_t kVersion = 1;  // the newest version this build reads and writes
inline constexpr uint64_t kAlign = 64;   // a cache line, and AVX-512's widest load

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t header_size;  // sizeof(Header): lets a later version grow it
  uint64_t metadata_offset;
  uint64_t metadata_size;
  uint64_t data_offset;
  uint64_t data_size;
  uint64_t data_checksum;    // XXH3-64 of the data region
  uint64_t header_checksum;  // XXH3-64 of bytes [0, 56) followed by the metadata
};
static_assert(sizeof(Header) == 64);

inline constexpr uint64_t align_up(uint64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

uint64_t header_checksum(const Header& h, std::string_view metadata);
uint64_t data_checksum(const void* data, size_t n);

}  // namespace llamafast::llf
