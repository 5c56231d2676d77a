#include "compute/gpu_spec.h"

#include <cmath>
#include <string>
#include <vector>

#include "fmt/format.h"

// Sources and calibration of GpuSpec's defaults (H100 SXM5 80 GB; shared/data/gpus.md).
//
// static_power = 140 W: nvidia-smi on idle H100 80GB HBM3 boards at P0 with 72 GB allocated and
//   0-4% utilisation reads 140-145 W of the 700 W cap (github.com/wilicc/gpu-burn issue #114).
// math_efficiency = 0.83: CALIBRATION, not validation. BF16 8192³ on H100 measured 797.5 and
//   798 TFLOP/s (gpus.md §8.2: zzc0721/torch-performance-test-data #79; PyTorch 2.11 run). The
//   model's 8192³ GEMM has 2048 128×256 tiles = 16 waves over 132 SMs (wave efficiency
//   15.52/16 = 0.970), so 0.83 × 0.970 × 989.4 = 796 TFLOP/s. The best measured shapes reach
//   80.3% of peak (stas00/ml-engineering MAMF), consistent with 0.83 before wave loss.
// hbm_efficiency = 0.90: CALIBRATION. A device-to-device copy on H100 moved ~3.0 TB/s counting
//   read + write (gpus.md, measured); 3.0 / 3.35 = 0.896. The H200's measured 4.3 / 4.8 = 0.896
//   agrees, so the same factor is used there.
// attention_efficiency = 0.75: FlashAttention-3 reaches "up to 740 TFLOPs/s (75% utilization)"
//   in FP16 on H100 SXM5 (Shah et al., arXiv 2407.08608, abstract); its FP8 "close to 1.2
//   PFLOPs/s" is ~61% of 1978.9, which the model reaches through the power cap instead.
// kernel_launch_overhead = 2 µs: launches cost "on the order of microseconds" (Modal GPU
//   Glossary, "CUDA Graph"); CUDA.jl's docs measure 80 broadcast kernels at 260 µs eager (3.3 µs
//   each) and 70 µs as one graph (0.9 µs each). 2 µs sits between stream and graph launch.
// tile 128×256×64: a standard CUTLASS 3.x Hopper (Sm90) warp-specialised GEMM tile
//   (TileShape = Shape<_128,_256,_64> in its examples). One tile shape for every op and
//   format: a library's per-shape tile choice (and stream-K, which removes wave tails) is not
//   modelled.
// sparse_speedup = 1.25: 2:4-sparse FP16 linears on A100 measured 1.24× and 1.27× over dense
//   for ViT-L MLP shapes (13008×1024×4096 etc.; pytorch/ao torchao/sparsity/training/README.md).
//   NVIDIA's "2×" is the math peak; achieved speed-ups are lower because the sparse kernels run
//   at a lower fraction of their peak.
// Energies per MAC, CALIBRATION against the 700 W limit (no per-op power measurement found):
//   bf16 1.35 pJ: a BF16 GEMM at math_efficiency draws 140 W static + 0.83·0.97·989.4e12/2
//     MAC/s × 1.35 pJ + ~9 W HBM = ~690 W: large BF16 GEMMs run just under the 700 W limit.
//   fp8 0.75 pJ (0.55× BF16: an E4M3 multiplier is far smaller than a BF16 one, cf. 8b mult
//     0.2 pJ vs 16b FP mult 1.1 pJ at 45 nm in hotchips2023-dally.md, but operand delivery and
//     the wide accumulate stay): a large FP8 GEMM would draw ~745 W, is clocked down to 700 W
//     and lands at ~1.46 PFLOP/s, between the measured 1402.6 (MAMF best shape) and ~1600
//     TFLOP/s (cuBLASLt 8192³, GPU unidentified) of gpus.md §8.2.
//   int8 0.65 pJ: Dally's IMMA carries less overhead than HMMA (16% vs 22%) and an 8-bit integer
//     multiply is cheaper than an FP8 one; an INT8 GEMM at full rate draws ~665 W.
//   int4 0.4 pJ: half the multiplier width again; accumulation and operand movement dominate.
//     Used by A100's INT4 MMA and the VSQ tensor core (which is then power-capped at 2× INT8).
//   tf32 2.7 pJ (2× BF16: 10-bit mantissa multipliers): a TF32 GEMM draws ~690 W (measured
//     372 TFLOP/s at 8192³, gpus.md; the model gives ~389).
//   fp32 20 pJ per FFMA on CUDA cores: an SGEMM at 0.83 of 66.9 TFLOP/s draws ~680 W (measured
//     51.8 TFLOP/s at 8192³). The ~15× gap to HMMA per MAC is Dally's point: an HFMA carries
//     ~2000% fetch/decode/operand overhead, an HMMA ~22% (Hot Chips 2023); SIMT amortises some
//     of it over 32 lanes.
//   hbm 3.9 pJ/bit: HBM2 access energy in O'Connor et al., "Fine-Grained DRAM", MICRO-50 2017
//     (NVIDIA; the HBM2 baseline FGDRAM halves). DRAM-side only: on-chip L2/NoC movement is in
//     the MAC energies, so a pure copy reads as static + ~94 W.

