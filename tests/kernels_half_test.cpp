// The scalar f16 / bf16 conversions of common/half.h against bit patterns
// worked out by hand from the IEEE 754 definitions (derivations in comments).
//  binary16: sign | 5 exponent bits (bias 15) | 10 mantissa bits.
//  bfloat16: the upper 16 bits of a binary32: sign | 8 exponent bits (bias 127)
//            | 7 mantissa bits.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "common/half.h"

namespace llamafast {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

bool is_f16_nan(uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x03ffu) != 0; }
bool is_bf16_nan(uint16_t h) { return (h & 0x7f80u) == 0x7f80u && (h & 0x007fu) != 0; }

TEST(HalfF16, EncodesExactValuesToTheirIeeeBitPatterns) {
  // 1.0 = 1.0 * 2^0: exponent 0 + 15 = 01111, mantissa 0 -> 0 01111 0000000000.
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  // -2.5 = -1.25 * 2^1: sign 1, exponent 16 = 10000, mantissa .25 = 0100000000.
  EXPECT_EQ(f32_to_f16(-2.5f), 0xc100);
  // 65504 = (2 - 2^-10) * 2^15, the largest finite: exponent 30 = 11110, mantissa all ones.
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  // 2^-14, the smallest normal: exponent 1, mantissa 0.
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -14)), 0x0400);
  // 2^-24 = 2^-14 * 2^-10, the smallest subnormal: exponent 0, mantissa 1.
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);
  // 1023 * 2^-24, the largest subnormal: exponent 0, mantissa 1111111111.
  EXPECT_EQ(f32_to_f16(1023.0f * std::ldexp(1.0f, -24)), 0x03ff);
  EXPECT_EQ(f32_to_f16(0.0f), 0x0000);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);  // sign bit only
  EXPECT_EQ(f32_to_f16(kInf), 0x7c00);   // exponent all ones, mantissa 0
  EXPECT_EQ(f32_to_f16(-kInf), 0xfc00);
}

TEST(HalfF16, RoundsInexactValuesToNearestWithTiesToEven) {
  // 0.1f = 1.6000000238 * 2^-4: exponent 11 = 01011; mantissa 0.6000000238 * 1024
  // = 614.4 -> 614 = 1001100110 (rounds down).
  EXPECT_EQ(f32_to_f16(0.1f), 0x2e66);
  // Near 1.0 one f16 step is 2^-10, so 1 + 2^-11 is exactly halfway between
  // 0x3c00 (even mantissa) and 0x3c01: ties go to the even one.
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  // 1 + 3 * 2^-11 is halfway between 0x3c01 and 0x3c02 (even): up.
  EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  // Just above the first tie: up to 0x3c01.
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -23)), 0x3c01);
  // Subnormal steps are 2^-24: 2^-25 is halfway between 0 (even) and 0x0001.
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);
  // 3 * 2^-25 is halfway between 0x0001 and 0x0002 (even).
  EXPECT_EQ(f32_to_f16(3 * std::ldexp(1.0f, -25)), 0x0002);
  // Below 65504 the step is 2^5 = 32: 65520 is halfway between 0x7bff (odd) and
  // 0x7c00, whose pattern is infinity: ties to even overflow to infinity.
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(1e10f), 0x7c00);
  EXPECT_EQ(f32_to_f16(-1e10f), 0xfc00);
}

TEST(HalfF16, KeepsNanANan) {
  EXPECT_TRUE(is_f16_nan(f32_to_f16(std::numeric_limits<float>::quiet_NaN())));
  // A NaN whose payload lies only in the low 13 bits would become infinity if truncated.
  EXPECT_TRUE(is_f16_nan(f32_to_f16(std::bit_cast<float>(0x7f800001u))));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7c01)));
}

TEST(HalfF16, DecodesBitPatternsToTheirValues) {
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xc100), -2.5f);
  EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0x03ff), 1023.0f * std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0x7c00), kInf);
  EXPECT_EQ(f16_to_f32(0xfc00), -kInf);
  EXPECT_EQ(std::bit_cast<uint32_t>(f16_to_f32(0x8000)), 0x80000000u);  // -0.0
  EXPECT_EQ(f16_to_f32(0x8001), -std::ldexp(1.0f, -24));
}

