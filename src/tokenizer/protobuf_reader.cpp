#include "tokenizer/protobuf_reader.h"

#include <cstring>

#include "common/error.h"

namespace llamafast {

namespace {

const char* wire_type_name(WireType t) {
  switch (t) {
    case WireType::varint: return "varint";
    case WireType::fixed64: return "fixed64";
    case WireType::length_delimited: return "length-delimited";
    case WireType::fixed32: return "fixed32";
  }
  return "unknown";
}

}  // namespace

ProtoReader::ProtoReader(std::span<const std::byte> bytes, std::string_view file, std::string_view message,
                         size_t base_offset)
    : bytes_(bytes), file_(file), message_(message), base_(base_offset) {}

bool ProtoReader::next() {
  if (pos_ == bytes_.size()) return false;
  field_start_ = pos_;
  const uint64_t key = take_varint("field key");
  const uint64_t number = key >> 3;
  const unsigned type = unsigned(key & 7);
  if (number == 0 || number > 0x1fffffff)
    fail("{}: corrupt protobuf: invalid field number {} in {} at offset {}", file_, number, message_,
         base_ + field_start_);
  if (type != 0 && type != 1 && type != 2 && type != 5)
    fail("{}: corrupt protobuf: unsupported wire type {} for field {} of {} at offset {}", file_, type, number,
         message_, base_ + field_start_);
  field_ = uint32_t(number);
  wire_type_ = WireType(type);
  return true;
}

void ProtoReader::fail_field(std::string_view problem) const {
  fail("{}: corrupt protobuf: field {} of {} at offset {}: {}", file_, field_, message_, base_ + field_start_,
       problem);
}

void ProtoReader::expect(WireType type) const {
  if (wire_type_ != type)
    fail_field(fmt::format("has wire type {}, expected {}", wire_type_name(wire_type_), wire_type_name(type)));
}

uint64_t ProtoReader::take_varint(std::string_view what) {
  uint64_t value = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ == bytes_.size())
      fail("{}: corrupt protobuf: truncated {} in {} at offset {}", file_, what, message_, base_ + pos_);
    const uint8_t b = uint8_t(bytes_[pos_++]);
    // The tenth byte holds only bit 63.
    if (i == 9 && b > 1)
      fail("{}: corrupt protobuf: varint longer than 64 bits ({}) in {} at offset {}", file_, what, message_,
           base_ + pos_ - 1);
    value |= uint64_t(b & 0x7f) << (7 * i);
    if (b < 0x80) return value;
  }
  fail("{}: corrupt protobuf: unterminated varint ({}) in {} at offset {}", file_, what, message_, base_ + pos_);
}

std::span<const std::byte> ProtoReader::take(size_t n, std::string_view what) {
  if (n > bytes_.size() - pos_)
    fail("{}: corrupt protobuf: field {} of {} at offset {}: {} needs {} bytes, only {} left in the message", file_,
         field_, message_, base_ + field_start_, what, n, bytes_.size() - pos_);
  const auto out = bytes_.subspan(pos_, n);
  pos_ += n;
  return out;
}

uint64_t ProtoReader::read_varint() {
  expect(WireType::varint);
  return take_varint("varint value");
}

int32_t ProtoReader::read_int32() {
  const auto v = int64_t(read_varint());
  if (v < INT32_MIN || v > INT32_MAX) fail_field(fmt::format("value {} does not fit in int32", v));
  return int32_t(v);
}

bool ProtoReader::read_bool() { return read_varint() != 0; }

float ProtoReader::read_float() {
  expect(WireType::fixed32);
  float v;
  std::memcpy(&v, take(4, "float").data(), 4);  // little-endian on every target llamafast supports
  return v;
}

std::string_view ProtoReader::read_bytes() {
  expect(WireType::length_delimited);
  const uint64_t n = take_varint("length");
  if (n > bytes_.size() - pos_)
    fail_field(fmt::format("length {} runs past the end of the message ({} bytes left)", n, bytes_.size() - pos_));
  const auto s = take(size_t(n), "bytes");
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

ProtoReader ProtoReader::read_message(std::string_view message) {
  const std::string_view body = read_bytes();
  const size_t offset = size_t(reinterpret_cast<const std::byte*>(body.data()) - bytes_.data());
  return ProtoReader(std::span<const std::byte>(reinterpret_cast<const std::byte*>(body.data()), body.size()),
                     file_, message, base_ + offset);
}

void ProtoReader::skip() {
  switch (wire_type_) {
    case WireType::varint: take_varint("varint value"); break;
    case WireType::fixed64: take(8, "fixed64 value"); break;
    case WireType::fixed32: take(4, "fixed32 value"); break;
    case WireType::length_delimited: read_bytes(); break;
  }
}

}  // namespace llamafast
