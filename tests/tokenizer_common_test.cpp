// Pieces shared by the tokenizers: the protobuf wire-format reader and the BPE
// merge loop.
#include <cstring>
#include <map>

#include "common/error.h"
#include "test_support.h"
#include "tokenizer/bpe_merge.h"
#include "tokenizer/protobuf_reader.h"

namespace llamafast {
namespace {

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

// The message of the llamafast::Error that f throws ("" when it does not throw).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), StatusCode::invalid_input) << e.what();
    return e.what();
  }
  return "";
}

// ------------------------------------------------------------------ ProtoReader

TEST(ProtoReader, ReadsEveryWireTypeAndNestedMessages) {
  // field 1 varint 150; field 2 int32 -2 (ten bytes); field 3 float 1.5; field 4
  // bytes "hi"; field 5 message {1: 7}; field 6 fixed64 (skipped).
  std::string msg = "\x08\x96\x01";
  msg += "\x10\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01";
  const float f = 1.5f;
  msg += "\x1d";
  msg.append(reinterpret_cast<const char*>(&f), 4);
  msg += "\x22\x02hi";
  msg += "\x2a\x02\x08\x07";
  msg += "\x31" + std::string(8, '\x01');

  ProtoReader in(bytes_of(msg), "test.bin", "Test");
  ASSERT_TRUE(in.next());
  EXPECT_EQ(in.field(), 1u);
  EXPECT_EQ(in.read_varint(), 150u);
  ASSERT_TRUE(in.next());
  EXPECT_EQ(in.read_int32(), -2);
  ASSERT_TRUE(in.next());
  EXPECT_EQ(in.wire_type(), WireType::fixed32);
  EXPECT_EQ(in.read_float(), 1.5f);
  ASSERT_TRUE(in.next());
  EXPECT_EQ(in.read_bytes(), "hi");
  ASSERT_TRUE(in.next());
  ProtoReader inner = in.read_message("Inner");
  ASSERT_TRUE(inner.next());
  EXPECT_EQ(inner.field(), 1u);
  EXPECT_EQ(inner.read_varint(), 7u);
  EXPECT_FALSE(inner.next());
  ASSERT_TRUE(in.next());
  EXPECT_EQ(in.field(), 6u);
  in.skip();
  EXPECT_FALSE(in.next());
}

TEST(ProtoReader, ErrorsNameTheFileTheMessageTheFieldAndTheFileOffset) {
  // A nested message whose field 2 (at file offset 4) is a varint read as a float.
  const std::string msg = std::string("\x08\x01") + "\x12\x02\x10\x05";
  ProtoReader in(bytes_of(msg), "model.bin", "Outer");
  ASSERT_TRUE(in.next());
  in.skip();
  ASSERT_TRUE(in.next());
  ProtoReader inner = in.read_message("Inner");
  ASSERT_TRUE(inner.next());
  const std::string message = error_of([&] { inner.read_float(); });
  EXPECT_NE(message.find("model.bin"), std::string::npos) << message;
  EXPECT_NE(message.find("field 2 of Inner"), std::string::npos) << message;
  EXPECT_NE(message.find("offset 4"), std::string::npos) << message;
  EXPECT_NE(message.find("expected fixed32"), std::string::npos) << message;
}

TEST(ProtoReader, RejectsMalformedInputWithoutReadingPastTheEnd) {
  const struct {
    std::string bytes;
    const char* message;
  } cases[] = {
      {"\x08", "truncated varint value"},
      {"\x08\x80\x80", "truncated varint value"},
      {"\x08" + std::string(10, '\x80') + "\x01", "varint longer than 64 bits"},
      {"\x12\x05" "abc", "runs past the end"},
      {"\x12\xff\xff\xff\xff\xff\xff\xff\xff\x7f", "runs past the end"},
      {"\x15\x01\x02", "needs 4 bytes"},
      {"\x11\x01\x02", "needs 8 bytes"},
      {"\x0b", "wire type 3"},
      {"\x0e", "wire type 6"},
      {std::string("\x00", 1), "invalid field number 0"},
  };
  for (const auto& c : cases) {
    const std::string message = error_of([&] {
      ProtoReader in(bytes_of(c.bytes), "f", "M");
      while (in.next()) in.skip();
    });
    EXPECT_NE(message.find(c.message), std::string::npos) << "want \"" << c.message << "\", got \"" << message << "\"";
  }
}