// Every f16 value is exactly representable in f32, so decoding then encoding
// must give back the same pattern.
TEST(HalfF16, RoundTripsEveryPattern) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const uint16_t back = f32_to_f16(f16_to_f32(uint16_t(h)));
    if (is_f16_nan(uint16_t(h))) {
      ASSERT_TRUE(is_f16_nan(back)) << std::hex << h;
    } else {
      ASSERT_EQ(back, h) << std::hex << h;
    }
  }
}

TEST(HalfBf16, EncodesExactValuesToTheirIeeeBitPatterns) {
  // 1.0f = 0x3f800000 (exponent 127, mantissa 0): upper half 0x3f80.
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  // -2.5f = -1.25 * 2^1: sign 1, exponent 128 = 10000000, mantissa .25 = 0100000
  // -> 1 10000000 0100000 = 0xc020.
  EXPECT_EQ(f32_to_bf16(-2.5f), 0xc020);
  // (2 - 2^-7) * 2^127, the largest finite bf16: 0 11111110 1111111.
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7f7f0000u)), 0x7f7f);
  // 2^-133 = 2^-126 * 2^-7, the smallest subnormal bf16: mantissa 0000001.
  EXPECT_EQ(f32_to_bf16(std::ldexp(1.0f, -133)), 0x0001);
  EXPECT_EQ(f32_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_bf16(kInf), 0x7f80);
  EXPECT_EQ(f32_to_bf16(-kInf), 0xff80);
}

TEST(HalfBf16, RoundsInexactValuesToNearestWithTiesToEven) {
  // Near 1.0 one bf16 step is 2^-7, i.e. 0x10000 in f32 bits: 0x3f808000
  // (1 + 2^-8) is halfway between 0x3f80 (even) and 0x3f81.
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);
  // 0x3f818000 is halfway between 0x3f81 and 0x3f82 (even).
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808001u)), 0x3f81);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f807fffu)), 0x3f80);
  // 0.1f = 0x3dcccccd: the dropped half 0xcccd > 0x8000, so up: 0x3dcd.
  EXPECT_EQ(f32_to_bf16(0.1f), 0x3dcd);
  // The largest finite f32 0x7f7fffff is above the midpoint 0x7f7f8000 between
  // 0x7f7f and 0x7f80 (= infinity): rounds up to infinity.
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7f7fffffu)), 0x7f80);
  // 2^-134 (f32 0x00008000) is halfway between 0 (even) and 0x0001.
  EXPECT_EQ(f32_to_bf16(std::ldexp(1.0f, -134)), 0x0000);
}

TEST(HalfBf16, KeepsNanANan) {
  EXPECT_TRUE(is_bf16_nan(f32_to_bf16(std::numeric_limits<float>::quiet_NaN())));
  // Payload only in the low 16 bits: truncation alone would give infinity 0x7f80.
  EXPECT_TRUE(is_bf16_nan(f32_to_bf16(std::bit_cast<float>(0x7f800001u))));
  EXPECT_TRUE(is_bf16_nan(f32_to_bf16(std::bit_cast<float>(0xff800001u))));
}

TEST(HalfBf16, DecodesBitPatternsToTheirValues) {
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xc020), -2.5f);
  EXPECT_EQ(bf16_to_f32(0x0001), std::ldexp(1.0f, -133));
  EXPECT_EQ(bf16_to_f32(0x7f80), kInf);
  EXPECT_TRUE(std::isnan(bf16_to_f32(0x7fc0)));
}

TEST(HalfBf16, RoundTripsEveryPattern) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const uint16_t back = f32_to_bf16(bf16_to_f32(uint16_t(h)));
    if (is_bf16_nan(uint16_t(h))) {
      ASSERT_TRUE(is_bf16_nan(back)) << std::hex << h;
    } else {
      ASSERT_EQ(back, h) << std::hex << h;
    }
  }
}

}  // namespace
}  // namespace llamafast
