// GPT-2's "byte-level" alphabet, used by Hugging Face ByteLevel pre-tokenizers and
// decoders: every byte value stands for one printable Unicode character, so that
// vocabularies of raw bytes can be stored as JSON text. Printable Latin-1 bytes
// ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves; the other 68 bytes map, in
// increasing order, to U+0100, U+0101, … (so ' ' is 'Ġ' U+0120, '\n' is 'Ċ' U+010A).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llamafast {

// The character that stands for byte `b`.
uint32_t byte_level_char(uint8_t b);

// `bytes` spelled in the byte-level alphabet (UTF-8).
std::string byte_level_encode(std::string_view bytes);

// The bytes that byte-level text `text` spells; nullopt when `text` holds a
// character outside the alphabet or is not valid UTF-8.
std::optional<std::string> byte_level_decode(std::string_view text);

// Appends code point `cp` to `out` as UTF-8.
void append_utf8(std::string& out, uint32_t cp);

}  // namespace llamafast
