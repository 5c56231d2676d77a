#include "planner/optimize.h"

#include <atomic>
#include <string>

#include "config/scenario_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trainsim::planner {
namespace {

using ::testing::HasSubstr;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kTokensPerStep = 16 * 2048;

// GPT 1.7B (24 layers, 24 heads) on 64 H100 GPUs, 16 sequences of 2,048 tokens per step: a
// search of about 900 plans, 560 of them valid.
std::string Small(const std::string& plan = "{tp: 2, pp: 2}", const std::string& extra = "") {
  return "name: small\n"
         "cluster: {preset: dgx-h100-superpod, gpus: 64}\n"
         "model: megatron-1.7b\n"
         "parallelism: " +
         plan +
         "\n"
         "training: {global_batch: 16, sequence_length: 2048}\n" +
         extra;
}

config::LoadedScenario ScenarioOf(const std::string& text) {
  StatusOr<config::LoadedScenario> loaded = config::LoadScenarioText(text, "small.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  return *loaded;
}

bool SamePlan(const workloads::ParallelPlan& a, const workloads::ParallelPlan& b) {
  return a.tp == b.tp && a.pp == b.pp && a.dp == b.dp && a.cp == b.cp && a.ep == b.ep &&
         a.virtual_stages == b.virtual_stages && a.microbatch_size == b.microbatch_size &&
         a.recompute == b.recompute && a.zero_stage == b.zero_stage;
}

TEST(Optimize, TheTopPlanFitsAndIsAtLeastAsFastAsEverySimulatedCandidate) {
  // A top as large as the space: nothing is pruned, every feasible plan is simulated and listed.
  StatusOr<OptimizeResult> r = Optimize(ScenarioOf(Small()), {.top = 100000, .jobs = 2});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_FALSE(r->top.empty());
  EXPECT_EQ(r->pruned, 0);
  EXPECT_EQ(static_cast<int64_t>(r->top.size()), r->simulated);
  const Candidate& best = r->top.front();
  EXPECT_LE(best.peak_memory_gib, 80e9 / kGiB);  // H100 SXM: 80 GB of HBM
  EXPECT_EQ(best.plan.tp * best.plan.pp * best.plan.dp * best.plan.cp, 64);
  for (const Candidate& c : r->top) {
    EXPECT_GE(c.step_time_s, best.step_time_s);
    EXPECT_LE(c.peak_memory_gib, 80e9 / kGiB);
    // The pruning bound never exceeds what the simulation finds.
    EXPECT_LE(c.step_time_bound_s, c.step_time_s) << PlanLabel(c.plan);
    EXPECT_GT(c.step_time_bound_s, 0);
  }
  ASSERT_TRUE(r->scenario_plan.has_value());
  EXPECT_GE(r->scenario_plan->step_time_s, best.step_time_s);
}

TEST(Optimize, StatisticsAddUpAndTheBoundPrunes) {
  StatusOr<OptimizeResult> r = Optimize(ScenarioOf(Small()), {.top = 3});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->top.size(), 3u);
  EXPECT_EQ(r->considered, r->pruned + r->infeasible + r->simulated);
  EXPECT_EQ(r->infeasible, r->invalid + r->out_of_memory);
  EXPECT_GT(r->pruned, 0);
  EXPECT_GT(r->invalid, 0);  // e.g. too few micro-batches for an interleaved schedule
  EXPECT_GT(r->simulated, 3);
  EXPECT_GT(r->simulations_per_s, 0);
  for (size_t i = 1; i < r->top.size(); ++i) {
    EXPECT_LE(r->top[i - 1].step_time_s, r->top[i].step_time_s);
  }
  // Pruning keeps the same best plans as the exhaustive search.
  StatusOr<OptimizeResult> all = Optimize(ScenarioOf(Small()), {.top = 100000, .jobs = 2});
  ASSERT_TRUE(all.ok());
  for (size_t i = 0; i < r->top.size(); ++i) {
    EXPECT_TRUE(SamePlan(r->top[i].plan, all->top[i].plan)) << i;
    EXPECT_EQ(r->top[i].step_time_s, all->top[i].step_time_s) << i;
  }
}

TEST(Optimize, SameResultForOneAndTwoJobs) {
  StatusOr<OptimizeResult> one = Optimize(ScenarioOf(Small()), {.top = 5, .jobs = 1});
  StatusOr<OptimizeResult> two = Optimize(ScenarioOf(Small()), {.top = 5, .jobs = 2});
  ASSERT_TRUE(one.ok() && two.ok());
  ASSERT_EQ(one->top.size(), two->top.size());
  for (size_t i = 0; i < one->top.size(); ++i) {
    EXPECT_TRUE(SamePlan(one->top[i].plan, two->top[i].plan)) << i;
    EXPECT_EQ(one->top[i].step_time_s, two->top[i].step_time_s) << i;
    EXPECT_EQ(one->top[i].objective, two->top[i].objective) << i;
  }
  EXPECT_EQ(one->considered, two->considered);
  EXPECT_EQ(one->pruned, two->pruned);
  EXPECT_EQ(one->infeasible, two->infeasible);
  EXPECT_EQ(one->simulated, two->simulated);
}

TEST(Optimize, AModelTooBigForAnyPlanIsAClearError) {
  // GPT 1T on one node: no split of 8 GPUs holds its weights.
  const std::string text =
      "cluster: {preset: dgx-h100-superpod, gpus: 8}\n"
      "model: megatron-1t\n"
      "training: {global_batch: 8, sequence_length: 2048}\n";
  StatusOr<OptimizeResult> r = Optimize(ScenarioOf(text), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("fits in memory"));
  EXPECT_THAT(r.status().message(), HasSubstr("GiB"));
  EXPECT_THAT(r.status().message(), HasSubstr("small.yaml"));
}

TEST(Optimize, TokensPerDollarNeedsAPrice) {
  StatusOr<OptimizeResult> r =
      Optimize(ScenarioOf(Small()), {.objective = Objective::kTokensPerDollar});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("simulation.gpu_hour_usd"));
}

