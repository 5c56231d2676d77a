#include "compute/roofline_table.h"

#include "compute/tensor_core.h"

namespace trainsim::compute {
namespace {

// Powers of two, plus sizes that straddle tile and wave boundaries on H100's 128×256 tiles and
// 132 SMs: 4224 = 33·128 (33×17 = 561 tiles, a 5th wave of 33), 8448 = 66·128 (66×33 = 2178
// tiles = 16.5 waves), 1000 (partial tiles), 2304 = 18·128 (18×9 = 162 tiles, 2 waves).
constexpr std::array<int64_t, 16> kSweepSizes = {256,  384,  512,  1000, 1024, 1536, 2048,  2304,
                                                 3072, 4096, 4224, 6144, 8192, 8448, 12288, 16384};

}  // namespace

std::array<ResultField, kResultFieldCount> ResultFields(const RooflineResult& r) {
  return {{
      {"time_s", r.time.seconds()},
      {"tflops", r.achieved.value() / 1e12},
      {"bound", BoundName(r.bound)},
      {"intensity_flop_per_byte", r.intensity_flop_per_byte},
      {"bytes", r.bytes.count()},
      {"flops", r.flops.value()},
      {"energy_j", r.energy.value()},
      {"power_w", r.power.value()},
      {"clock_scale", r.clock_scale},
      {"power_capped", r.power_capped},
      {"math_time_s", r.math_time.seconds()},
      {"memory_time_s", r.memory_time.seconds()},
  }};
}

std::span<const int64_t> SquareGemmSweepSizes() { return kSweepSizes; }

std::vector<GemmSweepRow> SquareGemmSweep(const RooflineModel& model) {
  const std::vector<NumberFormat> formats = SupportedFormats(model.gpu());
  std::vector<GemmSweepRow> rows;
  rows.reserve(formats.size() * kSweepSizes.size());
  for (const NumberFormat& format : formats) {
    for (int64_t size : kSweepSizes) {
      StatusOr<RooflineResult> r =
          model.Gemm(GemmSpec{.m = size, .n = size, .k = size, .format = format});
      // Supported formats and sizes within range cannot fail.
      TRAINSIM_CHECK(r.ok()) << r.status().message();
      rows.push_back(GemmSweepRow{.format = format, .size = size, .result = *r});
    }
  }
  return rows;
}

}  // namespace trainsim::compute
