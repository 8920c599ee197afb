// GGUF files written by llama.cpp (../shared) against their llama2.c originals:
// F32 logits equal; Q8_0 / Q4_0 logits equal those of the same model with the
// blocks dequantized here into a llama2.c file (so the in-place quantized path
// is exact), and stay within the measured quantization error of the originals
// (docs/formats.md, "GGUF").
#include "common/half.h"
#include "io/gguf.h"
#include "io/mapped_file.h"
#include "llamafast/generate.h"
#include "llamafast/model.h"
#include "test_support.h"

namespace llamafast {
namespace {

namespace fs = std::filesystem;
using test::shared_dir;

const char* kRndDir = "testdata/gguf";
const std::vector<int> kPromptIds = {1, 368, 430, 276, 435, 307, 259, 430};
const std::vector<int> kGreedy = {446, 279, 406, 289, 408, 326, 446, 279, 317, 442, 432, 285, 281, 364, 275, 280,
                                  302, 450, 405, 403, 399, 448, 429, 465, 265, 434, 317, 431, 434, 289, 418, 321};
// A longer prompt for the random model: every position adds RoPE angles and cache rows to compare.
const std::vector<int> kLongPrompt = {1,   368, 430, 276, 435, 307, 259, 430, 446, 279, 406, 289, 408, 326, 17,
                                      99,  200, 301, 402, 503, 3,   4,   260, 261, 262, 263, 500, 511, 300, 42};

std::vector<float> logits(const fs::path& model, const std::vector<int>& tokens) {
  auto m = Model::load({.path = model.string(), .load_tokenizer = false});
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return {};
  auto s = Session::create(*m, {});
  EXPECT_TRUE(s.ok()) << s.status().message();
  std::vector<float> out(tokens.size() * size_t((*m)->info().vocab_size));
  const Status st = (*s)->prefill_all(tokens, out);
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

// A GGUF tensor as f32, decoded from llama.cpp's block formats directly
// (not through QuantLayout or the kernels).
std::vector<float> dequantize(const GgufTensor& t) {
  int64_t n = 1;
  for (int64_t d : t.dims) n *= d;
  std::vector<float> out(static_cast<size_t>(n));
  const auto* p = reinterpret_cast<const uint8_t*>(t.data);
  auto scale_at = [](const uint8_t* block) { return f16_to_f32(uint16_t(block[0] | (block[1] << 8))); };
  switch (t.type) {
    case GgmlType::f32: std::memcpy(out.data(), p, out.size() * 4); break;
    case GgmlType::q8_0:
      for (size_t b = 0; b < out.size() / 32; ++b) {
        const uint8_t* block = p + b * 34;
        for (size_t j = 0; j < 32; ++j) out[b * 32 + j] = scale_at(block) * float(int8_t(block[2 + j]));
      }
      break;
    case GgmlType::q4_0:
      for (size_t b = 0; b < out.size() / 32; ++b) {
        const uint8_t* block = p + b * 18;
        for (size_t j = 0; j < 16; ++j) {
          out[b * 32 + j] = scale_at(block) * float(int(block[2 + j] & 15) - 8);
          out[b * 32 + 16 + j] = scale_at(block) * float(int(block[2 + j] >> 4) - 8);
        }
      }
      break;
    default: ADD_FAILURE() << t.name << ": type not handled by the test";
  }
  return out;
}

// Writes the GGUF model, dequantized, as a llama2.c checkpoint.
void write_dequantized_llama2c(const fs::path& gguf, const fs::path& out) {
  const MappedFile file = MappedFile::open(gguf.string());
  const GgufFile g = parse_gguf(file.bytes(), gguf.string());
  std::map<std::string, std::vector<float>> t;
  for (const GgufTensor& gt : g.tensors) t[gt.name] = dequantize(gt);
  const int dim = int(*g.integer("llama.embedding_length")), layers = int(*g.integer("llama.block_count"));
  const int heads = int(*g.integer("llama.attention.head_count"));
  const int vocab = int(t["token_embd.weight"].size()) / dim, seq_len = int(*g.integer("llama.context_length"));
  const bool untied = t.contains("output.weight");
  const int32_t header[7] = {dim,   int(*g.integer("llama.feed_forward_length")), layers, heads,
                             int(*g.integer("llama.attention.head_count_kv")), untied ? -vocab : vocab, seq_len};
  std::ofstream f(out, std::ios::binary);
  auto put = [&](const std::vector<float>& v) { f.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * 4)); };
  f.write(reinterpret_cast<const char*>(header), sizeof header);
  put(t["token_embd.weight"]);
  for (const char* name : {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_down",
                           "ffn_up"})
    for (int l = 0; l < layers; ++l) put(t["blk." + std::to_string(l) + "." + name + ".weight"]);
  put(t["output_norm.weight"]);
  put(std::vector<float>(static_cast<size_t>(seq_len) * (dim / heads)));  // freq_cis real + imag: unused
  if (untied) put(t["output.weight"]);
}

TEST(GgufModel, F32LogitsEqualTheLlama2cOriginal) {
  LLAMAFAST_REQUIRE_SHARED(fs::path(kRndDir) / "rnd128-f32.gguf");
  const auto want = logits(shared_dir() / kRndDir / "rnd128-llama2c.bin", kLongPrompt);
  const auto got = logits(shared_dir() / kRndDir / "rnd128-f32.gguf", kLongPrompt);
  EXPECT_LT(test::relative_error(got, want), 1e-5);
}

TEST(GgufModel, AidreamsF32LogitsEqualModelBin) {
  LLAMAFAST_REQUIRE_SHARED("models/aidreams260K/model-f32.gguf");
  const auto want = logits(shared_dir() / "models/aidreams260K/model.bin", kPromptIds);
  const auto got = logits(shared_dir() / "models/aidreams260K/model-f32.gguf", kPromptIds);
  EXPECT_LT(test::relative_error(got, want), 1e-5);
}

TEST(GgufModel, AidreamsGreedyGenerationFromTheGgufAlone) {
  LLAMAFAST_REQUIRE_SHARED("models/aidreams260K/model-f32.gguf");
  auto model = Model::load({.path = (shared_dir() / "models/aidreams260K/model-f32.gguf").string()});
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->info().format, "gguf-v3");
  const auto prompt = (*model)->tokenizer()->encode("The machine");
  EXPECT_EQ(prompt, kPromptIds);
  auto session = Session::create(*model, {});
  ASSERT_TRUE(session.ok());
  Sampler greedy({.temperature = 0.0f});
  std::vector<int> ids;
  auto stats = generate_tokens(**session, *(*model)->tokenizer(), greedy, prompt, {.max_new_tokens = 32},
                               [](std::string_view) { return true; }, [&](int id) { ids.push_back(id); });
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(ids, kGreedy);
}

