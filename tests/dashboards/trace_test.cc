// The step trace follows the Chrome Trace Event format's rules (the JSON Perfetto and
// chrome://tracing open), and shows what a planner looks for: the pipeline bubble, DP buckets
// overlapping backward, PP sends as flow arrows.
#include "dashboards/trace.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "config/scenario_loader.h"
#include "config/scenario_spec.h"
#include "gtest/gtest.h"
#include "tests/dashboards/test_scenarios.h"
#include "nlohmann/json.hpp"
#include "workloads/step.h"

namespace trainsim::dashboards {
namespace {

using nlohmann::json;

struct Traced {
  workloads::StepResult step;
  json trace;
};

Traced TraceOf(const std::string& yaml) {
  StatusOr<config::LoadedScenario> loaded = config::LoadScenarioText(yaml, "test.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  StatusOr<config::ScenarioSpec> spec = config::BuildScenarioSpec(*loaded);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  const config::ScenarioSpec& s = *spec;
  StatusOr<workloads::StepResult> r = workloads::SimulateStep(
      {.cluster = &s.cluster, .model = &s.model, .plan = &s.parallel, .training = &s.training,
       .precision = &s.precision, .options = &s.simulation, .record_timeline = true});
  EXPECT_TRUE(r.ok()) << r.status().message();
  EXPECT_NE(r->timeline, nullptr);
  Traced out{*r, json::parse(ChromeTraceJson(*r->timeline, "test"))};
  return out;
}


TEST(ChromeTrace, FollowsTheEventFormat) {
  const Traced t = TraceOf(testing::kSmallScenario);
  ASSERT_TRUE(t.trace.contains("traceEvents"));
  ASSERT_TRUE(t.trace["traceEvents"].is_array());
  EXPECT_EQ(t.trace["displayTimeUnit"], "ms");
  const json& events = t.trace["traceEvents"];
  bool metadata_done = false;
  double last_ts = 0, end_us = 0;
  std::set<std::pair<int, int>> named_threads, used_threads;
  std::map<uint64_t, int> flow_starts, flow_ends;
  for (const json& e : events) {
    ASSERT_TRUE(e.contains("ph") && e.contains("pid") && e.contains("tid") && e.contains("name"))
        << e.dump();
    const std::string ph = e["ph"];
    if (ph == "M") {
      EXPECT_FALSE(metadata_done) << "metadata after events: " << e.dump();
      if (e["name"] == "thread_name") named_threads.insert({e["pid"].get<int>(), e["tid"].get<int>()});
      continue;
    }
    metadata_done = true;
    ASSERT_TRUE(e["ts"].is_number()) << e.dump();
    const double ts = e["ts"];
    EXPECT_GE(ts, last_ts) << "events out of time order: " << e.dump();
    last_ts = ts;
    if (ph == "X") {
      ASSERT_TRUE(e["dur"].is_number());
      EXPECT_GE(e["dur"].get<double>(), 0);
      end_us = std::max(end_us, ts + e["dur"].get<double>());
      used_threads.insert({e["pid"].get<int>(), e["tid"].get<int>()});
    } else if (ph == "s") {
      ++flow_starts[e["id"].get<uint64_t>()];
    } else if (ph == "f") {
      EXPECT_EQ(e["bp"], "e");
      ++flow_ends[e["id"].get<uint64_t>()];
    } else if (ph == "C") {
      for (const auto& [key, value] : e["args"].items()) {
        ASSERT_TRUE(value.is_number()) << key;
        if (e["name"] == "link utilisation") {
          EXPECT_GE(value.get<double>(), 0);
          EXPECT_LE(value.get<double>(), 1.0 + 1e-9) << key;
        }
      }
    } else {
      ADD_FAILURE() << "unexpected phase " << ph;
    }
  }
  // Microseconds: the last event ends at the step time.
  EXPECT_NEAR(end_us / (t.step.step_time.seconds() * 1e6), 1.0, 1e-9);
  for (const auto& thread : used_threads) {
    EXPECT_TRUE(named_threads.count(thread)) << thread.first << "/" << thread.second;
  }
  EXPECT_FALSE(flow_starts.empty());
  EXPECT_EQ(flow_starts.size(), flow_ends.size());
  for (const auto& [id, n] : flow_starts) {
    EXPECT_EQ(n, 1);
    EXPECT_EQ(flow_ends[id], 1) << "flow " << id;
  }
}

// The lanes a planner reads: stage 1 starts computing only after stage 0's first forward and
// its send (the bubble), and DP gradient buckets run while backward kernels still do.
TEST(ChromeTrace, ShowsTheBubbleAndTheDpOverlap) {
  const Traced t = TraceOf(testing::kSmallScenario);
  std::map<int, double> first_compute_start, first_compute_end;  // by pid (stage + 1)
  std::vector<std::pair<double, double>> backward, dp;          // stage 0
  for (const json& e : t.trace["traceEvents"]) {
    if (e["ph"] != "X") continue;
    const int pid = e["pid"];
    const double ts = e["ts"], end = ts + e["dur"].get<double>();
    const std::string cat = e["cat"];
    if (cat == "forward" && !first_compute_start.count(pid)) {
      first_compute_start[pid] = ts;
      first_compute_end[pid] = end;
    }
    if (pid == 1 && cat == "backward") backward.push_back({ts, end});
    if (pid == 1 && cat == "dp-comm") dp.push_back({ts, end});
  }
  ASSERT_TRUE(first_compute_start.count(1) && first_compute_start.count(2));
  EXPECT_GE(first_compute_start[2], first_compute_end[1]);
  ASSERT_FALSE(dp.empty());
  bool overlap = false;
  for (const auto& [ds, de] : dp) {
    for (const auto& [bs, be] : backward) overlap = overlap || (ds < be && bs < de);
  }
  EXPECT_TRUE(overlap) << "no DP bucket overlaps a backward kernel";
}

}  // namespace
}  // namespace trainsim::dashboards