TEST(ProtoReader, Int32RejectsValuesOutOfRange) {
  const std::string msg = "\x08\x80\x80\x80\x80\x10";  // 1 << 32
  ProtoReader in(bytes_of(msg), "f", "M");
  ASSERT_TRUE(in.next());
  EXPECT_NE(error_of([&] { in.read_int32(); }).find("does not fit in int32"), std::string::npos);
}

// ------------------------------------------------------------------ bpe_merge

std::vector<std::string> pieces_of(std::string_view text, const std::vector<Span>& spans) {
  std::vector<std::string> out;
  for (const Span& s : spans) out.emplace_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

std::vector<uint32_t> every_byte(std::string_view text) {
  std::vector<uint32_t> starts(text.size());
  for (size_t i = 0; i < text.size(); ++i) starts[i] = uint32_t(i);
  return starts;
}

TEST(BpeMerge, MergesTheBestScoringPairFirstAndBreaksTiesLeftmost) {
  const std::map<std::string, float, std::less<>> vocab = {{"ab", 1}, {"bc", 2}, {"aa", 0}, {"abc", 0}};
  const MergeScore score = [&](std::string_view p) -> std::optional<float> {
    const auto it = vocab.find(p);
    return it == vocab.end() ? std::nullopt : std::optional<float>(it->second);
  };
  // "bc" (2) outranks "ab" (1): a + bc, then "abc" is a piece too.
  EXPECT_EQ(pieces_of("abc", bpe_merge("abc", every_byte("abc"), score)), (std::vector<std::string>{"abc"}));
  // Equal scores: the leftmost pair merges first: (aa)(aa) rather than a(aa)a.
  EXPECT_EQ(pieces_of("aaaa", bpe_merge("aaaa", every_byte("aaaa"), score)), (std::vector<std::string>{"aa", "aa"}));
  EXPECT_EQ(pieces_of("aaa", bpe_merge("aaa", every_byte("aaa"), score)), (std::vector<std::string>{"aa", "a"}));
  EXPECT_TRUE(bpe_merge("", {}, score).empty());
  EXPECT_EQ(pieces_of("x", bpe_merge("x", {0}, score)), (std::vector<std::string>{"x"}));
}

// SentencePiece's encoder relies on this contract: the pair callback gets views
// into `text` itself, adjacent, in queue order.
TEST(BpeMerge, PairCallbackSeesAdjacentViewsIntoTheTextInQueueOrder) {
  const std::string text = "abcd";
  std::vector<std::pair<std::string, std::string>> calls;
  const PairScore score = [&](std::string_view l, std::string_view r) -> std::optional<float> {
    EXPECT_GE(l.data(), text.data());
    EXPECT_EQ(r.data(), l.data() + l.size());
    EXPECT_LE(r.data() + r.size(), text.data() + text.size());
    calls.emplace_back(l, r);
    if (std::string(l) + std::string(r) == "bc") return 1.0f;
    return std::nullopt;
  };
  EXPECT_EQ(pieces_of(text, bpe_merge_pairs(text, every_byte(text), score)),
            (std::vector<std::string>{"a", "bc", "d"}));
  // Initial pairs left to right, then around the merge: left neighbour first.
  const std::vector<std::pair<std::string, std::string>> want = {
      {"a", "b"}, {"b", "c"}, {"c", "d"}, {"a", "bc"}, {"bc", "d"}};
  EXPECT_EQ(calls, want);
}

}  // namespace
}  // namespace llamafast
