// Meta (params.json + consolidated.NN.pth) and gpt-fast (model.pth) checkpoints
// as whole models: in-place loading, shard merging, fused-qkv splitting, config
// inference, and broken files through Model::load and the CLI.
#include <cmath>
#include <fstream>

#include <fmt/ranges.h>

#include "llamafast/model.h"
#include "model/checkpoint.h"
#include "pth_test_support.h"
#include "test_support.h"

namespace llamafast {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::TensorSpec;

const fs::path kModels = test::fixtures_dir() / "models";

void write_text(const fs::path& p, const std::string& s) { test::write_file(p, s.data(), s.size()); }

Status load_status(const fs::path& path, const std::string& params = "") {
  return Model::load({.path = path.string(), .params_path = params, .tokenizer_path = "", .load_tokenizer = false}).status();
}

void expect_bad_input(const Status& st, std::initializer_list<std::string> needles) {
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::invalid_input) << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << "one line: " << st.message();
  for (const auto& n : needles) EXPECT_NE(st.message().find(n), std::string::npos) << "'" << n << "' not in: " << st.message();
}

template <class F>
void expect_error(F&& f, std::initializer_list<std::string> needles) {
  expect_bad_input(catch_status(std::forward<F>(f)), needles);
}

// A shard holding `tensors` (name -> shape and float values), each in its own storage.
std::string make_shard(const std::vector<std::tuple<std::string, std::vector<int64_t>, std::vector<float>>>& tensors,
                       const std::string& top) {
  std::vector<TensorSpec> specs;
  std::vector<std::pair<std::string, std::string>> storages;
  for (const auto& [name, shape, values] : tensors) {
    const std::string key = std::to_string(specs.size());
    std::vector<int64_t> stride(shape.size(), 1);
    for (size_t i = shape.size() - 1; i > 0; --i) stride[i - 1] = stride[i] * shape[i];
    specs.push_back({name, key, int64_t(values.size()), shape, stride, 0});
    storages.emplace_back(key, test::floats_bytes(values));
  }
  return test::make_pth(test::state_dict_pickle(specs), storages, top);
}

// params.json of a tiny model: dim 4, 1 layer, 2 heads, vocab 6 (hidden: 12 by Meta's rule).
const char* kTinyParams = R"({"dim": 4, "n_layers": 1, "n_heads": 2, "vocab_size": 6, "multiple_of": 4,
                             "norm_eps": 1e-5})";

std::vector<float> tensor_values(const Tensor& t) {
  std::vector<float> v(size_t(t.numel()));
  std::memcpy(v.data(), t.data, t.nbytes);
  return v;
}

std::vector<float> fixture_logits(const std::string& fixture, const std::string& path, const std::string& params) {
  auto model = Model::load({.path = path, .params_path = params, .tokenizer_path = "", .load_tokenizer = false});
  EXPECT_TRUE(model.ok()) << model.status().message();
  if (!model.ok()) return {};
  auto session = Session::create(model.value(), {.max_seq_len = 128, .threads = 1});
  const auto tokens = test::read_json(kModels / fixture / "expected.json")["tokens"].get<std::vector<int>>();
  std::vector<float> logits(tokens.size() * size_t(model.value()->info().vocab_size));
  EXPECT_TRUE((*session)->prefill_all(tokens, logits).ok());
  return logits;
}

// ------------------------------------------------------------------ Meta

