// Checksums of the .llf format, with xxHash's XXH3: tens of GB/s, so verifying
// a whole model costs about as much as reading it.
#include <xxhash.h>

#include <cstring>

#include "io/llf_format.h"

namespace llamafast::llf {

uint64_t header_checksum(const Header& h, std::string_view metadata) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, &h, offsetof(Header, header_checksum));
  XXH3_64bits_update(state, metadata.data(), metadata.size());
  const uint64_t sum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return sum;
}

uint64_t data_checksum(const void* data, size_t n) { return XXH3_64bits(data, n); }

}  // namespace llamafast::llf
