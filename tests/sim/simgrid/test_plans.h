// Clusters, plans and native timings for the SimGrid backend's tests: the plans come from the
// collectives layer as the CLI would make them, and the native time of a plan (or of several
// plans run together) from collectives::PlanRunner on a fresh FlowNetwork.
#ifndef TRAINSIM_TESTS_SIM_SIMGRID_TEST_PLANS_H_
#define TRAINSIM_TESTS_SIM_SIMGRID_TEST_PLANS_H_

#include <cstdint>
#include <numeric>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "collectives/collective.h"
#include "collectives/runner.h"
#include "gtest/gtest.h"
#include "sim/engine.h"
#include "sim/flow_network.h"
#include "tests/topology/test_clusters.h"
#include "topology/topology.h"

namespace trainsim::simgrid::testing {

inline topology::Topology BuildTopology(const topology::ClusterSpec& spec) {
  StatusOr<topology::Topology> t = topology::Topology::Build(spec);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return *std::move(t);
}

// `nodes` DGX H100 nodes in the SuperPOD fabric, optionally with SHARP switches.
inline topology::Topology DgxH100(int64_t nodes, bool sharp = false) {
  topology::ClusterSpec spec = topology::testing::SuperPod(nodes * 8);
  if (sharp) spec = topology::testing::WithSharp(spec);
  return BuildTopology(spec);
}

inline std::vector<int64_t> FirstRanks(int64_t n) {
  std::vector<int64_t> ranks(static_cast<size_t>(n));
  std::iota(ranks.begin(), ranks.end(), 0);
  return ranks;
}

inline collectives::CollectivePlan PlanOf(const topology::Topology& topology,
                                          collectives::CollectiveOp op, int64_t ranks, Bytes bytes,
                                          std::string_view algorithm,
                                          collectives::Protocol protocol) {
  StatusOr<collectives::CollectivePlan> plan = collectives::FindAlgorithm(algorithm).value()->Plan(
      {.op = op, .ranks = FirstRanks(ranks), .bytes = bytes}, topology, protocol);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  return plan.ok() ? *std::move(plan) : collectives::CollectivePlan{};
}

// The native model's finish time of each plan, all started together on one network.
inline std::vector<Time> NativeFinish(std::span<const collectives::CollectivePlan> plans,
                                      const topology::Topology& topology) {
  EventEngine engine;
  FlowNetwork network(engine, collectives::AchievableCapacities(topology));
  collectives::PlanRunner runner(engine, network);
  std::vector<Time> finish(plans.size());
  for (size_t i = 0; i < plans.size(); ++i) {
    runner.Run(plans[i], [&finish, &engine, i] { finish[i] = engine.now(); });
  }
  engine.Run();
  return finish;
}

inline Time NativeFinish(const collectives::CollectivePlan& plan,
                         const topology::Topology& topology) {
  return NativeFinish(std::span(&plan, 1), topology).front();
}

}  // namespace trainsim::simgrid::testing

#endif  // TRAINSIM_TESTS_SIM_SIMGRID_TEST_PLANS_H_
