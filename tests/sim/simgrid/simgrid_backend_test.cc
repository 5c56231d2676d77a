#include "sim/simgrid/simgrid_backend.h"

#include <cstdint>
#include <string>
#include <vector>

#include "collectives/collective.h"
#include "collectives/runner.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sim/simgrid/test_plans.h"
#include "tests/topology/test_clusters.h"

namespace trainsim::simgrid {
namespace {

using collectives::CollectiveOp;
using collectives::CollectivePlan;
using collectives::Protocol;
using ::testing::HasSubstr;
using namespace trainsim::literals;
using namespace trainsim::simgrid::testing;

// The backend's contract: SimGrid's time is within 1 % of the native model's for the same plan.
constexpr double kAgreement = 0.01;

// Checks one plan per size against the native model, with SimGrid's flows as Comms and as
// parallel tasks.
void ExpectAgreement(const topology::Topology& topology, CollectiveOp op, int64_t ranks,
                     std::vector<Bytes> sizes, std::string_view algorithm,
                     Protocol protocol = Protocol::kSimple) {
  for (Bytes bytes : sizes) {
    const CollectivePlan plan = PlanOf(topology, op, ranks, bytes, algorithm, protocol);
    const Time native = NativeFinish(plan, topology);
    for (FlowModel flows : {FlowModel::kComms, FlowModel::kParallelTasks}) {
      StatusOr<SimGridRun> run =
          SimulatePlansWithSimGrid(std::span(&plan, 1), topology, {.flows = flows});
      ASSERT_TRUE(run.ok()) << run.status().message();
      const Time simgrid = run->finish.front();
      EXPECT_NEAR(simgrid.seconds(), native.seconds(), kAgreement * native.seconds())
          << algorithm << " " << collectives::OpName(op) << " on " << ranks << " ranks, "
          << bytes.count() << " B, flows as " << (run->stats.flows_as_tasks ? "tasks" : "comms")
          << ": SimGrid " << ToString(simgrid) << ", native " << ToString(native);
    }
  }
}

TEST(SimGridBackend, RingAllReduceAgreesWithTheNativeModel) {
  for (int64_t nodes : {1, 2, 4, 16}) {
    ExpectAgreement(DgxH100(nodes), CollectiveOp::kAllReduce, nodes * 8, {64_KiB, 16_MiB, 1_GiB},
                    "ring");
  }
  ExpectAgreement(DgxH100(1), CollectiveOp::kAllReduce, 8, {4_KiB}, "ring", Protocol::kLL);
}

TEST(SimGridBackend, TreeAllReduceAgreesWithTheNativeModel) {
  for (int64_t nodes : {1, 4, 16}) {
    ExpectAgreement(DgxH100(nodes), CollectiveOp::kAllReduce, nodes * 8, {1_MiB, 256_MiB}, "tree");
  }
}

TEST(SimGridBackend, DirectAllToAllAgreesWithTheNativeModel) {
  for (int64_t nodes : {1, 2, 4}) {
    ExpectAgreement(DgxH100(nodes), CollectiveOp::kAllToAll, nodes * 8, {1_MiB, 256_MiB}, "direct");
  }
  ExpectAgreement(DgxH100(16), CollectiveOp::kAllToAll, 128, {1_GiB}, "direct");
}

TEST(SimGridBackend, SharpAllReduceAgreesWithTheNativeModel) {
  for (int64_t nodes : {2, 4, 16}) {
    ExpectAgreement(DgxH100(nodes, /*sharp=*/true), CollectiveOp::kAllReduce, nodes * 8,
                    {1_MiB, 256_MiB}, "sharp");
  }
  // 64 nodes: two scalable units, so each rail's tree reduces at a spine too.
  ExpectAgreement(DgxH100(64, /*sharp=*/true), CollectiveOp::kAllReduce, 512, {1_GiB}, "sharp");
}

TEST(SimGridBackend, NvlsAllReduceAgreesWithTheNativeModel) {
  const topology::Topology node = DgxH100(1);
  for (int64_t gpus : {2, 5, 8}) {
    ExpectAgreement(node, CollectiveOp::kAllReduce, gpus, {1_MiB, 1_GiB}, "nvls");
  }
  // Across the 32 nodes of an NVL256 domain: NVSwitches and the NVLink Switch both reduce.
  ExpectAgreement(BuildTopology(topology::testing::Nvl256(256)), CollectiveOp::kAllReduce, 256,
                  {1_GiB}, "nvls");
}

TEST(SimGridBackend, HierarchicalAllReduceAgreesWithTheNativeModel) {
  ExpectAgreement(DgxH100(4), CollectiveOp::kAllReduce, 32, {1_MiB, 1_GiB}, "hier");
}

// Contention: plans started together share links. Two copies of a ring each get half of every
// link; a ring and an NVLS AllReduce on one node share the GPUs' NVLink ports (a SimGrid comm
// and a parallel task on the same links) until the shorter one ends.
TEST(SimGridBackend, CollectivesSharingLinksAgreeWithTheNativeModel) {
  const topology::Topology node = DgxH100(1);
  const CollectivePlan ring =
      PlanOf(node, CollectiveOp::kAllReduce, 8, 1_GiB, "ring", Protocol::kSimple);
  const CollectivePlan nvls =
      PlanOf(node, CollectiveOp::kAllReduce, 8, 256_MiB, "nvls", Protocol::kSimple);
  for (const std::vector<CollectivePlan>& plans :
       {std::vector<CollectivePlan>{ring, ring}, std::vector<CollectivePlan>{ring, nvls}}) {
    const std::vector<Time> native = NativeFinish(plans, node);
    StatusOr<SimGridRun> run = SimulatePlansWithSimGrid(plans, node);
    ASSERT_TRUE(run.ok()) << run.status().message();
    ASSERT_EQ(run->finish.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_NEAR(run->finish[i].seconds(), native[i].seconds(), kAgreement * native[i].seconds())
          << plans[0].algorithm << " + " << plans[1].algorithm << ", plan " << i;
    }
  }
  // And the contention is real: a ring sharing every link with a copy takes about twice as
  // long to move its bytes as alone.
  const Time alone = SimulatePlanWithSimGrid(ring, node).value();
  const Time shared = SimulatePlansWithSimGrid(std::vector{ring, ring}, node)->finish[0];
  const Time alpha = ring.phases[0].latency;
  EXPECT_NEAR((shared - alpha) / (alone - alpha), 2.0, 1e-6);
}

TEST(SimGridBackend, PhasesEndInOrderEachAfterItsLatency) {
  const topology::Topology topology = DgxH100(4, /*sharp=*/true);
  const CollectivePlan plan =
      PlanOf(topology, CollectiveOp::kAllReduce, 32, 64_MiB, "sharp", Protocol::kSimple);
  ASSERT_EQ(plan.phases.size(), 3u);  // reduce-scatter in the node, SHARP, all-gather
  StatusOr<SimGridRun> run = SimulatePlansWithSimGrid(std::span(&plan, 1), topology);
  ASSERT_TRUE(run.ok()) << run.status().message();
  const std::vector<Time>& ends = run->phase_ends.front();
  ASSERT_EQ(ends.size(), 3u);
  Time start;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_GT(ends[i] - start, plan.phases[i].latency) << "phase " << i;
    start = ends[i];
  }
  EXPECT_EQ(run->finish.front(), ends.back());
  EXPECT_EQ(run->stats.tree_tasks, 8);  // one SHARP tree per rail
  EXPECT_GT(run->stats.flows, 0);
}

TEST(SimGridBackend, TimeCollectiveSimGridNamesTheAlgorithmAndProtocol) {
  const topology::Topology topology = DgxH100(2);
  const collectives::CollectiveRequest request{
      .op = CollectiveOp::kAllReduce, .ranks = FirstRanks(16), .bytes = 1_MiB};
  const auto* ring = collectives::FindAlgorithm("ring").value();
  StatusOr<collectives::CollectiveTiming> t =
      TimeCollectiveSimGrid(request, topology, *ring, Protocol::kLL128);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->algorithm, "ring");
  EXPECT_EQ(t->protocol, Protocol::kLL128);
  const Time native = collectives::TimeCollective(request, topology, *ring, Protocol::kLL128)->time;
  EXPECT_NEAR(t->time.seconds(), native.seconds(), kAgreement * native.seconds());
  // An algorithm that cannot run the request says why, as the native runner does.
  const auto* sharp = collectives::FindAlgorithm("sharp").value();
  StatusOr<collectives::CollectiveTiming> no =
      TimeCollectiveSimGrid(request, topology, *sharp, Protocol::kSimple);
  ASSERT_FALSE(no.ok());
  EXPECT_EQ(no.status().code(), StatusCode::kFailedPrecondition);
}

