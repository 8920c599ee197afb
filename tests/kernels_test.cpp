// Every SIMD kernel table against the scalar reference (src/kernels/scalar.cpp)
// on fresh random data. Each test runs once per ISA and skips where the CPU
// cannot run that ISA.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "common/half.h"
#include "guarded_buffer.h"
#include "kernels/cpu_features.h"
#include "kernels/isa_tables.h"
#include "kernels/kernels.h"

namespace llamafast::kernels {
namespace {

using test::GuardedBuffer;

// Tolerance for one output y = sum_c x_c w_c computed by two fp32 kernels that
// form the same exact products but add them in different orders (lanes, then
// across lanes, then across column blocks; scalar left to right). Each
// addition rounds with relative error <= u = 2^-24 ~ 6e-8, so each result is
// within about cols * u * sum_c |x_c w_c| of the exact sum; that worst case
// (1.5e-5 at 257 columns) needs every rounding error to line up, while in
// practice they have random signs and grow like sqrt(cols) * u (~1e-6 here).
// 1e-5 relative to sum |x_c w_c| is therefore loose enough never to flag a
// correct reordering and tight enough to flag any real mistake: a dropped,
// doubled or misplaced product changes y by about sum|x w| / cols, which is
// > 1e-3 of it at these sizes. The absolute term covers sums that are ~0.
constexpr double kRelTol = 1e-5;
constexpr double kAbsTol = 1e-30;

// A value the kernels never produce from our data, to spot writes out of range.
constexpr float kSentinel = -12345.678f;

std::vector<std::byte> random_weights(DType dtype, int rows, int cols, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const size_t count = size_t(rows) * cols;
  std::vector<std::byte> bytes(count * dtype_size(dtype));
  for (size_t i = 0; i < count; ++i) {
    const float v = dist(rng);
    if (dtype == DType::f32) {
      std::memcpy(bytes.data() + 4 * i, &v, 4);
    } else {
      const uint16_t h = dtype == DType::f16 ? f32_to_f16(v) : f32_to_bf16(v);
      std::memcpy(bytes.data() + 2 * i, &h, 2);
    }
  }
  return bytes;
}

std::vector<float> random_floats(size_t count, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(count);
  for (float& f : v) f = dist(rng);
  return v;
}

// The same values rounded to bf16: the activations bf16_activations matmuls
// take (WeightMatrix::bf16_activations).
std::vector<float> random_bf16_floats(size_t count, std::mt19937& rng) {
  std::vector<float> v = random_floats(count, rng);
  for (float& f : v) f = bf16_to_f32(f32_to_bf16(f));
  return v;
}

struct MatmulCase {
  DType dtype;
  int rows, cols, n;
  int row_begin, row_end, ldy;
  bool bf16_activations = false;

