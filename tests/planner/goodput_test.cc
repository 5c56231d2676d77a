#include "planner/goodput.h"

#include <cmath>
#include <string>

#include "config/report.h"
#include "config/scenario_loader.h"
#include "config/scenario_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "workloads/parameters.h"
#include "workloads/step.h"

namespace trainsim::planner {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kHour = 3600.0;

GoodputSpec Spec(double gpu_mtbf_h, double checkpoint_gb = 1000, double bandwidth_gbps = 100,
                 double restart_s = 600) {
  return GoodputSpec{.gpu_mtbf_h = gpu_mtbf_h,
                     .checkpoint_bytes = Bytes(static_cast<int64_t>(checkpoint_gb * 1e9)),
                     .storage_bandwidth = BytesPerSecond(bandwidth_gbps * 1e9),
                     .restart_time = Time::FromSeconds(restart_s)};
}

TEST(Goodput, YoungsIntervalIsTheSquareRootOfTwiceWriteTimeTimesMtbf) {
  EXPECT_DOUBLE_EQ(YoungInterval(60, 10 * kHour), std::sqrt(2 * 60 * 10 * kHour));
  EXPECT_DOUBLE_EQ(YoungInterval(0, kHour), 0);
}

TEST(Goodput, DalysIntervalAddsHigherOrderTermsAndCapsAtTheMtbf) {
  const double d = 60, m = 10 * kHour, x = d / (2 * m);
  EXPECT_DOUBLE_EQ(DalyInterval(d, m), std::sqrt(2 * d * m) * (1 + std::sqrt(x) / 3 + x / 9) - d);
  // For δ ≪ M Daly's optimum approaches Young's.
  EXPECT_NEAR(DalyInterval(1, 1e9) / YoungInterval(1, 1e9), 1.0, 1e-4);
  // δ >= 2M: checkpoint once per MTBF.
  EXPECT_DOUBLE_EQ(DalyInterval(2 * kHour, kHour), kHour);
  EXPECT_DOUBLE_EQ(DalyInterval(5 * kHour, kHour), kHour);
}

TEST(Goodput, ClusterMtbfIsOneOverTheSumOfRates) {
  GoodputSpec spec = Spec(50000);
  spec.node_mtbf_h = 20000;
  spec.link_mtbf_h = 100000;
  const FailingParts parts{.gpus = 1024, .nodes = 128, .links = 1024};
  const double rate = 1024 / 50000.0 + 128 / 20000.0 + 1024 / 100000.0;
  EXPECT_DOUBLE_EQ(ClusterMtbfSeconds(spec, parts), kHour / rate);
  // A part whose MTBF is 0 is not counted.
  EXPECT_DOUBLE_EQ(ClusterMtbfSeconds(Spec(50000), parts), kHour * 50000 / 1024);
}

TEST(Goodput, GoodputCountsCheckpointsLostWorkAndRestarts) {
  const double tau = 3600, delta = 100, m = 20 * kHour, r = 600;
  EXPECT_DOUBLE_EQ(GoodputFraction(tau, delta, m, r),
                   tau / (tau + delta) * (1 - (r + (tau + delta) / 2) / m));
  // Failures faster than an interval and a restart: nothing useful gets done.
  EXPECT_EQ(GoodputFraction(3600, 100, 600, 600), 0);
}

TEST(Goodput, GoodputApproachesOneAsTheMtbfGrows) {
  const FailingParts parts{.gpus = 1024, .nodes = 128};
  StatusOr<GoodputEstimate> e = EstimateGoodput(Spec(1e12), parts, 1e6);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_GT(e->goodput, 0.999);
  EXPECT_LE(e->goodput, 1.0);
  EXPECT_NEAR(e->expected_time_to_train_s, 1e6, 1e6 * 1e-3);
}

TEST(Goodput, GoodputIsMonotonicInTheMtbf) {
  const FailingParts parts{.gpus = 16384, .nodes = 2048};
  double previous = -1;
  for (double mtbf_h : {1e3, 3e3, 1e4, 3e4, 5e4, 1e5, 1e6, 1e7}) {
    StatusOr<GoodputEstimate> e = EstimateGoodput(Spec(mtbf_h), parts, 30 * 86400.0);
    ASSERT_TRUE(e.ok());
    EXPECT_GE(e->goodput, previous) << mtbf_h;
    EXPECT_GE(e->goodput, 0);
    EXPECT_LE(e->goodput, 1);
    previous = e->goodput;
  }
  EXPECT_GT(previous, 0.99);
}

TEST(Goodput, ExpectedTimeToTrainIsTheIdealOverTheGoodput) {
  const FailingParts parts{.gpus = 16384, .nodes = 2048};
  StatusOr<GoodputEstimate> e = EstimateGoodput(Spec(50000, 2450, 500, 600), parts, 50 * 86400.0);
  ASSERT_TRUE(e.ok());
  EXPECT_DOUBLE_EQ(e->cluster_mtbf_s, 50000 * kHour / 16384);
  EXPECT_DOUBLE_EQ(e->checkpoint_write_s, 2450e9 / 500e9);
  EXPECT_DOUBLE_EQ(e->checkpoint_interval_s, DalyInterval(4.9, e->cluster_mtbf_s));
  EXPECT_DOUBLE_EQ(e->goodput,
                   GoodputFraction(e->checkpoint_interval_s, 4.9, e->cluster_mtbf_s, 600));
  EXPECT_DOUBLE_EQ(e->expected_time_to_train_s, 50 * 86400.0 / e->goodput);
  EXPECT_DOUBLE_EQ(e->expected_failures, e->expected_time_to_train_s / e->cluster_mtbf_s);
  EXPECT_LT(e->goodput, 1);
}

TEST(Goodput, NoFailureRateIsAnError) {
  StatusOr<GoodputEstimate> e = EstimateGoodput(Spec(0), {.gpus = 8}, 1);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("gpu_mtbf_hours"));
}

