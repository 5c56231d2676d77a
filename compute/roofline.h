// Roofline timing and energy of one op on one GPU: GEMM / batched GEMM, fused (FlashAttention-
// style) attention, and memory-bound ops given by bytes and FLOPs.
//   time   = max(math, memory) [stretched if over TDP] + kernel launch overhead
//   math   = GEMM: ceil(tiles / SMs) waves × one tile's MACs / per-SM rate, where a partial tile
//            (M, N or K) costs a whole one (an M or N smaller than the tile gets a tile shrunk to
//            it, to 64 rows / 16 columns); rates are peak × gpu.math_efficiency (attention:
//            × gpu.attention_efficiency; memory ops: FP32 CUDA-core peak × math_efficiency)
//   memory = compulsory HBM bytes (operands once, at their storage size) / (peak × hbm_eff.)
//   energy = MACs × pJ/MAC(format) + CUDA-core dequant/rescale ops × pJ/FFMA
//            + HBM bits × pJ/bit + static power × time
// If static power + dynamic energy / busy time would exceed TDP, the SM clock drops until it
// does not: the op becomes math-bound at busy = dynamic energy / (TDP − static power).
// Calls are cheap (no allocation unless they fail) and deterministic; errors name the field.
#ifndef TRAINSIM_COMPUTE_ROOFLINE_H_
#define TRAINSIM_COMPUTE_ROOFLINE_H_

#include <cstdint>
#include <string_view>
#include <utility>

#include "compute/gpu_spec.h"
#include "compute/number_format.h"
#include "compute/tensor_core.h"
#include "sim/status.h"
#include "sim/units.h"

namespace trainsim::compute {

enum class Bound : uint8_t { kMath, kMemory };
std::string_view BoundName(Bound b);  // "math", "memory"

struct RooflineResult {
  Time time{};  // busy time + gpu.kernel_launch_overhead
  Bound bound = Bound::kMath;
  Flops flops{};  // useful FLOPs: no tile padding; 2:4 counted dense
  Bytes bytes{};  // HBM bytes read + written
  double intensity_flop_per_byte = 0.0;
  FlopsPerSecond achieved{};  // flops / time
  Joules energy{};
  Watts power{};             // energy / time
  double clock_scale = 1.0;  // uncapped busy time / capped busy time; 1 if not capped
  bool power_capped = false;
  Time math_time{};  // after the power cap; no launch overhead
  Time memory_time{};
};

// C[batch][M×N] = A[batch][M×K] · B[batch][K×N]. Output is FP32 for FP32/TF32 inputs and BF16
// otherwise (as Transformer Engine's FP8 GEMMs write BF16). With `sparse`, A (the weights, as
// in cuSPARSELt) is 2:4 structured: half its elements are stored, plus 2 bits of metadata each;
// the tensor-core rate rises by gpu.sparse_speedup and half the MACs are skipped (energy). A
// sparse GEMM is never more than 2× faster than the dense one: its math is at most 2× faster,
// and under the power cap it still spends at least half the dense energy.
struct GemmSpec {
  int64_t m = 0;
  int64_t n = 0;
  int64_t k = 0;
  int64_t batch = 1;
  NumberFormat format = NumberFormat::Of(Format::kBf16);
  bool sparse = false;
};

enum class AttentionPass : uint8_t { kForward, kBackward };

// softmax(Q·Kᵀ/√d)·V for `batch` sequences, fused (no S×S matrix in HBM). GQA: `heads` query
// heads share `kv_heads` K/V heads. Causal masks are bottom-right aligned (query i sees keys up
// to i + seq_kv − seq_q) and need seq_q <= seq_kv. Formats: bf16, fp16, fp8-e4m3, fp8-e5m2.
struct AttentionSpec {
  int64_t batch = 1;
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t seq_q = 0;
  int64_t seq_kv = 0;
  int64_t head_dim = 0;
  bool causal = false;
  NumberFormat format = NumberFormat::Of(Format::kBf16);
  AttentionPass pass = AttentionPass::kForward;
};

enum class MemoryOpKind : uint8_t {
  kElementwise,
  kLayerNorm,
  kRmsNorm,
  kSoftmax,
  kOptimizerUpdate,
  kCopy,
};
std::string_view MemoryOpKindName(MemoryOpKind k);

// A streaming op: reads and writes HBM once and does `flops` on the FP32 CUDA cores.
struct MemoryOpSpec {
  MemoryOpKind kind = MemoryOpKind::kElementwise;
  Bytes bytes_read{};
  Bytes bytes_written{};
  Flops flops{};
};

// Builders with the byte and FLOP counts of common ops (closed forms in roofline.cc).
// REQUIRES: counts whose byte totals fit in int64 (checked: larger ones abort).
MemoryOpSpec ElementwiseOp(int64_t elements, const NumberFormat& format, int inputs = 1,
                           int outputs = 1, double flops_per_element = 1.0);
MemoryOpSpec LayerNormOp(int64_t rows, int64_t cols, const NumberFormat& format);
MemoryOpSpec RmsNormOp(int64_t rows, int64_t cols, const NumberFormat& format);
MemoryOpSpec SoftmaxOp(int64_t rows, int64_t cols, const NumberFormat& format);
// Mixed-precision AdamW step over `params` parameters: FP32 master weights, gradients and both
// moments read; master weights, moments and the BF16 weight copy written.
MemoryOpSpec AdamUpdateOp(int64_t params);
MemoryOpSpec CopyOp(Bytes bytes);  // reads and writes `bytes`

// The model for one GPU. Copyable; thread-compatible (const methods are safe concurrently).
class RooflineModel {
 public:
  // Validates the spec once so that the per-op calls need not.
  static StatusOr<RooflineModel> Create(GpuSpec gpu);

