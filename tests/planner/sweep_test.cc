#include "planner/sweep.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace trainsim::planner {
namespace {

using ::testing::HasSubstr;

// GPT 7.5B on 64 H100 GPUs: a step takes a few tens of milliseconds to simulate.
constexpr const char* kSmallScenario = R"(scenario:
  cluster: {preset: dgx-h100-superpod, gpus: 64}
  model: megatron-7.5b
  parallelism: {tp: 8, pp: 2, zero_stage: 0}
  training: {global_batch: 64, sequence_length: 2048, tokens: 1e9}
  simulation: {gpu_hour_usd: 2}
)";

Study SmallStudy(const std::string& knobs) {
  StatusOr<Study> study = LoadStudyText(std::string(kSmallScenario) + knobs, "study.yaml");
  EXPECT_TRUE(study.ok()) << study.status().message();
  return study.ok() ? *study : Study{};
}

// Six points: tp 4 or 8 × three batch sizes.
Study SixPoints() {
  return SmallStudy(R"(knobs:
  - {path: parallelism.tp, values: [4, 8]}
  - {path: training.global_batch, values: [64, 128, 256]}
)");
}

std::vector<SweepRow> RunAll(const Study& study, SweepOptions options, SweepSummary* summary) {
  std::vector<SweepRow> rows;
  std::atomic<bool> in_callback{false};
  StatusOr<SweepSummary> s = RunSweep(study, options, [&](const SweepRow& row) {
    EXPECT_FALSE(in_callback.exchange(true)) << "on_row called concurrently";
    rows.push_back(row);
    in_callback.store(false);
  });
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (summary != nullptr && s.ok()) *summary = *s;
  std::sort(rows.begin(), rows.end(),
            [](const SweepRow& a, const SweepRow& b) { return a.point < b.point; });
  return rows;
}

TEST(Sweep, ABadPointRecordsItsErrorAndTheOthersGoOn) {
  // tp 1 without ZeRO does not fit (7.5B × 16 bytes of weights, gradients and Adam state per
  // GPU); tp 3 does not divide the 32 heads; tp 8 runs.
  const Study study = SmallStudy(R"(knobs:
  - {path: parallelism.tp, values: [1, 3, 8]}
  - {path: parallelism.pp, values: [1]}
)");
  SweepSummary summary;
  const std::vector<SweepRow> rows = RunAll(study, {.jobs = 2}, &summary);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(summary.points, 3);
  EXPECT_EQ(summary.finished, 3);
  EXPECT_EQ(summary.failed, 2);
  EXPECT_FALSE(summary.cancelled);

  EXPECT_FALSE(rows[0].ok);
  EXPECT_THAT(rows[0].error, HasSubstr("out of memory: pipeline stage 0 needs"));
  EXPECT_GT(rows[0].peak_memory_gib, 7.5e9 * 16 / (1u << 30) * 0.9);
  EXPECT_EQ(rows[0].step_time_s, 0);

  EXPECT_FALSE(rows[1].ok);
  EXPECT_THAT(rows[1].error, HasSubstr("parallelism.tp"));
  EXPECT_THAT(rows[1].error, HasSubstr("3"));
  EXPECT_EQ(rows[1].error.find('\n'), std::string::npos);

  ASSERT_TRUE(rows[2].ok) << rows[2].error;
  EXPECT_GT(rows[2].step_time_s, 0);
  EXPECT_GT(rows[2].mfu, 0);
  EXPECT_LT(rows[2].mfu, 1);
  EXPECT_NEAR(rows[2].tokens_per_s * rows[2].step_time_s, 64.0 * 2048, 1e-6 * 64 * 2048);
  EXPECT_GT(rows[2].energy_per_step_j, 0);
  EXPECT_GT(rows[2].avg_power_w, 0);
  EXPECT_FALSE(rows[2].bound_by.empty());
  // Priced at $2 per GPU-hour on 64 GPUs.
  EXPECT_NEAR(rows[2].cost_per_step_usd, rows[2].step_time_s / 3600 * 64 * 2, 1e-12);
  // 1e9 tokens at 64 × 2048 tokens per step.
  EXPECT_NEAR(rows[2].time_to_train_s, std::ceil(1e9 / (64 * 2048)) * rows[2].step_time_s,
              1e-6 * rows[2].time_to_train_s);
  EXPECT_EQ(rows[2].knobs,
            (std::vector<KnobValue>{{"parallelism.tp", "8"}, {"parallelism.pp", "1"}}));
}

TEST(Sweep, ShardsCoverEveryPointExactlyOnce) {
  const Study study = SixPoints();
  std::map<int64_t, int> seen;
  for (int shard = 0; shard < 4; ++shard) {
    SweepSummary summary;
    for (const SweepRow& row : RunAll(study, {.shard_index = shard, .shard_count = 4}, &summary)) {
      EXPECT_EQ(row.point % 4, shard);
      ++seen[row.point];
    }
    EXPECT_EQ(summary.points, shard < 2 ? 2 : 1);
  }
  ASSERT_EQ(seen.size(), 6u);
  for (const auto& [point, count] : seen) EXPECT_EQ(count, 1) << "point " << point;
}