TEST(PthMeta, SingleShardIsUsedInPlaceWithParamsFromTheDirectory) {
  const auto ck = open_checkpoint({(kModels / "meta_pth_single").string(), "", ""});
  EXPECT_EQ(ck->format, "meta-pth");
  EXPECT_TRUE(ck->buffers.empty()) << "a single shard needs no copy";
  EXPECT_EQ(ck->config.hidden_dim, 128) << "int(8*64/3) = 170, * 0.75 = 127, rounded up to 32";
  EXPECT_EQ(ck->config.n_kv_heads, 2);
  EXPECT_TRUE(ck->config.rope_scaling.enabled);
  EXPECT_EQ(ck->config.rope_scaling.factor, 8.0f);
  EXPECT_EQ(ck->config.rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_EQ(ck->config.rope_theta, 500000.0f);
  EXPECT_EQ(ck->config.rope_layout, RopeLayout::interleaved);
  EXPECT_FALSE(ck->config.tied_embeddings);
}

TEST(PthMeta, TwoShardsMergeIntoOneOwnedBufferPerTensor) {
  const auto ck = open_checkpoint({(kModels / "meta_pth_2shard").string(), "", ""});
  EXPECT_EQ(ck->buffers.size(), ck->tensors.size());
  EXPECT_EQ(ck->tensors.size(), 21u);
  EXPECT_EQ(ck->tensors.at("tok_embeddings.weight").shape, (std::vector<int64_t>{128, 64}));
  EXPECT_EQ(ck->tensors.at("layers.0.attention.wk.weight").shape, (std::vector<int64_t>{32, 64}));
  EXPECT_EQ(ck->tensors.at("layers.0.feed_forward.w2.weight").shape, (std::vector<int64_t>{64, 96}));
  EXPECT_EQ(ck->tensors.at("output.weight").shape, (std::vector<int64_t>{128, 64}));
}

TEST(PthMeta, NamingOneShardLoadsItsSiblingsToo) {
  const fs::path shard = kModels / "meta_pth_2shard" / "consolidated.00.pth";
  const auto ck = open_checkpoint({shard.string(), "", ""});
  EXPECT_EQ(ck->tensors.at("layers.1.feed_forward.w1.weight").shape, (std::vector<int64_t>{96, 64}));
}

TEST(PthMeta, EmbeddingSplitOnEitherAxisIsMerged) {
  // Llama 3 (VocabParallelEmbedding): rows split; Llama 2 (ParallelEmbedding): columns split.
  const std::vector<float> rows0 = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, rows1 = {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};
  const std::vector<float> norm = {1, 1, 1, 1};
  for (int axis : {0, 1}) {
    TempDir dir;
    write_text(dir / "params.json", kTinyParams);
    const std::vector<int64_t> shape = axis == 0 ? std::vector<int64_t>{3, 4} : std::vector<int64_t>{6, 2};
    write_text(dir / "consolidated.00.pth",
               make_shard({{"tok_embeddings.weight", shape, rows0}, {"norm.weight", {4}, norm}}, "consolidated.00"));
    write_text(dir / "consolidated.01.pth",
               make_shard({{"tok_embeddings.weight", shape, rows1}, {"norm.weight", {4}, norm}}, "consolidated.01"));
    const auto ck = open_checkpoint({dir.path().string(), "", ""});
    const Tensor& emb = ck->tensors.at("tok_embeddings.weight");
    ASSERT_EQ(emb.shape, (std::vector<int64_t>{6, 4})) << axis;
    const std::vector<float> want =
        axis == 0 ? std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}
                  : std::vector<float>{0, 1, 12, 13, 2, 3, 14, 15, 4, 5, 16, 17, 6, 7, 18, 19, 8, 9, 20, 21, 10, 11, 22, 23};
    EXPECT_EQ(tensor_values(emb), want) << axis;
  }
}

TEST(PthMeta, ReplicatedNormsThatDifferAreAnError) {
  TempDir dir;
  write_text(dir / "params.json", kTinyParams);
  const std::vector<float> emb(12, 0.5f);
  write_text(dir / "consolidated.00.pth",
             make_shard({{"tok_embeddings.weight", {6, 2}, emb}, {"norm.weight", {4}, {1, 1, 1, 1}}}, "consolidated.00"));
  write_text(dir / "consolidated.01.pth",
             make_shard({{"tok_embeddings.weight", {6, 2}, emb}, {"norm.weight", {4}, {1, 2, 1, 1}}}, "consolidated.01"));
  expect_error([&] { open_checkpoint({dir.path().string(), "", ""}); },
               {"consolidated.01.pth", "\"norm.weight\"", "differs", "replicate"});
}

TEST(PthMeta, ShardsThatDoNotStackAreAnError) {
  TempDir dir;
  write_text(dir / "params.json", kTinyParams);
  write_text(dir / "consolidated.00.pth",
             make_shard({{"layers.0.attention.wo.weight", {4, 2}, std::vector<float>(8)}}, "consolidated.00"));
  write_text(dir / "consolidated.01.pth",
             make_shard({{"layers.0.attention.wo.weight", {3, 2}, std::vector<float>(6)}}, "consolidated.01"));
  expect_error([&] { open_checkpoint({dir.path().string(), "", ""}); },
               {"consolidated.01.pth", "attention.wo.weight", "does not stack", "dimension 1"});
}

TEST(PthMeta, MissingShardIsNamed) {
  TempDir dir;
  write_text(dir / "params.json", kTinyParams);
  const std::string shard = make_shard({{"norm.weight", {4}, {1, 1, 1, 1}}}, "consolidated.00");
  write_text(dir / "consolidated.00.pth", shard);
  write_text(dir / "consolidated.02.pth", shard);
  expect_bad_input(load_status(dir.path()), {"consolidated.01.pth is missing"});
}

