// The torch.save readers layer by layer: the zip container, the pickle subset,
// and state-dict tensors (views, strides, shared storages), on the committed
// fixtures and on archives built byte by byte (tests/pth_test_support.h).
#include "common/error.h"
#include "io/pickle_reader.h"
#include "io/pth_reader.h"
#include "io/zip_reader.h"
#include "pth_test_support.h"
#include "test_support.h"

namespace llamafast {
namespace {

namespace fs = std::filesystem;
using test::make_pth;
using test::make_zip;
using test::PickleWriter;
using test::state_dict_pickle;
using test::TensorSpec;

const fs::path kMetaShard = test::fixtures_dir() / "models" / "meta_pth_single" / "consolidated.00.pth";

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
std::span<const std::byte> as_bytes(const std::vector<char>& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Runs `f`, expecting an invalid_input Error on one line that contains every needle.
template <class F>
void expect_error(F&& f, std::initializer_list<std::string> needles) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.code(), StatusCode::invalid_input) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
    for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
  }
}

Pickle read_torch_pickle(const std::string& bytes) {
  return read_pickle(as_bytes(bytes), torch_pickle_globals(), "test.pkl");
}

// ------------------------------------------------------------------ zip

TEST(PthZip, FixtureEntriesAreSpansIntoTheFileBytes) {
  const auto file = test::read_file(kMetaShard);
  const ZipArchive zip = read_zip(as_bytes(file), "consolidated.00.pth");
  EXPECT_EQ(zip.entries.size(), 23u);
  const auto* pkl = zip.find("consolidated.00/data.pkl");
  ASSERT_NE(pkl, nullptr);
  EXPECT_GE(pkl->data(), reinterpret_cast<const std::byte*>(file.data()));
  EXPECT_LE(pkl->data() + pkl->size(), reinterpret_cast<const std::byte*>(file.data() + file.size()));
  EXPECT_EQ(uint8_t((*pkl)[0]), 0x80) << "a pickle starts with PROTO";
  const auto* version = zip.find("consolidated.00/version");
  ASSERT_NE(version, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(version->data()), version->size()), "3\n");
}

TEST(PthZip, ReadsPlainAndZip64Archives) {
  for (bool zip64 : {false, true}) {
    const std::string z = make_zip({{"a/x", "hello"}, {"a/y", ""}, {"a/z", "world!", 0, 7}}, zip64);
    const ZipArchive zip = read_zip(as_bytes(z), "t.zip");
    ASSERT_EQ(zip.entries.size(), 3u) << zip64;
    const auto text = [&](const char* name) {
      const auto* e = zip.find(name);
      return e ? std::string(reinterpret_cast<const char*>(e->data()), e->size()) : "<missing>";
    };
    EXPECT_EQ(text("a/x"), "hello");
    EXPECT_EQ(text("a/y"), "");
    EXPECT_EQ(text("a/z"), "world!");
  }
}

TEST(PthZip, TruncatedArchiveHasNoEndRecord) {
  auto file = test::read_file(kMetaShard);
  ASSERT_GT(file.size(), 100u);
  file.erase(file.end() - 10, file.end());
  expect_error([&] { read_zip(as_bytes(file), "cut.pth"); }, {"cut.pth", "end-of-central-directory"});
  expect_error([&] { read_zip(as_bytes(std::string("PK\x03\x04", 4)), "tiny.pth"); }, {"tiny.pth", "too small"});
}

TEST(PthZip, ArchiveCutBeforeItsDataIsAnError) {
  // Keep the end records but drop bytes in the middle: offsets then point wrong.
  const std::string z = make_zip({{"a/x", std::string(100, 'x')}, {"a/y", std::string(100, 'y')}});
  const std::string cut = z.substr(0, 40) + z.substr(140);
  expect_error([&] { read_zip(as_bytes(cut), "cut.zip"); }, {"cut.zip"});
}

