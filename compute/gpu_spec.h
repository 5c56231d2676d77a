// GpuSpec: everything the compute model knows about one GPU, as a plain struct that a scenario
// (or the catalog, compute/catalog/gpus.yaml) fills field by field; a scenario file's `gpu:`
// section mirrors these members 1:1 in snake_case, with unit strings ("3.35TB/s", "700W").
// Datasheet fields (counts, sizes, peaks, power) have no default: zero means "not given", or for
// a tensor peak "this math type is not native". Model parameters (efficiencies, tile shape,
// launch overhead, energies) default to values calibrated for the H100 SXM, each sourced below.
// Peaks are dense (no 2:4 sparsity) at boost clock; rates in FLOP/s (integer formats: OP/s).
// Energies are per multiply-accumulate (one MAC = 2 FLOP) and per HBM bit.
#ifndef TRAINSIM_COMPUTE_GPU_SPEC_H_
#define TRAINSIM_COMPUTE_GPU_SPEC_H_

#include <cstdint>
#include <string>

#include "sim/status.h"
#include "sim/units.h"

namespace trainsim::compute {

struct GpuSpec {
  // --- Identity and datasheet (compute/catalog/gpus.yaml cites a source for each value) ---
  std::string name{};
  int sm_count = 0;                // streaming multiprocessors; GEMM tiles run in waves over them
  Bytes l2_cache{};                // informational: the model does not credit L2 reuse
  Bytes hbm_capacity{};            // memory capacity (used by workloads/ for fit checks)
  BytesPerSecond hbm_bandwidth{};  // peak DRAM bandwidth, datasheet
  Watts tdp{};                     // board power limit; ops that would exceed it are clocked down
  // Power drawn whenever the GPU is on, busy or idle (leakage, clock tree, uncore); energy per
  // op adds static_power × time to the math and HBM energy. Default: see gpu_spec.cc.
  Watts static_power = Watts(kDefaultStaticPowerW);
  double boost_clock_ghz = 0.0;  // informational: peaks below are already at boost clock

  // Dense peaks per math type. Zero means "no native support": the op runs via a wider format
  // (INT4 via INT8, MX/NVFP4 via FP8) or is an error; see compute/tensor_core.h.
  FlopsPerSecond peak_fp64_vector{};
  FlopsPerSecond peak_fp64_tensor{};
  FlopsPerSecond peak_fp32_vector{};  // CUDA cores; also runs the FLOPs of memory-bound ops
  FlopsPerSecond peak_tf32{};
  FlopsPerSecond peak_bf16{};
  FlopsPerSecond peak_fp16{};
  FlopsPerSecond peak_fp8{};  // E4M3 and E5M2
  FlopsPerSecond peak_int8{};
  FlopsPerSecond peak_int4{};
  FlopsPerSecond peak_fp6{};  // MXFP6 on block-scaled tensor cores
  FlopsPerSecond peak_fp4{};  // MXFP4 / NVFP4 on block-scaled tensor cores
  // Whether tensor cores apply MX / NVFP4 block scales themselves (Blackwell). Without them MX
  // and NVFP4 are dequantised in the kernel and run on FP8 tensor cores.
  bool block_scaled_tensor_cores = false;

  // 2:4 structured sparsity: the tensor cores skip the zero half of A, up to 2× math rate.
  bool sparsity_2_4 = false;
  // Achievable speed-up of a math-bound sparse GEMM over the dense one, in [1, 2].
  double sparse_speedup = kDefaultSparseSpeedup;

  // The hypothetical VS-Quant tensor core (Dally, Hot Chips 2023): INT4 with one scale per
  // vector at twice the INT8 rate, rescaling y = (Σ w_q·a_q)·s_w·s_a in the datapath.
  bool vsq_int4_tensor_cores = false;

  BytesPerSecond nvlink_bandwidth{};  // per direction (datasheets quote bidirectional: halve it)

  // --- Achievable-efficiency factors (fractions of peak, in (0, 1]) ---
  double math_efficiency = kDefaultMathEfficiency;            // large GEMM, before waves
  double hbm_efficiency = kDefaultHbmEfficiency;              // streaming read + write
  double attention_efficiency = kDefaultAttentionEfficiency;  // fused attention, of peak
  Time kernel_launch_overhead = Time::Nanoseconds(kDefaultLaunchOverheadNs);

  // --- GEMM tile: a partial tile costs a whole tile; tiles run in ceil(tiles / SMs) waves ---
  int tile_m = 128;
  int tile_n = 256;
  int tile_k = 64;

  // --- Energy per MAC by math type (incl. operand delivery from registers/shared memory) ---
  Joules mac_energy_fp32 = Joules(kDefaultMacEnergyFp32Pj * 1e-12);  // FFMA on CUDA cores
  Joules mac_energy_tf32 = Joules(kDefaultMacEnergyTf32Pj * 1e-12);
  Joules mac_energy_bf16 = Joules(kDefaultMacEnergyBf16Pj * 1e-12);  // also FP16
  Joules mac_energy_fp8 = Joules(kDefaultMacEnergyFp8Pj * 1e-12);    // also FP6
  Joules mac_energy_int8 = Joules(kDefaultMacEnergyInt8Pj * 1e-12);
  Joules mac_energy_int4 = Joules(kDefaultMacEnergyInt4Pj * 1e-12);  // also FP4
  Joules hbm_energy_per_bit = Joules(kDefaultHbmEnergyPerBitPj * 1e-12);

  // Defaults, sourced and calibrated in gpu_spec.cc's comment block (H100 SXM).
  static constexpr double kDefaultStaticPowerW = 140.0;
  static constexpr double kDefaultSparseSpeedup = 1.25;
  static constexpr double kDefaultMathEfficiency = 0.83;
  static constexpr double kDefaultHbmEfficiency = 0.90;
  static constexpr double kDefaultAttentionEfficiency = 0.75;
  static constexpr int64_t kDefaultLaunchOverheadNs = 2'000;
  static constexpr double kDefaultMacEnergyFp32Pj = 20.0;
  static constexpr double kDefaultMacEnergyTf32Pj = 2.7;
  static constexpr double kDefaultMacEnergyBf16Pj = 1.35;
  static constexpr double kDefaultMacEnergyFp8Pj = 0.75;
  static constexpr double kDefaultMacEnergyInt8Pj = 0.65;
  static constexpr double kDefaultMacEnergyInt4Pj = 0.4;
  static constexpr double kDefaultHbmEnergyPerBitPj = 3.9;
};

// Checks every field; the message names the field as a scenario spells it ("gpu.hbm_bandwidth
// must be > 0, got 0 B/s"). Collects all problems into one message, separated by "; ".
Status ValidateGpuSpec(const GpuSpec& gpu);

}  // namespace trainsim::compute

#endif  // TRAINSIM_COMPUTE_GPU_SPEC_H_
