#include "compute/tensor_core.h"

#include <algorithm>
#include <string>

#include "gtest/gtest.h"
#include "tests/compute/test_gpus.h"

namespace trainsim::compute {
namespace {

using ::trainsim::compute::testing::A100Sxm80;
using ::trainsim::compute::testing::H100Sxm;

MathPath Resolve(const GpuSpec& gpu, Format f, bool sparse = false) {
  StatusOr<MathPath> p = ResolveMathPath(gpu, NumberFormat::Of(f), sparse);
  TRAINSIM_CHECK(p.ok()) << p.status().message();
  return *p;
}

// A Blackwell-like GPU: block-scaled tensor cores with native FP4.
GpuSpec WithBlockScaledFp4() {
  GpuSpec gpu = H100Sxm();
  gpu.name = "block-scaled";
  gpu.block_scaled_tensor_cores = true;
  gpu.peak_fp6 = gpu.peak_fp8;
  gpu.peak_fp4 = gpu.peak_fp8 * 2;
  return gpu;
}

TEST(TensorCore, NativeFormatsRunAtTheirDatasheetPeak) {
  const GpuSpec gpu = H100Sxm();
  EXPECT_EQ(Resolve(gpu, Format::kBf16).dense_peak, gpu.peak_bf16);
  EXPECT_EQ(Resolve(gpu, Format::kTf32).dense_peak, gpu.peak_tf32);
  EXPECT_EQ(Resolve(gpu, Format::kFp8E5M2).dense_peak, gpu.peak_fp8);
  EXPECT_EQ(Resolve(gpu, Format::kInt8).mac_energy, gpu.mac_energy_int8);
  const MathPath fp32 = Resolve(gpu, Format::kFp32);
  EXPECT_EQ(fp32.math_type, MathType::kFp32Vector);
  EXPECT_EQ(fp32.dense_peak, gpu.peak_fp32_vector);
  EXPECT_EQ(fp32.execution, Execution::kNative);
}

TEST(TensorCore, Int4OnHopperRunsAtTheInt8RateAfterUnpacking) {
  const GpuSpec h100 = H100Sxm();
  const MathPath p = Resolve(h100, Format::kInt4);
  EXPECT_EQ(p.execution, Execution::kWiderFormat);
  EXPECT_EQ(p.math_type, MathType::kInt8);
  EXPECT_EQ(p.dense_peak, h100.peak_int8);
  EXPECT_GT(p.cuda_core_ops_per_mac, 0);

  const GpuSpec a100 = A100Sxm80();
  const MathPath native = Resolve(a100, Format::kInt4);
  EXPECT_EQ(native.execution, Execution::kNative);
  EXPECT_EQ(native.dense_peak, a100.peak_int4);
}

TEST(TensorCore, MicroscalingOnHopperIsDequantisedToFp8) {
  const GpuSpec gpu = H100Sxm();
  for (Format f : {Format::kMxfp8, Format::kMxfp6, Format::kMxfp4, Format::kNvfp4}) {
    const MathPath p = Resolve(gpu, f);
    EXPECT_EQ(p.execution, Execution::kDequantToFp8) << FormatName(f);
    EXPECT_EQ(p.math_type, MathType::kFp8);
    EXPECT_EQ(p.dense_peak, gpu.peak_fp8);
    // One CUDA-core op per element loaded; a tile loads (tile_m + tile_n) elements per K step.
    EXPECT_DOUBLE_EQ(p.cuda_core_ops_per_mac, 1.0 / gpu.tile_m + 1.0 / gpu.tile_n);
  }
}

TEST(TensorCore, BlockScaledTensorCoresRunMicroscalingNatively) {
  const GpuSpec gpu = WithBlockScaledFp4();
  const MathPath fp4 = Resolve(gpu, Format::kNvfp4);
  EXPECT_EQ(fp4.execution, Execution::kNative);
  EXPECT_EQ(fp4.math_type, MathType::kFp4);
  EXPECT_EQ(fp4.dense_peak, gpu.peak_fp4);
  EXPECT_EQ(fp4.cuda_core_ops_per_mac, 0);
  EXPECT_EQ(Resolve(gpu, Format::kMxfp6).math_type, MathType::kFp6);
  EXPECT_EQ(Resolve(gpu, Format::kMxfp8).execution, Execution::kNative);
}

TEST(TensorCore, Fp8OnA100IsAnErrorNamingTheGpuAndFormat) {
  StatusOr<MathPath> p = ResolveMathPath(A100Sxm80(), NumberFormat::Of(Format::kFp8E4M3), false);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("a100-sxm-80gb"), std::string::npos);
  EXPECT_NE(p.status().message().find("fp8-e4m3"), std::string::npos);
  EXPECT_NE(p.status().message().find("gpu.peak_fp8 = 0"), std::string::npos);
  // Without FP8 there is nothing to dequantise MX formats to either.
  EXPECT_FALSE(ResolveMathPath(A100Sxm80(), NumberFormat::Of(Format::kMxfp4), false).ok());
}

TEST(TensorCore, SparsityMultipliesOnlyTheTensorRateBySpecSpeedup) {
  const GpuSpec gpu = H100Sxm();
  EXPECT_EQ(Resolve(gpu, Format::kBf16).sparse_speedup, 1.0);
  const MathPath sparse = Resolve(gpu, Format::kBf16, /*sparse=*/true);
  EXPECT_EQ(sparse.sparse_speedup, gpu.sparse_speedup);
  EXPECT_EQ(sparse.dense_peak, gpu.peak_bf16);
}

TEST(TensorCore, SparsityIsAnErrorWithoutSparseTensorCores) {
  GpuSpec gpu = H100Sxm();
  StatusOr<MathPath> fp32 = ResolveMathPath(gpu, NumberFormat::Of(Format::kFp32), true);
  ASSERT_FALSE(fp32.ok());
  EXPECT_NE(fp32.status().message().find("CUDA cores"), std::string::npos);

  gpu.sparsity_2_4 = false;
  StatusOr<MathPath> bf16 = ResolveMathPath(gpu, NumberFormat::Of(Format::kBf16), true);
  ASSERT_FALSE(bf16.ok());
  EXPECT_NE(bf16.status().message().find("gpu.sparsity_2_4 = false"), std::string::npos);
}

TEST(TensorCore, VsqTensorCoreRunsInt4AtTwiceTheInt8RateWithItsEnergyOverhead) {
  GpuSpec gpu = H100Sxm();
  gpu.vsq_int4_tensor_cores = true;
  const MathPath p = Resolve(gpu, Format::kInt4Vsq);
  EXPECT_EQ(p.execution, Execution::kVsqTensorCore);
  EXPECT_EQ(p.dense_peak, gpu.peak_int8 * 2.0);
  EXPECT_DOUBLE_EQ(p.mac_energy.value(), gpu.mac_energy_int4.value() * 1.008);  // Dally: +0.8%
  EXPECT_EQ(p.cuda_core_ops_per_mac, 0);
  EXPECT_EQ(p.mma_utilisation, 1.0);
  EXPECT_EQ(Resolve(gpu, Format::kInt8Vsq).dense_peak, gpu.peak_int8);
}

TEST(TensorCore, EmulatedVsqRescalesEveryVectorOnCudaCores) {
  const GpuSpec gpu = H100Sxm();
  // INT8 MMAs have K = 32: a 16-element vector fills half of one.
  const MathPath v16 = Resolve(gpu, Format::kInt8Vsq);
  EXPECT_EQ(v16.execution, Execution::kVsqEmulated);
  EXPECT_DOUBLE_EQ(v16.mma_utilisation, 16.0 / 32);
  EXPECT_DOUBLE_EQ(v16.cuda_core_ops_per_mac, 3.0 / 16);  // I2F, FMUL, FFMA per vector
  StatusOr<MathPath> v64 = ResolveMathPath(gpu, NumberFormat::Vsq(Format::kInt8, 64, 8), false);
  ASSERT_TRUE(v64.ok());
  EXPECT_DOUBLE_EQ(v64->mma_utilisation, 1.0);
  EXPECT_DOUBLE_EQ(v64->cuda_core_ops_per_mac, 3.0 / 64);
  // INT4 VSQ on Hopper also unpacks to INT8.
  const MathPath int4 = Resolve(gpu, Format::kInt4Vsq);
  EXPECT_GT(int4.cuda_core_ops_per_mac, v16.cuda_core_ops_per_mac);
}

TEST(TensorCore, HopperRunsEveryFormatAndA100LacksFp8AndMicroscaling) {
  EXPECT_EQ(SupportedFormats(H100Sxm()).size(), AllFormats().size());
  const std::vector<NumberFormat> a100 = SupportedFormats(A100Sxm80());
  for (Format f : {Format::kFp8E4M3, Format::kFp8E5M2, Format::kMxfp8, Format::kMxfp6,
                   Format::kMxfp4, Format::kNvfp4}) {
    EXPECT_EQ(std::count(a100.begin(), a100.end(), NumberFormat::Of(f)), 0) << FormatName(f);
  }
  EXPECT_EQ(a100.size(), AllFormats().size() - 6);
}

TEST(TensorCore, InvalidFormatParametersAreErrors) {
  EXPECT_FALSE(ResolveMathPath(H100Sxm(), NumberFormat::Vsq(Format::kInt4, 8, 8), false).ok());
}

}  // namespace
}  // namespace trainsim::compute