namespace trainsim::compute {
namespace {

bool Finite(double v) { return std::isfinite(v); }

}  // namespace

Status ValidateGpuSpec(const GpuSpec& g) {
  std::vector<std::string> errors;
  auto require = [&](bool ok, std::string message) {
    if (!ok) errors.push_back(std::move(message));
  };
  auto positive_rate = [&](std::string_view field, FlopsPerSecond v, bool required) {
    if (required) {
      require(Finite(v.value()) && v.value() > 0,
              fmt::format("gpu.{} must be > 0, got {}", field, ToString(v)));
    } else {
      require(Finite(v.value()) && v.value() >= 0,
              fmt::format("gpu.{} must be >= 0 (0 = not native), got {}", field, ToString(v)));
    }
  };
  auto fraction = [&](std::string_view field, double v) {
    require(Finite(v) && v > 0 && v <= 1,
            fmt::format("gpu.{} must be in (0, 1], got {}", field, v));
  };
  auto energy = [&](std::string_view field, Joules v) {
    require(Finite(v.value()) && v.value() >= 0,
            fmt::format("gpu.{} must be >= 0, got {}", field, ToString(v)));
  };

  require(!g.name.empty(), "gpu.name must not be empty");
  require(g.sm_count > 0, fmt::format("gpu.sm_count must be > 0, got {}", g.sm_count));
  require(g.l2_cache.count() >= 0,
          fmt::format("gpu.l2_cache must be >= 0, got {}", ToString(g.l2_cache)));
  require(g.hbm_capacity.count() > 0,
          fmt::format("gpu.hbm_capacity must be > 0, got {}", ToString(g.hbm_capacity)));
  require(Finite(g.hbm_bandwidth.value()) && g.hbm_bandwidth.value() > 0,
          fmt::format("gpu.hbm_bandwidth must be > 0, got {}", ToString(g.hbm_bandwidth)));
  require(Finite(g.tdp.value()) && g.tdp.value() > 0,
          fmt::format("gpu.tdp must be > 0, got {}", ToString(g.tdp)));
  require(Finite(g.static_power.value()) && g.static_power.value() >= 0 && g.static_power < g.tdp,
          fmt::format("gpu.static_power must be >= 0 and below gpu.tdp ({}), got {}",
                      ToString(g.tdp), ToString(g.static_power)));
  require(Finite(g.boost_clock_ghz) && g.boost_clock_ghz >= 0,
          fmt::format("gpu.boost_clock_ghz must be >= 0, got {}", g.boost_clock_ghz));

  positive_rate("peak_fp64_vector", g.peak_fp64_vector, false);
  positive_rate("peak_fp64_tensor", g.peak_fp64_tensor, false);
  // Memory-bound ops and dequantisation run on the FP32 CUDA cores: every GPU has them.
  positive_rate("peak_fp32_vector", g.peak_fp32_vector, true);
  positive_rate("peak_tf32", g.peak_tf32, false);
  positive_rate("peak_bf16", g.peak_bf16, false);
  positive_rate("peak_fp16", g.peak_fp16, false);
  positive_rate("peak_fp8", g.peak_fp8, false);
  positive_rate("peak_int8", g.peak_int8, false);
  positive_rate("peak_int4", g.peak_int4, false);
  positive_rate("peak_fp6", g.peak_fp6, false);
  positive_rate("peak_fp4", g.peak_fp4, false);

  require(Finite(g.sparse_speedup) && g.sparse_speedup >= 1 && g.sparse_speedup <= 2,
          fmt::format("gpu.sparse_speedup must be in [1, 2] (2:4 sparsity at most doubles the "
                      "math rate), got {}",
                      g.sparse_speedup));
  require(!g.vsq_int4_tensor_cores || g.peak_int8.value() > 0,
          "gpu.vsq_int4_tensor_cores needs gpu.peak_int8 > 0 (the VSQ tensor core runs INT4 at "
          "twice the INT8 rate)");
  require(Finite(g.nvlink_bandwidth.value()) && g.nvlink_bandwidth.value() >= 0,
          fmt::format("gpu.nvlink_bandwidth must be >= 0, got {}", ToString(g.nvlink_bandwidth)));

  fraction("math_efficiency", g.math_efficiency);
  fraction("hbm_efficiency", g.hbm_efficiency);
  fraction("attention_efficiency", g.attention_efficiency);
  require(g.kernel_launch_overhead >= Time::Zero(),
          fmt::format("gpu.kernel_launch_overhead must be >= 0, got {}",
                      ToString(g.kernel_launch_overhead)));
  for (auto [field, v] : {std::pair<std::string_view, int>{"tile_m", g.tile_m},
                          {"tile_n", g.tile_n},
                          {"tile_k", g.tile_k}}) {
    require(v > 0 && v <= 1024, fmt::format("gpu.{} must be in [1, 1024], got {}", field, v));
  }

  energy("mac_energy_fp32", g.mac_energy_fp32);
  energy("mac_energy_tf32", g.mac_energy_tf32);
  energy("mac_energy_bf16", g.mac_energy_bf16);
  energy("mac_energy_fp8", g.mac_energy_fp8);
  energy("mac_energy_int8", g.mac_energy_int8);
  energy("mac_energy_int4", g.mac_energy_int4);
  energy("hbm_energy_per_bit", g.hbm_energy_per_bit);

  if (errors.empty()) return OkStatus();
  std::string message;
  for (const std::string& e : errors) {
    if (!message.empty()) message += "; ";
    message += e;
  }
  if (!g.name.empty()) message = fmt::format("gpu {}: {}", g.name, message);
  return InvalidArgumentError(std::move(message));
}

}  // namespace trainsim::compute
