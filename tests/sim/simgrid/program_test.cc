#include "sim/simgrid/program.h"

#include <cstdint>
#include <map>
#include <vector>

#include "collectives/collective.h"
#include "gtest/gtest.h"
#include "tests/sim/simgrid/test_plans.h"
#include "tests/topology/test_clusters.h"

namespace trainsim::simgrid {
namespace {

using collectives::CollectiveOp;
using collectives::CollectivePlan;
using collectives::Protocol;
using namespace trainsim::literals;
using namespace trainsim::simgrid::testing;

// Bytes each topology link carries in one phase of a lowered plan: flows over their source's
// UP and destination's DOWN lists, and task transfers likewise.
std::map<uint32_t, double> LinkLoads(const Program& program, const ProgramPhase& phase) {
  std::map<uint32_t, double> load;
  auto add = [&](uint32_t from, uint32_t to, double bytes) {
    for (uint32_t l : program.hosts[from].up) load[program.links[l].topology_link] += bytes;
    for (uint32_t l : program.hosts[to].down) load[program.links[l].topology_link] += bytes;
  };
  for (const ProgramFlow& f : phase.flows) add(f.src, f.dst, static_cast<double>(f.bytes));
  for (const ProgramTask& task : phase.tasks) {
    for (const ProgramTransfer& t : task.transfers) {
      add(task.hosts[t.from], task.hosts[t.to], t.bytes);
    }
  }
  return load;
}

// What the native model puts on each link: Σ weight × bytes over the phase's bundles.
std::map<uint32_t, double> NativeLoads(const collectives::PlanPhase& phase) {
  std::map<uint32_t, double> load;
  for (const collectives::PlannedBundle& b : phase.bundles) {
    for (const FlowHop& hop : b.path) load[hop.link.value] += hop.weight * b.bytes.value();
  }
  return load;
}

void ExpectSameLoads(const CollectivePlan& plan, const topology::Topology& topology) {
  StatusOr<Program> program = LowerPlans(std::span(&plan, 1), topology);
  ASSERT_TRUE(program.ok()) << program.status().message();
  ASSERT_EQ(program->plans.front().phases.size(), plan.phases.size());
  for (size_t i = 0; i < plan.phases.size(); ++i) {
    EXPECT_EQ(LinkLoads(*program, program->plans.front().phases[i]), NativeLoads(plan.phases[i]))
        << plan.algorithm << ", phase " << i;
  }
}

TEST(LowerPlans, EveryLinkCarriesWhatTheNativeBundlesPutOnIt) {
  const topology::Topology node = DgxH100(1);
  const topology::Topology sharp = DgxH100(64, /*sharp=*/true);
  ExpectSameLoads(PlanOf(node, CollectiveOp::kAllReduce, 8, 1_GiB, "ring", Protocol::kSimple),
                  node);
  ExpectSameLoads(PlanOf(node, CollectiveOp::kAllReduce, 8, 1_GiB, "tree", Protocol::kSimple),
                  node);
  ExpectSameLoads(PlanOf(node, CollectiveOp::kAllReduce, 8, 1_GiB, "nvls", Protocol::kSimple),
                  node);
  ExpectSameLoads(PlanOf(sharp, CollectiveOp::kAllReduce, 512, 1_GiB, "sharp", Protocol::kSimple),
                  sharp);
  ExpectSameLoads(PlanOf(sharp, CollectiveOp::kAllToAll, 64, 64_MiB, "direct", Protocol::kSimple),
                  sharp);
}

TEST(LowerPlans, ReductionTreesBecomeStreamsToAggregatorHosts) {
  const topology::Topology node = DgxH100(1);
  const CollectivePlan nvls =
      PlanOf(node, CollectiveOp::kAllReduce, 8, 1_GiB, "nvls", Protocol::kSimple);
  StatusOr<Program> program = LowerPlans(std::span(&nvls, 1), node);
  ASSERT_TRUE(program.ok()) << program.status().message();
  EXPECT_EQ(program->tasks, 1);
  EXPECT_EQ(program->tree_tasks, 1);
  const ProgramTask& task = program->plans.front().phases.front().tasks.front();
  // 8 ranks' ports and the NVSwitch's aggregator; each rank's stream goes up and comes back.
  EXPECT_EQ(task.hosts.size(), 9u);
  EXPECT_EQ(task.transfers.size(), 16u);
  const ProgramHost& aggregator = program->hosts[task.hosts.front()];
  EXPECT_TRUE(aggregator.up.empty());
  ASSERT_EQ(aggregator.down.size(), 1u);
  const uint32_t reduction = program->links[aggregator.down.front()].topology_link;
  EXPECT_EQ(node.links()[reduction].tier, topology::LinkTier::kReduction);
  EXPECT_EQ(aggregator.name.rfind("aggregator-nvswitch0", 0), 0u) << aggregator.name;
}

TEST(LowerPlans, SharpTreesReduceAtLeavesThenSpines) {
  const topology::Topology topology = DgxH100(64, /*sharp=*/true);
  const CollectivePlan plan =
      PlanOf(topology, CollectiveOp::kAllReduce, 512, 1_GiB, "sharp", Protocol::kSimple);
  StatusOr<Program> program = LowerPlans(std::span(&plan, 1), topology);
  ASSERT_TRUE(program.ok()) << program.status().message();
  EXPECT_EQ(program->tree_tasks, 8);  // one per rail, none left to the per-link fallback
  const ProgramTask& rail0 = program->plans.front().phases[1].tasks.front();
  int aggregators = 0;
  for (uint32_t h : rail0.hosts) aggregators += program->hosts[h].up.empty() ? 1 : 0;
  // Rail 0 has one leaf in each of the two scalable units, joined by one spine.
  EXPECT_EQ(aggregators, 3);
  EXPECT_EQ(rail0.hosts.size(), 64u + 2u + 3u);  // rank ports, leaf ports, aggregators
}

TEST(LowerPlans, HostsAreSharedByRoutesAndRanks) {
  const topology::Topology node = DgxH100(1);
  const CollectivePlan ring =
      PlanOf(node, CollectiveOp::kAllReduce, 8, 1_GiB, "ring", Protocol::kSimple);
  const std::vector<CollectivePlan> twice{ring, ring};
  StatusOr<Program> one = LowerPlans(std::span(&ring, 1), node);
  StatusOr<Program> two = LowerPlans(twice, node);
  ASSERT_TRUE(one.ok() && two.ok());
  // The coordinator, 8 ranks and 8 ring edges; the second copy adds no host.
  EXPECT_EQ(one->hosts.size(), 17u);
  EXPECT_EQ(two->hosts.size(), one->hosts.size());
  EXPECT_EQ(two->flows, 2 * one->flows);
  EXPECT_EQ(one->links.size(), 16u);  // each GPU's NVLink port, both directions
  EXPECT_FALSE(one->needs_parallel_tasks());
  for (const ProgramLink& l : one->links) {
    EXPECT_EQ(l.bandwidth, collectives::AchievableCapacities(node)[l.topology_link].value());
  }
}

}  // namespace
}  // namespace trainsim::simgrid
