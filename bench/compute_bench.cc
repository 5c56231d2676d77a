// Cost per call of the compute module's roofline models (ns/call). Later modules ask for
// millions of ops per simulated step, so each call should stay well under 100 ns and never
// allocate on success. Shapes vary per iteration so nothing is folded at compile time.
#include <array>
#include <cstdint>

#include "benchmark/benchmark.h"
#include "compute/gpu_spec.h"
#include "compute/roofline.h"
#include "config/scenario_spec.h"
#include "sim/units.h"

namespace trainsim::compute {
namespace {

using namespace trainsim::literals;

const RooflineModel& Model() {
  // The catalog entry users get with `gpu: h100-sxm`.
  static const RooflineModel model =
      RooflineModel::Create(config::GpuFromPreset("h100-sxm").value()).value();
  return model;
}

constexpr std::array<int64_t, 8> kSizes = {512, 1000, 2048, 4096, 4224, 8192, 12288, 16384};

void BM_GemmBf16(benchmark::State& state) {
  const RooflineModel& m = Model();
  size_t i = 0;
  for (auto _ : state) {
    const int64_t s = kSizes[i++ % kSizes.size()];
    auto r = m.Gemm({.m = s, .n = 4096, .k = s, .format = NumberFormat::Of(Format::kBf16)});
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_GemmBf16);

void BM_GemmFp8PowerCapped(benchmark::State& state) {
  const RooflineModel& m = Model();
  size_t i = 0;
  for (auto _ : state) {
    const int64_t s = kSizes[i++ % kSizes.size()];
    auto r = m.Gemm({.m = s, .n = s, .k = s, .format = NumberFormat::Of(Format::kFp8E4M3)});
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_GemmFp8PowerCapped);

void BM_GemmInt4VsqEmulated(benchmark::State& state) {
  const RooflineModel& m = Model();
  size_t i = 0;
  for (auto _ : state) {
    const int64_t s = kSizes[i++ % kSizes.size()];
    auto r = m.Gemm({.m = s, .n = s, .k = s, .format = NumberFormat::Of(Format::kInt4Vsq)});
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_GemmInt4VsqEmulated);

void BM_AttentionCausalGqa(benchmark::State& state) {
  const RooflineModel& m = Model();
  size_t i = 0;
  for (auto _ : state) {
    const int64_t s = kSizes[i++ % kSizes.size()];
    auto r = m.Attention({.batch = 4,
                          .heads = 64,
                          .kv_heads = 8,
                          .seq_q = s,
                          .seq_kv = s,
                          .head_dim = 128,
                          .causal = true});
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_AttentionCausalGqa);

void BM_ElementwiseBf16(benchmark::State& state) {
  const RooflineModel& m = Model();
  size_t i = 0;
  for (auto _ : state) {
    const int64_t s = kSizes[i++ % kSizes.size()];
    auto r = m.Memory(ElementwiseOp(s * 8192, NumberFormat::Of(Format::kBf16), 2, 1, 1.0));
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ElementwiseBf16);

}  // namespace
}  // namespace trainsim::compute

BENCHMARK_MAIN();
