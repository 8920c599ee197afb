// Chooses the reader for a model path by looking at what is there.
#include <filesystem>
#include <fstream>
#include <regex>

#include "common/error.h"
#include "model/checkpoint.h"

namespace llamafast {

namespace fs = std::filesystem;

namespace {

// The first bytes of a file (fewer if it is shorter).
std::string file_start(const std::string& path, size_t n) {
  std::ifstream f(path, std::ios::binary);
  std::string s(n, '\0');
  f.read(s.data(), std::streamsize(n));
  s.resize(size_t(f.gcount()));
  return s;
}

bool has_meta_shards(const fs::path& dir) {
  static const std::regex shard(R"(consolidated\.\d+\.pth)");
  for (const auto& entry : fs::directory_iterator(dir))
    if (std::regex_match(entry.path().filename().string(), shard)) return true;
  return false;
}

}  // namespace

std::unique_ptr<Checkpoint> open_checkpoint(const CheckpointRequest& request) {
  const std::string& path = request.path;
  if (path.empty()) fail("no model given (use -m PATH)");
  if (!fs::exists(path)) fail("{}: no such file or directory", path);

  std::unique_ptr<Checkpoint> ck;
  if (fs::is_directory(path)) {
    if (fs::exists(fs::path(path) / "config.json")) {
      ck = read_hf_directory(path);
    } else if (has_meta_shards(path)) {
      ck = read_meta_directory(path, request.params_path);
    } else if (fs::exists(fs::path(path) / "model.pth")) {
      ck = read_pth_checkpoint((fs::path(path) / "model.pth").string(), request.params_path);
    } else {
      fail("{}: not a model directory (expected config.json with safetensors, params.json with "
           "consolidated.*.pth, or model.pth)",
           path);
    }
  } else if (file_start(path, 8) == "LLAMAFST") {
    ck = read_llf(path);
  } else if (fs::path(path).extension() == ".safetensors") {
    const fs::path dir = fs::path(path).parent_path();
    if (!fs::exists(dir / "config.json")) fail("{}: no config.json beside this safetensors file", path);
    ck = read_hf_directory(dir.empty() ? "." : dir.string());
  } else if (file_start(path, 4) == "GGUF") {
    ck = read_gguf(path);
  } else if (const fs::path ext = fs::path(path).extension();
             ext == ".pth" || ext == ".pt" || file_start(path, 4) == "PK\x03\x04") {
    ck = read_pth_checkpoint(path, request.params_path);  // torch.save zip archives
  } else {
    ck = read_llama2c(path);
  }
  if (!request.params_path.empty() && ck->format != "meta-pth" && ck->format != "gptfast-pth")
    fail("{}: a params file ({}) only applies to .pth checkpoints; this is {}", path, request.params_path, ck->format);
  if (!request.tokenizer_path.empty()) ck->tokenizer_path = request.tokenizer_path;
  return ck;
}

}  // namespace llamafast
