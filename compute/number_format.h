// Number formats the roofline model prices: IEEE-style floats (FP32, TF32, BF16, FP16, FP8
// E4M3/E5M2), integers (INT8, INT4), VS-Quant (INT4/INT8 with one scale per vector of V
// elements, V in [16, 64], plus one per-matrix scale; Dai et al., MLSys 2021, and Dally, Hot Chips
// 2023) and the block-scaled microscaling formats (OCP MX v1.0: MXFP8/MXFP6/MXFP4, 32-element
// blocks with an 8-bit E8M0 scale; NVIDIA NVFP4: 16-element blocks with an FP8 E4M3 scale).
// Invariant: a valid NumberFormat has block_size/scale_bits set exactly for block-scaled formats
// (fixed by the spec for MX and NVFP4, chosen for VSQ) and zero otherwise. Storage sizes are in
// bits per element including the amortised scale bits (MXFP4 = 4 + 8/32 = 4.25); a per-matrix or
// per-tensor scale (32 bits per matrix) is negligible and not counted.
#ifndef TRAINSIM_COMPUTE_NUMBER_FORMAT_H_
#define TRAINSIM_COMPUTE_NUMBER_FORMAT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sim/status.h"

namespace trainsim::compute {

enum class Format : uint8_t {
  kFp32,
  kTf32,  // stored as FP32 (32 bits); the tensor cores read a 19-bit subset
  kBf16,
  kFp16,
  kFp8E4M3,
  kFp8E5M2,
  kInt8,
  kInt4,
  kInt8Vsq,  // VS-Quant, INT8 elements
  kInt4Vsq,  // VS-Quant, INT4 elements
  kMxfp8,    // OCP MX: E4M3 or E5M2 elements (same size)
  kMxfp6,    // OCP MX: E2M3 or E3M2 elements (same size)
  kMxfp4,    // OCP MX: E2M1 elements
  kNvfp4,    // E2M1 elements, E4M3 scale per 16, FP32 scale per tensor
};

// Every Format, in declaration order.
std::span<const Format> AllFormats();

struct NumberFormat {
  Format format = Format::kBf16;
  int block_size = 0;  // elements sharing one scale (VSQ: the vector length V)
  int scale_bits = 0;  // width of that scale

  // VS-Quant defaults: V = 16 and an 8-bit scale. Dai et al. (MLSys 2021) study V = 16..64 with
  // 4–10-bit scales; 16 elements and 8 bits give the 4.5 bits per INT4 element.
  static constexpr int kVsqDefaultVectorSize = 16;
  static constexpr int kVsqDefaultScaleBits = 8;
  static constexpr int kVsqMinVectorSize = 16;
  static constexpr int kVsqMaxVectorSize = 64;
  // OCP Microscaling Formats (MX) Specification v1.0 (2023), §5: k = 32, scale E8M0 (8 bits).
  static constexpr int kMxBlockSize = 32;
  static constexpr int kMxScaleBits = 8;
  // NVIDIA Blackwell NVFP4: one FP8 E4M3 scale per 16 E2M1 values along K (NVIDIA cuTile
  // tutorial "Inference with NVFP4/MXFP8": 8 packed bytes + 1 scale byte per 16 values).
  static constexpr int kNvfp4BlockSize = 16;
  static constexpr int kNvfp4ScaleBits = 8;

  // The format with its standard block parameters (VSQ: V = 16, 8-bit scale).
  static constexpr NumberFormat Of(Format f);
  // VS-Quant with INT8 or INT4 elements (`element` is kInt8/kInt8Vsq or kInt4/kInt4Vsq).
  static constexpr NumberFormat Vsq(Format element, int vector_size, int scale_bits);

  friend constexpr bool operator==(const NumberFormat&, const NumberFormat&) = default;
};

// Bits of one element without scales: 32, 32 (TF32 storage), 16, 16, 8, 8, 8, 4, 8, 4, 8, 6, 4, 4.
int ElementBits(Format f);
// Storage bits per element including amortised block scales: ElementBits + scale_bits/block_size.
double StorageBitsPerElement(const NumberFormat& f);
bool IsBlockScaled(Format f);  // VSQ, MX or NVFP4
bool IsVsq(Format f);

// True when ValidateNumberFormat(f) would be OK; no allocation.
bool IsValidNumberFormat(const NumberFormat& f);
// Checks the block parameters: MX and NVFP4 must use their fixed values, VSQ needs V in [16, 64]
// and a scale of 1..32 bits, other formats must have both zero.
Status ValidateNumberFormat(const NumberFormat& f);

// Canonical name: "fp32", "tf32", "bf16", "fp16", "fp8-e4m3", "fp8-e5m2", "int8", "int4",
// "int8-vsq", "int4-vsq", "mxfp8", "mxfp6", "mxfp4", "nvfp4".
std::string_view FormatName(Format f);
// As FormatName, with VSQ parameters spelled out when not the default: "int4-vsq-v32-s6".
// ParseNumberFormat(ToString(f)) == f for every valid f.
std::string ToString(const NumberFormat& f);
// Accepts the canonical names (case-insensitive), "fp8" for "fp8-e4m3", and VSQ parameters as
// "int4-vsq-v<V>" and/or "-s<bits>" suffixes. The error lists every valid name.
StatusOr<NumberFormat> ParseNumberFormat(std::string_view name);

// ---------------------------------------------------------------------------------------------

constexpr NumberFormat NumberFormat::Of(Format f) {
  switch (f) {
    case Format::kInt8Vsq:
    case Format::kInt4Vsq:
      return NumberFormat{
          .format = f, .block_size = kVsqDefaultVectorSize, .scale_bits = kVsqDefaultScaleBits};
    case Format::kMxfp8:
    case Format::kMxfp6:
    case Format::kMxfp4:
      return NumberFormat{.format = f, .block_size = kMxBlockSize, .scale_bits = kMxScaleBits};
    case Format::kNvfp4:
      return NumberFormat{
          .format = f, .block_size = kNvfp4BlockSize, .scale_bits = kNvfp4ScaleBits};
    case Format::kFp32:
    case Format::kTf32:
    case Format::kBf16:
    case Format::kFp16:
    case Format::kFp8E4M3:
    case Format::kFp8E5M2:
    case Format::kInt8:
    case Format::kInt4:
      return NumberFormat{.format = f};
  }
  return NumberFormat{.format = f};
}

constexpr NumberFormat NumberFormat::Vsq(Format element, int vector_size, int scale_bits) {
  const bool int4 = element == Format::kInt4 || element == Format::kInt4Vsq;
  return NumberFormat{.format = int4 ? Format::kInt4Vsq : Format::kInt8Vsq,
                      .block_size = vector_size,
                      .scale_bits = scale_bits};
}

}  // namespace trainsim::compute

#endif  // TRAINSIM_COMPUTE_NUMBER_FORMAT_H_
