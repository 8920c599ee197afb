// Every kernel table's quantized matmuls (q8 / q4 weights, fp32 or int8
// activations) against matmul_quant_reference on fresh random data, in
// llamafast's own layout and GGUF's Q8_0 / Q4_0 block layout, with f16 and
// f32 scales, ragged last groups and odd group sizes. Weights, scales and
// activations end where an inaccessible page begins, so a read past any of
// them crashes the test. Each test runs once per ISA and skips where the CPU
// cannot run it.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "common/half.h"
#include "guarded_buffer.h"
#include "kernels/kernels.h"
#include "kernels/quant_reference.h"

namespace llamafast::kernels {
namespace {

using test::GuardedBuffer;

// Weight-only: the tables and the reference form the same products
// x_c * (scale * q_c) up to one rounding (some tables fold the scale into the
// weight, the reference applies it to the group's sum) and add them in
// different orders, so kernels_test.cpp's argument applies: within about
// sqrt(cols) * 2^-24 of sum_c |x_c w_c| in practice, 1e-5 of it never flags a
// correct reordering and flags any dropped, doubled or misplaced product.
// int8 activations: every group's integer sum is exact in both; what remains
// is fp32 rounding of scale * isum * s terms and of their sum, bounded the
// same way by sum_c |s xq_c scale q_c|.
// AVX512-VNNI weight-only also rounds each activation to int16 with one scale
// per 32 columns when rows are a multiple of 32 long (kernels.h): its error
// adds at most half a step, max|x over the 32| / 32767 / 2 (with slack for
// the fp32 products), times |w| per column; int16_rounding_bound() adds that
// to the tolerance.
constexpr double kRelTol = 1e-5;
constexpr double kAbsTol = 1e-30;
constexpr double kInt16HalfStep = 0.51 / 32767;
constexpr float kSentinel = -12345.678f;

enum class Layout {
  own,   // llamafast: a row's groups back to back, scales in a [rows, groups] array
  gguf,  // blocks of (scale, group's integers), as GGUF's Q8_0 / Q4_0
};

struct QuantCase {
  DType dtype;
  Layout layout;
  DType scale_dtype;
  int rows, cols, group;
  bool int8_activations;

  std::string describe() const {
    return std::string(dtype_name(dtype)) + (layout == Layout::own ? " own" : " gguf") +
           " scales=" + std::string(dtype_name(scale_dtype)) + " rows=" + std::to_string(rows) +
           " cols=" + std::to_string(cols) + " group=" + std::to_string(group) +
           (int8_activations ? " int8-activations" : " fp32-activations");
  }
};

// A random quantized matrix in guarded memory: the last row's last group ends
// at a guard page, and so do the scales.
class QuantMatrix {
 public:
  QuantMatrix(const QuantCase& qc, std::mt19937& rng)
      : data_(data_bytes(qc)), scales_(qc.layout == Layout::own ? scale_bytes(qc) : 0) {
    const int G = qc.group, groups = (qc.cols + G - 1) / G;
    const size_t ssize = qc.scale_dtype == DType::f16 ? 2 : 4;
    QuantLayout& L = W_.quant;
    L.group = G;
    L.scale_dtype = qc.scale_dtype;
    std::byte* base = data_.data();
    std::uniform_int_distribution<int> byte(0, 255);
    for (size_t i = 0; i < data_bytes(qc); ++i) base[i] = std::byte(byte(rng));
    if (qc.layout == Layout::own) {
      L.group_stride = group_bytes(qc, G);
      L.row_stride = row_extent(qc);
      L.scales = scales_.data();
      L.scale_group_stride = ssize;
      L.scale_row_stride = ssize * static_cast<size_t>(groups);
      W_.data = base;
    } else {
      L.group_stride = ssize + group_bytes(qc, G);
      L.row_stride = L.group_stride * static_cast<size_t>(groups);
      L.scales = base;
      L.scale_group_stride = L.group_stride;
      L.scale_row_stride = L.row_stride;
      W_.data = base + ssize;
    }
    std::uniform_real_distribution<float> scale(-0.1f, 0.1f);
    for (int r = 0; r < qc.rows; ++r) {
      for (int g = 0; g < groups; ++g) {
        auto* p = static_cast<std::byte*>(const_cast<void*>(L.scales)) +
                  static_cast<size_t>(r) * L.scale_row_stride +
                  static_cast<size_t>(g) * L.scale_group_stride;
        const float s = scale(rng);
        if (qc.scale_dtype == DType::f16) {
          const uint16_t h = f32_to_f16(s);
          std::memcpy(p, &h, 2);
        } else {
          std::memcpy(p, &s, 4);
        }
      }
    }
    W_.dtype = qc.dtype;
    W_.rows = qc.rows;
    W_.cols = qc.cols;
    W_.int8_activations = qc.int8_activations;
  }

