#include "compute/roofline_table.h"

#include <algorithm>
#include <string>

#include "gtest/gtest.h"
#include "tests/compute/test_gpus.h"

namespace trainsim::compute {
namespace {

using ::trainsim::compute::testing::A100Sxm80;
using ::trainsim::compute::testing::H100Sxm;
using ::trainsim::compute::testing::Model;

TEST(RooflineTable, ResultFieldsCarryTheCliColumnsInSiUnits) {
  const RooflineResult r = Model(H100Sxm()).Gemm({.m = 4096, .n = 4096, .k = 4096}).value();
  const auto fields = ResultFields(r);
  std::vector<std::string_view> names;
  for (const ResultField& f : fields) names.push_back(f.name);
  const std::vector<std::string_view> expected = {
      "time_s",      "tflops",       "bound",       "intensity_flop_per_byte",
      "bytes",       "flops",        "energy_j",    "power_w",
      "clock_scale", "power_capped", "math_time_s", "memory_time_s"};
  EXPECT_EQ(names, expected);
  EXPECT_EQ(std::get<double>(fields[0].value), r.time.seconds());
  EXPECT_DOUBLE_EQ(std::get<double>(fields[1].value), r.achieved.value() / 1e12);
  EXPECT_EQ(std::get<std::string_view>(fields[2].value), "math");
  EXPECT_EQ(std::get<int64_t>(fields[4].value), r.bytes.count());
  EXPECT_EQ(std::get<double>(fields[6].value), r.energy.value());
  EXPECT_EQ(std::get<bool>(fields[9].value), false);
}

TEST(RooflineTable, SweepSizesRunFrom256To16384WithNonPowersOfTwo) {
  const auto sizes = SquareGemmSweepSizes();
  EXPECT_TRUE(std::is_sorted(sizes.begin(), sizes.end()));
  EXPECT_EQ(sizes.front(), 256);
  EXPECT_EQ(sizes.back(), 16384);
  for (int64_t p = 256; p <= 16384; p *= 2) {
    EXPECT_NE(std::find(sizes.begin(), sizes.end(), p), sizes.end()) << p;
  }
  EXPECT_TRUE(
      std::any_of(sizes.begin(), sizes.end(), [](int64_t s) { return (s & (s - 1)) != 0; }));
}

TEST(RooflineTable, SweepCoversEverySupportedFormatAtEverySize) {
  for (const GpuSpec& gpu : {H100Sxm(), A100Sxm80()}) {
    const RooflineModel m = Model(gpu);
    const std::vector<GemmSweepRow> rows = SquareGemmSweep(m);
    const std::vector<NumberFormat> formats = SupportedFormats(gpu);
    ASSERT_EQ(rows.size(), formats.size() * SquareGemmSweepSizes().size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const size_t n = SquareGemmSweepSizes().size();
      EXPECT_EQ(rows[i].format, formats[i / n]);
      EXPECT_EQ(rows[i].size, SquareGemmSweepSizes()[i % n]);
      const GemmSpec op{
          .m = rows[i].size, .n = rows[i].size, .k = rows[i].size, .format = rows[i].format};
      EXPECT_EQ(rows[i].result.time, m.Gemm(op)->time);
    }
  }
}

TEST(RooflineTable, SweepShowsTheWaveTailJustPastAPowerOfTwo) {
  // 4096² BF16 on H100: 32×16 = 512 tiles = 3.9 waves of 132; 4224² (33 tile rows): 33×17 =
  // 561 tiles = 4.25 waves, so a fifth, mostly idle wave lowers the achieved rate.
  const std::vector<GemmSweepRow> rows = SquareGemmSweep(Model(H100Sxm()));
  auto tflops = [&](int64_t size) {
    for (const GemmSweepRow& r : rows) {
      if (r.size == size && r.format == NumberFormat::Of(Format::kBf16)) {
        return r.result.achieved.value();
      }
    }
    return 0.0;
  };
  EXPECT_LT(tflops(4224), 0.9 * tflops(4096));
}

}  // namespace
}  // namespace trainsim::compute