TEST(PthMeta, HiddenSizeThatDisagreesWithTheWeightsBlamesParams) {
  TempDir dir;
  fs::copy(kModels / "meta_pth_single", dir.path(), fs::copy_options::recursive);
  auto params = test::read_json(dir / "params.json");
  params["multiple_of"] = 256;
  std::ofstream(dir / "params.json") << params.dump();
  expect_bad_input(load_status(dir.path()), {"params.json", "hidden size of 256", "have 128", "does not match"});
}

TEST(PthMeta, DirectoryWithoutParamsSaysWhatIsMissing) {
  TempDir dir;
  fs::copy(kModels / "meta_pth_single" / "consolidated.00.pth", dir / "consolidated.00.pth");
  expect_bad_input(load_status(dir.path()), {"no params.json", "--params"});
}

TEST(PthMeta, ParamsFileCanBeGivenExplicitly) {
  TempDir dir;
  fs::copy(kModels / "meta_pth_bf16" / "consolidated.00.pth", dir / "consolidated.00.pth");
  fs::copy(kModels / "meta_pth_bf16" / "params.json", dir / "my_params.json");
  const auto want = test::read_floats(kModels / "meta_pth_bf16" / "logits.f32");
  const auto got = fixture_logits("meta_pth_bf16", (dir / "consolidated.00.pth").string(), (dir / "my_params.json").string());
  EXPECT_LT(test::relative_error(got, want), 1e-4);
}

// ------------------------------------------------------------------ gpt-fast

