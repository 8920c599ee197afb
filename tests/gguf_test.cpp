// The GGUF container and checkpoint reader on small files written by the
// tests themselves: metadata -> config, tensor layouts (F32, Q8_0), and bad
// input, which must be one clear error (exit code 2 from the CLI), never a crash.
#include <algorithm>

#include "common/error.h"
#include "common/half.h"
#include "gguf_writer.h"
#include "io/gguf.h"
#include "kernels/kernels.h"
#include "model/checkpoint.h"
#include "test_support.h"

namespace llamafast {
namespace {

using test::GgufWriter;

constexpr int kDim = 32, kHidden = 64, kVocab = 8;

std::vector<float> ramp(size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * float(int(i % 7) - 3);
  return v;
}

// A one-layer llama model, all F32 except what `edit` changes.
void write_tiny(GgufWriter& w) {
  w.str("general.architecture", "llama");
  w.u32("llama.context_length", 16);
  w.u32("llama.embedding_length", kDim);
  w.u32("llama.feed_forward_length", kHidden);
  w.u32("llama.block_count", 1);
  w.u32("llama.attention.head_count", 2);
  w.u32("llama.attention.head_count_kv", 1);
  w.u32("llama.rope.dimension_count", kDim / 2);
  w.f32("llama.attention.layer_norm_rms_epsilon", 1e-6f);
  w.str("tokenizer.ggml.model", "llama");
  w.strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a", "b", "\xE2\x96\x81" "a", "ab"});
  w.floats("tokenizer.ggml.scores", {0, 0, 0, -1, -2, -3, -4, -5});
  w.ints("tokenizer.ggml.token_type", {2, 3, 3, 1, 1, 1, 1, 1});
  w.u32("tokenizer.ggml.bos_token_id", 1);
  w.u32("tokenizer.ggml.eos_token_id", 2);
  w.f32_tensor("token_embd.weight", {kDim, kVocab}, ramp(kDim * kVocab, 0.01f));
  w.f32_tensor("output_norm.weight", {kDim}, std::vector<float>(kDim, 1.0f));
  w.f32_tensor("blk.0.attn_norm.weight", {kDim}, std::vector<float>(kDim, 1.0f));
  w.f32_tensor("blk.0.ffn_norm.weight", {kDim}, std::vector<float>(kDim, 1.0f));
  w.f32_tensor("blk.0.attn_k.weight", {kDim, kDim / 2}, ramp(kDim * kDim / 2, 0.02f));
  w.f32_tensor("blk.0.attn_v.weight", {kDim, kDim / 2}, ramp(kDim * kDim / 2, 0.03f));
  w.f32_tensor("blk.0.attn_output.weight", {kDim, kDim}, ramp(kDim * kDim, 0.01f));
  w.f32_tensor("blk.0.ffn_gate.weight", {kDim, kHidden}, ramp(kDim * kHidden, 0.01f));
  w.f32_tensor("blk.0.ffn_up.weight", {kDim, kHidden}, ramp(kDim * kHidden, 0.02f));
  w.f32_tensor("blk.0.ffn_down.weight", {kHidden, kDim}, ramp(kDim * kHidden, 0.01f));
}

// attn_q as Q8_0: row r, block b has scale 1/(r+1) and integers b*32+j-64 (mod 128 range).
std::vector<uint8_t> q8_blocks(int rows, int cols) {
  std::vector<uint8_t> out;
  for (int r = 0; r < rows; ++r)
    for (int b = 0; b < cols / 32; ++b) {
      const uint16_t s = f32_to_f16(1.0f / float(r + 1));
      out.push_back(uint8_t(s & 0xff));
      out.push_back(uint8_t(s >> 8));
      for (int j = 0; j < 32; ++j) out.push_back(uint8_t(int8_t(j - 16 + b)));
    }
  return out;
}

std::vector<uint8_t> tiny_file(uint32_t q_type = 8, uint32_t version = 3) {
  GgufWriter w(version);
  write_tiny(w);
  w.tensor("blk.0.attn_q.weight", {kDim, kDim}, q_type, q8_blocks(kDim, kDim));
  return w.bytes();
}

std::unique_ptr<Checkpoint> parse(const std::vector<uint8_t>& bytes) {
  return parse_gguf_checkpoint(std::as_bytes(std::span(bytes)), "tiny.gguf");
}

// The error message parsing `bytes` gives ("" when it parses).
std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    parse(bytes);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), StatusCode::invalid_input);
    return e.what();
  }
  return "";
}

