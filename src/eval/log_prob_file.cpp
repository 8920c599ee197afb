// The --kl-base file: a base model's log-probabilities at every scored position.
//
// Layout (little-endian, no padding):
//   offset  size  field
//        0     8  magic "LFLOGPRB"
//        8     4  u32 version (1)
//       12     4  u32 vocab
//       16     8  u64 token_count: scored positions (rows)
//       24     4  u32 ctx: the window length they were scored with
//       28     4  u32 reserved, 0
//       32     8  u64 token_hash: FNV-1a 64 of the whole stream (BOS included), ids as u32
//       40     8  f64 nll_total of the base model
//       48     -  f32 ln p rows [token_count][vocab], in stream order
// The hash ties the rows to one text, tokenizer and BOS choice; the file's
// length must be exactly 48 + token_count * vocab * 4.
#include "llamafast/log_prob_file.h"

#include <unistd.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>

#include <fmt/format.h>

namespace llamafast {

static_assert(std::endian::native == std::endian::little, "the file is read and written as the host's values");

namespace {

constexpr char kMagic[8] = {'L', 'F', 'L', 'O', 'G', 'P', 'R', 'B'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 48;

template <class T>
void put(char* at, T value) {
  std::memcpy(at, &value, sizeof(T));
}

template <class T>
T get(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

void encode_header(const LogProbHeader& h, char (&out)[kHeaderBytes]) {
  std::memcpy(out, kMagic, sizeof(kMagic));
  put<uint32_t>(out + 8, kVersion);
  put<uint32_t>(out + 12, uint32_t(h.vocab));
  put<uint64_t>(out + 16, h.token_count);
  put<uint32_t>(out + 24, uint32_t(h.ctx));
  put<uint32_t>(out + 28, 0);
  put<uint64_t>(out + 32, h.token_hash);
  put<double>(out + 40, h.nll_total);
}

Status bad(const std::string& path, const std::string& what) {
  return Status(StatusCode::invalid_input, fmt::format("{}: {}", path, what));
}

}  // namespace

uint64_t hash_tokens(std::span<const int> tokens) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (int t : tokens) {
    const auto u = uint32_t(t);
    for (int b = 0; b < 4; ++b) {
      h ^= (u >> (8 * b)) & 0xff;
      h *= 0x100000001b3ull;
    }
  }
  return h;
}

LogProbWriter::LogProbWriter(std::string path, std::string temp_path, LogProbHeader header, std::ofstream out)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), header_(header), out_(std::move(out)) {}

LogProbWriter::~LogProbWriter() {
  if (committed_) return;
  out_.close();
  std::error_code ignored;
  std::filesystem::remove(temp_path_, ignored);
}

Result<std::unique_ptr<LogProbWriter>> LogProbWriter::create(const std::string& path, const LogProbHeader& header) {
  // Beside the target, so the final rename stays within one file system.
  const std::string temp = fmt::format("{}.tmp.{}", path, ::getpid());
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  if (!out) return Status(StatusCode::invalid_input, fmt::format("{}: cannot create {}", path, temp));
  char bytes[kHeaderBytes];
  encode_header(header, bytes);  // nll_total is filled in by commit()
  out.write(bytes, kHeaderBytes);
  return std::make_unique<LogProbWriter>(path, temp, header, std::move(out));
}

Status LogProbWriter::append(std::span<const float> rows) {
  const size_t vocab = size_t(header_.vocab);
  if (rows.size() % vocab != 0 || rows_written_ + rows.size() / vocab > header_.token_count)
    return Status(StatusCode::internal, fmt::format("{}: rows do not fit the header", path_));
  out_.write(reinterpret_cast<const char*>(rows.data()), std::streamsize(rows.size() * sizeof(float)));
  if (!out_) return Status(StatusCode::internal, fmt::format("{}: write failed (disk full?)", temp_path_));
  rows_written_ += rows.size() / vocab;
  return {};
}

Status LogProbWriter::commit(double nll_total) {
  if (rows_written_ != header_.token_count)
    return Status(StatusCode::internal,
                  fmt::format("{}: {} of {} rows written", path_, rows_written_, header_.token_count));
  header_.nll_total = nll_total;
  char bytes[kHeaderBytes];
  encode_header(header_, bytes);
  out_.seekp(0);
  out_.write(bytes, kHeaderBytes);
  out_.close();
  if (!out_) return Status(StatusCode::internal, fmt::format("{}: write failed (disk full?)", temp_path_));
  std::error_code ec;
  std::filesystem::rename(temp_path_, path_, ec);
  if (ec) return Status(StatusCode::internal, fmt::format("{}: cannot rename {} into place: {}", path_, temp_path_, ec.message()));
  committed_ = true;
  return {};
}

LogProbReader::LogProbReader(std::string path, LogProbHeader header, std::ifstream in)
    : path_(std::move(path)), header_(header), in_(std::move(in)) {}

Result<std::unique_ptr<LogProbReader>> LogProbReader::open(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return bad(path, "cannot read: " + ec.message());
  std::ifstream in(path, std::ios::binary);
  char bytes[kHeaderBytes];
  if (!in || size < kHeaderBytes || !in.read(bytes, kHeaderBytes))
    return bad(path, fmt::format("not a llamafast log-probability file ({} bytes, shorter than its header)", size));
  if (std::memcmp(bytes, kMagic, sizeof(kMagic)) != 0) return bad(path, "not a llamafast log-probability file (bad magic)");
  if (const auto version = get<uint32_t>(bytes + 8); version != kVersion)
    return bad(path, fmt::format("log-probability file version {} is not supported (expected {})", version, kVersion));

  LogProbHeader h;
  const auto vocab = get<uint32_t>(bytes + 12), ctx = get<uint32_t>(bytes + 24);
  h.token_count = get<uint64_t>(bytes + 16);
  h.token_hash = get<uint64_t>(bytes + 32);
  h.nll_total = get<double>(bytes + 40);
  if (vocab == 0 || vocab > uint32_t(std::numeric_limits<int>::max()) || ctx == 0 ||
      ctx > uint32_t(std::numeric_limits<int>::max()) || h.token_count == 0)
    return bad(path, fmt::format("corrupt header (vocab {}, ctx {}, tokens {})", vocab, ctx, h.token_count));
  h.vocab = int(vocab);
  h.ctx = int(ctx);
  const uint64_t row_bytes = uint64_t(vocab) * sizeof(float);
  if (h.token_count > (std::numeric_limits<uint64_t>::max() - kHeaderBytes) / row_bytes ||
      kHeaderBytes + h.token_count * row_bytes != size)
    return bad(path, fmt::format("truncated or corrupt: {} bytes, but its header promises {} rows of {} floats", size,
                                 h.token_count, vocab));
  return std::make_unique<LogProbReader>(path, h, std::move(in));
}

Status LogProbReader::check_matches(const LogProbHeader& expected) const {
  if (header_.vocab != expected.vocab)
    return bad(path_, fmt::format("made with a vocabulary of {} tokens, this model has {}", header_.vocab, expected.vocab));
  if (header_.ctx != expected.ctx)
    return bad(path_, fmt::format("scored with --ctx {}, this run uses {}; pass the same --ctx", header_.ctx, expected.ctx));
  if (header_.token_count != expected.token_count || header_.token_hash != expected.token_hash)
    return bad(path_, fmt::format("made for a different token stream ({} tokens, this text has {}): another text or "
                                  "tokenizer; remove it or name another --kl-base",
                                  header_.token_count, expected.token_count));
  return {};
}

Status LogProbReader::read(size_t first, std::span<float> out) {
  const size_t vocab = size_t(header_.vocab);
  if (out.size() % vocab != 0 || first + out.size() / vocab > header_.token_count)
    return Status(StatusCode::internal, fmt::format("{}: rows {}.. are past the end", path_, first));
  in_.seekg(std::streamoff(kHeaderBytes + first * vocab * sizeof(float)));
  if (!in_.read(reinterpret_cast<char*>(out.data()), std::streamsize(out.size() * sizeof(float))))
    return bad(path_, fmt::format("read failed at row {}", first));
  return {};
}

}  // namespace llamafast