TEST(PthZip, BadCentralDirectorySignatureIsNamed) {
  std::string z = make_zip({{"a/x", "hello"}});
  const size_t cd = z.find("PK\x01\x02");
  ASSERT_NE(cd, std::string::npos);
  z[cd + 2] = 'X';
  expect_error([&] { read_zip(as_bytes(z), "bad.zip"); }, {"bad.zip", "central directory entry 0", "signature"});
}

TEST(PthZip, CentralDirectoryOffsetPastTheEndIsAnError) {
  std::string z = make_zip({{"a/x", "hello"}});
  const uint32_t huge = 0x7fffffff;
  std::memcpy(z.data() + z.size() - 6, &huge, 4);  // EOCD central directory offset
  expect_error([&] { read_zip(as_bytes(z), "bad.zip"); }, {"bad.zip", "central directory"});
}

TEST(PthZip, LocalHeaderOffsetOutsideTheFileIsAnError) {
  std::string z = make_zip({{"a/x", "hello"}});
  const size_t cd = z.find("PK\x01\x02");
  const uint32_t huge = 0x7ffffff0;
  std::memcpy(z.data() + cd + 42, &huge, 4);
  expect_error([&] { read_zip(as_bytes(z), "bad.zip"); }, {"bad.zip", "\"a/x\"", "local header offset"});
}

TEST(PthZip, EntryDataRunningIntoTheDirectoryIsAnError) {
  std::string z = make_zip({{"a/x", "hello"}});
  const size_t cd = z.find("PK\x01\x02");
  const uint32_t big = 1000;
  std::memcpy(z.data() + cd + 20, &big, 4);  // compressed size
  std::memcpy(z.data() + cd + 24, &big, 4);  // uncompressed size
  expect_error([&] { read_zip(as_bytes(z), "bad.zip"); }, {"bad.zip", "\"a/x\"", "runs into the central directory"});
}

TEST(PthZip, CompressedEntriesAreRefusedWithTheMethod) {
  const std::string z = make_zip({{"a/data.pkl", "xxxx", 8}});
  expect_error([&] { read_zip(as_bytes(z), "deflated.pth"); }, {"deflated.pth", "compressed (method 8)", "stored"});
}

TEST(PthZip, DuplicateNamesAreAnError) {
  const std::string z = make_zip({{"a/x", "1"}, {"a/x", "2"}});
  expect_error([&] { read_zip(as_bytes(z), "dup.zip"); }, {"dup.zip", "two entries"});
}

// ------------------------------------------------------------------ pickle

TEST(PthPickle, ReadsContainersScalarsAndTheMemo) {
  PickleWriter w;
  w.proto().op('}').op('q').byte(0).op('(');
  w.str("list").op(']').op('(').op('K').byte(7).op('M').byte(0x34).byte(0x12).integer(-5).op('e');
  w.str("tuple").op('N').op('\x88').op('\x86');
  w.str("again").op('h').byte(0);  // the dict itself, from the memo
  w.str("long").op('\x8a').byte(2).byte(0xff).byte(0xfe);  // -257
  w.op('u').op('.');
  const Pickle p = read_torch_pickle(w.bytes());
  ASSERT_TRUE(p.root->is(PickleValue::Kind::dict));
  ASSERT_EQ(p.root->entries.size(), 4u);
  const PickleValue* list = p.root->entries[0].second;
  ASSERT_TRUE(list->is(PickleValue::Kind::list));
  ASSERT_EQ(list->items.size(), 3u);
  EXPECT_EQ(list->items[0]->integer, 7);
  EXPECT_EQ(list->items[1]->integer, 0x1234);
  EXPECT_EQ(list->items[2]->integer, -5);
  const PickleValue* tuple = p.root->entries[1].second;
  ASSERT_TRUE(tuple->is(PickleValue::Kind::tuple));
  EXPECT_TRUE(tuple->items[0]->is(PickleValue::Kind::none));
  EXPECT_EQ(tuple->items[1]->integer, 1);
  EXPECT_EQ(p.root->entries[2].second, p.root) << "BINGET returns the same object";
  EXPECT_EQ(p.root->entries[3].second->integer, -257);
}