  std::string describe() const {
    return std::string(dtype_name(dtype)) + (bf16_activations ? " bf16-activations" : "") +
           " rows=" + std::to_string(rows) +
           " cols=" + std::to_string(cols) + " n=" + std::to_string(n) + " range=[" +
           std::to_string(row_begin) + "," + std::to_string(row_end) + ")" +
           " ldy=" + std::to_string(ldy);
  }
};

// Runs `table` and the scalar reference on the same inputs, y pre-filled with
// the sentinel; checks the requested block against the tolerance and that
// everything else in y is still the sentinel, bit for bit.
void expect_matmul_matches_scalar(const KernelTable& table, const MatmulCase& mc,
                                  const void* weights, const float* x) {
  SCOPED_TRACE(mc.describe());
  WeightMatrix W{mc.dtype, weights, mc.rows, mc.cols};
  W.bf16_activations = mc.bf16_activations;
  std::vector<float> y_ref(size_t(mc.n) * mc.ldy, kSentinel);
  std::vector<float> y(size_t(mc.n) * mc.ldy, kSentinel);
  scalar_table().matmul(W, x, mc.n, y_ref.data(), mc.ldy, mc.row_begin, mc.row_end, nullptr);
  table.matmul(W, x, mc.n, y.data(), mc.ldy, mc.row_begin, mc.row_end, nullptr);

  std::vector<float> w_row(mc.cols);
  int bad = 0;
  for (int r = 0; r < mc.rows && bad < 5; ++r) {
    scalar_table().row_to_f32(mc.dtype, static_cast<const std::byte*>(weights) +
                                            size_t(r) * mc.cols * dtype_size(mc.dtype),
                              w_row.data(), mc.cols);
    for (int t = 0; t < mc.n && bad < 5; ++t) {
      const size_t i = size_t(t) * mc.ldy + r;
      double magnitude = 0;
      const float* xt = x + size_t(t) * mc.cols;
      for (int c = 0; c < mc.cols; ++c) magnitude += std::fabs(double(xt[c]) * w_row[c]);
      const double diff = std::fabs(double(y[i]) - double(y_ref[i]));
      if (diff > kRelTol * magnitude + kAbsTol) {
        ++bad;
        ADD_FAILURE() << "y[t=" << t << ", r=" << r << "] = " << y[i] << ", scalar " << y_ref[i]
                      << ", |diff| " << diff << " > tolerance " << kRelTol * magnitude + kAbsTol;
      }
    }
  }
  for (int t = 0; t < mc.n; ++t) {
    for (int r = 0; r < mc.ldy; ++r) {
      if (r >= mc.row_begin && r < mc.row_end) continue;
      const size_t i = size_t(t) * mc.ldy + r;
      ASSERT_EQ(std::memcmp(&y[i], &kSentinel, 4), 0)
          << "y[t=" << t << ", r=" << r << "] outside the row range was overwritten with " << y[i];
    }
  }
}

// W x computed whole and in row ranges of sizes 1, 2, .., max_piece, 1, ..:
// the same bits.
void expect_rows_independent_of_range(const KernelTable& table, const WeightMatrix& W,
                                      const std::vector<float>& x, int n, int max_piece) {
  std::vector<float> whole(size_t(n) * W.rows), pieces(size_t(n) * W.rows);
  table.matmul(W, x.data(), n, whole.data(), W.rows, 0, W.rows, nullptr);
  for (int begin = 0, size = 1; begin < W.rows; begin += size, size = size % max_piece + 1) {
    table.matmul(W, x.data(), n, pieces.data(), W.rows, begin, std::min(W.rows, begin + size),
                 nullptr);
  }
  ASSERT_EQ(std::memcmp(whole.data(), pieces.data(), whole.size() * 4), 0);
}

class KernelTableTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    table_ = find(GetParam());
    if (table_ == nullptr) {
      GTEST_SKIP() << "the " << GetParam() << " kernels are not supported by this CPU or build";
    }
  }
  const KernelTable& table() const { return *table_; }

 private:
  const KernelTable* table_ = nullptr;
};

constexpr DType kDtypes[] = {DType::f32, DType::f16, DType::bf16};

TEST_P(KernelTableTest, MatmulMatchesScalarForEveryDtypeAndShape) {
  std::mt19937 rng(1234);
  for (DType dtype : kDtypes) {
    for (int cols : {1, 7, 31, 64, 172, 257}) {
      for (int rows : {1, 3, 6, 13, 21, 40}) {
        const auto weights = random_weights(dtype, rows, cols, rng);
        for (int n : {1, 2, 3, 4, 5, 6, 7, 12, 13, 16, 33}) {
          const auto x = random_floats(size_t(n) * cols, rng);
          expect_matmul_matches_scalar(table(), {dtype, rows, cols, n, 0, rows, rows},
                                       weights.data(), x.data());
        }
      }
    }
  }
}

TEST_P(KernelTableTest, MatmulWritesOnlyTheRequestedRowsOfY) {
  std::mt19937 rng(42);
  constexpr int rows = 19, cols = 45, ldy = 23;
  for (DType dtype : kDtypes) {
    const auto weights = random_weights(dtype, rows, cols, rng);
    for (int n : {1, 2, 9}) {
      const auto x = random_floats(size_t(n) * cols, rng);
      for (auto [begin, end] : {std::pair{0, rows}, {5, 14}, {7, 8}, {1, 4}, {17, 19}, {3, 3}}) {
        expect_matmul_matches_scalar(table(), {dtype, rows, cols, n, begin, end, ldy},
                                     weights.data(), x.data());
      }
    }
  }
}