TEST(SimGridBackend, FlowsRunAsCommsUnlessTreesOrTheirNumberNeedTasks) {
  const topology::Topology node = DgxH100(1);
  const CollectivePlan ring =
      PlanOf(node, CollectiveOp::kAllReduce, 8, 1_MiB, "ring", Protocol::kSimple);
  const CollectivePlan nvls =
      PlanOf(node, CollectiveOp::kAllReduce, 8, 1_MiB, "nvls", Protocol::kSimple);
  EXPECT_FALSE(SimulatePlansWithSimGrid(std::span(&ring, 1), node)->stats.flows_as_tasks);
  EXPECT_TRUE(SimulatePlansWithSimGrid(std::span(&nvls, 1), node)->stats.flows_as_tasks);
  const topology::Topology nodes = DgxH100(16);
  const CollectivePlan all_to_all =
      PlanOf(nodes, CollectiveOp::kAllToAll, 128, 1_MiB, "direct", Protocol::kSimple);
  StatusOr<SimGridRun> run = SimulatePlansWithSimGrid(std::span(&all_to_all, 1), nodes);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->stats.flows, 128 * 127);
  EXPECT_GT(run->stats.flows, kMaxComms);
  EXPECT_TRUE(run->stats.flows_as_tasks);
}

TEST(SimGridBackend, ARunOverItsTimeLimitIsStopped) {
  const topology::Topology nodes = DgxH100(16);
  const CollectivePlan all_to_all =
      PlanOf(nodes, CollectiveOp::kAllToAll, 128, 1_MiB, "direct", Protocol::kSimple);
  StatusOr<SimGridRun> run = SimulatePlansWithSimGrid(
      std::span(&all_to_all, 1), nodes, {.flows = FlowModel::kComms, .timeout_seconds = 0.001});
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), StatusCode::kResourceExhausted);
}

