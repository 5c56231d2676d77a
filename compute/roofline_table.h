// Tabular views of roofline results for the CLI and service: one result as a fixed list of named
// fields (name, unit-suffixed, SI values), and the square-GEMM sweep over every format a GPU
// runs, whose sizes include non-powers of two so tile and wave steps show. Formatting (table,
// JSON, CSV) stays with the caller.
#ifndef TRAINSIM_COMPUTE_ROOFLINE_TABLE_H_
#define TRAINSIM_COMPUTE_ROOFLINE_TABLE_H_

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "compute/number_format.h"
#include "compute/roofline.h"

namespace trainsim::compute {

struct ResultField {
  std::string_view name;  // snake_case with the unit as suffix: "time_s", "energy_j"
  std::variant<double, int64_t, bool, std::string_view> value;
};

inline constexpr int kResultFieldCount = 12;

// In this order: time_s, tflops (achieved TFLOP/s), bound ("math"/"memory"),
// intensity_flop_per_byte, bytes, flops, energy_j, power_w, clock_scale, power_capped,
// math_time_s, memory_time_s. No allocation.
std::array<ResultField, kResultFieldCount> ResultFields(const RooflineResult& r);

struct GemmSweepRow {
  NumberFormat format{};
  int64_t size = 0;  // M = N = K
  RooflineResult result{};
};

// 256 … 16384: powers of two plus 384, 1000, 1536, 2304, 3072, 4224, 6144, 8448, 12288.
std::span<const int64_t> SquareGemmSweepSizes();

// Dense square GEMMs for every format in SupportedFormats(model.gpu()) × every sweep size,
// ordered by format then size.
std::vector<GemmSweepRow> SquareGemmSweep(const RooflineModel& model);

}  // namespace trainsim::compute

#endif  // TRAINSIM_COMPUTE_ROOFLINE_TABLE_H_
