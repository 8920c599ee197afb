// `llamafast export`: any checkpoint -> one .llf file, tensor by tensor.
//
// Memory stays flat whatever the model size: each tensor is converted in
// chunks of rows straight into the output file, and the source pages are
// released as soon as they are read (only the scales of one tensor are held whole).
// The layout is planned first, so the metadata (with every offset) is written
// before the data and the file is produced in a single forward pass.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "common/error.h"
#include "common/half.h"
#include "io/llf_writer.h"
#include "llamafast/export.h"
#include "model/checkpoint.h"
#include "model/config_json.h"
#include "model/weights.h"
#include "quant/quantize.h"
#include "quant/random_model.h"

namespace llamafast {

using nlohmann::json;

namespace {

constexpr size_t kChunkBytes = size_t(4) << 20;  // fp32 rows converted at once

std::string_view scheme_name(QuantScheme s) {
  switch (s) {
    case QuantScheme::none: return "none";
    case QuantScheme::int8: return "int8";
    case QuantScheme::int4: return "int4";
    case QuantScheme::da8w4: return "8da4w";
    case QuantScheme::da8w8: return "8da8w";
  }
  return "?";
}

// One tensor of the output: where it comes from and how it is stored.
struct Planned {
  std::string name;
  const Tensor* source = nullptr;
  DType dtype = DType::f32;
  int rows = 1, cols = 0, group = 0;
  bool int8_activations = false;
  bool bf16_activations = false;
  uint64_t offset = 0, nbytes = 0;
  DType scale_dtype = DType::f32;
  uint64_t scales_offset = 0, scales_nbytes = 0;
};

struct EmbeddedFile {
  std::string name;
  const std::string* content;
  uint64_t offset = 0;
};

DType parse_export_dtype(const std::string& name, DType source) {
  if (name.empty()) return is_quantized(source) ? DType::f32 : source;
  if (name == "fp32" || name == "f32") return DType::f32;
  if (name == "fp16" || name == "f16") return DType::f16;
  if (name == "bf16") return DType::bf16;
  fail("unknown --dtype '{}' (use fp32, fp16 or bf16)", name);
}

void check_group(int group, const char* option) {
  if (group != 32 && group != 64 && group != 128 && group != 256)
    fail("{} {} is not supported (use 32, 64, 128 or 256)", option, group);
}

class Exporter {
 public:
  explicit Exporter(const ExportOptions& o) : o_(o) {
    if (o.output.empty()) fail("no output file given (-o OUT.llf)");
    check_group(o.group_size, "--group-size");
    check_group(o.embedding_group_size, "embedding group size");
    if (o.embeddings == QuantScheme::da8w4 || o.embeddings == QuantScheme::da8w8) {
      fail("embeddings can be quantized to int8 or int4, not {}", scheme_name(o.embeddings));
    }
  }

  void run() {
    if (o_.random_shape.empty()) {
      ck_ = open_checkpoint({o_.source, o_.params_path, o_.tokenizer_path});
      bind_weights(*ck_);  // every tensor present with its shape, before anything is written
    } else {
      ck_ = random_checkpoint(o_.random_shape);
      ck_->tokenizer_path = o_.tokenizer_path;
    }
    config_ = ck_->config;
    config_.validate(ck_->source);
    load_tokenizer_files();
    if (o_.max_seq_len > 0) config_.max_seq_len = std::min(config_.max_seq_len, o_.max_seq_len);
    if (!o_.tie_word_embeddings) config_.tied_embeddings = false;
    const DType dtype = parse_export_dtype(o_.dtype, tensor("layers.0.attention.wq.weight").dtype);
    if (o_.bf16_activations && (dtype != DType::bf16 || o_.linear != QuantScheme::none))
      fail("--bf16-activations needs bf16 matrices (--dtype bf16) and no --quantize-linear");
    plan(dtype);
    const uint64_t data_size = layout();

    llf::Writer writer(o_.output);
    writer.begin(metadata(dtype).dump(1), data_size);
    for (size_t i = 0; i < planned_.size(); ++i) {
      check_cancel();
      write_tensor(writer, planned_[i]);
      if (o_.progress) o_.progress(int(i + 1), int(planned_.size()));
    }
    for (const EmbeddedFile& f : files_)
      writer.write(f.offset, {reinterpret_cast<const std::byte*>(f.content->data()), f.content->size()});
    check_cancel();
    writer.commit();
  }

 private:
  const Tensor& tensor(const std::string& name) const {
    auto it = ck_->tensors.find(name);
    if (it == ck_->tensors.end()) fail("{}: missing tensor '{}'", ck_->source, name);
    return it->second;
  }

  void check_cancel() const {
    if (o_.cancel && o_.cancel->load()) throw Error(StatusCode::internal, "interrupted; no file written");
  }