// Shapes big enough to cross the SIMD kernels' cache blocks (columns split into
// several blocks, the last one ragged; more than one block of tokens).
TEST_P(KernelTableTest, MatmulMatchesScalarAcrossCacheBlocks) {
  std::mt19937 rng(7);
  for (DType dtype : kDtypes) {
    constexpr int rows = 37, cols = 1100;
    const auto weights = random_weights(dtype, rows, cols, rng);
    for (int n : {1, 100, 203}) {
      const auto x = random_floats(size_t(n) * cols, rng);
      expect_matmul_matches_scalar(table(), {dtype, rows, cols, n, 0, rows, rows + 2},
                                   weights.data(), x.data());
    }
  }
}

// Callers split rows across threads as they like; each row's result must be
// the same, bit for bit, whichever range it was computed in.
TEST_P(KernelTableTest, MatmulRowResultsDoNotDependOnTheRowRange) {
  std::mt19937 rng(17);
  constexpr int rows = 45;
  for (DType dtype : kDtypes) {
    for (int cols : {37, 300}) {
      const auto weights = random_weights(dtype, rows, cols, rng);
      const WeightMatrix W{dtype, weights.data(), rows, cols};
      for (int n : {1, 3, 20}) {
        SCOPED_TRACE(std::string(dtype_name(dtype)) + " cols=" + std::to_string(cols) +
                     " n=" + std::to_string(n));
        // Pieces of every size from 1 to 8, so rows land at every position of
        // every tile and panel size.
        expect_rows_independent_of_range(table(), W, random_floats(size_t(n) * cols, rng), n, 8);
      }
    }
  }
}

// The first 64-byte boundary at or after p.
template <class T>
T* align_to_64(T* p) {
  const auto misalign = reinterpret_cast<uintptr_t>(p) % 64;
  return reinterpret_cast<T*>(reinterpret_cast<std::byte*>(p) + (64 - misalign) % 64);
}

// The kernels step to an aligned address before their main loop; every
// starting alignment of the weights (and of x) must give the same answer.
TEST_P(KernelTableTest, MatmulMatchesScalarAtEveryAlignment) {
  std::mt19937 rng(21);
  for (DType dtype : kDtypes) {
    const int elems_per_line = 64 / int(dtype_size(dtype));
    for (int cols : {31, 257}) {
      constexpr int rows = 6;
      const auto weights = random_weights(dtype, rows, cols, rng);
      for (int n : {1, 3, 20}) {
        const auto x = random_floats(size_t(n) * cols, rng);
        // Room for the data after any offset from the first 64-byte boundary.
        std::vector<std::byte> w_store(weights.size() + 128);
        std::vector<float> x_store(x.size() + 32);
        for (int offset = 0; offset < elems_per_line; ++offset) {
          SCOPED_TRACE("weights start " + std::to_string(offset) +
                       " elements past a 64-byte boundary");
          std::byte* w = align_to_64(w_store.data()) + offset * dtype_size(dtype);
          float* xs = align_to_64(x_store.data()) + offset % 16;
          std::memcpy(w, weights.data(), weights.size());
          std::memcpy(xs, x.data(), x.size() * 4);
          expect_matmul_matches_scalar(table(), {dtype, rows, cols, n, 0, rows, rows}, w, xs);
        }
      }
    }
  }
}

// bf16 weights with bf16 activations: AVX512-BF16 multiplies them with bf16
// dot products from 13 tokens on (pairs of columns, so odd column counts end
// in a half pair); every table must still give the reference's sums. Shapes
// cross its blocks of 256 columns and 144 tokens and its panels of 32 rows.
TEST_P(KernelTableTest, MatmulWithBf16ActivationsMatchesScalar) {
  std::mt19937 rng(2024);
  for (int cols : {1, 2, 7, 31, 64, 257, 600}) {
    for (int rows : {1, 13, 40, 70}) {
      const auto weights = random_weights(DType::bf16, rows, cols, rng);
      for (int n : {1, 12, 13, 25, 150}) {
        const auto x = random_bf16_floats(size_t(n) * cols, rng);
        expect_matmul_matches_scalar(table(), {DType::bf16, rows, cols, n, 0, rows, rows + 3, true},
                                     weights.data(), x.data());
        if (rows > 6) {
          expect_matmul_matches_scalar(table(), {DType::bf16, rows, cols, n, 5, rows - 1, rows, true},
                                       weights.data(), x.data());
        }
      }
    }
  }
}

