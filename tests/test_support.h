// Helpers shared by the tests: data locations, fixture loading, running the CLI.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace llamafast::test {

namespace fs = std::filesystem;

inline fs::path source_dir() { return LLAMAFAST_SOURCE_DIR; }
inline fs::path fixtures_dir() { return source_dir() / "tests" / "fixtures"; }

// ../shared (or $LLAMAFAST_SHARED): real models and data a user's clone lacks.
inline fs::path shared_dir() {
  if (const char* env = std::getenv("LLAMAFAST_SHARED"); env && *env) return env;
  return LLAMAFAST_SHARED_DIR;
}

#define LLAMAFAST_REQUIRE_SHARED(relative)                                                        \
  do {                                                                                            \
    if (!std::filesystem::exists(::llamafast::test::shared_dir() / (relative)))                   \
      GTEST_SKIP() << "shared test data not found: " << (::llamafast::test::shared_dir() / (relative)) \
                   << " (it sits beside the checkout as ../shared; set LLAMAFAST_SHARED to move it)"; \
  } while (0)

inline std::vector<char> read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline void write_file(const fs::path& p, const void* data, size_t n) {
  std::ofstream f(p, std::ios::binary);
  f.write(static_cast<const char*>(data), std::streamsize(n));
}

inline nlohmann::json read_json(const fs::path& p) {
  std::ifstream f(p);
  return nlohmann::json::parse(f);
}

inline std::vector<float> read_floats(const fs::path& p) {
  const std::vector<char> bytes = read_file(p);
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

// A fresh empty directory under the system temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("llamafast-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  fs::path path_;
};

struct CommandResult {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the llamafast CLI with `args` (already shell-quoted), `input` on its
// stdin (a file, not a terminal), and captures both streams.
inline CommandResult run_cli(const std::string& args, const std::string& input = {}) {
  TempDir dir;
  write_file(dir / "in", input.data(), input.size());
  const std::string cmd = std::string("'") + LLAMAFAST_CLI_PATH + "' " + args + " >'" + (dir / "out").string() +
                          "' 2>'" + (dir / "err").string() + "' <'" + (dir / "in").string() + "'";
  const int status = std::system(cmd.c_str());
  const auto out = read_file(dir / "out"), err = read_file(dir / "err");
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, std::string(out.begin(), out.end()),
          std::string(err.begin(), err.end())};
}

// max |a - b| / max |b|: the measure for logits, insensitive to their
// scale; infinite when the sizes differ.
inline double relative_error(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size()) return INFINITY;
  double diff = 0, scale = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    diff = std::max(diff, double(std::fabs(a[i] - b[i])));
    scale = std::max(scale, double(std::fabs(b[i])));
  }
  return diff / scale;
}

inline std::string quote(const fs::path& p) { return "'" + p.string() + "'"; }

}  // namespace llamafast::test
