#include "compute/roofline.h"

#include <algorithm>
#include <cmath>

#include "fmt/format.h"

namespace trainsim::compute {
namespace {

// 2:4 sparsity stores 2 of every 4 elements of A plus a 2-bit index per kept element (NVIDIA,
// "Exploiting NVIDIA Ampere Structured Sparsity with cuSPARSELt", developer blog 2020).
constexpr double kSparseMetadataBitsPerKeptElement = 2.0;
// Skinny GEMMs (decode, small batches) run on narrow tiles: Hopper's wgmma has M = 64 per
// warpgroup and N in multiples of 8 up to 256 (PTX ISA, wgmma.mma_async shapes m64nNk*), and
// libraries ship such kernels. Rounding to 64 rows and 16 columns keeps a little padding.
constexpr double kMinTileM = 64.0;
constexpr double kMinTileN = 16.0;
// GEMM outputs: FP32 for FP32/TF32, else BF16 (Transformer Engine's FP8 GEMMs output BF16).
constexpr double kWideOutputBits = 32.0;
constexpr double kNarrowOutputBits = 16.0;

// FlashAttention tiles: a thread block owns 128 query rows of one (batch, head) (FlashAttention-3,
// Shah et al. 2024, §4: block sizes 128 × 128 for head dim 128; FlashAttention-2 likewise).
constexpr double kAttentionBlockQ = 128.0;
// FlashAttention-2 (Dao, arXiv 2307.08691, §4.1) counts the backward pass as 2.5× the forward
// FLOPs: five matmuls (S recomputed, dP, dV, dQ, dK) against two.
constexpr double kAttentionBackwardFlopRatio = 2.5;
// O, dO, dQ, dK, dV stay 16-bit even for FP8 inputs (FlashAttention-3's FP8 kernel writes BF16);
// the log-sum-exp per query row is FP32.
constexpr double kAttentionActivationBits = 16.0;
constexpr double kLseBytes = 4.0;

// An op must finish within Time's range (±106 days); 10^6 s leaves room for sums of many ops.
constexpr double kMaxOpSeconds = 1e6;
// Byte counts must fit Bytes (int64) with room for sums.
constexpr double kMaxOpBytes = 1e18;

// ceil(a / b) for positive integers a, b (exact below 2^52), given inv_b = 1 / b: a multiply and
// a truncation instead of a divide and a ceil (x86-64's baseline has no rounding instruction).
// a·inv_b is within an ulp of a / b, so its truncation is ceil(a / b) or one less, and one exact
// comparison q·b < a tells which. Quotients beyond int64 (absurd inputs, rejected later by the
// range checks) take std::ceil.
double CeilDiv(double a, double b, double inv_b) {
  const double approx = a * inv_b;
  if (!(approx < 0x1p62)) return std::ceil(approx);
  double q = static_cast<double>(static_cast<int64_t>(approx));
  if (q * b < a) q += 1;
  return q;
}

Bytes BitsToBytes(double bits) { return Bytes::FromDouble(std::ceil(bits / 8.0)); }

Status Positive(std::string_view op, std::string_view field, int64_t v) {
  if (v > 0) return OkStatus();
  return InvalidArgumentError(fmt::format("{}.{} must be > 0, got {}", op, field, v));
}

bool IsAttentionFormat(Format f) {
  switch (f) {
    case Format::kBf16:
    case Format::kFp16:
    case Format::kFp8E4M3:
    case Format::kFp8E5M2:
      return true;
    case Format::kFp32:
    case Format::kTf32:
    case Format::kInt8:
    case Format::kInt4:
    case Format::kInt8Vsq:
    case Format::kInt4Vsq:
    case Format::kMxfp8:
    case Format::kMxfp6:
    case Format::kMxfp4:
    case Format::kNvfp4:
      return false;
  }
  return false;
}

Status CheckAttention(const AttentionSpec& op) {
  for (auto [field, v] : {std::pair<std::string_view, int64_t>{"batch", op.batch},
                          {"heads", op.heads},
                          {"kv_heads", op.kv_heads},
                          {"seq_q", op.seq_q},
                          {"seq_kv", op.seq_kv},
                          {"head_dim", op.head_dim}}) {
    if (v <= 0) return Positive("attention", field, v);
  }
  if (op.heads % op.kv_heads != 0) {
    return InvalidArgumentError(fmt::format(
        "attention.heads ({}) must be a multiple of attention.kv_heads ({}) for grouped-query "
        "attention",
        op.heads, op.kv_heads));
  }
  if (op.causal && op.seq_q > op.seq_kv) {
    return InvalidArgumentError(
        fmt::format("causal attention needs attention.seq_q <= attention.seq_kv, got {} > {}",
                    op.seq_q, op.seq_kv));
  }
  if (!IsAttentionFormat(op.format.format)) {
    return InvalidArgumentError(
        fmt::format("attention.format {} is not supported: fused attention kernels take bf16, "
                    "fp16, fp8-e4m3 or fp8-e5m2",
                    ToString(op.format)));
  }
  return OkStatus();
}

}  // namespace

std::string_view BoundName(Bound b) {
  switch (b) {
    case Bound::kMath:
      return "math";
    case Bound::kMemory:
      return "memory";
  }
  return "unknown";
}

std::string_view MemoryOpKindName(MemoryOpKind k) {
  switch (k) {
    case MemoryOpKind::kElementwise:
      return "elementwise";
    case MemoryOpKind::kLayerNorm:
      return "layer_norm";
    case MemoryOpKind::kRmsNorm:
      return "rms_norm";
    case MemoryOpKind::kSoftmax:
      return "softmax";
    case MemoryOpKind::kOptimizerUpdate:
      return "optimizer_update";
    case MemoryOpKind::kCopy:
      return "copy";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// Memory-bound op builders. FLOP counts per element are counted by hand from the formulas.

MemoryOpSpec ElementwiseOp(int64_t elements, const NumberFormat& format, int inputs, int outputs,
                           double flops_per_element) {
  const double n = static_cast<double>(elements);
  const double bits = StorageBitsPerElement(format);
  return MemoryOpSpec{.kind = MemoryOpKind::kElementwise,
                      .bytes_read = BitsToBytes(n * inputs * bits),
                      .bytes_written = BitsToBytes(n * outputs * bits),
                      .flops = Flops(n * flops_per_element)};
}

MemoryOpSpec LayerNormOp(int64_t rows, int64_t cols, const NumberFormat& format) {
  const double r = static_cast<double>(rows), c = static_cast<double>(cols);
  const double bits = StorageBitsPerElement(format);
  // y = (x − mean)/sqrt(var + eps)·γ + β: mean 1, variance 3 (sub, mul, add), normalise 2,
  // affine 2 FLOPs per element. Reads x, γ, β; writes y and FP32 mean and rstd per row.
  return MemoryOpSpec{.kind = MemoryOpKind::kLayerNorm,
                      .bytes_read = BitsToBytes((r * c + 2 * c) * bits),
                      .bytes_written = BitsToBytes(r * c * bits + r * 2 * 32),
                      .flops = Flops(8 * r * c)};
}

MemoryOpSpec RmsNormOp(int64_t rows, int64_t cols, const NumberFormat& format) {
  const double r = static_cast<double>(rows), c = static_cast<double>(cols);
  const double bits = StorageBitsPerElement(format);
  // y = x / sqrt(mean(x²) + eps)·γ: square-accumulate 2, scale 1, γ 1 FLOP per element.
  return MemoryOpSpec{.kind = MemoryOpKind::kRmsNorm,
                      .bytes_read = BitsToBytes((r * c + c) * bits),
                      .bytes_written = BitsToBytes(r * c * bits + r * 32),
                      .flops = Flops(4 * r * c)};
}

MemoryOpSpec SoftmaxOp(int64_t rows, int64_t cols, const NumberFormat& format) {
  const double r = static_cast<double>(rows), c = static_cast<double>(cols);
  const double bits = StorageBitsPerElement(format);
  // max 1, subtract and exp 2, sum 1, divide 1 FLOP per element.
  return MemoryOpSpec{.kind = MemoryOpKind::kSoftmax,
                      .bytes_read = BitsToBytes(r * c * bits),
                      .bytes_written = BitsToBytes(r * c * bits),
                      .flops = Flops(5 * r * c)};
}

MemoryOpSpec AdamUpdateOp(int64_t params) {
  const double p = static_cast<double>(params);
  // Mixed-precision Adam keeps FP32 weights, momentum and variance (ZeRO, Rajbhandari et al.
  // 2020, §3.1); Megatron-LM accumulates gradients in FP32 main_grad. Reads 4 × 4 B, writes
  // 3 × 4 B + the 2 B BF16 weight copy. FLOPs: m 3, v 4, bias corrections 2, sqrt + eps 2,
  // divide 1, weight decay 2, learning-rate scale 1, update 1 = 16 per parameter.
  return MemoryOpSpec{.kind = MemoryOpKind::kOptimizerUpdate,
                      .bytes_read = Bytes::FromDouble(16 * p),
                      .bytes_written = Bytes::FromDouble(14 * p),
                      .flops = Flops(16 * p)};
}

MemoryOpSpec CopyOp(Bytes bytes) {
  return MemoryOpSpec{.kind = MemoryOpKind::kCopy, .bytes_read = bytes, .bytes_written = bytes};
}

// ---------------------------------------------------------------------------------------------

StatusOr<RooflineModel> RooflineModel::Create(GpuSpec gpu) {
  if (Status st = ValidateGpuSpec(gpu); !st.ok()) return st;
  return RooflineModel(std::move(gpu));
}

RooflineModel::RooflineModel(GpuSpec gpu)
    : gpu_(std::move(gpu)),
      seconds_per_byte_(1.0 / (gpu_.hbm_bandwidth.value() * gpu_.hbm_efficiency)),
      cuda_op_seconds_per_sm_(gpu_.sm_count /
                              (gpu_.peak_fp32_vector.value() / 2 * gpu_.math_efficiency)),
      fp32_flop_seconds_(1.0 / (gpu_.peak_fp32_vector.value() * gpu_.math_efficiency)),
      inv_sm_count_(1.0 / gpu_.sm_count),
      inv_tile_m_(1.0 / gpu_.tile_m),
      inv_tile_n_(1.0 / gpu_.tile_n),
      inv_tile_k_(1.0 / gpu_.tile_k),
      headroom_w_(gpu_.tdp.value() - gpu_.static_power.value()) {}

BytesPerSecond RooflineModel::AchievableBandwidth() const {
  return gpu_.hbm_bandwidth * gpu_.hbm_efficiency;
}

StatusOr<FlopsPerSecond> RooflineModel::AchievableMathRate(const NumberFormat& format,
                                                           bool sparse) const {
  StatusOr<MathPath> path = ResolveMathPath(gpu_, format, sparse);
  if (!path.ok()) return path.status();
  const double tensor = path->dense_peak.value() * path->mma_utilisation * path->sparse_speedup;
  double rate = tensor;
  if (path->cuda_core_ops_per_mac > 0) {
    // CUDA cores issue peak_fp32_vector / 2 instructions per second (an FFMA is 2 FLOPs).
    const double cuda = gpu_.peak_fp32_vector.value() / path->cuda_core_ops_per_mac;
    rate = std::min(tensor, cuda);
  }
  return FlopsPerSecond(rate * gpu_.math_efficiency);
}

StatusOr<double> RooflineModel::RidgePoint(const NumberFormat& format, bool sparse) const {
  StatusOr<FlopsPerSecond> rate = AchievableMathRate(format, sparse);
  if (!rate.ok()) return rate.status();
  return *rate / AchievableBandwidth();
}

RooflineModel::TileGrid RooflineModel::Tiles(double m, double n, double k, double batch) const {
  // Every tile is a whole tile_m × tile_n × ceil(K / tile_k)·tile_k block, and the SMs run
  // ceil(tiles / SMs) waves of them. An edge shorter than the tile runs on a tile shrunk to it,
  // rounded up to the MMA granularity.
  const double spec_m = gpu_.tile_m, spec_n = gpu_.tile_n;
  double tile_m = spec_m, tiles_m = 1;
  if (m < spec_m) {
    tile_m = std::min(spec_m, CeilDiv(m, kMinTileM, 1 / kMinTileM) * kMinTileM);
  } else {
    tiles_m = CeilDiv(m, spec_m, inv_tile_m_);
  }
  double tile_n = spec_n, tiles_n = 1;
  if (n < spec_n) {
    tile_n = std::min(spec_n, CeilDiv(n, kMinTileN, 1 / kMinTileN) * kMinTileN);
  } else {
    tiles_n = CeilDiv(n, spec_n, inv_tile_n_);
  }
  TileGrid grid;
  grid.tiles = tiles_m * tiles_n * batch;
  grid.waves = CeilDiv(grid.tiles, gpu_.sm_count, inv_sm_count_);
  grid.tile_macs = tile_m * tile_n * CeilDiv(k, gpu_.tile_k, inv_tile_k_) * gpu_.tile_k;
  return grid;
}

StatusOr<RooflineResult> RooflineModel::Gemm(const GemmSpec& op) const {
  if (op.m <= 0 || op.n <= 0 || op.k <= 0 || op.batch <= 0) {
    for (auto [field, v] : {std::pair<std::string_view, int64_t>{"m", op.m},
                            {"n", op.n},
                            {"k", op.k},
                            {"batch", op.batch}}) {
      if (Status st = Positive("gemm", field, v); !st.ok()) return st;
    }
  }
  const internal::PathResult resolved = internal::ResolvePath(gpu_, op.format, op.sparse);
  if (resolved.error != internal::PathError::kNone) {
    return ResolveMathPath(gpu_, op.format, op.sparse).status();
  }
  const MathPath& path = resolved.path;

  const double m = static_cast<double>(op.m), n = static_cast<double>(op.n);
  const double k = static_cast<double>(op.k), batch = static_cast<double>(op.batch);

  const TileGrid grid = Tiles(m, n, k, batch);
  // Seconds one SM takes per MAC on the tensor datapath (or the CUDA cores for FP32).
  const double mac_seconds_per_sm =
      gpu_.sm_count / (path.dense_peak.value() / 2 * gpu_.math_efficiency * path.mma_utilisation *
                       path.sparse_speedup);
  const double wave_macs = grid.waves * grid.tile_macs;
  double math_s = wave_macs * mac_seconds_per_sm;
  const double padded_macs = grid.tiles * grid.tile_macs;
  const double cuda_ops = padded_macs * path.cuda_core_ops_per_mac;
  if (cuda_ops > 0) {
    math_s = std::max(math_s, wave_macs * path.cuda_core_ops_per_mac * cuda_op_seconds_per_sm_);
  }

  // Compulsory HBM traffic: A, B read once, C written once, at storage size.
  const double in_bits = StorageBitsPerElement(op.format);
  const bool wide_out = op.format.format == Format::kFp32 || op.format.format == Format::kTf32;
  const double out_bits = wide_out ? kWideOutputBits : kNarrowOutputBits;
  const double a_bits =
      op.sparse ? m * k * 0.5 * (in_bits + kSparseMetadataBitsPerKeptElement) : m * k * in_bits;
  const double total_bits = batch * (a_bits + k * n * in_bits + m * n * out_bits);
  if (!(total_bits * 0.125 < kMaxOpBytes)) {
    return InvalidArgumentError(
        fmt::format("gemm {}x{}x{} (batch {}) moves {:.3g} bytes, beyond the model's range", op.m,
                    op.n, op.k, op.batch, total_bits / 8));
  }
  const Bytes bytes = BitsToBytes(total_bits);
  const double memory_s = bytes.value() * seconds_per_byte_;

  // Energy: every executed MAC (padding included; half of them skipped under 2:4; the zero
  // padding of a short VSQ vector included), the CUDA-core instructions, and HBM bits.
  double executed_macs = op.sparse ? padded_macs * 0.5 : padded_macs;
  if (path.mma_utilisation != 1.0) executed_macs /= path.mma_utilisation;
  const double energy_j = executed_macs * path.mac_energy.value() +
                          cuda_ops * gpu_.mac_energy_fp32.value() +
                          bytes.value() * 8 * gpu_.hbm_energy_per_bit.value();
  return Finish(math_s, memory_s, Flops(2 * m * n * k * batch), bytes, energy_j);
}

StatusOr<RooflineResult> RooflineModel::Attention(const AttentionSpec& op) const {
  if (Status st = CheckAttention(op); !st.ok()) return st;
  const internal::PathResult resolved = internal::ResolvePath(gpu_, op.format, /*sparse=*/false);
  if (resolved.error != internal::PathError::kNone) {
    return ResolveMathPath(gpu_, op.format, /*sparse=*/false).status();
  }
  const MathPath& path = resolved.path;

  const double b = static_cast<double>(op.batch), h = static_cast<double>(op.heads);
  const double kvh = static_cast<double>(op.kv_heads), d = static_cast<double>(op.head_dim);
  const double sq = static_cast<double>(op.seq_q), skv = static_cast<double>(op.seq_kv);
  // (query, key) pairs that are computed: all, or the bottom-right causal triangle
  // Σ_{i<sq} (skv − sq + i + 1) = sq·(skv − sq) + sq·(sq + 1)/2.
  const double pairs = op.causal ? sq * (skv - sq) + sq * (sq + 1) / 2 : sq * skv;
  // Q·Kᵀ and P·V: 2 matmuls × 2 FLOPs per MAC × head_dim per pair.
  const double forward_flops = 4 * b * h * pairs * d;
  const bool backward = op.pass == AttentionPass::kBackward;
  const double flops = backward ? kAttentionBackwardFlopRatio * forward_flops : forward_flops;

  // Blocks of 128 query rows per (batch, head) run in waves over the SMs; a partial block costs
  // a whole one. Causal blocks differ in work; the average block stands for all of them, as a
  // load-balancing scheduler would make it.
  const double q_blocks = CeilDiv(sq, kAttentionBlockQ, 1 / kAttentionBlockQ);
  const double tiles = b * h * q_blocks;
  const double padded_flops = flops * (q_blocks * kAttentionBlockQ) / sq;
  const double flop_seconds_per_sm =
      gpu_.sm_count / (path.dense_peak.value() * gpu_.attention_efficiency);
  const double math_s =
      CeilDiv(tiles, gpu_.sm_count, inv_sm_count_) * (padded_flops / tiles) * flop_seconds_per_sm;

  // Compulsory traffic. Forward: read Q, K, V; write O and the LSE. Backward: read Q, K, V, O,
  // dO and the LSE; write dQ, dK, dV.
  const double in_bits = StorageBitsPerElement(op.format);
  const double q_elems = b * h * sq * d, kv_elems = b * kvh * skv * d;
  const double act = kAttentionActivationBits;
  const double bits =
      backward ? (q_elems + 2 * kv_elems) * in_bits + 2 * q_elems * act +
                     b * h * sq * kLseBytes * 8 + (q_elems + 2 * kv_elems) * act
               : (q_elems + 2 * kv_elems) * in_bits + q_elems * act + b * h * sq * kLseBytes * 8;
  if (!(bits / 8 < kMaxOpBytes)) {
    return InvalidArgumentError(
        fmt::format("attention moves {:.3g} bytes, beyond the model's range", bits / 8));
  }
  const Bytes bytes = BitsToBytes(bits);
  const double memory_s = bytes.value() * seconds_per_byte_;
  const double energy_j = padded_flops / 2 * path.mac_energy.value() +
                          bytes.value() * 8 * gpu_.hbm_energy_per_bit.value();
  return Finish(math_s, memory_s, Flops(flops), bytes, energy_j);
}

StatusOr<RooflineResult> RooflineModel::Memory(const MemoryOpSpec& op) const {
  const std::string_view kind = MemoryOpKindName(op.kind);
  if (op.bytes_read.count() < 0 || op.bytes_written.count() < 0) {
    return InvalidArgumentError(
        fmt::format("{}: bytes_read and bytes_written must be >= 0, got {} and {}", kind,
                    ToString(op.bytes_read), ToString(op.bytes_written)));
  }
  if (!std::isfinite(op.flops.value()) || op.flops.value() < 0) {
    return InvalidArgumentError(
        fmt::format("{}: flops must be >= 0, got {}", kind, op.flops.value()));
  }
  if (op.bytes_read.value() + op.bytes_written.value() >= kMaxOpBytes) {
    return InvalidArgumentError(fmt::format("{}: {} + {} is beyond the model's range", kind,
                                            ToString(op.bytes_read), ToString(op.bytes_written)));
  }
  const Bytes bytes = op.bytes_read + op.bytes_written;
  if (bytes.count() == 0 && op.flops.value() == 0) {
    return InvalidArgumentError(fmt::format("{}: the op moves no bytes and does no FLOPs", kind));
  }
  const double math_s = op.flops.value() * fp32_flop_seconds_;
  const double memory_s = bytes.value() * seconds_per_byte_;
  // A CUDA-core FFMA is 2 FLOPs at mac_energy_fp32.
  const double energy_j = op.flops.value() / 2 * gpu_.mac_energy_fp32.value() +
                          bytes.value() * 8 * gpu_.hbm_energy_per_bit.value();
  return Finish(math_s, memory_s, op.flops, bytes, energy_j);
}

StatusOr<RooflineResult> RooflineModel::Finish(double math_s, double memory_s, Flops flops,
                                               Bytes bytes, double dynamic_energy_j) const {
  double busy_s = std::max(math_s, memory_s);
  RooflineResult r;
  r.bound = math_s >= memory_s ? Bound::kMath : Bound::kMemory;
  // Power cap: above TDP the SM clock drops until static + dynamic energy / busy = TDP. Energy
  // per MAC is held constant (DVFS would also lower the voltage and energy: conservative).
  if (busy_s > 0 && dynamic_energy_j > headroom_w_ * busy_s) {
    const double capped_s = dynamic_energy_j / headroom_w_;
    r.clock_scale = busy_s / capped_s;
    r.power_capped = true;
    r.bound = Bound::kMath;
    math_s = capped_s;
    busy_s = capped_s;
  }
  if (!(busy_s < kMaxOpSeconds)) {
    return InvalidArgumentError(fmt::format(
        "the op would take {:.3g} s, beyond the model's range of {:.0g} s", busy_s, kMaxOpSeconds));
  }
  // One of the two times is the busy time: convert it once.
  const Time busy = Time::FromSeconds(busy_s);
  r.math_time = math_s == busy_s ? busy : Time::FromSeconds(math_s);
  r.memory_time = memory_s == busy_s ? busy : Time::FromSeconds(memory_s);
  r.time = busy + gpu_.kernel_launch_overhead;
  r.flops = flops;
  r.bytes = bytes;
  r.intensity_flop_per_byte = bytes.count() > 0 ? flops / bytes : 0.0;
  r.energy = Joules(dynamic_energy_j) + gpu_.static_power * r.time;
  const double seconds = r.time.seconds();
  if (seconds > 0) {
    const double per_second = 1 / seconds;
    r.achieved = FlopsPerSecond(flops.value() * per_second);
    r.power = Watts(r.energy.value() * per_second);
  }
  return r;
}

}  // namespace trainsim::compute