template <class T>
void poke(std::vector<uint8_t>& bytes, size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

TEST(Gguf, MetadataBecomesTheModelConfig) {
  for (uint32_t version : {2u, 3u}) {
    const auto ck = parse(tiny_file(8, version));
    const ModelConfig& c = ck->config;
    EXPECT_EQ(ck->format, "gguf-v" + std::to_string(version));
    EXPECT_EQ(c.dim, kDim);
    EXPECT_EQ(c.hidden_dim, kHidden);
    EXPECT_EQ(c.n_layers, 1);
    EXPECT_EQ(c.n_heads, 2);
    EXPECT_EQ(c.n_kv_heads, 1);
    EXPECT_EQ(c.head_dim, kDim / 2);
    EXPECT_EQ(c.vocab_size, kVocab);
    EXPECT_EQ(c.max_seq_len, 16);
    EXPECT_FLOAT_EQ(c.norm_eps, 1e-6f);
    EXPECT_EQ(c.rope_layout, RopeLayout::interleaved);
    EXPECT_TRUE(c.tied_embeddings);
    EXPECT_EQ(c.bos_id, 1);
    EXPECT_EQ(c.eos_ids, std::vector<int>{2});
  }
}

TEST(Gguf, TensorsAreRenamedAndShapedOutermostFirst) {
  const auto ck = parse(tiny_file());
  EXPECT_EQ(ck->tensors.at("tok_embeddings.weight").shape, (std::vector<int64_t>{kVocab, kDim}));
  EXPECT_EQ(ck->tensors.at("layers.0.feed_forward.w2.weight").shape, (std::vector<int64_t>{kDim, kHidden}));
  EXPECT_EQ(ck->tensors.at("layers.0.attention.wk.weight").shape, (std::vector<int64_t>{kDim / 2, kDim}));
  EXPECT_EQ(ck->tensors.at("norm.weight").shape, std::vector<int64_t>{kDim});
  EXPECT_EQ(ck->tensors.size(), 11u);
}

TEST(Gguf, Q8BlocksAreReadInPlace) {
  const auto bytes = tiny_file();
  const auto ck = parse(bytes);
  const Tensor& t = ck->tensors.at("layers.0.attention.wq.weight");
  ASSERT_EQ(t.dtype, DType::q8);
  EXPECT_EQ(t.nbytes, size_t(kDim) * 34);
  EXPECT_EQ(t.quant.group, 32);
  EXPECT_EQ(t.quant.row_stride, 34u);
  EXPECT_EQ(static_cast<const std::byte*>(t.data), static_cast<const std::byte*>(t.quant.scales) + 2);
  std::vector<float> row(kDim);
  kernels::weight_row_to_f32({t.dtype, t.data, kDim, kDim, t.quant}, 3, row.data());
  for (int j = 0; j < kDim; ++j) EXPECT_FLOAT_EQ(row[size_t(j)], f16_to_f32(f32_to_f16(0.25f)) * float(j - 16));
}

TEST(Gguf, Q4BlocksUseNibbleOrder) {
  GgufWriter w;
  write_tiny(w);
  std::vector<uint8_t> blocks;
  for (int r = 0; r < kDim; ++r) {
    const uint16_t s = f32_to_f16(0.5f);
    blocks.push_back(uint8_t(s & 0xff));
    blocks.push_back(uint8_t(s >> 8));
    for (int j = 0; j < 16; ++j) blocks.push_back(uint8_t(j | ((15 - j) << 4)));  // low: 0..15, high: 15..0
  }
  w.tensor("blk.0.attn_q.weight", {kDim, kDim}, 2, blocks);
  const auto bytes = w.bytes();
  const auto ck = parse(bytes);
  const Tensor& t = ck->tensors.at("layers.0.attention.wq.weight");
  ASSERT_EQ(t.dtype, DType::q4);
  EXPECT_EQ(t.nbytes, size_t(kDim) * 18);
  std::vector<float> row(kDim);
  kernels::weight_row_to_f32({t.dtype, t.data, kDim, kDim, t.quant}, 5, row.data());
  for (int j = 0; j < 16; ++j) EXPECT_FLOAT_EQ(row[size_t(j)], 0.5f * float(j - 8)) << j;
  for (int j = 16; j < 32; ++j) EXPECT_FLOAT_EQ(row[size_t(j)], 0.5f * float(15 - (j - 16) - 8)) << j;
}

TEST(Gguf, F16AndBf16AreReadAsArrays) {
  for (const auto [type, dtype] : {std::pair{1u, DType::f16}, std::pair{30u, DType::bf16}}) {
    GgufWriter w;
    write_tiny(w);
    std::vector<uint8_t> data;
    for (int i = 0; i < kDim * kDim; ++i) {
      const uint16_t h = dtype == DType::f16 ? f32_to_f16(float(i % 5) - 2) : f32_to_bf16(float(i % 5) - 2);
      data.push_back(uint8_t(h & 0xff));
      data.push_back(uint8_t(h >> 8));
    }
    w.tensor("blk.0.attn_q.weight", {kDim, kDim}, type, data);
    const auto bytes = w.bytes();
    const auto ck = parse(bytes);
    const Tensor& t = ck->tensors.at("layers.0.attention.wq.weight");
    ASSERT_EQ(t.dtype, dtype);
    EXPECT_EQ(t.nbytes, size_t(kDim * kDim * 2));
    std::vector<float> row(kDim);
    kernels::weight_row_to_f32({t.dtype, t.data, kDim, kDim, t.quant}, 1, row.data());
    for (int j = 0; j < kDim; ++j) EXPECT_EQ(row[size_t(j)], float((kDim + j) % 5) - 2) << j;
  }
}

TEST(GgufBadInput, EachCorruptionIsOneClearError) {
  const auto good = tiny_file();
  ASSERT_EQ(error_of(good), "");
  struct Case {
    std::string what;
    std::vector<uint8_t> bytes;
    std::string expect;
  };
  std::vector<Case> cases;
  cases.push_back({"truncated header", {good.begin(), good.begin() + 10}, "truncated"});
  cases.push_back({"not gguf", {'G', 'G', 'U', 'X', 3, 0, 0, 0}, "not a GGUF file"});
  auto patched = [&](size_t offset, auto value) {
    auto b = good;
    poke(b, offset, value);
    return b;
  };
  cases.push_back({"version 1", patched(4, uint32_t{1}), "GGUF version 1 is not supported"});
  cases.push_back({"version 4", patched(4, uint32_t{4}), "GGUF version 4 is not supported"});
  cases.push_back({"tensor count past end", patched(8, uint64_t{1} << 40), "tensor count"});
  cases.push_back({"metadata count past end", patched(16, uint64_t{1} << 40), "metadata count"});
  cases.push_back({"key length past end", patched(24, uint64_t{1} << 40), "past the end"});
  cases.push_back({"tensor data cut short", {good.begin(), good.end() - 1}, "data section"});
  {
    GgufWriter w;
    write_tiny(w);
    w.tensor("blk.0.attn_q.weight", {kDim, kDim}, 8, q8_blocks(kDim, kDim));
    auto b = w.bytes();
    poke(b, w.last_offset_offset, uint64_t{1} << 30);
    cases.push_back({"tensor offset past end", b, "data section"});
    poke(b, w.last_offset_offset, uint64_t{4});
    cases.push_back({"unaligned tensor", b, "not a multiple of the alignment 32"});
    b = w.bytes();
    poke(b, w.last_type_offset, uint32_t{12});
    cases.push_back({"K-quant", b, "unsupported tensor type Q4_K in tensor blk.0.attn_q.weight"});
    poke(b, w.last_type_offset, uint32_t{99});
    cases.push_back({"unknown type", b, "unsupported tensor type #99 in tensor blk.0.attn_q.weight"});
  }
  {
    GgufWriter w;
    write_tiny(w);
    w.tensor("blk.0.attn_q.weight", {48, kDim * 2 / 3}, 8, std::vector<uint8_t>(1000));
    cases.push_back({"partial block", w.bytes(), "not a multiple of the 32-element block"});
  }
  {
    GgufWriter w;
    w.str("general.architecture", "gpt2");
    cases.push_back({"other architecture", w.bytes(), "general.architecture is \"gpt2\""});
  }
  {
    // 5M one-byte items: within the file's size, but past the metadata item cap.
    std::vector<uint8_t> b = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    const std::string key = "huge";
    const uint64_t key_len = key.size(), n = 5'000'000;
    const uint32_t array = 9, u8 = 0;
    b.resize(b.size() + 8 + key.size() + 4 + 4 + 8);
    uint8_t* p = b.data() + 24;
    for (auto [src, len] : {std::pair<const void*, size_t>{&key_len, 8}, {key.data(), key.size()}, {&array, 4},
                            {&u8, 4}, {&n, 8}}) {
      std::memcpy(p, src, len);
      p += len;
    }
    b.resize(b.size() + n);
    cases.push_back({"too many array items", b, "more than 4194304 array items"});
  }
  for (const Case& c : cases) {
    const std::string err = error_of(c.bytes);
    EXPECT_NE(err.find(c.expect), std::string::npos) << c.what << ": " << err;
    EXPECT_EQ(err.rfind("tiny.gguf: ", 0), 0u) << c.what << ": " << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << c.what;
  }
}

TEST(GgufBadInput, EveryTruncationFailsCleanly) {
  const auto good = tiny_file();
  for (size_t n = 0; n < good.size(); n += 7) {
    const std::vector<uint8_t> cut(good.begin(), good.begin() + std::ptrdiff_t(n));
    EXPECT_NE(error_of(cut), "") << "cut at " << n;
  }
}

TEST(GgufBadInput, CliExitsWithCodeTwoAndOneLine) {
  test::TempDir dir;
  auto bytes = tiny_file(12);  // Q4_K attn_q
  test::write_file(dir / "bad.gguf", bytes.data(), bytes.size());
  const auto r = test::run_cli("generate -m " + test::quote(dir / "bad.gguf") + " -p hi -n 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.gguf: unsupported tensor type Q4_K in tensor blk.0.attn_q.weight"), std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  bytes = tiny_file();
  poke(bytes, 4, uint32_t{1});
  test::write_file(dir / "v1.gguf", bytes.data(), bytes.size());
  const auto v1 = test::run_cli("generate -m " + test::quote(dir / "v1.gguf") + " -p hi -n 1");
  EXPECT_EQ(v1.exit_code, 2);
  EXPECT_NE(v1.err.find("GGUF version 1 is not supported"), std::string::npos) << v1.err;
  EXPECT_EQ(std::count(v1.err.begin(), v1.err.end(), '\n'), 1) << v1.err;
}

TEST(Gguf, CliGeneratesFromTheFileAlone) {
  test::TempDir dir;
  const auto bytes = tiny_file();
  test::write_file(dir / "tiny.gguf", bytes.data(), bytes.size());
  const auto r = test::run_cli("generate -m " + test::quote(dir / "tiny.gguf") + " -p ab -n 3 --temperature 0");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("prompt 3 tokens"), std::string::npos) << r.err;  // <s> ▁a b
}

}  // namespace
}  // namespace llamafast