  const WeightMatrix& W() const { return W_; }

 private:
  static size_t group_bytes(const QuantCase& qc, int len) {
    return qc.dtype == DType::q8 ? static_cast<size_t>(len) : static_cast<size_t>(len + 1) / 2;
  }
  // Bytes of one row's integers in the own layout.
  static size_t row_extent(const QuantCase& qc) {
    const int G = qc.group, full = qc.cols / G, last = qc.cols - full * G;
    return static_cast<size_t>(full) * group_bytes(qc, G) + (last ? group_bytes(qc, last) : 0);
  }
  // Up to the last byte of the last row's last group, no further.
  static size_t data_bytes(const QuantCase& qc) {
    const int G = qc.group, groups = (qc.cols + G - 1) / G, last = qc.cols - (groups - 1) * G;
    if (qc.layout == Layout::own) return static_cast<size_t>(qc.rows) * row_extent(qc);
    const size_t ssize = qc.scale_dtype == DType::f16 ? 2 : 4;
    const size_t block = ssize + group_bytes(qc, G);
    return (static_cast<size_t>(qc.rows) * groups - 1) * block + ssize + group_bytes(qc, last);
  }
  static size_t scale_bytes(const QuantCase& qc) {
    const int groups = (qc.cols + qc.group - 1) / qc.group;
    return static_cast<size_t>(qc.rows) * groups * (qc.scale_dtype == DType::f16 ? 2 : 4);
  }

  GuardedBuffer data_, scales_;
  WeightMatrix W_{DType::q8, nullptr, 0, 0};
};

// Activations [n, cols] in guarded memory.
class Activations {
 public:
  Activations(int n, int cols, std::mt19937& rng)
      : buffer_(static_cast<size_t>(n) * static_cast<size_t>(cols) * sizeof(float)) {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    float* x = data();
    for (size_t i = 0; i < static_cast<size_t>(n) * static_cast<size_t>(cols); ++i)
      x[i] = dist(rng);
  }
  float* data() const { return reinterpret_cast<float*>(buffer_.data()); }