TEST(PthPickle, DisallowedGlobalIsNamedAndNothingRuns) {
  // Bytes a malicious file would hold: GLOBAL os.system, then REDUCE ("echo pwned",).
  PickleWriter w;
  w.proto().global("os", "system").str("echo pwned").op('\x85').op('R').op('.');
  expect_error([&] { read_torch_pickle(w.bytes()); }, {"test.pkl", "disallowed global os.system"});
  PickleWriter s;  // the protocol-4 spelling
  s.proto(4).str("builtins").str("eval").op('\x93').op('.');
  expect_error([&] { read_torch_pickle(s.bytes()); }, {"test.pkl", "disallowed global builtins.eval"});
}

TEST(PthPickle, UnknownOpcodeIsReportedWithItsOffset) {
  PickleWriter w;
  w.proto().op('}').op('i');  // INST: imports by name, never allowed
  expect_error([&] { read_torch_pickle(w.bytes()); }, {"test.pkl", "opcode 0x69 ('i')", "offset 3"});
}

TEST(PthPickle, StackUnderflowAndMissingMarkAreErrors) {
  expect_error([&] { read_torch_pickle(PickleWriter().proto().op('\x86').bytes()); }, {"stack is empty"});
  expect_error([&] { read_torch_pickle(PickleWriter().proto().op(']').op('e').bytes()); }, {"without a MARK"});
  // A MARK fences off what is below it.
  expect_error([&] { read_torch_pickle(PickleWriter().proto().op('N').op('(').op('\x85').bytes()); }, {"stack is empty"});
}

TEST(PthPickle, PickleWithoutStopIsTruncated) {
  expect_error([&] { read_torch_pickle(PickleWriter().proto().op('}').bytes()); }, {"test.pkl", "truncated"});
}

TEST(PthPickle, LimitsOnNestingStringsAndMemo) {
  PickleWriter deep;
  deep.proto();
  for (int i = 0; i < 1000; ++i) deep.op('(');
  expect_error([&] { read_torch_pickle(deep.bytes()); }, {"MARK"});
  PickleWriter big;
  big.proto().op('X').u32(0x7fffffff);
  expect_error([&] { read_torch_pickle(big.bytes()); }, {"string of 2147483647 bytes"});
  PickleWriter memo;
  memo.proto().op('N').op('r').u32(0xfffffff0);
  expect_error([&] { read_torch_pickle(memo.bytes()); }, {"memo index"});
  PickleWriter get;
  get.proto().op('h').byte(3);
  expect_error([&] { read_torch_pickle(get.bytes()); }, {"memo slot 3"});
}

TEST(PthPickle, SelfContainingListIsReadWithoutLooping) {
  // l = []; l.append(l)
  const Pickle p = read_torch_pickle(PickleWriter().proto().op(']').op('q').byte(0).op('h').byte(0).op('a').op('.').bytes());
  ASSERT_EQ(p.root->items.size(), 1u);
  EXPECT_EQ(p.root->items[0], p.root);
}

// ------------------------------------------------------------------ state dicts

std::vector<float> iota(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = float(i);
  return v;
}

std::vector<float> tensor_values(const Tensor& t) {
  std::vector<float> v(size_t(t.numel()));
  std::memcpy(v.data(), t.data, t.nbytes);
  return v;
}

TEST(PthReader, FixtureStateDictHasEveryMetaTensor) {
  const auto file = test::read_file(kMetaShard);
  const auto sd = read_pth(as_bytes(file), "consolidated.00.pth");
  EXPECT_EQ(sd.size(), 21u);  // embedding, 2 x 9 per layer, norm, output
  const PthTensor& emb = sd.at("tok_embeddings.weight");
  EXPECT_EQ(emb.dtype, TorchDType::f32);
  EXPECT_EQ(emb.shape, (std::vector<int64_t>{128, 64}));
  EXPECT_TRUE(emb.contiguous());
  EXPECT_EQ(sd.at("layers.1.feed_forward.w1.weight").shape, (std::vector<int64_t>{128, 64}));
}

