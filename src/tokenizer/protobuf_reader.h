// A tiny reader for the protobuf wire format (enough for SentencePiece's
// ModelProto): a message is a sequence of fields, each a varint key
// (field_number << 3 | wire_type) followed by a value:
//   wire type 0 varint, 1 fixed 8 bytes, 2 length-delimited bytes, 5 fixed 4 bytes
// (3 and 4, the deprecated groups, are refused). Every read is bounds-checked;
// corrupt input fails with "<file>: corrupt protobuf: ..." naming the message,
// the field and the byte offset in the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace llamafast {

enum class WireType : uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

class ProtoReader {
 public:
  // `file` names the input in errors; `message` names the message being read
  // ("ModelProto"); `base_offset` is where `bytes` starts in the file.
  ProtoReader(std::span<const std::byte> bytes, std::string_view file, std::string_view message,
              size_t base_offset = 0);

  // Reads the next field's key; false at the end of the message. After it,
  // read exactly one value with a read_* call or skip() it.
  bool next();
  uint32_t field() const { return field_; }
  WireType wire_type() const { return wire_type_; }

  // Values of the current field; each checks the wire type first.
  uint64_t read_varint();
  // int32/enum fields: negative values are sign-extended to 10 bytes on the wire.
  int32_t read_int32();
  bool read_bool();
  float read_float();
  std::string_view read_bytes();  // bytes and string fields; a view into the input
  ProtoReader read_message(std::string_view message);
  void skip();

  // Fails with the message, field and offset of the current field.
  [[noreturn]] void fail_field(std::string_view problem) const;

 private:
  uint64_t take_varint(std::string_view what);
  std::span<const std::byte> take(size_t n, std::string_view what);
  void expect(WireType type) const;

  std::span<const std::byte> bytes_;
  std::string_view file_;
  std::string message_;
  size_t base_;
  size_t pos_ = 0;
  size_t field_start_ = 0;
  uint32_t field_ = 0;
  WireType wire_type_ = WireType::varint;
};

}  // namespace llamafast