  void load_tokenizer_files() {
    if (o_.without_tokenizer || (!o_.random_shape.empty() && o_.tokenizer_path.empty())) return;
    if (o_.tokenizer_path.empty() && ck_->embedded_tokenizer) {
      tokenizer_ = *ck_->embedded_tokenizer;
    } else {
      if (ck_->tokenizer_path.empty())
        fail("{}: no tokenizer found beside the model; pass one with --tokenizer (the .llf embeds it)",
             ck_->source);
      tokenizer_ = read_tokenizer_files(ck_->tokenizer_path);
    }
    // Build it once: a tokenizer that does not load must fail the export, not the run.
    const auto tok = tokenizer_from_files(tokenizer_, ck_->tokenizer_path.empty() ? ck_->source : ck_->tokenizer_path);
    if (tok->vocab_size() > config_.vocab_size)
      fail("{}: tokenizer has {} tokens but the model only {}", ck_->tokenizer_path, tok->vocab_size(),
           config_.vocab_size);
    if (config_.bos_id < 0) config_.bos_id = tok->bos_id();
    if (config_.eos_ids.empty()) config_.eos_ids = tok->eos_ids();
  }

  void add(const std::string& name, const Tensor& src, DType float_dtype, QuantScheme scheme, int group) {
    Planned p;
    p.name = name;
    p.source = &src;
    p.cols = int(src.shape.back());
    p.rows = src.shape.size() == 2 ? int(src.shape[0]) : 1;
    if (src.shape.size() != 2 || scheme == QuantScheme::none) {
      p.dtype = src.shape.size() == 2 ? float_dtype : DType::f32;  // norms stay fp32
      // Every bf16 matrix, the embeddings too: a tied head is a matmul over them.
      p.bf16_activations = o_.bf16_activations && p.dtype == DType::bf16 && src.shape.size() == 2;
    } else {
      const bool q8 = scheme == QuantScheme::int8 || scheme == QuantScheme::da8w8;
      p.dtype = q8 ? DType::q8 : DType::q4;
      p.group = q8 ? p.cols : group;
      p.int8_activations = scheme == QuantScheme::da8w4 || scheme == QuantScheme::da8w8;
      p.scale_dtype = p.dtype == DType::q8 ? DType::f32 : DType::f16;
    }
    planned_.push_back(std::move(p));
  }

  void plan(DType dtype) {
    const ModelConfig& c = config_;
    add("tok_embeddings.weight", tensor("tok_embeddings.weight"), dtype, o_.embeddings, o_.embedding_group_size);
    for (int l = 0; l < c.n_layers; ++l) {
      const std::string p = "layers." + std::to_string(l) + ".";
      for (const char* n : {"attention_norm", "attention.wq", "attention.wk", "attention.wv", "attention.wo",
                            "ffn_norm", "feed_forward.w1", "feed_forward.w2", "feed_forward.w3"}) {
        const std::string name = p + n + ".weight";
        add(name, tensor(name), dtype, o_.linear, o_.group_size);
      }
    }
    add("norm.weight", tensor("norm.weight"), dtype, QuantScheme::none, 0);
    if (!c.tied_embeddings) {
      // A separate head: the source's own, or a copy of the embeddings when untying.
      const bool has_head = ck_->tensors.count("output.weight") != 0;
      add("output.weight", tensor(has_head ? "output.weight" : "tok_embeddings.weight"), dtype, o_.linear,
          o_.group_size);
    }
  }

  // Assigns aligned offsets in file order; returns the data size.
  uint64_t layout() {
    uint64_t at = 0;
    auto place = [&at](uint64_t n) {
      const uint64_t o = at;
      at = llf::align_up(at + n);
      return o;
    };
    for (Planned& p : planned_) {
      if (is_quantized(p.dtype)) {
        const uint64_t row = p.dtype == DType::q4 ? quant::q4_row_bytes(p.cols, p.group) : uint64_t(p.cols);
        p.nbytes = uint64_t(p.rows) * row;
        p.scales_nbytes = uint64_t(p.rows) * quant::group_count(p.cols, p.group) * dtype_size(p.scale_dtype);
        p.offset = place(p.nbytes);
        p.scales_offset = place(p.scales_nbytes);
      } else {
        p.nbytes = uint64_t(p.rows) * p.cols * dtype_size(p.dtype);
        p.offset = place(p.nbytes);
      }
    }
    for (const auto& [name, content] : tokenizer_.files) files_.push_back({name, &content, place(content.size())});
    return at;
  }