// --- The scenario's goodput section and the report.

std::string Scenario(const std::string& goodput) {
  return "name: g\n"
         "cluster: {preset: dgx-h100-superpod, gpus: 64}\n"
         "model: megatron-1.7b\n"
         "parallelism: {tp: 2, pp: 2}\n"
         "training: {global_batch: 64, sequence_length: 2048, steps: 1000}\n" +
         (goodput.empty() ? std::string() : "goodput: " + goodput + "\n");
}

StatusOr<config::ScenarioSpec> Build(const std::string& text) {
  StatusOr<config::LoadedScenario> loaded = config::LoadScenarioText(text, "g.yaml");
  if (!loaded.ok()) return loaded.status();
  return config::BuildScenarioSpec(*loaded);
}

TEST(GoodputConfig, AZeroMtbfIsAnErrorNamingTheField) {
  StatusOr<config::ScenarioSpec> spec =
      Build(Scenario("{gpu_mtbf_hours: 0, storage_bandwidth: 1TB/s, restart_time: 10min}"));
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("g.yaml:"));
  EXPECT_THAT(spec.status().message(), HasSubstr("goodput.gpu_mtbf_hours"));
  EXPECT_THAT(spec.status().message(), HasSubstr("positive"));
}

TEST(GoodputConfig, ANegativeMtbfIsAnErrorNamingTheField) {
  StatusOr<config::ScenarioSpec> spec =
      Build(Scenario("{node_mtbf_hours: -5, storage_bandwidth: 1TB/s, restart_time: 10min}"));
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("goodput.node_mtbf_hours"));
  EXPECT_THAT(spec.status().message(), HasSubstr("-5"));
}

TEST(GoodputConfig, NoRateAndMissingFieldsAreErrors) {
  StatusOr<config::ScenarioSpec> none =
      Build(Scenario("{storage_bandwidth: 1TB/s, restart_time: 10min}"));
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("goodput: no failure rate"));
  StatusOr<config::ScenarioSpec> missing = Build(Scenario("{gpu_mtbf_hours: 50000}"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("goodput.storage_bandwidth"));
  EXPECT_THAT(missing.status().message(), HasSubstr("goodput.restart_time"));
  StatusOr<config::ScenarioSpec> typo =
      Build(Scenario("{gpu_mtbf: 50000, storage_bandwidth: 1TB/s, restart_time: 10min}"));
  ASSERT_FALSE(typo.ok());
  EXPECT_THAT(typo.status().message(), HasSubstr("gpu_mtbf_hours"));  // did you mean
}