TEST(SimGridBackend, SameInputGivesTheSameTimeToThePicosecond) {
  const topology::Topology topology = DgxH100(4);
  const CollectivePlan plan =
      PlanOf(topology, CollectiveOp::kAllToAll, 32, 64_MiB, "direct", Protocol::kSimple);
  const Time first = SimulatePlanWithSimGrid(plan, topology).value();
  EXPECT_EQ(SimulatePlanWithSimGrid(plan, topology).value(), first);
}

TEST(SimGridBackend, AFlowCrossingALinkTwiceLoadsItTwice) {
  const topology::Topology topology = DgxH100(1);
  const double capacity = collectives::AchievableCapacities(topology)[0].value();
  // One flow over link 0 with weight 2, then link 1: it needs twice the bytes on link 0.
  CollectivePlan plan{.algorithm = "custom"};
  plan.phases.push_back(
      {.bundles = {{.path = {{.link = LinkIndex{0}, .weight = 2}, {.link = LinkIndex{1}}},
                    .bytes = 1_GiB,
                    .flow_ends = {2}}},
       .latency = 1_us});
  const Time native = NativeFinish(plan, topology);
  EXPECT_NEAR(native.seconds(), 2 * (1_GiB).value() / capacity + 1e-6, 1e-9);
  StatusOr<Time> simgrid = SimulatePlanWithSimGrid(plan, topology);
  ASSERT_TRUE(simgrid.ok()) << simgrid.status().message();
  EXPECT_NEAR(simgrid->seconds(), native.seconds(), kAgreement * native.seconds());
}

TEST(SimGridBackend, MalformedPlansAreInvalidArguments) {
  const topology::Topology topology = DgxH100(1);
  const auto links = static_cast<uint32_t>(topology.links().size());
  CollectivePlan bad_link{.algorithm = "custom"};
  bad_link.phases.push_back(
      {.bundles = {{.path = {{.link = LinkIndex{links}}}, .bytes = 1_MiB, .flow_ends = {1}}}});
  StatusOr<Time> t = SimulatePlanWithSimGrid(bad_link, topology);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr(fmt::format("the topology has {} links", links)));

  CollectivePlan bad_ends{.algorithm = "custom"};
  bad_ends.phases.push_back(
      {.bundles = {{.path = {{.link = LinkIndex{0}}}, .bytes = 1_MiB, .flow_ends = {1, 3}}}});
  t = SimulatePlanWithSimGrid(bad_ends, topology);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("flow_ends"));
}

TEST(SimGridBackend, AnEmptyPlanTakesOnlyItsLatencies) {
  const topology::Topology topology = DgxH100(1);
  CollectivePlan plan{.algorithm = "custom"};
  plan.phases.push_back({.latency = 3_us});
  plan.phases.push_back({.latency = 4_us});
  StatusOr<Time> t = SimulatePlanWithSimGrid(plan, topology);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(*t, 7_us);
  EXPECT_EQ(NativeFinish(plan, topology), 7_us);
}

}  // namespace
}  // namespace trainsim::simgrid
