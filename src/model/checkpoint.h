// What every checkpoint reader produces: a config and named tensors, usually
// pointing straight into memory-mapped files. The runtime only ever sees this,
// so a new source format is one new reader (see model/open_checkpoint.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/dtype.h"
#include "io/mapped_file.h"
#include "kernels/kernels.h"
#include "model/config.h"
#include "tokenizer/tokenizer_files.h"

namespace llamafast {

struct Tensor {
  DType dtype = DType::f32;
  std::vector<int64_t> shape;  // row-major, outermost first
  const void* data = nullptr;
  size_t nbytes = 0;           // everything the tensor reads, scales included
  std::string origin;          // file it lives in, for error messages
  kernels::QuantLayout quant;  // q8 / q4: where integers (from data) and scales are
  bool int8_activations = false;  // q8 / q4: multiply with int8 activations (8da4w)
  bool bf16_activations = false;  // bf16 matrix: multiply with activations rounded to bf16

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

// Tensors use Meta's names: tok_embeddings.weight, norm.weight, output.weight,
// layers.N.attention.{wq,wk,wv,wo}.weight, layers.N.feed_forward.{w1,w2,w3}.weight,
// layers.N.{attention_norm,ffn_norm}.weight. Readers rename theirs to these.
struct Checkpoint {
  std::string source;  // what the user named (file or directory)
  std::string format;  // "llama2c", "hf-safetensors", ...
  ModelConfig config;
  std::map<std::string, Tensor> tensors;
  std::string tokenizer_path;  // the tokenizer that came with it, if any
  std::optional<TokenizerFiles> embedded_tokenizer;  // carried inside the file (.llf)
  std::vector<std::string> notes;  // how the config was found, for --verbose

  std::vector<MappedFile> files;                       // keep tensor data alive
  std::vector<std::unique_ptr<std::byte[]>> buffers;   // tensors that had to be copied

  // Takes ownership of a mapped file and returns it (stable address).
  const MappedFile& keep(MappedFile f) {
    files.push_back(std::move(f));
    return files.back();
  }
};

struct CheckpointRequest {
  std::string path;            // file or directory
  std::string params_path;     // Meta params.json when given explicitly
  std::string tokenizer_path;  // overrides the tokenizer found beside the model
};

// Detects the format from the content and reads it. Throws Error on bad input.
std::unique_ptr<Checkpoint> open_checkpoint(const CheckpointRequest& request);

// The readers (one file each).
std::unique_ptr<Checkpoint> read_llama2c(const std::string& path);
// The llama2.c parser over bytes the caller keeps alive (`path` names them in errors).
std::unique_ptr<Checkpoint> parse_llama2c(std::span<const std::byte> bytes, const std::string& path);
// GGUF (llama architecture; F32, F16, BF16, Q8_0, Q4_0 tensors); the file is
// also its own tokenizer.
std::unique_ptr<Checkpoint> read_gguf(const std::string& path);
std::unique_ptr<Checkpoint> parse_gguf_checkpoint(std::span<const std::byte> bytes, const std::string& path);
std::unique_ptr<Checkpoint> read_hf_directory(const std::string& dir);
// Meta: params.json + consolidated.NN.pth (model-parallel shards are merged);
// `params_path`, when given, replaces <dir>/params.json.
std::unique_ptr<Checkpoint> read_meta_directory(const std::string& dir, const std::string& params_path);
// One torch.save .pth file: a Meta consolidated.NN.pth (with its sibling shards, if
// any) or a gpt-fast / torchchat model.pth (fused attention.wqkv, told apart by its
// tensor names). Parameters come from `params_path`, else params.json or
// model_args.json beside the file, else from the tensor shapes where they can.
std::unique_ptr<Checkpoint> read_pth_checkpoint(const std::string& path, const std::string& params_path);
// llamafast's own .llf (io/llf_format.h); parse_llf works over bytes the caller keeps alive.
std::unique_ptr<Checkpoint> read_llf(const std::string& path);
std::unique_ptr<Checkpoint> parse_llf(std::span<const std::byte> bytes, const std::string& path);

}  // namespace llamafast