// As MatmulRowResultsDoNotDependOnTheRowRange, for the bf16 dot products:
// decode's tiles of 4 rows and prefill's panels of 32.
TEST_P(KernelTableTest, MatmulWithBf16ActivationsRowResultsDoNotDependOnTheRowRange) {
  std::mt19937 rng(31);
  constexpr int rows = 75, cols = 301;
  const auto weights = random_weights(DType::bf16, rows, cols, rng);
  WeightMatrix W{DType::bf16, weights.data(), rows, cols};
  W.bf16_activations = true;
  for (int n : {1, 40}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    // Pieces up to 37 rows: partial tiles and panels at every offset.
    expect_rows_independent_of_range(table(), W, random_bf16_floats(size_t(n) * cols, rng), n, 37);
  }
}

TEST_P(KernelTableTest, MatmulOverZeroColumnsWritesZeros) {
  for (int n : {1, 4}) {
    const WeightMatrix W{DType::f32, nullptr, 3, 0};
    std::vector<float> y(size_t(n) * 3, kSentinel);
    table().matmul(W, nullptr, n, y.data(), 3, 0, 3, nullptr);
    for (float v : y) EXPECT_EQ(v, 0.0f);
  }
}

#if defined(__linux__)
// expect_matmul_matches_scalar with weights and activations each ending at a
// guard page, so that any read past them faults.
void expect_guarded_matmul_matches_scalar(const KernelTable& table, const MatmulCase& mc,
                                          const std::vector<std::byte>& weights,
                                          const std::vector<float>& x) {
  GuardedBuffer w_guarded(weights.size()), x_guarded(x.size() * 4);
  ASSERT_NE(w_guarded.data(), nullptr);
  ASSERT_NE(x_guarded.data(), nullptr);
  std::memcpy(w_guarded.data(), weights.data(), weights.size());
  std::memcpy(x_guarded.data(), x.data(), x.size() * 4);
  expect_matmul_matches_scalar(table, mc, w_guarded.data(),
                               reinterpret_cast<const float*>(x_guarded.data()));
}

TEST_P(KernelTableTest, MatmulReadsNothingPastTheLastWeightOrActivation) {
  std::mt19937 rng(99);
  for (DType dtype : kDtypes) {
    for (int cols : {1, 7, 31, 257}) {
      for (int n : {1, 3, 8}) {
        constexpr int rows = 5;
        const auto weights = random_weights(dtype, rows, cols, rng);
        expect_guarded_matmul_matches_scalar(table(), {dtype, rows, cols, n, 0, rows, rows}, weights,
                                             random_floats(size_t(n) * cols, rng));
      }
    }
  }
  // bf16 activations: one token, and past the row kernels' token counts (bf16
  // dot products on AVX512-BF16); 16385 columns are past the one-token kernel's
  // limit, which must then leave the work to the row kernels.
  for (int cols : {1, 7, 31, 257, 16385}) {
    for (int n : {1, 20}) {
      constexpr int rows = 5;
      if (cols > 257 && n > 1) continue;
      const auto weights = random_weights(DType::bf16, rows, cols, rng);
      expect_guarded_matmul_matches_scalar(table(), {DType::bf16, rows, cols, n, 0, rows, rows, true},
                                           weights, random_bf16_floats(size_t(n) * cols, rng));
    }
  }
}
#endif

