#include "compute/gpu_spec.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/compute/test_gpus.h"

namespace trainsim::compute {
namespace {

using ::trainsim::compute::testing::A100Sxm80;
using ::trainsim::compute::testing::H100Sxm;
using ::trainsim::compute::testing::H200Sxm;

bool Contains(const Status& s, std::string_view text) {
  return s.message().find(text) != std::string::npos;
}

TEST(GpuSpec, CatalogGpusAreValid) {
  for (const GpuSpec& gpu : {H100Sxm(), H200Sxm(), A100Sxm80()}) {
    const Status st = ValidateGpuSpec(gpu);
    EXPECT_TRUE(st.ok()) << st.message();
  }
}

TEST(GpuSpec, ZeroBandwidthIsRejectedByFieldName) {
  GpuSpec gpu = H100Sxm();
  gpu.hbm_bandwidth = BytesPerSecond(0);
  const Status st = ValidateGpuSpec(gpu);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(st, "gpu.hbm_bandwidth must be > 0")) << st.message();
  EXPECT_TRUE(Contains(st, "h100-sxm")) << st.message();
}

TEST(GpuSpec, AllProblemsAreReportedAtOnce) {
  GpuSpec gpu = H100Sxm();
  gpu.sm_count = 0;
  gpu.tdp = Watts(0);
  gpu.math_efficiency = 1.5;
  gpu.tile_n = 0;
  const Status st = ValidateGpuSpec(gpu);
  EXPECT_TRUE(Contains(st, "gpu.sm_count must be > 0, got 0")) << st.message();
  EXPECT_TRUE(Contains(st, "gpu.tdp must be > 0")) << st.message();
  EXPECT_TRUE(Contains(st, "gpu.math_efficiency must be in (0, 1], got 1.5")) << st.message();
  EXPECT_TRUE(Contains(st, "gpu.tile_n")) << st.message();
}

TEST(GpuSpec, SparseSpeedupCannotExceedTwo) {
  GpuSpec gpu = H100Sxm();
  gpu.sparse_speedup = 2.5;
  EXPECT_TRUE(Contains(ValidateGpuSpec(gpu), "gpu.sparse_speedup must be in [1, 2]"));
  gpu.sparse_speedup = 2.0;
  EXPECT_TRUE(ValidateGpuSpec(gpu).ok());
}

TEST(GpuSpec, StaticPowerMustLeaveHeadroomBelowTdp) {
  GpuSpec gpu = H100Sxm();
  gpu.static_power = gpu.tdp;
  EXPECT_TRUE(Contains(ValidateGpuSpec(gpu), "gpu.static_power"));
}

TEST(GpuSpec, VsqTensorCoresNeedInt8TensorCores) {
  GpuSpec gpu = H100Sxm();
  gpu.peak_int8 = FlopsPerSecond(0);
  gpu.vsq_int4_tensor_cores = true;
  EXPECT_TRUE(Contains(ValidateGpuSpec(gpu), "gpu.vsq_int4_tensor_cores"));
}

TEST(GpuSpec, AnEmptySpecNamesTheMissingDatasheetFields) {
  const Status st = ValidateGpuSpec(GpuSpec{});
  for (const char* field : {"gpu.name", "gpu.sm_count", "gpu.hbm_capacity", "gpu.hbm_bandwidth",
                            "gpu.tdp", "gpu.peak_fp32_vector"}) {
    EXPECT_TRUE(Contains(st, field)) << field << " in " << st.message();
  }
}

TEST(GpuSpec, NegativePeaksAndEnergiesAreRejected) {
  GpuSpec gpu = H100Sxm();
  gpu.peak_fp8 = FlopsPerSecond(-1);
  gpu.mac_energy_bf16 = Joules(-1e-12);
  const Status st = ValidateGpuSpec(gpu);
  EXPECT_TRUE(Contains(st, "gpu.peak_fp8")) << st.message();
  EXPECT_TRUE(Contains(st, "gpu.mac_energy_bf16")) << st.message();
}

}  // namespace
}  // namespace trainsim::compute