  json metadata(DType dtype) const {
    json tensors = json::array();
    for (const Planned& p : planned_) {
      json t = {{"name", p.name},
                {"dtype", dtype_name(p.dtype)},
                {"shape", p.source->shape},
                {"offset", p.offset},
                {"nbytes", p.nbytes}};
      if (is_quantized(p.dtype)) {
        t["group"] = p.group;
        t["scales"] = {{"dtype", dtype_name(p.scale_dtype)}, {"offset", p.scales_offset}, {"nbytes", p.scales_nbytes}};
        t["int8_activations"] = p.int8_activations;
      }
      if (p.bf16_activations) t["bf16_activations"] = true;
      tensors.push_back(std::move(t));
    }
    json files = json::array();
    for (const EmbeddedFile& f : files_)
      files.push_back({{"name", f.name}, {"offset", f.offset}, {"nbytes", f.content->size()}});
    json sources = json::array();
    for (const MappedFile& f : ck_->files) sources.push_back(std::filesystem::path(f.path()).filename().string());
    json m = {
        {"format", "llamafast"},
        {"config", config_to_json(config_)},
        {"tensors", tensors},
        {"provenance",
         {{"source", ck_->source},
          {"source_format", ck_->format},
          {"source_files", sources},
          {"llamafast_version", LLAMAFAST_VERSION},
          {"options",
           {{"dtype", dtype_name(dtype)},
            {"quantize_linear", scheme_name(o_.linear)},
            {"bf16_activations", o_.bf16_activations},
            {"group_size", o_.group_size},
            {"quantize_embeddings", scheme_name(o_.embeddings)},
            {"embedding_group_size", o_.embedding_group_size},
            {"tie_word_embeddings", o_.tie_word_embeddings},
            {"max_seq_len", o_.max_seq_len}}}}},
    };
    if (!tokenizer_.files.empty())
      m["tokenizer"] = {{"kind", tokenizer_.kind}, {"main", tokenizer_.main}, {"files", files}};
    return m;
  }

  void write_tensor(llf::Writer& w, const Planned& p) {
    const Tensor& src = *p.source;
    const kernels::WeightMatrix in{src.dtype, src.data, p.rows, p.cols, src.quant};
    const int chunk_rows = std::max(1, int(kChunkBytes / (sizeof(float) * size_t(p.cols))));
    const int groups = p.group > 0 ? quant::group_count(p.cols, p.group) : 0;
    const size_t row_bytes = p.dtype == DType::q4   ? quant::q4_row_bytes(p.cols, p.group)
                             : p.dtype == DType::q8 ? size_t(p.cols)
                                                    : size_t(p.cols) * dtype_size(p.dtype);
    std::vector<float> rows(size_t(chunk_rows) * p.cols);
    std::vector<std::byte> out(size_t(chunk_rows) * row_bytes);
    std::vector<float> scales32(p.dtype == DType::q8 ? size_t(p.rows) * groups : 0);
    std::vector<uint16_t> scales16(p.dtype == DType::q4 ? size_t(p.rows) * groups : 0);

    for (int r0 = 0; r0 < p.rows; r0 += chunk_rows) {
      check_cancel();
      const int n = std::min(chunk_rows, p.rows - r0);
      for (int r = 0; r < n; ++r) {
        float* row = &rows[size_t(r) * p.cols];
        if (src.data) kernels::weight_row_to_f32(in, r0 + r, row);
        else random_row(p.name, src.shape.size() == 1, r0 + r, row, p.cols);
        std::byte* dst = &out[size_t(r) * row_bytes];
        const size_t at = size_t(r0 + r) * groups;
        switch (p.dtype) {
          case DType::f32: std::memcpy(dst, row, row_bytes); break;
          case DType::f16:
          case DType::bf16:
            for (int c = 0; c < p.cols; ++c) {
              const uint16_t h = p.dtype == DType::f16 ? f32_to_f16(row[c]) : f32_to_bf16(row[c]);
              std::memcpy(dst + size_t(c) * 2, &h, 2);
            }
            break;
          case DType::q8:
            quant::quantize_q8_row(row, p.cols, p.group, reinterpret_cast<int8_t*>(dst), &scales32[at]);
            break;
          case DType::q4:
            quant::quantize_q4_row(row, p.cols, p.group, reinterpret_cast<uint8_t*>(dst), &scales16[at]);
            break;
        }
      }
      w.write(p.offset + uint64_t(r0) * row_bytes, {out.data(), size_t(n) * row_bytes});
      if (src.data && !is_quantized(src.dtype)) {  // float rows are contiguous: drop the ones just read
        const size_t src_row = size_t(p.cols) * dtype_size(src.dtype);
        release(static_cast<const std::byte*>(src.data) + size_t(r0) * src_row, size_t(n) * src_row);
      }
    }
    if (!scales32.empty()) w.write(p.scales_offset, std::as_bytes(std::span(scales32)));
    if (!scales16.empty()) w.write(p.scales_offset, std::as_bytes(std::span(scales16)));
    if (src.data) release(src.data, src.nbytes);
  }

  void release(const void* p, size_t n) const {
    for (const MappedFile& f : ck_->files) f.release(p, n);
  }

  const ExportOptions& o_;
  std::unique_ptr<Checkpoint> ck_;
  ModelConfig config_;
  TokenizerFiles tokenizer_;
  std::vector<Planned> planned_;
  std::vector<EmbeddedFile> files_;
};

}  // namespace

Status export_model(const ExportOptions& options) {
  return catch_status([&] { Exporter(options).run(); });
}

}  // namespace llamafast