TEST(GoodputConfig, TheCheckpointDefaultsToWeightsAndOptimizerState) {
  StatusOr<config::ScenarioSpec> spec =
      Build(Scenario("{gpu_mtbf_hours: 50000, storage_bandwidth: 1TB/s, restart_time: 10min}"));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  ASSERT_TRUE(spec->goodput.has_value());
  // BF16 weights, FP32 master weights, FP32 Adam m and v: 2 + 4 + 4 + 4 bytes per parameter.
  const int64_t params = workloads::CountParameters(spec->model).total;
  EXPECT_EQ(spec->goodput->checkpoint_bytes.count(), params * 14);
  EXPECT_EQ(spec->goodput->gpu_mtbf_h, 50000);
  EXPECT_EQ(spec->goodput->restart_time, Time::FromSeconds(600));
  StatusOr<config::ScenarioSpec> given =
      Build(Scenario("{gpu_mtbf_hours: 50000, checkpoint_size: 30GB, storage_bandwidth: 1TB/s, "
                     "restart_time: 10min}"));
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->goodput->checkpoint_bytes.count(), int64_t{30'000'000'000});
}

// The report of a simulated step, as `trainsim run` makes it.
v1::Report ReportOf(const std::string& text, config::ScenarioSpec& spec) {
  StatusOr<config::LoadedScenario> loaded = config::LoadScenarioText(text, "g.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  StatusOr<config::ScenarioSpec> built = config::BuildScenarioSpec(*loaded);
  EXPECT_TRUE(built.ok()) << built.status().message();
  spec = *built;
  const workloads::StepScenario sc{.cluster = &spec.cluster,
                                   .model = &spec.model,
                                   .plan = &spec.parallel,
                                   .training = &spec.training,
                                   .precision = &spec.precision,
                                   .options = &spec.simulation};
  StatusOr<workloads::StepResult> step = workloads::SimulateStep(sc);
  EXPECT_TRUE(step.ok()) << step.status().message();
  return config::MakeReport(spec, *step, loaded->scenario, "test");
}

TEST(GoodputConfig, TheReportHasAGoodputSectionOnlyWhenTheScenarioAsksForIt) {
  config::ScenarioSpec spec;
  const v1::Report asked = ReportOf(
      Scenario("{gpu_mtbf_hours: 50000, node_mtbf_hours: 20000, storage_bandwidth: 100GB/s, "
               "restart_time: 10min}"),
      spec);
  ASSERT_TRUE(asked.has_goodput());
  const v1::GoodputReport& g = asked.goodput();
  const double m = kHour / (64 / 50000.0 + 8 / 20000.0);
  EXPECT_DOUBLE_EQ(g.cluster_mtbf_s(), m);
  EXPECT_DOUBLE_EQ(g.checkpoint_write_s(), g.checkpoint_bytes() / 100e9);
  EXPECT_DOUBLE_EQ(g.ideal_time_to_train_s(), asked.time_to_train_s());
  EXPECT_DOUBLE_EQ(g.expected_time_to_train_s(), asked.time_to_train_s() / g.goodput());
  EXPECT_THAT(config::ReportText(spec, asked), HasSubstr("goodput"));
  EXPECT_THAT(config::ReportJson(asked, false), HasSubstr("\"expected_time_to_train_s\""));

  const v1::Report plain = ReportOf(Scenario(""), spec);
  EXPECT_FALSE(plain.has_goodput());
  EXPECT_THAT(config::ReportText(spec, plain), Not(HasSubstr("goodput")));
  EXPECT_THAT(config::ReportJson(plain, false), Not(HasSubstr("\"goodput\"")));
}

}  // namespace
}  // namespace trainsim::planner
