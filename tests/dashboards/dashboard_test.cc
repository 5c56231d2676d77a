// The dashboards' data says what the step did (the timeline covers the step, the bubble shows,
// utilisation over time averages to the report's figure, power stays between static power and
// the kernels' draw) and the page is self-contained (no network references, data that cannot
// close its <script> element). The browser test (browser_test.cjs) checks the page renders.
#include "dashboards/dashboard.h"

#include <algorithm>
#include <regex>
#include <string>

#include "config/scenario_loader.h"
#include "config/scenario_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dashboards/test_scenarios.h"
#include "planner/simulate.h"
#include "planner/study.h"
#include "planner/sweep.h"

namespace trainsim::dashboards {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;


struct Step {
  config::ScenarioSpec spec;
  planner::Simulation sim;
  json data;
};

Step Simulate(const std::string& yaml) {
  StatusOr<config::LoadedScenario> loaded = config::LoadScenarioText(yaml, "test.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  StatusOr<config::ScenarioSpec> spec = config::BuildScenarioSpec(*loaded);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  StatusOr<planner::Simulation> sim =
      planner::SimulateScenario(*loaded, *spec, {.record_timeline = true});
  EXPECT_TRUE(sim.ok()) << sim.status().message();
  json data = StepDashboardData(*spec, sim->report, sim->step.timeline.get());
  return Step{*spec, *std::move(sim), std::move(data)};
}

const json& Lane(const json& stage, const std::string& name) {
  for (const json& lane : stage["lanes"]) {
    if (lane["lane"] == name) return lane["segments"];
  }
  static const json kNone = json::array();
  return kNone;
}

TEST(StepDashboard, TimelineCoversTheStepAndShowsTheBubble) {
  const Step s = Simulate(testing::kSmallScenario);
  const json& t = s.data["timeline"];
  const double step = s.sim.report.step_time_s();
  EXPECT_DOUBLE_EQ(t["step_s"].get<double>(), step);
  ASSERT_EQ(t["stages"].size(), 2u);
  double last_end = 0;
  for (const json& stage : t["stages"]) {
    for (const json& lane : stage["lanes"]) {
      double previous = -1;
      for (const json& seg : lane["segments"]) {
        const double a = seg[0], b = seg[1];
        EXPECT_LE(0, a);
        EXPECT_LE(a, b);
        EXPECT_LE(b, step + 1e-6);
        EXPECT_GE(a, previous);  // sorted by start
        previous = a;
        last_end = std::max(last_end, b);
        const int category = seg[2];
        const std::string name = t["categories"][static_cast<size_t>(category)];
        if (lane["lane"] == "compute") {
          EXPECT_THAT(name, ::testing::AnyOf("forward", "backward", "recompute", "optimizer"));
        } else {
          EXPECT_EQ(name, lane["lane"].get<std::string>() + "-comm");
        }
      }
    }
  }
  EXPECT_NEAR(last_end, step, 1e-6);  // the last op ends the step
  // The bubble: stage 1 starts its first forward after stage 0's first forward ended.
  const json& first0 = Lane(t["stages"][0], "compute")[0];
  const json& first1 = Lane(t["stages"][1], "compute")[0];
  EXPECT_GE(first1[0].get<double>(), first0[1].get<double>() - 1e-6);
  EXPECT_FALSE(Lane(t["stages"][0], "dp").empty());  // DP buckets
  EXPECT_FALSE(Lane(t["stages"][0], "pp").empty());
}

TEST(StepDashboard, UtilisationAveragesToTheReportsMeanPerTier) {
  const Step s = Simulate(testing::kSmallScenario);
  const json& u = s.data["utilisation"];
  ASSERT_FALSE(u["tiers"].empty());
  for (const json& tier : u["tiers"]) {
    double sum = 0;
    for (double x : tier["utilisation"]) {
      EXPECT_GE(x, 0);
      EXPECT_LE(x, 1 + 1e-9) << tier["tier"];
      sum += x;
    }
    const double mean = sum / static_cast<double>(tier["utilisation"].size());
    const auto& links = s.sim.report.links();
    auto it = std::find_if(links.begin(), links.end(),
                           [&](const auto& l) { return l.tier() == tier["tier"]; });
    ASSERT_NE(it, links.end()) << tier["tier"];
    // Same bytes over the same links' capacity and the step (the report averages per link).
    EXPECT_NEAR(mean, it->mean_utilisation(), 0.01 * it->mean_utilisation() + 1e-9) << tier["tier"];
  }
}

TEST(StepDashboard, PowerStaysBetweenStaticPowerAndTheBoardLimit) {
  const Step s = Simulate(testing::kSmallScenario);
  const json& p = s.data["power"];
  const double idle = p["static_watts"], tdp = s.spec.cluster.node.gpu.tdp.value();
  ASSERT_EQ(p["stages"].size(), 2u);
  double energy = 0;
  for (const json& stage : p["stages"]) {
    for (double w : stage["watts"]) {
      EXPECT_GE(w, idle - 1e-6);
      EXPECT_LE(w, tdp + 1e-6);
      energy += w * p["bin_s"].get<double>();
    }
  }
  // Both stages' mean power brackets the report's average over the cluster.
  const double mean = energy / 2 / s.sim.report.step_time_s();
  EXPECT_NEAR(mean, s.sim.report.avg_power_w(), 0.05 * s.sim.report.avg_power_w());
}

TEST(StepDashboard, RooflinePointsLieUnderTheRoofs) {
  const Step s = Simulate(testing::kSmallScenario);
  const json& r = s.data["roofline"];
  EXPECT_EQ(r["gpu"], s.spec.cluster.node.gpu.name);
  EXPECT_EQ(r["format"], "bf16");
  const double peak = r["peak_flops"], bw = r["hbm_bytes_per_s"];
  EXPECT_NEAR(peak, s.spec.cluster.node.gpu.peak_bf16.value(), 1e-6 * peak);
  ASSERT_GE(r["ops"].size(), 8u);
  bool math = false, memory = false;
  for (const json& op : r["ops"]) {
    const double ai = op["intensity"], achieved = op["flops_per_s"];
    EXPECT_LE(achieved, std::min(peak, ai * bw) * (1 + 1e-9)) << op["name"];
    math |= op["bound"] == "math";
    memory |= op["bound"] == "memory";
  }
  EXPECT_TRUE(math);
  EXPECT_TRUE(memory);
}

TEST(StepDashboard, SummaryNamesTheClusterModelAndPlan) {
  const Step s = Simulate(testing::kSmallScenario);
  const std::string summary = s.data["summary"].dump();
  EXPECT_THAT(summary, HasSubstr("64 × H100"));
  EXPECT_THAT(summary, HasSubstr("tp 4 × pp 2 × dp 8"));
  EXPECT_THAT(summary, HasSubstr("GPT 7.5B"));
  EXPECT_EQ(s.data["report"]["step_time_s"].get<double>(), s.sim.report.step_time_s());
}

TEST(StepDashboard, OutOfMemoryStepHasMemoryButNoTimeline) {
  const Step s = Simulate(
      "cluster: {preset: dgx-h100-superpod, gpus: 8}\n"
      "model: gpt3-175b\n"
      "parallelism: {tp: 8, pp: 1}\n"
      "training: {global_batch: 8, sequence_length: 2048}\n");
  EXPECT_FALSE(s.sim.step.simulated);
  EXPECT_FALSE(s.data.contains("timeline"));
  EXPECT_FALSE(s.data["report"]["memory"].empty());
}

// The <script> holding the data ends where the page's markup says, whatever the data holds.
TEST(DashboardHtml, IsSelfContainedAndItsDataCannotCloseTheScript) {
  const json data = {{"kind", "step"}, {"title", "</script><script>alert(1)</script>"}};
  const std::string page = DashboardHtml(data, "a <b> & \"c\"");
  EXPECT_THAT(page, HasSubstr("<title>a &lt;b&gt; &amp; &quot;c&quot; · trainsim</title>"));
  EXPECT_THAT(page, HasSubstr("Chart.js v4"));  // the library's banner: bundled, not fetched
  EXPECT_EQ(page.find("sourceMappingURL"), std::string::npos);
  EXPECT_FALSE(std::regex_search(page, std::regex(R"((src|href)\s*=\s*["']?(https?:)?//)")));
  const std::string open = "<script id=\"trainsim-data\" type=\"application/json\">";
  const size_t begin = page.find(open) + open.size();
  const size_t end = page.find("</script>", begin);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(json::parse(page.substr(begin, end - begin)), data);
  EXPECT_FALSE(Asset("dashboard.js").empty());
  EXPECT_FALSE(Asset("chart.umd.min.js").empty());
  EXPECT_TRUE(Asset("nope.js").empty());
}

TEST(StudyDashboard, RowsInPointOrderWithKnobsAndFigures) {
  StatusOr<planner::Study> study = planner::LoadStudyText(
      "name: mbs\n"
      "scenario:\n"
      "  cluster: {preset: dgx-h100-superpod, gpus: 64}\n"
      "  model: megatron-7.5b\n"
      "  parallelism: {tp: 4, pp: 2}\n"
      "  training: {global_batch: 128, sequence_length: 2048}\n"
      "knobs:\n"
      "  - path: parallelism.microbatch_size\n"
      "    values: [1, 2, 3]\n",
      "study.yaml");
  ASSERT_TRUE(study.ok()) << study.status().message();
  std::vector<planner::SweepRow> rows = {planner::RunPoint(*study, 2), planner::RunPoint(*study, 0)};
  const json data = StudyDashboardData(*study, rows, false);
  EXPECT_EQ(data["kind"], "study");
  EXPECT_EQ(data["points"], 3);
  EXPECT_EQ(data["combine"], "grid");
  EXPECT_EQ(data["knobs"], json::array({"parallelism.microbatch_size"}));
  EXPECT_FALSE(data["done"].get<bool>());
  ASSERT_EQ(data["rows"].size(), 2u);
  EXPECT_EQ(data["rows"][0]["point"], 0);
  EXPECT_EQ(data["rows"][0]["knobs"]["parallelism.microbatch_size"], 1);
  EXPECT_TRUE(data["rows"][0]["ok"].get<bool>());
  EXPECT_GT(data["rows"][0]["step_time_s"].get<double>(), 0);
  // micro-batch 3 does not divide the 16 sequences of a pipeline: a failed row that says why
  EXPECT_FALSE(data["rows"][1]["ok"].get<bool>());
  EXPECT_THAT(data["rows"][1]["error"].get<std::string>(), HasSubstr("microbatch"));
}

}  // namespace
}  // namespace trainsim::dashboards