TEST(Sweep, TwoJobsGiveTheSameRowsAsOne) {
  const Study study = SixPoints();
  const std::vector<SweepRow> one = RunAll(study, {.jobs = 1}, nullptr);
  const std::vector<SweepRow> two = RunAll(study, {.jobs = 2}, nullptr);
  ASSERT_EQ(one.size(), 6u);
  ASSERT_EQ(two.size(), 6u);
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].point, static_cast<int64_t>(i));
    EXPECT_TRUE(one[i].ok) << one[i].error;
    EXPECT_EQ(two[i].point, one[i].point);
    EXPECT_EQ(two[i].knobs, one[i].knobs);
    EXPECT_EQ(two[i].ok, one[i].ok);
    EXPECT_EQ(two[i].step_time_s, one[i].step_time_s);
    EXPECT_EQ(two[i].mfu, one[i].mfu);
    EXPECT_EQ(two[i].tokens_per_s, one[i].tokens_per_s);
    EXPECT_EQ(two[i].peak_memory_gib, one[i].peak_memory_gib);
    EXPECT_EQ(two[i].energy_per_step_j, one[i].energy_per_step_j);
    EXPECT_EQ(two[i].cost_per_step_usd, one[i].cost_per_step_usd);
    EXPECT_EQ(two[i].bound_by, one[i].bound_by);
    EXPECT_EQ(CsvLine(study, two[i]), CsvLine(study, one[i]));
  }
}

// SimGrid points fork a child each and run one at a time, beside the native ones; the SimGrid
// executor reproduces the native step time on the same graph (workloads/simgrid_executor.h), here
// to a few parts in 1e9 (SimGrid's clock is rounded to the picosecond per event).
TEST(Sweep, SimGridPointsRunBesideNativeOnesWithTheSameStepTime) {
  const Study study = SmallStudy(R"(knobs:
  - {path: simulation.executor, values: [native, simgrid]}
  - {path: training.global_batch, values: [64, 128]}
)");
  const std::vector<SweepRow> rows = RunAll(study, {.jobs = 2}, nullptr);
  ASSERT_EQ(rows.size(), 4u);
  for (const SweepRow& row : rows) ASSERT_TRUE(row.ok) << row.error;
  for (int batch = 0; batch < 2; ++batch) {
    EXPECT_NEAR(rows[2 + batch].step_time_s, rows[batch].step_time_s,
                1e-6 * rows[batch].step_time_s);
  }
}

TEST(Sweep, CancelledBeforeTheStartRunsNoPoint) {
  const Study study = SixPoints();
  const std::atomic<bool> cancel{true};
  SweepSummary summary;
  const std::vector<SweepRow> rows = RunAll(study, {.jobs = 2, .cancel = &cancel}, &summary);
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(summary.points, 6);
  EXPECT_EQ(summary.finished, 0);
  EXPECT_TRUE(summary.cancelled);
}

TEST(Sweep, BadOptionsAreErrors) {
  const Study study = SixPoints();
  auto ignore = [](const SweepRow&) {};
  EXPECT_THAT(RunSweep(study, {.jobs = 0}, ignore).status().message(),
              HasSubstr("jobs: 0 must be at least 1"));
  EXPECT_THAT(RunSweep(study, {.shard_index = 4, .shard_count = 4}, ignore).status().message(),
              HasSubstr("shard: 4/4 is not a shard"));
}

TEST(Sweep, CsvHasAColumnPerKnobAndEmptyFiguresForFailedPoints) {
  const Study study = SixPoints();
  EXPECT_EQ(CsvHeader(study),
            "point,parallelism.tp,training.global_batch,ok,step_time_s,mfu,tokens_per_s,"
            "peak_memory_gib,energy_per_step_j,avg_power_w,cost_per_step_usd,time_to_train_s,"
            "bound_by,error\n");
  const SweepRow failed{.point = 5,
                        .knobs = {{"parallelism.tp", "8"}, {"training.global_batch", "256"}},
                        .ok = false,
                        .error = "parallelism.tp: 3 does not divide heads = 32, \"x\""};
  EXPECT_EQ(CsvLine(study, failed),
            "5,8,256,false,,,,,,,,,,\"parallelism.tp: 3 does not divide heads = 32, \"\"x\"\"\"\n");
  const SweepRow ok{.point = 0,
                    .knobs = {{"parallelism.tp", "4"}, {"training.global_batch", "64"}},
                    .ok = true,
                    .step_time_s = 0.25,
                    .mfu = 0.5,
                    .tokens_per_s = 1e6,
                    .peak_memory_gib = 40,
                    .energy_per_step_j = 3e4,
                    .avg_power_w = 600,
                    .cost_per_step_usd = 0.01,
                    .time_to_train_s = 100,
                    .bound_by = "forward"};
  EXPECT_EQ(CsvLine(study, ok), "0,4,64,true,0.25,0.5,1000000,40,30000,600,0.01,100,forward,\n");
}

TEST(Sweep, JsonLinesTypeKnobValuesAndNullFailedFigures) {
  const SweepRow row{.point = 3,
                     .knobs = {{"cluster.fabric.sharp.enabled", "true"},
                               {"cluster.gpus", "2048"},
                               {"cluster.node.nic_bandwidth", "800Gb/s"}},
                     .ok = false,
                     .error = "out of memory",
                     .peak_memory_gib = 90};
  const std::string line = JsonLine(row);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["point"], 3);
  EXPECT_EQ(j["knobs"]["cluster.fabric.sharp.enabled"], true);
  EXPECT_EQ(j["knobs"]["cluster.gpus"], 2048);
  EXPECT_EQ(j["knobs"]["cluster.node.nic_bandwidth"], "800Gb/s");
  EXPECT_EQ(j["ok"], false);
  EXPECT_TRUE(j["step_time_s"].is_null());
  EXPECT_EQ(j["peak_memory_gib"], 90.0);
  EXPECT_EQ(j["error"], "out of memory");
}

}  // namespace
}  // namespace trainsim::planner
