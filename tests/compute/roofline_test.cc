#include "compute/roofline.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>

#include "gtest/gtest.h"
#include "tests/compute/test_gpus.h"

// Counts heap allocations so a test can show that successful model calls never allocate. The
// replacement applies to this whole test binary and only counts.
namespace {
int64_t g_allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// Where GCC inlines these into a new/delete pair it sees malloc's memory passed to free from an
// operator delete and warns; that is what the replacement pair does on purpose.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace trainsim::compute {
namespace {

using ::trainsim::compute::testing::A100Sxm80;
using ::trainsim::compute::testing::H100Sxm;
using ::trainsim::compute::testing::H200Sxm;
using ::trainsim::compute::testing::Model;
using namespace ::trainsim::literals;

const NumberFormat kBf16 = NumberFormat::Of(Format::kBf16);
const NumberFormat kFp8 = NumberFormat::Of(Format::kFp8E4M3);

// The same GPU with the power limit out of the way, for tests of the timing structure alone.
GpuSpec Unlimited(GpuSpec gpu) {
  gpu.tdp = 100'000_W;
  return gpu;
}

RooflineResult Gemm(const RooflineModel& m, GemmSpec op) {
  StatusOr<RooflineResult> r = m.Gemm(op);
  TRAINSIM_CHECK(r.ok()) << r.status().message();
  return *r;
}

RooflineResult Attn(const RooflineModel& m, AttentionSpec op) {
  StatusOr<RooflineResult> r = m.Attention(op);
  TRAINSIM_CHECK(r.ok()) << r.status().message();
  return *r;
}

double Ceil(double a, double b) { return std::ceil(a / b); }

// Time in seconds a math-bound GEMM takes in the model's closed form (before launch overhead).
double GemmMathSeconds(const GpuSpec& g, double m, double n, double k, double peak,
                       double batch = 1) {
  const double tiles = Ceil(m, g.tile_m) * Ceil(n, g.tile_n) * batch;
  const double tile_macs = 1.0 * g.tile_m * g.tile_n * Ceil(k, g.tile_k) * g.tile_k;
  const double sm_macs_per_s = peak / 2 * g.math_efficiency / g.sm_count;
  return Ceil(tiles, g.sm_count) * tile_macs / sm_macs_per_s;
}

// ---------------------------------------------------------------------------------------------
// Closed forms

TEST(Roofline, MathBoundGemmTakesWavesOfWholeTilesAtThePerSmRate) {
  const GpuSpec g = H100Sxm();
  const RooflineResult r = Gemm(Model(g), {.m = 8192, .n = 8192, .k = 8192, .format = kBf16});
  EXPECT_EQ(r.bound, Bound::kMath);
  EXPECT_FALSE(r.power_capped);
  const double math_s = GemmMathSeconds(g, 8192, 8192, 8192, g.peak_bf16.value());
  EXPECT_NEAR(r.math_time.seconds(), math_s, 1e-12);
  EXPECT_NEAR(r.time.seconds(), math_s + g.kernel_launch_overhead.seconds(), 1e-12);
  EXPECT_DOUBLE_EQ(r.flops.value(), 2.0 * 8192 * 8192 * 8192);
  // A, B in BF16 read once, C in BF16 written once.
  EXPECT_EQ(r.bytes.count(), int64_t{3} * 8192 * 8192 * 2);
  EXPECT_DOUBLE_EQ(r.intensity_flop_per_byte, r.flops / r.bytes);
  EXPECT_DOUBLE_EQ(r.achieved.value(), r.flops.value() / r.time.seconds());
}

TEST(Roofline, MemoryBoundCopyTakesBytesOverAchievableBandwidth) {
  const GpuSpec g = H100Sxm();
  const RooflineResult r = *Model(g).Memory(CopyOp(1_GiB));
  EXPECT_EQ(r.bound, Bound::kMemory);
  EXPECT_EQ(r.bytes, 2 * 1_GiB);
  const double memory_s = 2.0 * (1 << 30) / (g.hbm_bandwidth.value() * g.hbm_efficiency);
  EXPECT_NEAR(r.memory_time.seconds(), memory_s, 1e-12);
  EXPECT_NEAR(r.time.seconds(), memory_s + g.kernel_launch_overhead.seconds(), 1e-12);
  EXPECT_EQ(r.flops.value(), 0);
  EXPECT_EQ(r.math_time, Time::Zero());
}

TEST(Roofline, RidgePointIsAchievablePeakOverAchievableBandwidth) {
  const GpuSpec g = Unlimited(H100Sxm());
  const RooflineModel m = Model(g);
  const double bw = g.hbm_bandwidth.value() * g.hbm_efficiency;
  EXPECT_DOUBLE_EQ(m.RidgePoint(kBf16).value(), g.peak_bf16.value() * g.math_efficiency / bw);
  EXPECT_DOUBLE_EQ(m.RidgePoint(kBf16, /*sparse=*/true).value(),
                   g.peak_bf16.value() * g.sparse_speedup * g.math_efficiency / bw);
  // Memory-bound ops run their FLOPs on the FP32 CUDA cores: below that ridge they are
  // memory-bound, above it math-bound, and at it both times agree.
  const double ridge = m.RidgePoint(NumberFormat::Of(Format::kFp32)).value();
  const Bytes bytes = 1_GiB;
  auto op = [&](double intensity) {
    return *m.Memory({.bytes_read = bytes, .flops = Flops(intensity * bytes.value())});
  };
  EXPECT_EQ(op(0.5 * ridge).bound, Bound::kMemory);
  EXPECT_EQ(op(2.0 * ridge).bound, Bound::kMath);
  const RooflineResult at = op(ridge);
  EXPECT_NEAR(at.math_time.seconds(), at.memory_time.seconds(), 1e-12);
}

TEST(Roofline, EnergyIsMacsPlusHbmBitsPlusStaticPowerOverTheWholeOp) {
  const GpuSpec g = H100Sxm();
  const RooflineResult r = Gemm(Model(g), {.m = 4096, .n = 4096, .k = 4096, .format = kBf16});
  ASSERT_FALSE(r.power_capped);
  // 4096 is a multiple of every tile edge: executed MACs = useful MACs.
  const double macs = 4096.0 * 4096 * 4096;
  const double expected = macs * g.mac_energy_bf16.value() +
                          r.bytes.value() * 8 * g.hbm_energy_per_bit.value() +
                          g.static_power.value() * r.time.seconds();
  EXPECT_NEAR(r.energy.value(), expected, 1e-12 * expected);
  EXPECT_NEAR(r.power.value(), expected / r.time.seconds(), 1e-9);
}

TEST(Roofline, CopyEnergyIsHbmBitsPlusStaticPower) {
  const GpuSpec g = H100Sxm();
  const RooflineResult r = *Model(g).Memory(CopyOp(1_GiB));
  const double expected = 2.0 * (1 << 30) * 8 * g.hbm_energy_per_bit.value() +
                          g.static_power.value() * r.time.seconds();
  EXPECT_NEAR(r.energy.value(), expected, 1e-12 * expected);
}

// ---------------------------------------------------------------------------------------------
// Quantisation effects

TEST(Roofline, APartialTileCostsAWholeTile) {
  const GpuSpec g = Unlimited(H100Sxm());
  const RooflineModel m = Model(g);
  auto math = [&](int64_t mm, int64_t n, int64_t k) {
    return Gemm(m, {.m = mm, .n = n, .k = k, .format = kBf16}).math_time;
  };
  EXPECT_EQ(math(g.tile_m + 1, 4096, 4096), math(2 * g.tile_m, 4096, 4096));
  EXPECT_EQ(math(4096, g.tile_n + 1, 4096), math(4096, 2 * g.tile_n, 4096));
  EXPECT_EQ(math(4096, 4096, g.tile_k + 1), math(4096, 4096, 2 * g.tile_k));
  // One tile row of N = tile_n·SMs is one full wave; one more row is a second wave.
  const int64_t wide = int64_t{g.tile_n} * g.sm_count;
  EXPECT_NEAR(math(g.tile_m + 1, wide, 4096) / math(g.tile_m, wide, 4096), 2.0, 1e-6);
}

TEST(Roofline, AnEdgeShorterThanTheTileRunsOnANarrowerTile) {
  const GpuSpec g = Unlimited(H100Sxm());
  const RooflineModel m = Model(g);
  // N = 16 uses a 128×16 tile: 8192/128 = 64 tiles of 128×16×8192 MACs in one wave.
  const RooflineResult r = Gemm(m, {.m = 8192, .n = 16, .k = 8192, .format = kBf16});
  const double sm_macs_per_s = g.peak_bf16.value() / 2 * g.math_efficiency / g.sm_count;
  EXPECT_NEAR(r.math_time.seconds(), 128.0 * 16 * 8192 / sm_macs_per_s, 1e-12);
  // N = 17 rounds up to a 32-column tile.
  EXPECT_NEAR(Gemm(m, {.m = 8192, .n = 17, .k = 8192, .format = kBf16}).math_time / r.math_time,
              2.0, 1e-6);
}

TEST(Roofline, TimeStepsUpWhenTilesCrossAMultipleOfTheSmCount) {
  const GpuSpec g = Unlimited(H100Sxm());
  const RooflineModel m = Model(g);
  // N = 2 tile columns, K long enough to be math-bound: 2·(M / tile_m) tiles.
  const int64_t n = 2 * g.tile_n, k = 16384;
  auto run = [&](int64_t tiles_m) {
    return Gemm(m, {.m = tiles_m * g.tile_m, .n = n, .k = k, .format = kBf16});
  };
  const int64_t full = g.sm_count;  // 2·132 tiles = exactly 2 waves
  const RooflineResult two_waves = run(full);
  const RooflineResult three_waves = run(full + 1);  // 266 tiles: a third wave of 2 tiles
  ASSERT_EQ(two_waves.bound, Bound::kMath);
  ASSERT_EQ(three_waves.bound, Bound::kMath);
  EXPECT_NEAR(three_waves.math_time / two_waves.math_time, 3.0 / 2.0, 1e-6);
  // Within a wave count the time does not move: 2 waves hold anything from 133 to 264 tiles.
  EXPECT_EQ(run(full / 2 + 1).math_time, two_waves.math_time);
}

// ---------------------------------------------------------------------------------------------
// Monotonicity: more work never takes less time.

TEST(Roofline, GemmTimeNeverDecreasesInAnyDimension) {
  const RooflineModel m = Model(H100Sxm());
  const int64_t sizes[] = {1, 7, 64, 127, 128, 129, 255, 256, 257, 1000, 4096, 4097, 8192, 16896};
  for (const NumberFormat& f :
       {kBf16, kFp8, NumberFormat::Of(Format::kInt4Vsq), NumberFormat::Of(Format::kMxfp4)}) {
    Time prev_m, prev_n, prev_k;
    for (int64_t s : sizes) {
      const Time tm = Gemm(m, {.m = s, .n = 2048, .k = 2048, .format = f}).time;
      const Time tn = Gemm(m, {.m = 2048, .n = s, .k = 2048, .format = f}).time;
      const Time tk = Gemm(m, {.m = 2048, .n = 2048, .k = s, .format = f}).time;
      EXPECT_GE(tm, prev_m) << ToString(f) << " m=" << s;
      EXPECT_GE(tn, prev_n) << ToString(f) << " n=" << s;
      EXPECT_GE(tk, prev_k) << ToString(f) << " k=" << s;
      prev_m = tm, prev_n = tn, prev_k = tk;
    }
    Time prev_b;
    for (int64_t b : {1, 2, 3, 8, 33, 64}) {
      const Time t = Gemm(m, {.m = 512, .n = 512, .k = 1024, .batch = b, .format = f}).time;
      EXPECT_GE(t, prev_b) << ToString(f) << " batch=" << b;
      prev_b = t;
    }
  }
}

TEST(Roofline, AttentionTimeNeverDecreasesInAnyDimension) {
  const RooflineModel m = Model(H100Sxm());
  const AttentionSpec base{.batch = 2,
                           .heads = 16,
                           .kv_heads = 4,
                           .seq_q = 2048,
                           .seq_kv = 2048,
                           .head_dim = 128,
                           .causal = true};
  auto grows = [&](auto set, std::initializer_list<int64_t> values, const char* what) {
    for (bool causal : {false, true}) {
      Time prev;
      for (int64_t v : values) {
        AttentionSpec op = base;
        op.causal = causal;
        set(op, v);
        const Time t = Attn(m, op).time;
        EXPECT_GE(t, prev) << what << "=" << v << " causal=" << causal;
        prev = t;
      }
    }
  };
  grows([](AttentionSpec& op, int64_t v) { op.batch = v; }, {1, 2, 3, 9, 64}, "batch");
  grows([](AttentionSpec& op, int64_t v) { op.heads = v * op.kv_heads; }, {1, 2, 3, 8}, "heads");
  grows([](AttentionSpec& op, int64_t v) { op.seq_q = op.seq_kv = v; },
        {1, 100, 128, 129, 2048, 8192, 32768}, "seq");
  grows([](AttentionSpec& op, int64_t v) { op.seq_kv = v; }, {2048, 2049, 4096, 65536}, "seq_kv");
  grows([](AttentionSpec& op, int64_t v) { op.head_dim = v; }, {32, 64, 96, 128, 256}, "head_dim");
}

// ---------------------------------------------------------------------------------------------
// 2:4 sparsity

TEST(Roofline, SparsitySpeedsUpMathBoundTimeBySpecSpeedup) {
  const GpuSpec g = H100Sxm();
  const RooflineModel m = Model(g);
  const GemmSpec op{.m = 8192, .n = 8192, .k = 8192, .format = kBf16};
  GemmSpec sparse_op = op;
  sparse_op.sparse = true;
  const RooflineResult dense = Gemm(m, op), sparse = Gemm(m, sparse_op);
  ASSERT_EQ(sparse.bound, Bound::kMath);
  ASSERT_FALSE(sparse.power_capped);
  EXPECT_NEAR(dense.math_time / sparse.math_time, g.sparse_speedup, 1e-6);
  EXPECT_LE(dense.time / sparse.time, 2.0);
  EXPECT_EQ(sparse.flops, dense.flops);  // dense-equivalent FLOPs, as NVIDIA's sparse peaks
}

TEST(Roofline, SparsityNeverMoreThanDoublesSpeedEvenWhenItRelievesThePowerCap) {
  GpuSpec g = H100Sxm();
  g.sparse_speedup = 2.0;
  const RooflineModel m = Model(g);
  for (Format f : {Format::kFp8E4M3, Format::kBf16, Format::kMxfp4, Format::kInt4}) {
    for (int64_t s : {1024, 4096, 8192, 16384}) {
      GemmSpec op{.m = s, .n = s, .k = s, .format = NumberFormat::Of(f)};
      const RooflineResult dense = Gemm(m, op);
      op.sparse = true;
      const RooflineResult sparse = Gemm(m, op);
      EXPECT_LE(dense.time / sparse.time, 2.0) << FormatName(f) << " " << s;
      EXPECT_LE(sparse.time, dense.time) << FormatName(f) << " " << s;
    }
  }
}

TEST(Roofline, SparsityHelpsAMemoryBoundGemmOnlyThroughFewerBytes) {
  const GpuSpec g = H100Sxm();
  const RooflineModel m = Model(g);
  // Decode-like GEMM: the 8192×8192 weight (A) times 16 token columns.
  const GemmSpec op{.m = 8192, .n = 16, .k = 8192, .format = kBf16};
  GemmSpec sparse_op = op;
  sparse_op.sparse = true;
  const RooflineResult dense = Gemm(m, op), sparse = Gemm(m, sparse_op);
  ASSERT_EQ(dense.bound, Bound::kMemory);
  ASSERT_EQ(sparse.bound, Bound::kMemory);
  // A keeps half its elements at 16 bits plus 2 bits of metadata each.
  const double a_dense = 8192.0 * 8192 * 16, a_sparse = 8192.0 * 8192 / 2 * (16 + 2);
  const double rest = 8192.0 * 16 * 16 + 8192.0 * 16 * 16;  // B read, C written
  EXPECT_EQ(dense.bytes.value(), (a_dense + rest) / 8);
  EXPECT_EQ(sparse.bytes.value(), (a_sparse + rest) / 8);
  EXPECT_NEAR(dense.memory_time / sparse.memory_time, (a_dense + rest) / (a_sparse + rest), 1e-6);
  EXPECT_NEAR(sparse.time.seconds(),
              sparse.bytes.value() / (g.hbm_bandwidth.value() * g.hbm_efficiency) +
                  g.kernel_launch_overhead.seconds(),
              1e-12);
}

// ---------------------------------------------------------------------------------------------
// Number formats in the byte counts

TEST(Roofline, BlockScaledFormatsMoveTheirAmortisedScaleBytes) {
  const RooflineModel m = Model(H100Sxm());
  for (Format f : {Format::kMxfp4, Format::kNvfp4, Format::kInt4Vsq, Format::kMxfp8}) {
    const NumberFormat nf = NumberFormat::Of(f);
    const RooflineResult r = Gemm(m, {.m = 4096, .n = 4096, .k = 4096, .format = nf});
    const double bits = 2.0 * 4096 * 4096 * StorageBitsPerElement(nf) + 4096.0 * 4096 * 16;
    EXPECT_EQ(r.bytes.value(), std::ceil(bits / 8)) << FormatName(f);
  }
}

TEST(Roofline, Fp32AndTf32GemmsWriteFp32Outputs) {
  const RooflineModel m = Model(H100Sxm());
  for (Format f : {Format::kFp32, Format::kTf32}) {
    const RooflineResult r =
        Gemm(m, {.m = 1024, .n = 1024, .k = 1024, .format = NumberFormat::Of(f)});
    EXPECT_EQ(r.bytes.count(), int64_t{3} * 1024 * 1024 * 4) << FormatName(f);
  }
}

TEST(Roofline, VsqTensorCoreBeatsEmulatedVsqOnHopper) {
  GpuSpec g = H100Sxm();
  const GemmSpec op{.m = 8192, .n = 8192, .k = 8192, .format = NumberFormat::Of(Format::kInt4Vsq)};
  const RooflineResult emulated = Gemm(Model(g), op);
  g.vsq_int4_tensor_cores = true;
  const RooflineResult hardware = Gemm(Model(g), op);
  EXPECT_LT(hardware.time, emulated.time);
  EXPECT_LT(hardware.energy, emulated.energy);
  const RooflineResult int8 =
      Gemm(Model(g), {.m = 8192, .n = 8192, .k = 8192, .format = NumberFormat::Of(Format::kInt8)});
  EXPECT_LT(hardware.time, int8.time);
}

// ---------------------------------------------------------------------------------------------
// Power cap

TEST(Roofline, AnFp8GemmOverTdpIsClockedDownToExactlyTdp) {
  const GpuSpec g = H100Sxm();
  const RooflineResult r = Gemm(Model(g), {.m = 8192, .n = 8192, .k = 8192, .format = kFp8});
  ASSERT_TRUE(r.power_capped);
  EXPECT_EQ(r.bound, Bound::kMath);
  // Busy time at which static + dynamic power = TDP.
  const double dynamic_j = 8192.0 * 8192 * 8192 * g.mac_energy_fp8.value() +
                           r.bytes.value() * 8 * g.hbm_energy_per_bit.value();
  const double busy_s = dynamic_j / (g.tdp.value() - g.static_power.value());
  EXPECT_NEAR(r.math_time.seconds(), busy_s, 1e-12);
  const double uncapped_s = GemmMathSeconds(g, 8192, 8192, 8192, g.peak_fp8.value());
  EXPECT_NEAR(r.clock_scale, uncapped_s / busy_s, 1e-6);
  EXPECT_LT(r.clock_scale, 1.0);
  EXPECT_LE(r.power.value(), g.tdp.value());
  // Over the busy part the GPU draws exactly TDP; the launch gap draws static power only.
  const double busy_power =
      (r.energy.value() - g.static_power.value() * r.time.seconds()) / r.math_time.seconds() +
      g.static_power.value();
  EXPECT_NEAR(busy_power, g.tdp.value(), 1e-3);
}

TEST(Roofline, OpsUnderTdpKeepTheirClock) {
  const RooflineModel m = Model(H100Sxm());
  const RooflineResult bf16 = Gemm(m, {.m = 8192, .n = 8192, .k = 8192, .format = kBf16});
  EXPECT_FALSE(bf16.power_capped);
  EXPECT_EQ(bf16.clock_scale, 1.0);
  EXPECT_LT(bf16.power, H100Sxm().tdp);
  const RooflineResult copy = *m.Memory(CopyOp(1_GiB));
  EXPECT_FALSE(copy.power_capped);
}

TEST(Roofline, ALowerTdpSlowsAMathBoundGemm) {
  GpuSpec g = H100Sxm();
  const GemmSpec op{.m = 8192, .n = 8192, .k = 8192, .format = kBf16};
  const Time full = Gemm(Model(g), op).time;
  g.tdp = 500_W;
  const RooflineResult capped = Gemm(Model(g), op);
  EXPECT_TRUE(capped.power_capped);
  EXPECT_GT(capped.time, full);
  EXPECT_LE(capped.power, g.tdp);
}

// ---------------------------------------------------------------------------------------------
// Attention

TEST(Attention, FlopsFollowTheCausalTriangleAndTheBackwardRatio) {
  const RooflineModel m = Model(H100Sxm());
  const double b = 2, h = 16, s = 4096, d = 128;
  AttentionSpec op{
      .batch = 2, .heads = 16, .kv_heads = 16, .seq_q = 4096, .seq_kv = 4096, .head_dim = 128};
  EXPECT_DOUBLE_EQ(Attn(m, op).flops.value(), 4 * b * h * s * s * d);
  op.causal = true;
  EXPECT_DOUBLE_EQ(Attn(m, op).flops.value(), 4 * b * h * (s * (s + 1) / 2) * d);
  op.pass = AttentionPass::kBackward;
  EXPECT_DOUBLE_EQ(Attn(m, op).flops.value(), 2.5 * 4 * b * h * (s * (s + 1) / 2) * d);
  // Bottom-right-aligned causal mask for a short query block against a long KV cache.
  op = {.batch = 1,
        .heads = 1,
        .kv_heads = 1,
        .seq_q = 16,
        .seq_kv = 1024,
        .head_dim = 64,
        .causal = true};
  EXPECT_DOUBLE_EQ(Attn(m, op).flops.value(), 4.0 * (16 * (1024 - 16) + 16 * 17 / 2) * 64);
}

TEST(Attention, GroupedQueryAttentionReadsFewerBytesForTheSameFlops) {
  const RooflineModel m = Model(H100Sxm());
  AttentionSpec mha{
      .batch = 1, .heads = 32, .kv_heads = 32, .seq_q = 8192, .seq_kv = 8192, .head_dim = 128};
  AttentionSpec gqa = mha;
  gqa.kv_heads = 8;
  const RooflineResult a = Attn(m, mha), b = Attn(m, gqa);
  EXPECT_EQ(a.flops, b.flops);
  // K and V: 2 tensors × (32 − 8) heads × 8192 × 128 × 2 bytes fewer.
  EXPECT_EQ(a.bytes.count() - b.bytes.count(), int64_t{2} * 24 * 8192 * 128 * 2);
}

TEST(Attention, ForwardBytesAreQkvReadAndOutputWritten) {
  const RooflineModel m = Model(H100Sxm());
  const RooflineResult r = Attn(m, {.batch = 1,
                                    .heads = 8,
                                    .kv_heads = 2,
                                    .seq_q = 1024,
                                    .seq_kv = 1024,
                                    .head_dim = 128,
                                    .format = kFp8});
  // Q, K, V in FP8 (1 B), O in BF16 (2 B), log-sum-exp in FP32 per query row.
  const int64_t q = 8 * 1024 * 128, kv = 2 * 1024 * 128;
  EXPECT_EQ(r.bytes.count(), (q + 2 * kv) * 1 + q * 2 + 8 * 1024 * 4);
}

// ---------------------------------------------------------------------------------------------
// Memory-bound op builders

TEST(MemoryOps, BuildersCountBytesAndFlopsFromTheirFormulas) {
  const MemoryOpSpec ln = LayerNormOp(4096, 8192, kBf16);
  EXPECT_EQ(ln.bytes_read.count(), (int64_t{4096} * 8192 + 2 * 8192) * 2);
  EXPECT_EQ(ln.bytes_written.count(), int64_t{4096} * 8192 * 2 + 4096 * 8);
  EXPECT_DOUBLE_EQ(ln.flops.value(), 8.0 * 4096 * 8192);
  const MemoryOpSpec rms = RmsNormOp(4096, 8192, kBf16);
  EXPECT_EQ(rms.bytes_read.count(), (int64_t{4096} * 8192 + 8192) * 2);
  EXPECT_DOUBLE_EQ(rms.flops.value(), 4.0 * 4096 * 8192);
  const MemoryOpSpec adam = AdamUpdateOp(1'000'000);
  EXPECT_EQ((adam.bytes_read + adam.bytes_written).count(), 30 * 1'000'000);
  const MemoryOpSpec gelu = ElementwiseOp(1000, NumberFormat::Of(Format::kMxfp4), 2, 1, 8);
  EXPECT_EQ(gelu.bytes_read.count(), static_cast<int64_t>(std::ceil(2000 * 4.25 / 8)));
  EXPECT_EQ(gelu.flops.value(), 8000);
  EXPECT_EQ(SoftmaxOp(10, 10, kBf16).kind, MemoryOpKind::kSoftmax);
}

TEST(MemoryOps, NormsAndOptimizerStepsAreMemoryBoundOnH100) {
  const RooflineModel m = Model(H100Sxm());
  for (const MemoryOpSpec& op :
       {LayerNormOp(8192, 8192, kBf16), RmsNormOp(8192, 8192, kBf16), SoftmaxOp(8192, 8192, kBf16),
        AdamUpdateOp(1'000'000'000), ElementwiseOp(1 << 28, kBf16, 2, 1, 1.0)}) {
    EXPECT_EQ(m.Memory(op)->bound, Bound::kMemory) << MemoryOpKindName(op.kind);
  }
}

TEST(Roofline, SuccessfulCallsDoNotAllocate) {
  const RooflineModel m = Model(H100Sxm());
  const GemmSpec gemm{.m = 8192, .n = 8192, .k = 8192, .format = kFp8, .sparse = true};
  const AttentionSpec attention{.batch = 2,
                                .heads = 32,
                                .kv_heads = 8,
                                .seq_q = 4096,
                                .seq_kv = 4096,
                                .head_dim = 128,
                                .causal = true};
  const MemoryOpSpec copy = CopyOp(1_GiB);
  const int64_t before = g_allocations;
  double sink = 0;
  for (int i = 0; i < 100; ++i) {
    sink += m.Gemm(gemm)->time.seconds();
    sink += m.Attention(attention)->time.seconds();
    sink += m.Memory(copy)->time.seconds();
  }
  EXPECT_EQ(g_allocations, before);
  EXPECT_GT(sink, 0);
}

// ---------------------------------------------------------------------------------------------
// Bad inputs

TEST(Roofline, NonPositiveGemmDimensionsAreErrorsNamingTheField) {
  const RooflineModel m = Model(H100Sxm());
  StatusOr<RooflineResult> r = m.Gemm({.m = 0, .n = 1, .k = 1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "gemm.m must be > 0, got 0");
  EXPECT_EQ(m.Gemm({.m = 1, .n = 1, .k = -5}).status().message(), "gemm.k must be > 0, got -5");
  EXPECT_EQ(m.Gemm({.m = 1, .n = 1, .k = 1, .batch = 0}).status().message(),
            "gemm.batch must be > 0, got 0");
}

TEST(Roofline, AFormatTheGpuCannotRunIsAnError) {
  StatusOr<RooflineResult> r = Model(A100Sxm80()).Gemm({.m = 64, .n = 64, .k = 64, .format = kFp8});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("a100-sxm-80gb"), std::string::npos);
  EXPECT_NE(r.status().message().find("fp8-e4m3"), std::string::npos);
}

TEST(Roofline, SparsityOnAGpuWithoutItIsAnError) {
  GpuSpec g = H100Sxm();
  g.sparsity_2_4 = false;
  StatusOr<RooflineResult> r = Model(g).Gemm({.m = 64, .n = 64, .k = 64, .sparse = true});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("sparsity"), std::string::npos);
}

TEST(Roofline, AGemmBeyondTheModelsRangeIsAnErrorNotACrash) {
  const RooflineModel m = Model(H100Sxm());
  const int64_t huge = int64_t{1} << 40;
  EXPECT_FALSE(m.Gemm({.m = huge, .n = huge, .k = huge}).ok());
  EXPECT_FALSE(m.Gemm({.m = 1 << 20, .n = 1 << 20, .k = 1 << 20, .batch = 1 << 20}).ok());
  EXPECT_FALSE(m.Attention({.batch = huge,
                            .heads = huge,
                            .kv_heads = 1,
                            .seq_q = huge,
                            .seq_kv = huge,
                            .head_dim = huge})
                   .ok());
  const Bytes max(std::numeric_limits<int64_t>::max());
  EXPECT_FALSE(m.Memory({.bytes_read = max, .bytes_written = max}).ok());
}

TEST(Attention, BadShapesAreErrorsNamingTheField) {
  const RooflineModel m = Model(H100Sxm());
  const AttentionSpec ok{
      .batch = 1, .heads = 32, .kv_heads = 8, .seq_q = 128, .seq_kv = 128, .head_dim = 128};
  AttentionSpec op = ok;
  op.head_dim = 0;
  EXPECT_EQ(m.Attention(op).status().message(), "attention.head_dim must be > 0, got 0");
  op = ok;
  op.kv_heads = 6;
  EXPECT_NE(m.Attention(op).status().message().find("attention.kv_heads (6)"), std::string::npos);
  op = ok;
  op.causal = true;
  op.seq_q = 256;
  EXPECT_NE(m.Attention(op).status().message().find("seq_q <= attention.seq_kv"),
            std::string::npos);
  op = ok;
  op.format = NumberFormat::Of(Format::kInt8);
  EXPECT_NE(m.Attention(op).status().message().find("attention.format int8"), std::string::npos);
  op = ok;
  op.format = kFp8;
  EXPECT_FALSE(Model(A100Sxm80()).Attention(op).ok());
}

TEST(MemoryOps, NegativeOrEmptyOpsAreErrors) {
  const RooflineModel m = Model(H100Sxm());
  EXPECT_FALSE(m.Memory({.bytes_read = Bytes(-1)}).ok());
  EXPECT_FALSE(m.Memory({.bytes_read = 1_KiB, .flops = Flops(-1)}).ok());
  StatusOr<RooflineResult> empty = m.Memory({.kind = MemoryOpKind::kCopy});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("copy"), std::string::npos);
}

TEST(Roofline, AnInvalidGpuSpecIsRejectedOnce) {
  GpuSpec g = H100Sxm();
  g.sm_count = -1;
  EXPECT_FALSE(RooflineModel::Create(g).ok());
}

// ---------------------------------------------------------------------------------------------
// CALIBRATION targets (the defaults were fitted to these measurements, see gpu_spec.cc; these
// tests keep the fit from drifting, they do not validate the model independently).

TEST(Calibration, Bf16Gemm8192CubedOnH100LandsNearTheMeasured798Tflops) {
  const RooflineResult r =
      Gemm(Model(H100Sxm()), {.m = 8192, .n = 8192, .k = 8192, .format = kBf16});
  EXPECT_GE(r.achieved.value(), 720e12);
  EXPECT_LE(r.achieved.value(), 880e12);
}

TEST(Calibration, Fp8Gemm8192CubedOnH100LandsBetweenMeasuredFp8Figures) {
  // gpus.md §8.2: 1402.6 TFLOP/s (MAMF best shape) and ~1600-1630 (cuBLASLt 8192³).
  const RooflineResult r =
      Gemm(Model(H100Sxm()), {.m = 8192, .n = 8192, .k = 8192, .format = kFp8});
  EXPECT_GE(r.achieved.value(), 1400e12);
  EXPECT_LE(r.achieved.value(), 1650e12);
}

TEST(Calibration, An8GiBCopyOnH100MovesAbout3TBPerSecondCountingReadAndWrite) {
  const RooflineResult r = *Model(H100Sxm()).Memory(CopyOp(8_GiB));
  const double measured_s = 2.0 * 8 * (int64_t{1} << 30) / 3.0e12;
  EXPECT_NEAR(r.time.seconds(), measured_s, 0.10 * measured_s);
}

TEST(Calibration, An8GiBCopyOnH200MovesAbout4Point3TBPerSecond) {
  // The H100-fitted efficiency also reproduces the H200's measured ~4.3 TB/s (gpus.md).
  const RooflineResult r = *Model(H200Sxm()).Memory(CopyOp(8_GiB));
  const double measured_s = 2.0 * 8 * (int64_t{1} << 30) / 4.3e12;
  EXPECT_NEAR(r.time.seconds(), measured_s, 0.10 * measured_s);
}

TEST(Calibration, Bf16FlashAttentionOnH100LandsNearFlashAttention3s740Tflops) {
  // FlashAttention-3 (arXiv 2407.08608): up to 740 TFLOP/s FP16 forward, head dim 128, 16k tokens.
  const RooflineResult r = Attn(
      Model(H100Sxm()),
      {.batch = 1, .heads = 16, .kv_heads = 16, .seq_q = 16384, .seq_kv = 16384, .head_dim = 128});
  EXPECT_NEAR(r.achieved.value(), 740e12, 0.10 * 740e12);
}

TEST(Calibration, Bf16GemmOnA100LandsNearTheMeasured271Tflops) {
  // gpus.md §8.2: A100 SXM BF16 best shape 271.2 TFLOP/s (MAMF).
  const RooflineResult r =
      Gemm(Model(A100Sxm80()), {.m = 8192, .n = 8192, .k = 8192, .format = kBf16});
  EXPECT_NEAR(r.achieved.value(), 271.2e12, 0.10 * 271.2e12);
}

}  // namespace
}  // namespace trainsim::compute