TEST(PthGptFast, FusedQkvIsSplitIntoViewsWithoutCopying) {
  const auto ck = open_checkpoint({(kModels / "gptfast_pth" / "model.pth").string(), "", ""});
  EXPECT_EQ(ck->format, "gptfast-pth");
  EXPECT_TRUE(ck->buffers.empty());
  EXPECT_EQ(ck->tensors.count("layers.0.attention.wqkv.weight"), 0u);
  const Tensor& wq = ck->tensors.at("layers.0.attention.wq.weight");
  const Tensor& wk = ck->tensors.at("layers.0.attention.wk.weight");
  const Tensor& wv = ck->tensors.at("layers.0.attention.wv.weight");
  EXPECT_EQ(wq.shape, (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(wk.shape, (std::vector<int64_t>{16, 64}));
  EXPECT_EQ(wv.shape, (std::vector<int64_t>{16, 64}));
  EXPECT_EQ(static_cast<const std::byte*>(wk.data), static_cast<const std::byte*>(wq.data) + wq.nbytes);
  EXPECT_EQ(static_cast<const std::byte*>(wv.data), static_cast<const std::byte*>(wk.data) + wk.nbytes);
  EXPECT_EQ(ck->config.max_seq_len, 128) << "block_size from model_args.json";
}

TEST(PthGptFast, ConfigIsInferredFromShapesGivenOnlyNHeads) {
  TempDir dir;
  fs::copy(kModels / "gptfast_pth" / "model.pth", dir / "model.pth");
  write_text(dir / "params.json", R"({"n_heads": 8})");
  const auto want = test::read_floats(kModels / "gptfast_pth" / "logits.f32");
  EXPECT_LT(test::relative_error(fixture_logits("gptfast_pth", (dir / "model.pth").string(), ""), want), 1e-4);
  // --verbose shows where each inferred value came from.
  const auto ck = read_pth_checkpoint((dir / "model.pth").string(), "");
  const std::string notes = fmt::format("{}", fmt::join(ck->notes, "\n"));
  for (const char* field : {"dim inferred from tok_embeddings", "vocab_size inferred from tok_embeddings",
                            "n_layers inferred from", "n_kv_heads inferred from layers.0.attention.wqkv",
                            "hidden_dim inferred from layers.0.feed_forward.w1", "hyper-parameters from"})
    EXPECT_NE(notes.find(field), std::string::npos) << field << " not in:\n" << notes;
}

TEST(PthGptFast, WithoutNHeadsTheErrorExplainsWhyItCannotBeInferred) {
  TempDir dir;
  fs::copy(kModels / "gptfast_pth" / "model.pth", dir / "model.pth");
  expect_bad_input(load_status(dir / "model.pth"), {"model.pth", "n_heads", "cannot be inferred", "--params"});
}

TEST(PthGptFast, QuantizedCheckpointsAreRefusedClearly) {
  TempDir dir;
  const std::string pkl = test::state_dict_pickle(
      {{"layers.0.attention.wqkv.weight", "0", 4, {2, 2}, {2, 1}, 0, "CharStorage"},
       {"layers.0.attention.wqkv.scales", "1", 2, {2}, {1}, 0}});
  write_text(dir / "model_int8.pth", test::make_pth(pkl, {{"0", std::string(4, '\1')}, {"1", std::string(8, '\0')}}));
  expect_bad_input(load_status(dir / "model_int8.pth"), {"model_int8.pth", "quantized"});
}

// ------------------------------------------------------------------ broken files end to end

// A .pth file holding `pickle` and one float storage "0" of 4 elements.
fs::path write_pth(const TempDir& dir, const std::string& pickle) {
  const fs::path p = dir / "model.pth";
  write_text(p, test::make_pth(pickle, {{"0", test::floats_bytes({1, 2, 3, 4})}}));
  return p;
}

TEST(PthBadInput, TruncatedCheckpoint) {
  TempDir dir;
  auto bytes = test::read_file(kModels / "gptfast_pth" / "model.pth");
  bytes.resize(bytes.size() / 2);
  test::write_file(dir / "model.pth", bytes.data(), bytes.size());
  expect_bad_input(load_status(dir / "model.pth"), {"model.pth", "truncated"});
}

TEST(PthBadInput, CorruptCentralDirectory) {
  TempDir dir;
  auto bytes = test::read_file(kModels / "gptfast_pth" / "model.pth");
  const std::string s(bytes.begin(), bytes.end());
  const size_t cd = s.find("PK\x01\x02");
  ASSERT_NE(cd, std::string::npos);
  bytes[cd + 10] = 8;  // compression method: deflate
  test::write_file(dir / "model.pth", bytes.data(), bytes.size());
  expect_bad_input(load_status(dir / "model.pth"), {"model.pth", "compressed"});
}

TEST(PthBadInput, PickleWithDisallowedGlobal) {
  TempDir dir;
  test::PickleWriter w;
  w.proto().op('}').op('(').str("x").global("os", "system").str("true").op('\x85').op('R').op('u').op('.');
  expect_bad_input(load_status(write_pth(dir, w.bytes())), {"model.pth", "disallowed global os.system"});
}

TEST(PthBadInput, PickleWithUnknownOpcode) {
  TempDir dir;
  expect_bad_input(load_status(write_pth(dir, "\x80\x02}\xff.")), {"model.pth", "opcode 0xff"});
}

TEST(PthBadInput, StorageOffsetPastTheData) {
  TempDir dir;
  const auto pkl = test::state_dict_pickle({{"norm.weight", "0", 4, {4}, {1}, 1}});
  expect_bad_input(load_status(write_pth(dir, pkl)), {"model.pth", "norm.weight", "reaches past its storage"});
}

TEST(PthBadInput, StrideInconsistentWithTheStorageSize) {
  TempDir dir;
  const auto pkl = test::state_dict_pickle({{"norm.weight", "0", 4, {2, 2}, {3, 1}, 0}});
  expect_bad_input(load_status(write_pth(dir, pkl)), {"model.pth", "stride [3, 1]"});
}

TEST(PthBadInput, LegacyTorchSaveFormat) {
  TempDir dir;
  const std::string legacy("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
  write_text(dir / "old.pth", legacy);
  expect_bad_input(load_status(dir / "old.pth"), {"old.pth", "legacy"});
}

// ------------------------------------------------------------------ CLI

TEST(PthCli, LogitsFromCheckpointAndParams) {
  TempDir dir;
  const fs::path fx = kModels / "meta_pth_single";
  fs::copy(fx / "consolidated.00.pth", dir / "consolidated.00.pth");
  fs::copy(fx / "params.json", dir / "llama_params.json");  // not beside under its usual name: --params needed
  const auto expected = test::read_json(fx / "expected.json");
  std::string ids;
  for (int t : expected["tokens"].get<std::vector<int>>()) ids += std::to_string(t) + " ";
  const auto r = test::run_cli("logits --checkpoint " + test::quote(dir / "consolidated.00.pth") + " --params " +
                               test::quote(dir / "llama_params.json") + " --tokens '" + ids + "' -o " +
                               test::quote(dir / "x.f32"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(test::relative_error(test::read_floats(dir / "x.f32"), test::read_floats(fx / "logits.f32")), 1e-4);
}

TEST(PthCli, BrokenCheckpointExitsWithCode2AndOneLine) {
  TempDir dir;
  test::PickleWriter w;
  w.proto().global("subprocess", "Popen").op('.');
  const fs::path p = write_pth(dir, w.bytes());
  const auto r = test::run_cli("logits --checkpoint " + test::quote(p) + " --tokens '1 2' -o " + test::quote(dir / "o.npy"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("model.pth"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("subprocess.Popen"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace llamafast