#if LLAMAFAST_HAVE_X86_KERNELS
// The avx512vnni table multiplies bf16 activations in prefill with vdpbf16ps
// only where that outruns fp32 FMAs (CpuFeatures::fast_bf16_dot: not on
// Intel), so the tests above reach that kernel only there; here it is called
// directly, on every CPU with AVX512-BF16, on the same shapes.
class Bf16DotPrefillTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!cpu_features().avx512_bf16 || find("avx512vnni") == nullptr) {
      GTEST_SKIP() << "this CPU has no AVX512-BF16";
    }
    table_ = *find("avx512vnni");
    table_.matmul = [](const WeightMatrix& W, const float* x, int n, float* y, int ldy, int row_begin,
                       int row_end, PreparedInput*) {
      avx512bf16::matmul(W, x, n, y, ldy, row_begin, row_end);
    };
  }
  KernelTable table_{};
};

TEST_F(Bf16DotPrefillTest, MatchesScalar) {
  std::mt19937 rng(2025);
  for (int cols : {1, 2, 7, 31, 64, 257, 600}) {
    for (int rows : {1, 13, 40, 70}) {
      const auto weights = random_weights(DType::bf16, rows, cols, rng);
      for (int n : {13, 25, 150}) {
        const auto x = random_bf16_floats(size_t(n) * cols, rng);
        expect_matmul_matches_scalar(table_, {DType::bf16, rows, cols, n, 0, rows, rows + 3, true},
                                     weights.data(), x.data());
        if (rows > 6) {
          expect_matmul_matches_scalar(table_, {DType::bf16, rows, cols, n, 5, rows - 1, rows, true},
                                       weights.data(), x.data());
        }
      }
    }
  }
}

TEST_F(Bf16DotPrefillTest, RowResultsDoNotDependOnTheRowRange) {
  std::mt19937 rng(32);
  constexpr int rows = 75, cols = 301, n = 40;
  const auto weights = random_weights(DType::bf16, rows, cols, rng);
  WeightMatrix W{DType::bf16, weights.data(), rows, cols};
  W.bf16_activations = true;
  expect_rows_independent_of_range(table_, W, random_bf16_floats(size_t(n) * cols, rng), n, 37);
}

#if defined(__linux__)
TEST_F(Bf16DotPrefillTest, ReadsNothingPastTheLastWeightOrActivation) {
  std::mt19937 rng(98);
  for (int cols : {1, 7, 31, 257}) {
    constexpr int rows = 5, n = 20;
    const auto weights = random_weights(DType::bf16, rows, cols, rng);
    expect_guarded_matmul_matches_scalar(table_, {DType::bf16, rows, cols, n, 0, rows, rows, true},
                                         weights, random_bf16_floats(size_t(n) * cols, rng));
  }
}
#endif
#endif

// Widening f16 and bf16 is exact, so every one of the 65536 patterns must give
// the scalar result bit for bit (any NaN for a NaN: hardware may quiet it).
TEST_P(KernelTableTest, RowToF32WidensEveryHalfPatternExactly) {
  std::vector<uint16_t> all(65536);
  for (size_t i = 0; i < all.size(); ++i) all[i] = uint16_t(i);
  for (DType dtype : {DType::f16, DType::bf16}) {
    SCOPED_TRACE(dtype_name(dtype));
    std::vector<float> ref(all.size()), got(all.size());
    scalar_table().row_to_f32(dtype, all.data(), ref.data(), int(all.size()));
    table().row_to_f32(dtype, all.data(), got.data(), int(all.size()));
    int bad = 0;
    for (size_t i = 0; i < all.size() && bad < 5; ++i) {
      const bool same = std::isnan(ref[i]) ? std::isnan(got[i])
                                           : std::memcmp(&ref[i], &got[i], 4) == 0;
      if (!same) {
        ++bad;
        ADD_FAILURE() << "pattern 0x" << std::hex << i << std::dec << ": " << got[i]
                      << ", scalar " << ref[i];
      }
    }
  }
}

TEST_P(KernelTableTest, RowToF32HandlesEveryLengthAndStopsAtTheEnd) {
  std::mt19937 rng(5);
  for (DType dtype : kDtypes) {
    for (int n = 0; n <= 70; ++n) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " n=" + std::to_string(n));
      const auto src = random_weights(dtype, 1, n, rng);
      std::vector<float> ref(n + 1, kSentinel), got(n + 1, kSentinel);
      scalar_table().row_to_f32(dtype, src.data(), ref.data(), n);
      table().row_to_f32(dtype, src.data(), got.data(), n);
      ASSERT_EQ(std::memcmp(ref.data(), got.data(), 4 * (n + 1)), 0);
    }
  }
}

