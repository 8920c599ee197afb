// Broken models and arguments: each gives one clear error naming the file and
// the problem (Status invalid_input, CLI exit code 2), never a crash.
#include <fstream>

#include "llamafast/model.h"
#include "test_support.h"

namespace llamafast {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

const fs::path kLlama2c = test::fixtures_dir() / "models" / "llama2c_mha_shared" / "model.bin";
const fs::path kHf = test::fixtures_dir() / "models" / "hf_f32_llama3rope";

Status load_status(const fs::path& path) {
  return Model::load({.path = path.string(), .load_tokenizer = false}).status();
}

// Expects an invalid_input error whose message contains every piece of `needles`.
void expect_bad_input(const Status& st, std::initializer_list<std::string> needles) {
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::invalid_input);
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << "one line: " << st.message();
  for (const auto& n : needles) EXPECT_NE(st.message().find(n), std::string::npos) << st.message();
}

// Copies the HF fixture into a temp dir so a test can damage one file.
void copy_hf(const TempDir& dir) { fs::copy(kHf, dir.path(), fs::copy_options::recursive); }

void write_safetensors(const fs::path& p, const std::string& header, size_t data_bytes) {
  std::string bytes(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  bytes += header;
  bytes.append(data_bytes, '\0');
  test::write_file(p, bytes.data(), bytes.size());
}

TEST(BadInput, TruncatedLlama2cCheckpointIsReportedWithSizes) {
  TempDir dir;
  auto bytes = test::read_file(kLlama2c);
  bytes.resize(bytes.size() - 100);
  test::write_file(dir / "model.bin", bytes.data(), bytes.size());
  expect_bad_input(load_status(dir / "model.bin"), {"model.bin", "bytes", "implies"});
}

TEST(BadInput, Llama2cHeaderShorterThanItsSevenFieldsIsTruncated) {
  TempDir dir;
  const int32_t partial[3] = {64, 172, 2};
  test::write_file(dir / "model.bin", partial, sizeof(partial));
  expect_bad_input(load_status(dir / "model.bin"), {"model.bin", "truncated"});
}

TEST(BadInput, Llama2cHeaderWithInconsistentDimsNamesTheField) {
  TempDir dir;
  const int32_t header[7] = {64, 172, 2, 6, 4, 301, 128};  // 4 kv heads do not divide 6 heads... and 64 % 6 != 0
  test::write_file(dir / "model.bin", header, sizeof(header));
  expect_bad_input(load_status(dir / "model.bin"), {"model.bin", "n_heads"});
  const int32_t negative[7] = {64, -5, 2, 4, 4, 301, 128};
  test::write_file(dir / "neg.bin", negative, sizeof(negative));
  expect_bad_input(load_status(dir / "neg.bin"), {"neg.bin", "hidden_dim"});
}

TEST(BadInput, SafetensorsHeaderLengthPastTheEnd) {
  TempDir dir;
  copy_hf(dir);
  write_safetensors(dir / "model.safetensors", "{}", 0);
  // Now claim a longer header than the file holds.
  std::fstream f(dir / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
  const uint64_t huge = 1 << 20;
  f.write(reinterpret_cast<const char*>(&huge), 8);
  f.close();
  expect_bad_input(load_status(dir.path()), {"model.safetensors", "header length"});
}

TEST(BadInput, SafetensorsTensorOffsetsPastTheDataSection) {
  TempDir dir;
  copy_hf(dir);
  write_safetensors(dir / "model.safetensors",
                    R"({"model.norm.weight": {"dtype": "F32", "shape": [64], "data_offsets": [0, 256]}})", 100);
  expect_bad_input(load_status(dir.path()), {"model.safetensors", "model.norm.weight", "outside the data section"});
}

TEST(BadInput, SafetensorsOverlappingTensors) {
  TempDir dir;
  copy_hf(dir);
  write_safetensors(dir / "model.safetensors",
                    R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                        "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})",
                    32);
  expect_bad_input(load_status(dir.path()), {"model.safetensors", "overlap"});
}

TEST(BadInput, SafetensorsSizeThatDisagreesWithShape) {
  TempDir dir;
  copy_hf(dir);
  write_safetensors(dir / "model.safetensors",
                    R"({"a": {"dtype": "F32", "shape": [5], "data_offsets": [0, 16]}})", 16);
  expect_bad_input(load_status(dir.path()), {"model.safetensors", "'a'", "need"});
}

TEST(BadInput, SafetensorsHeaderThatIsNotJson) {
  TempDir dir;
  copy_hf(dir);
  write_safetensors(dir / "model.safetensors", "{not json", 0);
  expect_bad_input(load_status(dir.path()), {"model.safetensors", "JSON"});
}

TEST(BadInput, ConfigWithInconsistentHeadsNamesTheField) {
  TempDir dir;
  copy_hf(dir);
  auto config = test::read_json(dir / "config.json");
  config["num_key_value_heads"] = 3;
  std::ofstream(dir / "config.json") << config.dump();
  expect_bad_input(load_status(dir.path()), {"config.json", "n_kv_heads"});
}

TEST(BadInput, ConfigFieldOfWrongType) {
  TempDir dir;
  copy_hf(dir);
  auto config = test::read_json(dir / "config.json");
  config["hidden_size"] = "wide";
  std::ofstream(dir / "config.json") << config.dump();
  expect_bad_input(load_status(dir.path()), {"config.json", "hidden_size"});
}

TEST(BadInput, MissingTensorIsNamed) {
  TempDir dir;
  copy_hf(dir);
  auto config = test::read_json(dir / "config.json");
  config["num_hidden_layers"] = config["num_hidden_layers"].get<int>() + 1;  // a layer the file lacks
  std::ofstream(dir / "config.json") << config.dump();
  expect_bad_input(load_status(dir.path()), {"missing tensor", "attention_norm"});
}

TEST(BadInput, TensorOfTheWrongShapeIsNamedWithBothShapes) {
  TempDir dir;
  copy_hf(dir);
  auto config = test::read_json(dir / "config.json");
  config["intermediate_size"] = config["intermediate_size"].get<int>() + 2;
  std::ofstream(dir / "config.json") << config.dump();
  expect_bad_input(load_status(dir.path()), {"model.safetensors", "has shape", "expected"});
}

TEST(BadInput, TokenIdOutOfRange) {
  auto model = Model::load({.path = kLlama2c.string(), .load_tokenizer = false});
  ASSERT_TRUE(model.ok());
  auto session = Session::create(*model, {});
  ASSERT_TRUE(session.ok());
  const std::vector<int> ids = {1, 2, 100000};
  expect_bad_input((*session)->prefill(ids).status(), {"token id 100000", "out of range"});
  expect_bad_input((*session)->decode(-1).status(), {"token id -1"});
  EXPECT_EQ((*session)->position(), 0) << "a rejected call must not advance the sequence";
}

TEST(BadInput, PromptLongerThanTheContext) {
  auto model = Model::load({.path = kLlama2c.string(), .load_tokenizer = false});
  ASSERT_TRUE(model.ok());
  auto session = Session::create(*model, {.max_seq_len = 16});
  ASSERT_TRUE(session.ok());
  const std::vector<int> ids(17, 5);
  expect_bad_input((*session)->prefill(ids).status(), {"17 tokens", "capacity 16"});
}

TEST(BadInput, CliReportsOneLineAndExitCode2) {
  TempDir dir;
  const int32_t header[3] = {1, 2, 3};
  test::write_file(dir / "broken.bin", header, sizeof(header));
  const auto r = test::run_cli("logits -m " + test::quote(dir / "broken.bin") + " --tokens '1 2' -o " +
                               test::quote(dir / "out.npy"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("broken.bin"), std::string::npos) << r.err;
}

TEST(BadInput, CliRejectsAMissingModelFile) {
  const auto r = test::run_cli("logits -m /nonexistent/model.bin --tokens 1 -o /dev/null");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/model.bin"), std::string::npos) << r.err;
}

TEST(BadInput, CliRejectsATokenListThatIsNotNumbers) {
  const auto r = test::run_cli("logits -m " + test::quote(kLlama2c) + " --tokens '1 two' -o /dev/null");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'two'"), std::string::npos) << r.err;
}

TEST(BadInput, CliRejectsUnknownOptions) {
  const auto r = test::run_cli("generate --no-such-option");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace llamafast
