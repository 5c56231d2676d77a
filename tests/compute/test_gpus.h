// GpuSpecs for tests, with the datasheet values of compute/catalog/gpus.yaml (sources there and
// in shared/data/gpus.md). Tests build specs here rather than parse the YAML: compute/ does not
// parse files, and a test must not depend on the working directory. Also the roofline model of
// such a spec.
#ifndef TRAINSIM_TESTS_COMPUTE_TEST_GPUS_H_
#define TRAINSIM_TESTS_COMPUTE_TEST_GPUS_H_

#include "compute/gpu_spec.h"
#include "compute/roofline.h"
#include "sim/check.h"
#include "sim/units.h"

namespace trainsim::compute::testing {

using namespace trainsim::literals;

// H100 SXM5 80 GB: the model's defaults (efficiencies, energies) are calibrated for it.
inline GpuSpec H100Sxm() {
  return GpuSpec{
      .name = "h100-sxm",
      .sm_count = 132,
      .l2_cache = 50_MB,
      .hbm_capacity = 80_GB,
      .hbm_bandwidth = 3.35_TBps,
      .tdp = 700_W,
      .boost_clock_ghz = 1.98,
      .peak_fp64_vector = 33.5_TFLOPS,
      .peak_fp64_tensor = 66.9_TFLOPS,
      .peak_fp32_vector = 66.9_TFLOPS,
      .peak_tf32 = 494.7_TFLOPS,
      .peak_bf16 = 989.4_TFLOPS,
      .peak_fp16 = 989.4_TFLOPS,
      .peak_fp8 = 1978.9_TFLOPS,
      .peak_int8 = 1978.9_TFLOPS,
      .sparsity_2_4 = true,
      .nvlink_bandwidth = 450_GBps,
  };
}

// H200 SXM 141 GB: the H100 die with HBM3e.
inline GpuSpec H200Sxm() {
  GpuSpec g = H100Sxm();
  g.name = "h200-sxm";
  g.hbm_capacity = 141_GB;
  g.hbm_bandwidth = 4.8_TBps;
  return g;
}

// A100 SXM4 80 GB: no FP8; native INT4 at twice the INT8 rate.
inline GpuSpec A100Sxm80() {
  return GpuSpec{
      .name = "a100-sxm-80gb",
      .sm_count = 108,
      .l2_cache = 40_MB,
      .hbm_capacity = 80_GB,
      .hbm_bandwidth = 2.039_TBps,
      .tdp = 400_W,
      .static_power = 80_W,
      .boost_clock_ghz = 1.41,
      .peak_fp64_vector = 9.7_TFLOPS,
      .peak_fp64_tensor = 19.5_TFLOPS,
      .peak_fp32_vector = 19.5_TFLOPS,
      .peak_tf32 = 156_TFLOPS,
      .peak_bf16 = 312_TFLOPS,
      .peak_fp16 = 312_TFLOPS,
      .peak_int8 = 624_TFLOPS,
      .peak_int4 = 1248_TFLOPS,
      .sparsity_2_4 = true,
      .nvlink_bandwidth = 300_GBps,
      .math_efficiency = 0.88,
      .mac_energy_fp32 = Joules(35e-12),
      .mac_energy_tf32 = Joules(4.4e-12),
      .mac_energy_bf16 = Joules(2.2e-12),
      .mac_energy_fp8 = Joules(0),  // no FP8 datapath
      .mac_energy_int8 = Joules(1.1e-12),
      .mac_energy_int4 = Joules(0.55e-12),
  };
}

// The roofline model of `gpu`, which must be a valid spec.
inline RooflineModel Model(const GpuSpec& gpu) {
  StatusOr<RooflineModel> m = RooflineModel::Create(gpu);
  TRAINSIM_CHECK(m.ok()) << m.status().message();
  return *m;
}

}  // namespace trainsim::compute::testing

#endif  // TRAINSIM_TESTS_COMPUTE_TEST_GPUS_H_