// Rows of a KV cache of element type `dtype` (f32, f16 or bf16): `values`
// rounded to that type in place (so they are the exact values the kernels
// read) and the stored elements, which `bytes` keeps.
CacheRows cache_rows(DType dtype, std::vector<float>& values, std::vector<uint16_t>& bytes, size_t stride,
                     int count) {
  if (dtype == DType::f32) return {dtype, values.data(), stride, count};
  bytes.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    bytes[i] = dtype == DType::f16 ? f32_to_f16(values[i]) : f32_to_bf16(values[i]);
    values[i] = dtype == DType::f16 ? f16_to_f32(bytes[i]) : bf16_to_f32(bytes[i]);
  }
  return {dtype, bytes.data(), stride, count};
}

constexpr DType kCacheTypes[] = {DType::f32, DType::f16, DType::bf16};

// Attention's two steps against the scalar table, on rows strided as in a KV
// cache (a head's slice of each position) of every cache type, for head
// lengths around the vector sizes, row counts around the kernels' groups of 4
// and head counts around their blocks of 2 or 4 (each head's query, scores
// and output `ld` floats apart, with a gap); each result within kRelTol of
// the magnitude of its own terms, nothing written past the last or between
// the heads.
TEST_P(KernelTableTest, DotRowsMatchesScalar) {
  std::mt19937 rng(11);
  for (DType dtype : kCacheTypes) {
    for (int heads : {1, 3, 8}) {
      for (int n : {0, 1, 7, 16, 33, 64, 70, 128, 4097}) {
        for (int n_rows : {0, 1, 3, 4, 5, 9}) {
          const size_t stride = size_t(n) + 5, ldq = size_t(n) + 2, lds = size_t(n_rows) + 1;
          const auto q = random_floats(ldq * size_t(heads), rng);
          auto values = random_floats(stride * size_t(n_rows), rng);
          std::vector<uint16_t> stored;
          const CacheRows rows = cache_rows(dtype, values, stored, stride, n_rows);
          std::vector<float> ref(lds * size_t(heads), kSentinel), got = ref;
          scalar_table().dot_rows(q.data(), ldq, heads, rows, n, 0.125f, ref.data(), lds);
          table().dot_rows(q.data(), ldq, heads, rows, n, 0.125f, got.data(), lds);
          for (int h = 0; h < heads; ++h) {
            for (int j = 0; j < n_rows; ++j) {
              double magnitude = 0;
              for (int i = 0; i < n; ++i) magnitude += std::fabs(0.125 * q[h * ldq + i] * values[j * stride + i]);
              EXPECT_NEAR(got[h * lds + j], ref[h * lds + j], kRelTol * magnitude + kAbsTol)
                  << dtype_name(dtype) << " n=" << n << " head " << h << " row " << j;
            }
            EXPECT_EQ(got[h * lds + n_rows], kSentinel) << "dot_rows wrote past a head's last score, n=" << n;
          }
        }
      }
    }
  }
}