  const GpuSpec& gpu() const { return gpu_; }

  StatusOr<RooflineResult> Gemm(const GemmSpec& op) const;
  StatusOr<RooflineResult> Attention(const AttentionSpec& op) const;
  StatusOr<RooflineResult> Memory(const MemoryOpSpec& op) const;

  // Achievable rates without tile or wave effects: peak × math_efficiency (× sparse_speedup),
  // hbm_bandwidth × hbm_efficiency. Ridge point = their ratio, in FLOP per byte.
  StatusOr<FlopsPerSecond> AchievableMathRate(const NumberFormat& format, bool sparse) const;
  BytesPerSecond AchievableBandwidth() const;
  StatusOr<double> RidgePoint(const NumberFormat& format, bool sparse = false) const;

 private:
  explicit RooflineModel(GpuSpec gpu);
  // A GEMM's tile quantisation: tile count, waves over the SMs and MACs per (padded) tile.
  struct TileGrid {
    double tiles = 0;
    double waves = 0;
    double tile_macs = 0;
  };
  TileGrid Tiles(double m, double n, double k, double batch) const;
  // Applies the power cap and launch overhead to busy times in seconds and dynamic energy in J.
  StatusOr<RooflineResult> Finish(double math_s, double memory_s, Flops flops, Bytes bytes,
                                  double dynamic_energy_j) const;

  GpuSpec gpu_;
  // Derived from gpu_ once, so that the per-op calls multiply instead of divide.
  double seconds_per_byte_ = 0;        // 1 / (hbm_bandwidth × hbm_efficiency)
  double cuda_op_seconds_per_sm_ = 0;  // SMs / (peak_fp32_vector / 2 × math_efficiency)
  double fp32_flop_seconds_ = 0;       // 1 / (peak_fp32_vector × math_efficiency)
  double inv_sm_count_ = 0;
  double inv_tile_m_ = 0;
  double inv_tile_n_ = 0;
  double inv_tile_k_ = 0;
  double headroom_w_ = 0;  // tdp − static_power (> 0 once validated)
};

}  // namespace trainsim::compute

#endif  // TRAINSIM_COMPUTE_ROOFLINE_H_