TEST(Optimize, TokensPerDollarIsTokensOverGpuHoursTimesPrice) {
  const std::string text = Small("{tp: 2, pp: 2}", "simulation: {gpu_hour_usd: 2.5}\n");
  StatusOr<OptimizeResult> dollars =
      Optimize(ScenarioOf(text), {.objective = Objective::kTokensPerDollar, .top = 3});
  StatusOr<OptimizeResult> time = Optimize(ScenarioOf(text), {.top = 3});
  ASSERT_TRUE(dollars.ok() && time.ok()) << dollars.status().message();
  for (const Candidate& c : dollars->top) {
    const double cost = c.step_time_s * 64 * 2.5 / 3600.0;
    EXPECT_DOUBLE_EQ(c.cost_per_step_usd, cost);
    EXPECT_DOUBLE_EQ(c.objective, kTokensPerStep / cost);
  }
  // The GPU count and price are fixed, so the cheapest tokens come from the fastest step.
  ASSERT_FALSE(dollars->top.empty());
  EXPECT_TRUE(SamePlan(dollars->top[0].plan, time->top[0].plan));
  EXPECT_GE(dollars->top[0].objective, dollars->top.back().objective);
}

TEST(Optimize, TokensPerJouleRanksByClusterEnergy) {
  StatusOr<OptimizeResult> r =
      Optimize(ScenarioOf(Small()), {.objective = Objective::kTokensPerJoule, .top = 3});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->top.size(), 3u);
  for (size_t i = 0; i < r->top.size(); ++i) {
    EXPECT_DOUBLE_EQ(r->top[i].objective, kTokensPerStep / r->top[i].energy_per_step_j);
    if (i > 0) {
      EXPECT_GE(r->top[i - 1].objective, r->top[i].objective);
    }
  }
}

TEST(Optimize, TheScenarioPlanIsSimulatedEvenOutsideTheSearchSpace) {
  // Uneven first and last stages (5 + 7 + 7 + 5 layers) are not among the searched plans.
  const std::string text = Small("{tp: 2, pp: 4, first_stage_layers: 5, last_stage_layers: 5}");
  StatusOr<OptimizeResult> r = Optimize(ScenarioOf(text), {.top = 2});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->scenario_plan.has_value());
  EXPECT_EQ(r->scenario_plan->plan.first_stage_layers, 5);
  EXPECT_EQ(r->scenario_plan->plan.pp, 4);
  EXPECT_LE(r->top.front().step_time_s, r->scenario_plan->step_time_s);
}

TEST(Optimize, ACancelledSearchSaysSo) {
  const std::atomic<bool> cancel{true};
  StatusOr<OptimizeResult> r = Optimize(ScenarioOf(Small()), {.cancel = &cancel});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
}

TEST(Optimize, BadOptionsAreErrors) {
  EXPECT_EQ(Optimize(ScenarioOf(Small()), {.top = 0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Optimize(ScenarioOf(Small()), {.jobs = 0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseObjective("fastest").ok());
  EXPECT_THAT(ParseObjective("fastest").status().message(), HasSubstr("tokens-per-joule"));
  EXPECT_EQ(*ParseObjective("tokens-per-dollar"), Objective::kTokensPerDollar);
}

}  // namespace
}  // namespace trainsim::planner