TEST_P(KernelTableTest, WeightedRowsMatchesScalarAndStopsAtTheEnd) {
  std::mt19937 rng(13);
  for (DType dtype : kCacheTypes) {
    for (int heads : {1, 2, 5, 8}) {
      for (int n = 0; n <= 70; ++n) {
        for (int n_rows : {0, 1, 5, 40}) {
          const size_t stride = size_t(n) + 3, ldp = size_t(n_rows) + 2, ldo = size_t(n) + 1;
          const auto p = random_floats(ldp * size_t(heads), rng);
          auto values = random_floats(stride * size_t(n_rows), rng);
          std::vector<uint16_t> stored;
          const CacheRows rows = cache_rows(dtype, values, stored, stride, n_rows);
          std::vector<float> ref(ldo * size_t(heads), kSentinel), got = ref;
          scalar_table().weighted_rows(p.data(), ldp, heads, rows, n, ref.data(), ldo);
          table().weighted_rows(p.data(), ldp, heads, rows, n, got.data(), ldo);
          for (int h = 0; h < heads; ++h) {
            for (int i = 0; i < n; ++i) {
              double magnitude = 0;
              for (int j = 0; j < n_rows; ++j)
                magnitude += std::fabs(double(p[h * ldp + j]) * values[j * stride + i]);
              EXPECT_NEAR(got[h * ldo + i], ref[h * ldo + i], kRelTol * magnitude + kAbsTol)
                  << dtype_name(dtype) << " n=" << n << " head " << h << " i=" << i;
            }
            EXPECT_EQ(got[h * ldo + n], kSentinel) << "weighted_rows wrote past out[h][n-1] for n=" << n;
          }
        }
      }
    }
  }
}

// Random queries and probabilities for `heads` heads (n and n_rows floats
// each, back to back) and n_rows cached rows of n of `stride` elements, in a
// cache of type `dtype` (values: their exact values).
struct AttentionInputs {
  std::vector<float> q, p, values;
  std::vector<uint16_t> stored;
  CacheRows rows;
};

AttentionInputs attention_inputs(DType dtype, int heads, int n, int n_rows, size_t stride, std::mt19937& rng) {
  AttentionInputs in{random_floats(size_t(heads * n), rng), random_floats(size_t(heads * n_rows), rng),
                     random_floats(stride * size_t(n_rows), rng), {}, {}};
  in.rows = cache_rows(dtype, in.values, in.stored, stride, n_rows);
  return in;
}

// Attention's two steps for `heads` heads at once: their scores (n_rows each),
// then their outputs (n each).
std::vector<float> attention_results(const KernelTable& t, const float* q, const float* p, int heads,
                                     const CacheRows& rows, int n) {
  std::vector<float> r(size_t(heads) * size_t(rows.count + n));
  t.dot_rows(q, n, heads, rows, n, 0.125f, r.data(), rows.count);
  t.weighted_rows(p, rows.count, heads, rows, n, r.data() + size_t(heads) * rows.count, n);
  return r;
}

bool same_bits(const float* a, const float* b, size_t count) { return std::memcmp(a, b, sizeof(float) * count) == 0; }

// The transformer gives an attention task as many heads of a GQA group as
// keeps its threads busy, so a head's scores and output must not depend on
// how many heads share the call (and then neither do a model's outputs on the
// thread count): bit for bit, at a head's length and row counts around the
// kernels' blocks, for every cache type.
TEST_P(KernelTableTest, AttentionGivesEachHeadTheSameBitsAloneOrWithOthers) {
  std::mt19937 rng(19);
  const int heads = 8, n = 64;
  for (DType dtype : kCacheTypes) {
    for (int n_rows : {1, 3, 4, 9, 70}) {
      const AttentionInputs in = attention_inputs(dtype, heads, n, n_rows, 4 * n, rng);
      const auto together = attention_results(table(), in.q.data(), in.p.data(), heads, in.rows, n);
      for (int h = 0; h < heads; ++h) {
        const auto alone = attention_results(table(), &in.q[h * n], &in.p[h * n_rows], 1, in.rows, n);
        EXPECT_TRUE(same_bits(&together[h * n_rows], alone.data(), n_rows))
            << dtype_name(dtype) << ", " << n_rows << " rows, head " << h << "'s scores";
        EXPECT_TRUE(same_bits(&together[heads * n_rows + h * n], alone.data() + n_rows, n))
            << dtype_name(dtype) << ", " << n_rows << " rows, head " << h << "'s output";
      }
    }
  }
}

