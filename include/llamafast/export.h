// Exporting a checkpoint into one deployable .llf file (format: docs/format.md),
// optionally quantized, and checking .llf files.
//
//   llamafast::ExportOptions o{.source = "Llama-3.2-1B/", .output = "llama.llf"};
//   o.linear = llamafast::QuantScheme::int4;   // 4-bit weights, groups of 32
//   llamafast::Status st = llamafast::export_model(o);
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "llamafast/status.h"

namespace llamafast {

// How a weight matrix is stored.
enum class QuantScheme {
  none,   // the export dtype (fp32 / fp16 / bf16)
  int8,   // int8 per output channel (one fp32 scale per row), fp32 activations
  int4,   // int4 per group of `group_size` columns (fp16 scales), fp32 activations
  da8w4,  // "8da4w": int4 weights as int4, activations quantized per token to int8
          // at run time and multiplied with integer dot products
  da8w8,  // "8da8w": int8 weights as int8 (per output channel), activations as in 8da4w
};

struct ExportOptions {
  std::string source;          // anything Model::load reads: llama2.c .bin, HF or Meta directory, .pth, .llf
  // Instead of a source: random weights of a real shape, for benchmarks ("stories110m",
  // "tinyllama-1.1b", "llama-3.2-1b", "llama-2-7b"); no tokenizer unless one is given.
  std::string random_shape{};
  std::string params_path{};   // Meta params.json for a .pth (default: beside it)
  std::string tokenizer_path{};  // default: the tokenizer found with the model; it is embedded
  bool without_tokenizer = false;  // export weights only (running the file then needs a tokenizer given)
  std::string output;          // the .llf to write (replaced atomically)
  std::string dtype{};         // "fp32", "fp16", "bf16" for unquantized matrices; "" = as in the source
  QuantScheme linear = QuantScheme::none;  // attention and feed-forward matrices (and an untied output head)
  // bf16 matrices multiply activations rounded to bf16 (prefill by bf16 dot
  // products, as PyTorch's and llama.cpp's bf16 inference round them); needs
  // dtype "bf16" and linear == none.
  bool bf16_activations = false;
  int group_size = 32;         // int4 / 8da4w group (32, 64, 128 or 256; a row's last group may be shorter)
  QuantScheme embeddings = QuantScheme::none;  // none, int8 (per row) or int4
  int embedding_group_size = 32;
  bool tie_word_embeddings = true;  // false: store a separate output head even if the model ties it
  int max_seq_len = 0;         // > 0: cap the context the file declares
  // Called after each tensor with (tensors done, total); may be empty.
  std::function<void(int done, int total)> progress{};
  // Set from another thread (e.g. a SIGINT handler) to stop the export; the
  // output is then left untouched and the status says "interrupted".
  const std::atomic<bool>* cancel = nullptr;
};

// Reads the source tensor by tensor and writes `output`; never leaves a partial
// file at `output` (it is written to a temporary name and renamed at the end).
Status export_model(const ExportOptions& options);

// The metadata and tensor table of a .llf file as readable text (header
// checksum checked, data not read).
Result<std::string> describe_llf(const std::string& path);

// Checks a .llf file completely: header, table, and the checksum of all data.
Status verify_llf(const std::string& path);

}  // namespace llamafast