TEST(GgufModel, CliGenerateNeedsNothingButTheGguf) {
  LLAMAFAST_REQUIRE_SHARED("models/aidreams260K/model-f32.gguf");
  const auto r = test::run_cli("generate -m " + test::quote(shared_dir() / "models/aidreams260K/model-f32.gguf") +
                               " -p 'The machine' -n 32 --temperature 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind(", features emerge, fragile dance of probability. Contrast edges sh", 0), 0u) << r.out;
}

TEST(GgufModel, ExportToLlfCarriesTheGgufVocabulary) {
  LLAMAFAST_REQUIRE_SHARED("models/aidreams260K/model-f32.gguf");
  test::TempDir dir;
  const auto e = test::run_cli("export -m " + test::quote(shared_dir() / "models/aidreams260K/model-f32.gguf") +
                               " -o " + test::quote(dir / "a.llf"));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto r = test::run_cli("generate -m " + test::quote(dir / "a.llf") + " -p 'The machine' -n 32 --temperature 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind(", features emerge, fragile dance of probability. Contrast edges sh", 0), 0u) << r.out;
}

struct QuantCase {
  const char* file;
  // Relative to the f32 logits: about twice the measured error (Q8_0 2.3e-3,
  // Q4_0 3.0e-2), which scales with the quantization step; see docs/formats.md.
  double bound;
};

class GgufQuant : public ::testing::TestWithParam<QuantCase> {};

TEST_P(GgufQuant, InPlaceBlocksEqualTheirDequantizedWeights) {
  LLAMAFAST_REQUIRE_SHARED(fs::path(kRndDir) / GetParam().file);
  test::TempDir dir;
  write_dequantized_llama2c(shared_dir() / kRndDir / GetParam().file, dir / "dequantized.bin");
  const auto want = logits(dir / "dequantized.bin", kLongPrompt);
  const auto got = logits(shared_dir() / kRndDir / GetParam().file, kLongPrompt);
  EXPECT_LT(test::relative_error(got, want), 1e-4);
}

TEST_P(GgufQuant, StaysWithinTheQuantizationErrorOfTheF32Model) {
  LLAMAFAST_REQUIRE_SHARED(fs::path(kRndDir) / GetParam().file);
  const auto want = logits(shared_dir() / kRndDir / "rnd128-llama2c.bin", kLongPrompt);
  const auto got = logits(shared_dir() / kRndDir / GetParam().file, kLongPrompt);
  const double err = test::relative_error(got, want);
  RecordProperty("relative_error", std::to_string(err));
  std::printf("%s: max |logit error| / max |logit| = %.3g\n", GetParam().file, err);
  EXPECT_LT(err, GetParam().bound);
  EXPECT_GT(err, 0.0);  // really quantized: not silently the f32 weights
}

INSTANTIATE_TEST_SUITE_P(Blocks, GgufQuant,
                         ::testing::Values(QuantCase{"rnd128-Q8_0.gguf", 5e-3}, QuantCase{"rnd128-Q4_0.gguf", 6e-2}),
                         [](const auto& info) { return std::string(info.param.file).substr(7, 4); });

}  // namespace
}  // namespace llamafast