// An f16 or bf16 cache changes only what is stored, not the arithmetic
// (kernels.h): each table's results over rows of those types are, bit for
// bit, its results over f32 rows holding the same (widened) values.
TEST_P(KernelTableTest, HalfCacheRowsGiveTheResultsOfTheirValuesInF32) {
  std::mt19937 rng(23);
  const int heads = 4, n = 70;  // a tail after the whole vectors
  for (DType dtype : {DType::f16, DType::bf16}) {
    for (int n_rows : {1, 4, 9, 33}) {
      const size_t stride = 2 * n + 3;
      const AttentionInputs in = attention_inputs(dtype, heads, n, n_rows, stride, rng);
      const CacheRows full{DType::f32, in.values.data(), stride, n_rows};
      const auto half_results = attention_results(table(), in.q.data(), in.p.data(), heads, in.rows, n);
      const auto full_results = attention_results(table(), in.q.data(), in.p.data(), heads, full, n);
      EXPECT_TRUE(same_bits(half_results.data(), full_results.data(), half_results.size()))
          << dtype_name(dtype) << ", " << n_rows << " rows";
    }
  }
}

// softmax and silu_mul against double precision, for lengths around the
// vector sizes, with inputs far outside e^x's clamped range, and nothing
// written past the end. The SIMD e^x is within 2 ulp: each silu_mul result is
// within 4e-7 of its value (measured 2.7e-7), and so is each softmax output
// relative to the others, plus the rounding of x - max to float (their float
// sum, by which all are divided, is checked apart: its rounding grows with n).
TEST_P(KernelTableTest, SoftmaxMatchesExactAndStopsAtTheEnd) {
  std::mt19937 rng(17);
  std::normal_distribution<float> d(0.0f, 8.0f);
  for (int n : {1, 2, 7, 15, 16, 17, 33, 100, 1000}) {
    for (bool spike : {false, true}) {
      std::vector<float> x(size_t(n) + 1, kSentinel);
      for (int i = 0; i < n; ++i) x[i] = d(rng);
      if (spike && n > 3) x[2] = 300.0f;  // the others' exponentials then underflow
      const double max = *std::max_element(x.begin(), x.begin() + n);
      std::vector<double> want(static_cast<size_t>(n));
      double sum = 0;
      for (int i = 0; i < n; ++i) sum += want[i] = std::exp(double(x[i]) - max);
      const std::vector<float> x0(x.begin(), x.begin() + n);
      table().softmax(x.data(), n);
      double got_sum = 0;
      for (int i = 0; i < n; ++i) got_sum += x[i];
      EXPECT_NEAR(got_sum, 1.0, 1e-5) << "n=" << n;
      for (int i = 0; i < n; ++i) {
        // x - max is rounded to float first: half an ulp of it, relative to e^(x - max).
        const double w = want[i] / sum, arg_ulp = 6e-8 * std::fabs(x0[i] - max);
        EXPECT_NEAR(x[i] / got_sum, w, (4e-7 + arg_ulp) * w + kAbsTol) << "n=" << n << " i=" << i;
      }
      EXPECT_EQ(x[n], kSentinel) << "softmax wrote past its last element, n=" << n;
    }
  }
}

TEST_P(KernelTableTest, SiluMulMatchesExactAndStopsAtTheEnd) {
  std::mt19937 rng(19);
  std::normal_distribution<float> d(0.0f, 6.0f);
  for (int n : {1, 3, 8, 15, 16, 17, 31, 64, 5632}) {
    std::vector<float> gate(size_t(n) + 1, kSentinel), up(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      gate[i] = d(rng);
      up[i] = d(rng);
    }
    for (int i = 0; i < n && i < 4; ++i) gate[i] = std::array{-200.0f, 200.0f, 0.0f, -90.0f}[i];
    const std::vector<float> g0(gate.begin(), gate.begin() + n);
    table().silu_mul(gate.data(), up.data(), n);
    for (int i = 0; i < n; ++i) {
      const double want = double(g0[i]) / (1.0 + std::exp(-double(g0[i]))) * up[i];
      EXPECT_NEAR(gate[i], want, 4e-7 * std::fabs(want) + kAbsTol) << "n=" << n << " g=" << g0[i];
    }
    EXPECT_EQ(gate[n], kSentinel) << "silu_mul wrote past its last element, n=" << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, KernelTableTest,
                         testing::Values("avx2", "avx2vnni", "avx512", "avx512vnni", "neon"),
                         [](const testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace llamafast::kernels