TEST(PthReader, ViewsSharingOneStorageAreUsedInPlace) {
  // a = storage[0:6] as [2, 3], b = storage[6:10] as [4]
  const std::string pkl = state_dict_pickle({{"a", "0", 10, {2, 3}, {3, 1}, 0}, {"b", "0", 10, {4}, {1}, 6}});
  const std::string pth = make_pth(pkl, {{"0", test::floats_bytes(iota(10))}});
  const auto sd = read_pth(as_bytes(pth), "shared.pth");
  Checkpoint ck;
  const Tensor a = checkpoint_tensor(sd.at("a"), "a", "shared.pth", ck);
  const Tensor b = checkpoint_tensor(sd.at("b"), "b", "shared.pth", ck);
  EXPECT_TRUE(ck.buffers.empty()) << "contiguous aligned views need no copy";
  EXPECT_EQ(tensor_values(a), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(tensor_values(b), (std::vector<float>{6, 7, 8, 9}));
  EXPECT_EQ(static_cast<const std::byte*>(b.data) - static_cast<const std::byte*>(a.data), 24);
}

TEST(PthReader, TransposedViewIsCopiedRowMajor) {
  // t = storage.view(2, 3).t(): shape [3, 2], stride [1, 3]
  const std::string pkl = state_dict_pickle({{"t", "0", 6, {3, 2}, {1, 3}, 0}});
  const std::string pth = make_pth(pkl, {{"0", test::floats_bytes(iota(6))}});
  const auto sd = read_pth(as_bytes(pth), "t.pth");
  EXPECT_FALSE(sd.at("t").contiguous());
  Checkpoint ck;
  const Tensor t = checkpoint_tensor(sd.at("t"), "t", "t.pth", ck);
  EXPECT_EQ(ck.buffers.size(), 1u);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(tensor_values(t), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(PthReader, MisalignedTensorDataIsCopied) {
  const std::string pkl = state_dict_pickle({{"x", "0", 4, {4}, {1}, 0}});
  for (size_t pad : {0, 1, 2, 3}) {
    const std::string pth = make_pth(pkl, {{"0", test::floats_bytes({1, 2, 3, 4})}}, "archive", pad);
    // A heap copy at a 16-byte aligned address, so the padding decides the data's alignment.
    std::vector<float> aligned(pth.size() / 4 + 1);
    std::memcpy(aligned.data(), pth.data(), pth.size());
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(aligned.data()), pth.size());
    const auto sd = read_pth(bytes, "x.pth");
    Checkpoint ck;
    const Tensor t = checkpoint_tensor(sd.at("x"), "x", "x.pth", ck);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 4, 0u) << pad;
    EXPECT_EQ(ck.buffers.size(), reinterpret_cast<uintptr_t>(sd.at("x").data()) % 4 ? 1u : 0u) << pad;
    EXPECT_EQ(tensor_values(t), (std::vector<float>{1, 2, 3, 4})) << pad;
  }
}

TEST(PthReader, NnParameterWrapperIsUnwrapped) {
  PickleWriter w;
  w.proto().op('}').op('(').str("p").global("torch._utils", "_rebuild_parameter").op('(');
  test::write_tensor(w, {"", "0", 2, {2}, {1}, 0});
  w.op('\x88').global("collections", "OrderedDict").op(')').op('R').op('t').op('R').op('u').op('.');
  const std::string pth = make_pth(w.bytes(), {{"0", test::floats_bytes({5, 6})}});
  const auto sd = read_pth(as_bytes(pth), "param.pth");
  ASSERT_EQ(sd.count("p"), 1u);
  EXPECT_EQ(sd.at("p").shape, (std::vector<int64_t>{2}));
}

TEST(PthReader, StorageOffsetPastTheDataIsAnError) {
  const std::string pkl = state_dict_pickle({{"w", "0", 4, {2}, {1}, 3}});
  const std::string pth = make_pth(pkl, {{"0", test::floats_bytes({1, 2, 3, 4})}});
  expect_error([&] { read_pth(as_bytes(pth), "off.pth"); }, {"off.pth", "\"w\"", "storage offset 3", "4 elements"});
}

TEST(PthReader, ShapeAndStrideReachingPastTheStorageAreAnError) {
  const std::string pkl = state_dict_pickle({{"w", "0", 6, {3, 2}, {3, 1}, 0}});  // reaches element 7
  const std::string pth = make_pth(pkl, {{"0", test::floats_bytes(iota(6))}});
  expect_error([&] { read_pth(as_bytes(pth), "stride.pth"); }, {"stride.pth", "\"w\"", "stride [3, 1]", "reaches past"});
  const std::string mismatch = state_dict_pickle({{"w", "0", 6, {3, 2}, {1}, 0}});
  expect_error([&] { read_pth(as_bytes(make_pth(mismatch, {{"0", test::floats_bytes(iota(6))}})), "rank.pth"); },
               {"rank.pth", "different lengths"});
}

TEST(PthReader, StorageEntryOfTheWrongSizeIsAnError) {
  const std::string pkl = state_dict_pickle({{"w", "0", 8, {2}, {1}, 0}});
  const std::string pth = make_pth(pkl, {{"0", test::floats_bytes({1, 2, 3, 4})}});
  expect_error([&] { read_pth(as_bytes(pth), "size.pth"); }, {"size.pth", "storage \"0\" holds 16 bytes", "8 float32"});
}

TEST(PthReader, MissingStorageEntryIsNamed) {
  const std::string pkl = state_dict_pickle({{"w", "7", 2, {2}, {1}, 0}});
  const std::string pth = make_pth(pkl, {{"0", test::floats_bytes({1, 2})}});
  expect_error([&] { read_pth(as_bytes(pth), "nokey.pth"); }, {"nokey.pth", "\"w\"", "data/7"});
}

TEST(PthReader, LegacyAndNonZipFilesAreRefusedClearly) {
  const std::string legacy("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
  expect_error([&] { read_pth(as_bytes(legacy), "old.pth"); }, {"old.pth", "legacy", "torch < 1.6"});
  expect_error([&] { read_pth(as_bytes(std::string("hello world")), "text.pth"); }, {"text.pth", "not a torch.save"});
}

TEST(PthReader, ArchiveWithoutDataPklIsNotATorchFile) {
  const std::string z = make_zip({{"a/readme.txt", "hi"}});
  expect_error([&] { read_pth(as_bytes(z), "other.zip"); }, {"other.zip", "data.pkl"});
}

TEST(PthReader, BigEndianArchivesAreRefused) {
  const std::string pkl = state_dict_pickle({{"w", "0", 2, {2}, {1}, 0}});
  const std::string z = make_zip({{"a/data.pkl", pkl}, {"a/byteorder", "big"}, {"a/data/0", std::string(8, '\0')}});
  expect_error([&] { read_pth(as_bytes(z), "be.pth"); }, {"be.pth", "big", "little-endian"});
}

TEST(PthReader, IntegerTensorsAreRejectedByName) {
  const std::string pkl = state_dict_pickle({{"q", "0", 4, {4}, {1}, 0, "CharStorage"}});
  const std::string pth = make_pth(pkl, {{"0", std::string(4, '\1')}});
  const auto sd = read_pth(as_bytes(pth), "int8.pth");
  EXPECT_EQ(sd.at("q").dtype, TorchDType::i8);
  Checkpoint ck;
  expect_error([&] { checkpoint_tensor(sd.at("q"), "q", "int8.pth", ck); }, {"int8.pth", "\"q\"", "int8"});
}

TEST(PthReader, OneStorageUsedAsTwoDtypesIsAnError) {
  const std::string pkl = state_dict_pickle({{"a", "0", 2, {2}, {1}, 0}, {"b", "0", 4, {4}, {1}, 0, "HalfStorage"}});
  const std::string pth = make_pth(pkl, {{"0", std::string(8, '\0')}});
  expect_error([&] { read_pth(as_bytes(pth), "two.pth"); }, {"two.pth", "float32", "float16"});
}

}  // namespace
}  // namespace llamafast
