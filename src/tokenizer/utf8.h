// UTF-8 helpers shared by the tokenizers and the streaming detokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace llamafast {

// Length of the UTF-8 sequence that starts with byte `lead` (1 for a stray
// continuation or invalid byte, so a scan always makes progress).
inline size_t utf8_sequence_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xe0) == 0xc0) return 2;
  if ((lead & 0xf0) == 0xe0) return 3;
  if ((lead & 0xf8) == 0xf0) return 4;
  return 1;
}

// Length of the character at s[i], clipped to the end of s.
inline size_t utf8_char_length(std::string_view s, size_t i) {
  const size_t n = utf8_sequence_length(uint8_t(s[i]));
  return n <= s.size() - i ? n : s.size() - i;
}

}  // namespace llamafast