 private:
  GuardedBuffer buffer_;
};

// sum_c |x_c * w_c| for weight-only, sum_c |s xq_c * w_c| for int8
// activations, where each result's rounding errors live.
double magnitude(const WeightMatrix& W, const float* xt, int r) {
  std::vector<float> w(static_cast<size_t>(W.cols));
  weight_row_to_f32(W, r, w.data());
  std::vector<int8_t> xq(static_cast<size_t>(W.cols));
  const float s = quantize_activations(xt, W.cols, xq.data());
  double m = 0;
  for (int c = 0; c < W.cols; ++c) {
    const double xc = W.int8_activations ? double(s) * xq[static_cast<size_t>(c)] : double(xt[c]);
    m += std::fabs(xc * w[static_cast<size_t>(c)]);
  }
  return m;
}

// sum over 32-column units of kInt16HalfStep * max|x| * sum |w|: what the
// int16 activations of a weight-only AVX512-VNNI matmul may add to the error.
double int16_rounding_bound(const WeightMatrix& W, const float* xt, int r) {
  std::vector<float> w(static_cast<size_t>(W.cols));
  weight_row_to_f32(W, r, w.data());
  double bound = 0;
  for (int c0 = 0; c0 < W.cols; c0 += 32) {
    double m = 0, sw = 0;
    for (int c = c0; c < std::min(W.cols, c0 + 32); ++c) {
      m = std::max(m, std::fabs(double(xt[c])));
      sw += std::fabs(double(w[static_cast<size_t>(c)]));
    }
    bound += kInt16HalfStep * m * sw;
  }
  return bound;
}

// The table and the reference on the same inputs, y pre-filled with the
// sentinel: the requested block within tolerance, the rest untouched.
void expect_matches_reference(const KernelTable& table, const WeightMatrix& W, const float* x,
                              int n, int row_begin, int row_end, int ldy) {
  SCOPED_TRACE("n=" + std::to_string(n) + " rows [" + std::to_string(row_begin) + "," +
               std::to_string(row_end) + ") ldy=" + std::to_string(ldy));
  const size_t size = static_cast<size_t>(n) * static_cast<size_t>(ldy);
  std::vector<float> y_ref(size, kSentinel), y(size, kSentinel);
  matmul_quant_reference(W, x, n, y_ref.data(), ldy, row_begin, row_end);
  table.matmul(W, x, n, y.data(), ldy, row_begin, row_end, nullptr);
  int bad = 0;
  for (int t = 0; t < n && bad < 5; ++t) {
    for (int r = 0; r < ldy && bad < 5; ++r) {
      const size_t i = static_cast<size_t>(t) * ldy + r;
      if (r < row_begin || r >= row_end) {
        ASSERT_EQ(std::memcmp(&y[i], &kSentinel, 4), 0)
            << "y[t=" << t << ", r=" << r << "] outside the row range was overwritten";
        continue;
      }
      const float* xt = x + static_cast<size_t>(t) * W.cols;
      const bool int16 = table.isa == "avx512vnni" && !W.int8_activations && W.cols % 32 == 0;
      const double tol = kRelTol * magnitude(W, xt, r) + kAbsTol +
                         (int16 ? int16_rounding_bound(W, xt, r) : 0.0);
      const double diff = std::fabs(double(y[i]) - double(y_ref[i]));
      if (!(diff <= tol)) {
        ++bad;
        ADD_FAILURE() << "y[t=" << t << ", r=" << r << "] = " << y[i] << ", reference " << y_ref[i]
                      << ", |diff| " << diff << " > tolerance " << tol;
      }
    }
  }
}

class QuantKernelTest : public testing::TestWithParam<std::string> {
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

// Every combination of format, layout, scale type and activations, for group
// sizes from 32 to 256 and per row, odd ones, and row lengths that leave a
// ragged (for q4 also odd) last group.
TEST_P(QuantKernelTest, MatmulMatchesReference) {
  std::mt19937 rng(2024);
  for (DType dtype : {DType::q8, DType::q4}) {
    for (Layout layout : {Layout::own, Layout::gguf}) {
      for (DType scale_dtype : {DType::f16, DType::f32}) {
        for (bool int8 : {false, true}) {
          for (int cols : {32, 33, 172, 256, 300}) {
            for (int group : {32, 64, 128, 256, 20, 7, cols}) {
              if (group > cols && group != 256) continue;
              const QuantCase qc{dtype, layout, scale_dtype, 13, cols, group, int8};
              SCOPED_TRACE(qc.describe());
              const QuantMatrix M(qc, rng);
              for (int n : {1, 2, 3, 7, 16, 33}) {
                const Activations x(n, cols, rng);
                expect_matches_reference(table(), M.W(), x.data(), n, 0, qc.rows, qc.rows);
              }
            }
          }
        }
      }
    }
  }
}

TEST_P(QuantKernelTest, MatmulWritesOnlyTheRequestedRowsOfY) {
  std::mt19937 rng(42);
  for (DType dtype : {DType::q8, DType::q4}) {
    for (bool int8 : {false, true}) {
      const QuantCase qc{dtype, Layout::own, DType::f16, 19, 96, 32, int8};
      SCOPED_TRACE(qc.describe());
      const QuantMatrix M(qc, rng);
      for (int n : {1, 2, 9, 100}) {
        const Activations x(n, qc.cols, rng);
        for (auto [begin, end] : {std::pair{0, 19}, {5, 14}, {7, 8}, {1, 4}, {17, 19}, {3, 3}}) {
          expect_matches_reference(table(), M.W(), x.data(), n, begin, end, 23);
        }
      }
    }
  }
}

// Shapes that cross the kernels' cache blocks: several column blocks of the
// int8 activation buffer and of the panels (the last ragged), a q8 group and
// a q4 group longer than a block, q8 groups that straddle blocks, more than
// one block of tokens, a panel of rows and a ragged one. 1152 columns (a
// multiple of 32) take AVX512-VNNI's prefill kernel, 1100 the general ones.
TEST_P(QuantKernelTest, MatmulMatchesReferenceAcrossCacheBlocks) {
  std::mt19937 rng(7);
  constexpr int rows = 37;
  for (int cols : {1100, 1152}) {
    for (DType dtype : {DType::q8, DType::q4}) {
      for (int group : {32, 96, 128, cols}) {
        for (bool int8 : {false, true}) {
          const QuantCase qc{dtype, Layout::own, DType::f32, rows, cols, group, int8};
          SCOPED_TRACE(qc.describe());
          const QuantMatrix M(qc, rng);
          for (int n : {1, 100, 203}) {
            const Activations x(n, cols, rng);
            expect_matches_reference(table(), M.W(), x.data(), n, 0, rows, rows + 2);
          }
        }
      }
    }
  }
}

// Callers split rows across threads as they like; each row's result must be
// the same, bit for bit, whichever range it was computed in. 300 columns take
// the general kernels; 1344 (several column blocks, whole 64-column steps)
// AVX512-VNNI's decode tiles of 4 rows and of 1, and with groups as long as
// the row, its 8da8w decode tile.
TEST_P(QuantKernelTest, MatmulRowResultsDoNotDependOnTheRowRange) {
  std::mt19937 rng(17);
  constexpr int rows = 45;
  for (DType dtype : {DType::q8, DType::q4}) {
    for (Layout layout : {Layout::own, Layout::gguf}) {
      for (bool int8 : {false, true}) {
        for (auto [cols, group] : {std::pair{300, 32}, {1344, 32}, {1344, 1344}}) {
          const QuantCase qc{dtype, layout, DType::f16, rows, cols, group, int8};
          const QuantMatrix M(qc, rng);
          for (int n : {1, 3, 20}) {
            SCOPED_TRACE(qc.describe() + " n=" + std::to_string(n));
            const Activations x(n, qc.cols, rng);
            std::vector<float> whole(static_cast<size_t>(n) * rows), pieces(whole.size());
            table().matmul(M.W(), x.data(), n, whole.data(), rows, 0, rows, nullptr);
            // The pieces share one PreparedInput, as a thread's claims do.
            PreparedInput prepared;
            for (int begin = 0, size = 1; begin < rows; begin += size, size = size % 8 + 1) {
              table().matmul(M.W(), x.data(), n, pieces.data(), rows, begin,
                             std::min(rows, begin + size), &prepared);
            }
            ASSERT_EQ(std::memcmp(whole.data(), pieces.data(), whole.size() * 4), 0);
          }
        }
      }
    }
  }
}

// A token's results must not depend on where it stands among the tokens of
// a call either: the prefill kernels work on tiles of several tokens, and
// the tokens of a tile (or of a block of tiles) must all round alike. Each
// batch is also run rotated by a few places. 1344 columns are five whole
// column blocks and a partial one, 140 tokens two blocks of int16 tokens.
TEST_P(QuantKernelTest, MatmulTokenResultsDoNotDependOnTheirPlaceAmongTheTokens) {
  std::mt19937 rng(23);
  constexpr int rows = 40, cols = 1344;
  for (DType dtype : {DType::q8, DType::q4}) {
    for (bool int8 : {false, true}) {
      const QuantCase qc{dtype, Layout::own, DType::f16, rows, cols, 32, int8};
      const QuantMatrix M(qc, rng);
      for (int n : {23, 140}) {
        const Activations x(n, cols, rng);
        std::vector<float> y(static_cast<size_t>(n) * rows);
        table().matmul(M.W(), x.data(), n, y.data(), rows, 0, rows, nullptr);
        for (int shift : {1, 2, 3}) {
          SCOPED_TRACE(qc.describe() + " n=" + std::to_string(n) + " shift=" + std::to_string(shift));
          // Token t of the rotated batch is token (t + shift) % n of x.
          Activations rotated(n, cols, rng);
          for (int t = 0; t < n; ++t) {
            std::memcpy(rotated.data() + static_cast<size_t>(t) * cols,
                        x.data() + static_cast<size_t>((t + shift) % n) * cols, cols * sizeof(float));
          }
          std::vector<float> y_rotated(y.size());
          table().matmul(M.W(), rotated.data(), n, y_rotated.data(), rows, 0, rows, nullptr);
          for (int t = 0; t < n; ++t) {
            ASSERT_EQ(std::memcmp(y_rotated.data() + static_cast<size_t>(t) * rows,
                                  y.data() + static_cast<size_t>((t + shift) % n) * rows,
                                  rows * sizeof(float)),
                      0)
                << "token " << (t + shift) % n << " at place " << t;
          }
        }
      }
    }
  }
}

// One token against rows of real models' lengths: AVX512-VNNI runs these
// through its decode kernels (whole 64-column pairs of q4 groups of 32, q8
// groups of multiples of 32), which go through the columns in blocks of 16
// groups, q4 in steps of 4; 1344 columns end in a partial block whose last
// q4 step is half a step, and 64 columns are only that half step. Activation groups of zeros
// (scale 0) and with an outlier are included.
TEST_P(QuantKernelTest, MatmulMatchesReferenceForOneTokenOnModelShapes) {
  std::mt19937 rng(11);
  for (DType dtype : {DType::q8, DType::q4}) {
    for (bool int8 : {false, true}) {
      for (int cols : {64, 1344, 2048}) {
        for (int group : {32, 64, cols}) {
          if (dtype == DType::q4 && group != 32) continue;
          const DType scales = dtype == DType::q4 ? DType::f16 : DType::f32;
          const QuantCase qc{dtype, Layout::own, scales, 37, cols, group, int8};
          SCOPED_TRACE(qc.describe());
          const QuantMatrix M(qc, rng);
          Activations x(1, cols, rng);
          for (int c = 0; c < 32; ++c) x.data()[c] = 0.0f;
          // 30x the others: weight-only decode rounds activations to int16 per
          // 32 columns, so the outlier's neighbours keep 2^-16 * 30 of their
          // size as error, inside the tolerance.
          if (cols > 64) x.data()[40] = 30.0f;
          expect_matches_reference(table(), M.W(), x.data(), 1, 0, qc.rows, qc.rows);
          expect_matches_reference(table(), M.W(), x.data(), 1, 5, 30, qc.rows);
        }
      }
    }
  }
}

// A PreparedInput carried from call to call, as a thread carries it through
// its claims of q, k and v: a call on the same x (address and shape) may
// reuse what an earlier call prepared, whatever the matrix; any other input,
// or any other form of the same one (weight-only int16 / int8 activations /
// q8), is prepared afresh. Each result must equal a call with no
// PreparedInput, bit for bit, on shapes of AVX512-VNNI's decode (one token)
// and prefill kernels (20 tokens; 300: more than one block of tokens).
TEST_P(QuantKernelTest, PreparedInputIsReusedOnlyForTheSameInputAndForm) {
  std::mt19937 rng(23);
  constexpr int cols = 1344, rows = 45;
  std::vector<QuantCase> cases;
  std::deque<QuantMatrix> matrices;  // never moved: W() points into them
  for (DType dtype : {DType::q4, DType::q8}) {
    for (bool int8 : {false, true}) {
      const DType scales = dtype == DType::q4 ? DType::f16 : DType::f32;
      cases.push_back({dtype, Layout::own, scales, rows, cols, 32, int8});
      matrices.emplace_back(cases.back(), rng);
    }
  }
  const auto alone = [&](const QuantMatrix& M, const float* x, int n) {
    std::vector<float> y(size_t(n) * rows);
    table().matmul(M.W(), x, n, y.data(), rows, 0, rows, nullptr);
    return y;
  };
  PreparedInput prepared;
  for (int n : {1, 20, 300, 1}) {
    const Activations x1(n, cols, rng), x2(n, cols, rng);
    // Every matrix after every other, on either input: the form and the input
    // change from one call to the next in every way.
    for (int round = 0; round < 2; ++round) {
      for (const float* x : {x1.data(), x1.data(), x2.data()}) {
        for (size_t i = 0; i < matrices.size(); ++i) {
          SCOPED_TRACE(cases[i].describe() + " n=" + std::to_string(n) + (x == x1.data() ? " x1" : " x2"));
          std::vector<float> y(size_t(n) * rows);
          table().matmul(matrices[i].W(), x, n, y.data(), rows, 0, 33, &prepared);
          table().matmul(matrices[i].W(), x, n, y.data(), rows, 33, rows, &prepared);
          ASSERT_EQ(y, alone(matrices[i], x, n));
        }
      }
    }
    // New values at the same address are seen after clear().
    Activations x3(n, cols, rng);
    for (size_t i = 0; i < matrices.size(); ++i) {
      SCOPED_TRACE(cases[i].describe() + " n=" + std::to_string(n) + " x3");
      const QuantMatrix& M = matrices[i];
      std::vector<float> y(size_t(n) * rows);
      table().matmul(M.W(), x3.data(), n, y.data(), rows, 0, rows, &prepared);
      const std::vector<float> before = y;
      for (size_t c = 0; c < size_t(n) * cols; ++c) x3.data()[c] *= -0.5f;
      prepared.clear();
      table().matmul(M.W(), x3.data(), n, y.data(), rows, 0, rows, &prepared);
      EXPECT_EQ(y, alone(M, x3.data(), n));
      EXPECT_NE(y, before);
      // Without clear() they are not, where AVX512-VNNI keeps prepared inputs
      // (decode, but not q8 with int8 activations, which takes the general
      // kernel; prefill with int8 activations): the reuse is real, and the
      // caller's clear() keeps it safe.
      const bool int8 = cases[i].int8_activations;
      const bool kept = n == 1 ? !(cases[i].dtype == DType::q8 && int8) : int8;
      if (GetParam() == "avx512vnni" && kept) {
        const std::vector<float> cleared = y;
        for (size_t c = 0; c < size_t(n) * cols; ++c) x3.data()[c] *= -0.5f;
        table().matmul(M.W(), x3.data(), n, y.data(), rows, 0, rows, &prepared);
        EXPECT_EQ(y, cleared);
      }
    }
  }
}

TEST_P(QuantKernelTest, MatmulOverZeroColumnsWritesZeros) {
  for (bool int8 : {false, true}) {
    for (int n : {1, 40}) {
      WeightMatrix W{DType::q4, nullptr, 3, 0};
      W.quant.group = 32;
      W.int8_activations = int8;
      std::vector<float> y(static_cast<size_t>(n) * 3, kSentinel);
      table().matmul(W, nullptr, n, y.data(), 3, 0, 3, nullptr);
      for (float v : y) EXPECT_EQ(v, 0.0f);
    }
  }
}

// The int8_activations matmuls quantize with the table's quantize_activations:
// it must give the scalar integers and scale bit for bit, ties (x * 127 / m
// exactly halfway) included, and write nothing past q[n - 1].
TEST_P(QuantKernelTest, QuantizeActivationsMatchesScalarBitForBit) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  std::vector<int> lengths;
  for (int n = 0; n <= 70; ++n) lengths.push_back(n);
  for (int n : {1000, 4097}) lengths.push_back(n);
  for (int n : lengths) {
    for (int kind = 0; kind < 3; ++kind) {
      SCOPED_TRACE("n=" + std::to_string(n) + " kind=" + std::to_string(kind));
      std::vector<float> x(static_cast<size_t>(n));
      for (size_t i = 0; i < x.size(); ++i) {
        if (kind == 0) x[i] = dist(rng);
        if (kind == 1) x[i] = float(int(i % 253) - 126) + (i % 2 ? 0.5f : -0.5f);  // ties
        if (kind == 2) x[i] = 0.0f;
      }
      if (kind == 1 && n > 0) x[0] = 127.0f;  // m = 127: x * 127 / m = x, halfway cases stay
      std::vector<int8_t> ref(x.size() + 1, 99), got(x.size() + 1, 99);
      const float s_ref = quantize_activations(x.data(), n, ref.data());
      const float s_got = table().quantize_activations(x.data(), n, got.data());
      ASSERT_EQ(std::memcmp(&s_ref, &s_got, 4), 0) << s_ref << " vs " << s_got;
      ASSERT_EQ(std::memcmp(ref.data(), got.data(), ref.size()), 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, QuantKernelTest,
                         testing::Values("avx2", "avx2vnni", "avx512", "avx512vnni", "neon"),
                         [](const testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace llamafast::kernels
