// Streaming detokenization: whole UTF-8 characters only, stop strings held back.
#include "generate/text_stream.h"
#include "test_support.h"

namespace llamafast {
namespace {

TEST(TextStream, HoldsBackASplitCharacterUntilComplete) {
  TextStream s;
  const std::string euro = "\xe2\x82\xac";  // U+20AC, 3 bytes
  EXPECT_EQ(s.push("a" + euro.substr(0, 1)), "a");
  EXPECT_EQ(s.push(euro.substr(1, 1)), "");
  EXPECT_EQ(s.push(euro.substr(2, 1) + "b"), euro + "b");
}

TEST(TextStream, FourByteCharactersAcrossFourPushes) {
  TextStream s;
  const std::string emoji = "\xf0\x9f\x98\x80";
  std::string out;
  for (char c : emoji) out += s.push(std::string(1, c));
  EXPECT_EQ(out, emoji);
}

TEST(TextStream, FlushReleasesATruncatedCharacterAsRawBytes) {
  TextStream s;
  EXPECT_EQ(s.push("x\xe2\x82"), "x");
  EXPECT_EQ(s.flush(), "\xe2\x82");
}

TEST(TextStream, StopStringEndsTheTextBeforeIt) {
  TextStream s({"END"});
  EXPECT_EQ(s.push("hello E"), "hello ");  // "E" might start "END"
  EXPECT_FALSE(s.stopped());
  EXPECT_EQ(s.push("N"), "");
  EXPECT_EQ(s.push("D and more"), "");
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.flush(), "");
}

TEST(TextStream, APrefixThatDoesNotCompleteIsReleased) {
  TextStream s({"END"});
  EXPECT_EQ(s.push("EN"), "");
  EXPECT_EQ(s.push("ough"), "ENough");
  EXPECT_EQ(s.flush(), "");
}

TEST(TextStream, StopStringInsideOnePush) {
  TextStream s({"\n\n", "User:"});
  EXPECT_EQ(s.push("answer.\n\nnext"), "answer.");
  EXPECT_TRUE(s.stopped());
}

}  // namespace
}  // namespace llamafast
