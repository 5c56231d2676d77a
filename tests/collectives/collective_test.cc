#include "collectives/collective.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <utility>

#include "collectives/nccl_model.h"
#include "collectives/plan_builder.h"
#include "collectives/runner.h"
#include "config/scenario_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trainsim::collectives {
namespace {

using ::testing::HasSubstr;
using namespace trainsim::literals;

topology::Topology Cluster(const std::string& text) {
  StatusOr<topology::ClusterSpec> spec = config::LoadClusterText(text, "test");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  StatusOr<topology::Topology> topo = topology::Topology::Build(*spec);
  EXPECT_TRUE(topo.ok()) << topo.status().message();
  return *std::move(topo);
}

std::vector<int64_t> FirstRanks(int64_t n) {
  std::vector<int64_t> r(n);
  std::iota(r.begin(), r.end(), 0);
  return r;
}

CollectiveTiming Timed(const topology::Topology& topo, CollectiveOp op, std::vector<int64_t> ranks,
                      Bytes bytes, std::string_view algo, Protocol protocol = Protocol::kSimple) {
  const CollectiveAlgorithm* algorithm = FindAlgorithm(algo).value();
  StatusOr<CollectiveTiming> t = TimeCollective(
      CollectiveRequest{.op = op, .ranks = std::move(ranks), .bytes = bytes}, topo, *algorithm,
      protocol);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? *t : CollectiveTiming{};
}

double BusBw(CollectiveOp op, int64_t n, Bytes bytes, Time t) {
  return bytes.value() / t.seconds() * BusBandwidthFactor(op, n) / 1e9;
}

constexpr const char* kOneNode = "{preset: dgx-h100-superpod, gpus: 8}";
constexpr const char* kFourNodes = "{preset: dgx-h100-superpod, gpus: 32}";
constexpr const char* kSixteenNodes = "{preset: dgx-h100-superpod, gpus: 128}";

CollectivePlan PlanOf(const topology::Topology& topo, std::vector<int64_t> ranks, Bytes bytes,
                      std::string_view algo, Protocol protocol = Protocol::kSimple) {
  StatusOr<CollectivePlan> plan = FindAlgorithm(algo).value()->Plan(
      {.op = CollectiveOp::kAllReduce, .ranks = std::move(ranks), .bytes = bytes}, topo, protocol);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  return plan.ok() ? *std::move(plan) : CollectivePlan{};
}

// The fastest protocol's time, as nccl-tests reports an algorithm.
Time BestTime(const topology::Topology& topo, std::vector<int64_t> ranks, Bytes bytes,
              std::string_view algo) {
  StatusOr<CollectiveTiming> t =
      TimeCollective({.op = CollectiveOp::kAllReduce, .ranks = std::move(ranks), .bytes = bytes},
                     topo, *FindAlgorithm(algo).value());
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? t->time : Time::Zero();
}

// Source and destination rank of each flow of a point-to-point bundle: vertex r is rank r, so a
// route starts at its source GPU and ends at its destination's.
std::vector<std::pair<int64_t, int64_t>> FlowEndpoints(const PlannedBundle& bundle,
                                                       const topology::Topology& topo) {
  std::vector<std::pair<int64_t, int64_t>> flows;
  uint32_t begin = 0;
  for (uint32_t end : bundle.flow_ends) {
    flows.emplace_back(topo.links()[bundle.path[begin].link.value].from,
                       topo.links()[bundle.path[end - 1].link.value].to);
    begin = end;
  }
  return flows;
}

// The most bytes any link of `tier` carries in the plan's first phase (Σ weight × bytes).
double MaxTierLoad(const CollectivePlan& plan, const topology::Topology& topo,
                   topology::LinkTier tier) {
  std::map<uint32_t, double> load;
  for (const PlannedBundle& b : plan.phases.front().bundles) {
    for (const FlowHop& hop : b.path) {
      if (topo.links()[hop.link.value].tier == tier) {
        load[hop.link.value] += hop.weight * static_cast<double>(b.bytes.value());
      }
    }
  }
  double most = 0;
  for (const auto& [link, bytes] : load) most = std::max(most, bytes);
  return most;
}

TEST(Ring, UncontendedAllReduceEqualsTheAlphaBetaClosedForm) {
  const topology::Topology topo = Cluster(kOneNode);
  const Bytes s = 1_GiB;
  const CollectiveTiming t = Timed(topo, CollectiveOp::kAllReduce, FirstRanks(8), s, "ring");
  // α = base + 2(n-1)·NVLink step (Simple); β: 2(n-1)/n·S over one GPU's NVLink at 20.6/25 of
  // 450 GB/s. The flow model rounds the transfer up to the next picosecond.
  const Time alpha = nccl::Microseconds(8.4 + 14 * 3.4);
  const double wire = std::ceil(2.0 * 7 / 8 * s.value());
  const double rate = 450e9 * 20.6 / 25.0;
  const Time beta = Time::Picoseconds(static_cast<int64_t>(std::ceil(wire / rate * 1e12)));
  EXPECT_LE(std::llabs((t.time - (alpha + beta)).picoseconds()), 1) << ToString(t.time);
}

TEST(Ring, TwoCollectivesSharingLinksEachGetHalf) {
  const topology::Topology topo = Cluster(kOneNode);
  const CollectiveRequest request{.op = CollectiveOp::kAllReduce, .ranks = FirstRanks(8),
                                  .bytes = 1_GiB};
  const CollectivePlan plan = FindAlgorithm("ring").value()->Plan(request, topo, Protocol::kSimple).value();
  EventEngine engine;
  FlowNetwork network(engine, AchievableCapacities(topo));
  PlanRunner runner(engine, network);
  Time first, second;
  runner.Run(plan, [&] { first = engine.now(); });
  runner.Run(plan, [&] { second = engine.now(); });
  engine.Run();
  const Time alone = Timed(topo, CollectiveOp::kAllReduce, FirstRanks(8), 1_GiB, "ring").time;
  const Time alpha = plan.phases[0].latency;
  EXPECT_EQ(first, second);
  EXPECT_NEAR((first - alpha) / (alone - alpha), 2.0, 1e-9);
}

// Phases run one after another: a latency-only phase, then a phase of two bundles that ends when
// the slower one completes. A run started from another's completion reuses its slot and times
// the same.
TEST(PlanRunner, PhasesInOrderAndRunsChainedFromCompletions) {
  EventEngine engine;
  FlowNetwork network(engine, {BytesPerSecond(1e9), BytesPerSecond(1e9)});
  const std::vector<FlowHop> on_first{{.link = LinkIndex{0}}};
  const std::vector<FlowHop> on_second{{.link = LinkIndex{1}}};
  CollectivePlan plan;
  plan.phases.push_back(PlanPhase{.latency = Time::Microseconds(5)});
  plan.phases.push_back(PlanPhase{
      .bundles = {PlannedBundle{.path = on_first, .bytes = Bytes(1'000'000)},
                  PlannedBundle{.path = on_second, .bytes = Bytes(3'000'000)}},
      .latency = Time::Microseconds(2)});
  PlanRunner runner(engine, network);
  std::vector<Time> ends;
  runner.Run(plan, [&] {
    ends.push_back(engine.now());
    runner.Run(plan, [&] { ends.push_back(engine.now()); });
  });
  engine.Run();
  // 5 µs, then 3 MB at 1 GB/s (3 ms) + 2 µs; the second run the same again.
  const Time one = Time::Microseconds(5) + Time::Milliseconds(3) + Time::Microseconds(2);
  EXPECT_THAT(ends, ::testing::ElementsAre(one, one + one));
  EXPECT_EQ(network.active_bundles(), 0u);
}

// Measured: nccl-tests ring busbw 365-370 GB/s on 8 x H100 SXM (shared/data/collectives.md).
TEST(Ring, IntraNodeBusBandwidthMatchesNcclTests) {
  const topology::Topology topo = Cluster(kOneNode);
  const Bytes s = 4_GiB;
  const CollectiveTiming t = Timed(topo, CollectiveOp::kAllReduce, FirstRanks(8), s, "ring");
  EXPECT_NEAR(BusBw(CollectiveOp::kAllReduce, 8, s, t.time), 367.0, 36.7);
}

// Derived: on >= 3 nodes ring busbw reflects the node's NICs, 8 x 46-48 GB/s.
TEST(Ring, MultiNodeBusBandwidthIsNicBound) {
  const topology::Topology topo = Cluster(kFourNodes);
  const Bytes s = 4_GiB;
  const CollectiveTiming t = Timed(topo, CollectiveOp::kAllReduce, FirstRanks(32), s, "ring");
  EXPECT_NEAR(BusBw(CollectiveOp::kAllReduce, 32, s, t.time), 8 * 47.0, 37.6);
}

// Every (tree, channel) of NCCL's double binary tree is a spanning tree of the group run both
// ways (reduce up, broadcast down): n-1 edges, each a flow in each direction, connecting every
// rank. Across nodes it joins each node through one rank, and its node-to-node edges stay on
// that rank's rail (no PXN hop). Channels: one per rank of the smallest node across nodes, one
// inside a node. The unbalanced group (8, 4 and 8 ranks on three nodes) gets 4 channels.
TEST(Tree, EveryTreeOfEveryChannelSpansTheGroupAndCrossesNodesOnOneRail) {
  const topology::Topology one = Cluster(kOneNode);
  const topology::Topology four = Cluster(kFourNodes);
  std::vector<int64_t> unbalanced = FirstRanks(12);
  for (int64_t r = 16; r < 24; ++r) unbalanced.push_back(r);
  struct Case {
    const topology::Topology& topo;
    std::vector<int64_t> ranks;
    size_t channels;
  };
  for (const Case& c :
       {Case{one, FirstRanks(8), 1}, Case{four, FirstRanks(32), 8}, Case{four, unbalanced, 4}}) {
    const CollectivePlan plan = PlanOf(c.topo, c.ranks, 1_MiB, "tree");
    ASSERT_EQ(plan.phases.size(), 1u);
    ASSERT_EQ(plan.phases[0].bundles.size(), 2 * c.channels) << c.ranks.size() << " ranks";
    const std::set<int64_t> group(c.ranks.begin(), c.ranks.end());
    for (const PlannedBundle& b : plan.phases[0].bundles) {
      const auto flows = FlowEndpoints(b, c.topo);
      ASSERT_EQ(flows.size(), 2 * (c.ranks.size() - 1));
      EXPECT_EQ(b.multiplicity, static_cast<int64_t>(flows.size()));
      std::map<int64_t, std::vector<int64_t>> next;
      std::map<int64_t, std::set<int64_t>> node_ports;  // node -> its ranks on inter-node edges
      for (size_t i = 0; i < flows.size(); i += 2) {
        const auto [from, to] = flows[i];
        EXPECT_EQ(flows[i + 1], std::pair(to, from)) << "edge " << from << "-" << to;
        next[from].push_back(to);
        next[to].push_back(from);
        if (c.topo.NodeOf(from) != c.topo.NodeOf(to)) {
          EXPECT_EQ(c.topo.RailOf(from), c.topo.RailOf(to)) << from << " -> " << to;
          node_ports[c.topo.NodeOf(from)].insert(from);
          node_ports[c.topo.NodeOf(to)].insert(to);
        }
      }
      for (const auto& [node, ports] : node_ports) EXPECT_EQ(ports.size(), 1u) << "node " << node;
      std::set<int64_t> reached{c.ranks.front()};
      std::vector<int64_t> todo{c.ranks.front()};
      while (!todo.empty()) {
        const int64_t r = todo.back();
        todo.pop_back();
        for (int64_t peer : next[r]) {
          if (reached.insert(peer).second) todo.push_back(peer);
        }
      }
      EXPECT_EQ(reached, group);
    }
  }
}

// Across nodes, a node is interior (a parent and two children) in at most one of the two trees
// and a leaf in the other, so each rail's NIC carries at most 4 tree edges of S/(2k) per
// direction for k channels: 2S/k, what a ring's one edge per NIC carries (2(n-1)/n·S/k).
TEST(Tree, EachNicCarriesWhatARingPutsOnIt) {
  for (int64_t nodes : {4, 16}) {
    const topology::Topology topo = Cluster(nodes == 4 ? kFourNodes : kSixteenNodes);
    const int64_t n = nodes * 8;
    const Bytes s = 1_GiB;
    const double tree_edge =
        WireBytes(s.value() / 16.0, nccl::TreeWireEfficiency(Protocol::kSimple)).value();
    const double ring_edge = WireBytes(2.0 * (n - 1) / n * s.value() / 8, 1.0).value();
    EXPECT_EQ(MaxTierLoad(PlanOf(topo, FirstRanks(n), s, "tree"), topo, topology::LinkTier::kLeaf),
              4 * tree_edge)
        << nodes << " nodes";
    EXPECT_EQ(MaxTierLoad(PlanOf(topo, FirstRanks(n), s, "ring"), topo, topology::LinkTier::kLeaf),
              ring_edge)
        << nodes << " nodes";
  }
}

// So large AllReduces run at NIC speed in both: the tree's time is α plus its 4 edges per NIC at
// the NIC's achievable rate, and its busbw is within 15 % of the ring's (the tree's wire
// efficiency is 0.92, and busbw's 2(n-1)/n counts a little less than the 2S the tree moves).
TEST(Tree, LargeAllReduceAcrossNodesRunsAtRingBandwidth) {
  for (int64_t nodes : {4, 16}) {
    const topology::Topology topo = Cluster(nodes == 4 ? kFourNodes : kSixteenNodes);
    const int64_t n = nodes * 8;
    const Bytes s = 4_GiB;
    const CollectivePlan plan = PlanOf(topo, FirstRanks(n), s, "tree");
    const double nic = 400e9 / 8 * 4096 / 4122;
    const double wire = 4.0 * plan.phases[0].bundles[0].bytes.value();
    const Time tree = Timed(topo, CollectiveOp::kAllReduce, FirstRanks(n), s, "tree").time;
    EXPECT_NEAR((tree - plan.phases[0].latency).seconds(), wire / nic, 1e-9 * wire / nic)
        << nodes << " nodes";
    const double tree_busbw =
        BusBw(CollectiveOp::kAllReduce, n, s, BestTime(topo, FirstRanks(n), s, "tree"));
    const double ring_busbw =
        BusBw(CollectiveOp::kAllReduce, n, s, BestTime(topo, FirstRanks(n), s, "ring"));
    EXPECT_NEAR(tree_busbw / ring_busbw, 1.0, 0.15)
        << nodes << " nodes: tree " << tree_busbw << " GB/s, ring " << ring_busbw << " GB/s";
  }
}

// NCCL's latency model: a ring's α grows with its 2(n-1) steps, 2(nodes-1) of them over the
// network; a tree's with 2·log2(nodes) network hops. Across 16 nodes (128 ranks) small
// AllReduces are latency-bound and the tree wins.
TEST(Tree, BeatsRingOnSmallMessagesAcrossManyNodes) {
  const topology::Topology topo = Cluster(kSixteenNodes);
  for (Bytes s : {64_KiB, 1_MiB}) {
    const Time tree = BestTime(topo, FirstRanks(128), s, "tree");
    const Time ring = BestTime(topo, FirstRanks(128), s, "ring");
    EXPECT_LT(tree * 2, ring) << s.count() << " B: tree " << ToString(tree) << ", ring "
                              << ToString(ring);
  }
}

// Inside one node each tree is one chain over all ranks (NCCL's intra-node tree), carrying S/2
// each way per edge. A middle rank of both chains sends 4 flows over its NVLink port.
TEST(Tree, InsideOneNodeEachTreeIsAChain) {
  const topology::Topology topo = Cluster(kOneNode);
  const Bytes s = 1_GiB;
  const Time t = Timed(topo, CollectiveOp::kAllReduce, FirstRanks(8), s, "tree").time;
  // α = base + 2·(7 NVLink steps) (Simple, one node: log2(1) = 0 network steps).
  const Time alpha = nccl::Microseconds(8.4 + 2 * 7 * 4.0);
  const double wire = std::ceil(s.value() / 2.0 / 0.92);
  const double rate = 450e9 * 20.6 / 25.0;
  const Time beta = Time::Picoseconds(static_cast<int64_t>(std::ceil(4 * wire / rate * 1e12)));
  EXPECT_LE(std::llabs((t - (alpha + beta)).picoseconds()), 1) << ToString(t);
}

// Measured NVLS busbw for 5..8 GPUs: 420, 440, 460, 480 GB/s (nccl#1455, nccl-tests#212).
TEST(Nvls, BusBandwidthMatchesNcclTestsAndRisesWithGpuCount) {
  const topology::Topology topo = Cluster(kOneNode);
  const Bytes s = 4_GiB;
  const double measured[] = {420, 440, 460, 480};
  double previous = 0;
  for (int n = 5; n <= 8; ++n) {
    const CollectiveTiming t = Timed(topo, CollectiveOp::kAllReduce, FirstRanks(n), s, "nvls");
    const double busbw = BusBw(CollectiveOp::kAllReduce, n, s, t.time);
    EXPECT_NEAR(busbw, measured[n - 5], 0.1 * measured[n - 5]) << n << " GPUs";
    EXPECT_GT(busbw, previous);
    previous = busbw;
  }
}

TEST(Nvls, OnlyRunsWhereTheSwitchCanReduce) {
  const topology::Topology a100 = Cluster("{preset: dgx-a100-selene, gpus: 8}");
  StatusOr<CollectivePlan> plan = FindAlgorithm("nvls").value()->Plan(
      {.op = CollectiveOp::kAllReduce, .ranks = FirstRanks(8), .bytes = 1_MiB}, a100,
      Protocol::kSimple);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kFailedPrecondition);
}

// Hot Chips 2023: in-network reduction doubles effective AllReduce bandwidth: each GPU moves S
// each way instead of 2(n-1)/n·S.
TEST(Sharp, InNetworkReductionMovesSInsteadOfTwiceS) {
  const topology::Topology topo =
      Cluster("{preset: dgx-h100-superpod, gpus: 256, fabric: {sharp: {enabled: true}}}");
  std::vector<int64_t> rail;  // one GPU per node: a DP group across rail 0
  for (int64_t r = 0; r < 256; r += 8) rail.push_back(r);
  const Bytes s = 4_GiB;
  const Time ring = Timed(topo, CollectiveOp::kAllReduce, rail, s, "ring").time;
  const Time sharp = Timed(topo, CollectiveOp::kAllReduce, rail, s, "sharp").time;
  const double n = static_cast<double>(rail.size());
  // Wire bytes per NIC: ring 2(n-1)/n·S, SHARP S / CollNet efficiency: the ratio of times.
  const double expected = 2 * (n - 1) / n * nccl::kCollNetEfficiency;
  EXPECT_NEAR(ring / sharp, expected, 0.02 * expected);
  EXPECT_GT(ring / sharp, 1.6);
}

TEST(Sharp, ASlowReductionEngineLimitsIt) {
  const topology::Topology slow = Cluster(
      "{preset: dgx-h100-superpod, gpus: 256, fabric: {sharp: {enabled: true, "
      "reduction_bandwidth: 10Gb/s}}}");
  std::vector<int64_t> rail;
  for (int64_t r = 0; r < 256; r += 8) rail.push_back(r);
  const Time ring = Timed(slow, CollectiveOp::kAllReduce, rail, 1_GiB, "ring").time;
  const Time sharp = Timed(slow, CollectiveOp::kAllReduce, rail, 1_GiB, "sharp").time;
  EXPECT_GT(sharp, ring);
}

TEST(Sharp, NeedsSharpSwitches) {
  const topology::Topology topo = Cluster(kFourNodes);
  StatusOr<CollectivePlan> plan = FindAlgorithm("sharp").value()->Plan(
      {.op = CollectiveOp::kAllReduce, .ranks = FirstRanks(32), .bytes = 1_MiB}, topo,
      Protocol::kSimple);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kFailedPrecondition);
}

TEST(Tune, PicksNvlsForLargeIntraNodeAllReduceAndLowLatencyForTinyOnes) {
  const topology::Topology topo = Cluster(kOneNode);
  const CollectiveRequest big{.op = CollectiveOp::kAllReduce, .ranks = FirstRanks(8),
                              .bytes = 1_GiB};
  EXPECT_EQ(TuneCollective(big, topo)->algorithm, "nvls");
  const CollectiveRequest tiny{.op = CollectiveOp::kAllReduce, .ranks = FirstRanks(8),
                               .bytes = 8_B};
  EXPECT_EQ(TuneCollective(tiny, topo)->protocol, Protocol::kLL);
}

TEST(Collectives, BadGroupsAreInvalidArguments) {
  const topology::Topology topo = Cluster(kOneNode);
  for (const CollectiveRequest& bad : {
           CollectiveRequest{.ranks = FirstRanks(16), .bytes = 1_MiB},   // larger than cluster
           CollectiveRequest{.ranks = {0, 0}, .bytes = 1_MiB},          // repeated rank
           CollectiveRequest{.ranks = {0}, .bytes = 1_MiB},             // too small
           CollectiveRequest{.ranks = {0, 9}, .bytes = 1_MiB},          // outside
       }) {
    StatusOr<CollectiveTiming> t = TuneCollective(bad, topo);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << t.status().message();
  }
  EXPECT_THAT(ParseOp("allredcue").status().message(), HasSubstr("allreduce"));
  EXPECT_THAT(FindAlgorithm("rnig").status().message(), HasSubstr("ring"));
}

TEST(Collectives, EveryOpRunsOnSomeAlgorithm) {
  const topology::Topology topo = Cluster(kFourNodes);
  for (CollectiveOp op : {CollectiveOp::kAllReduce, CollectiveOp::kReduceScatter,
                          CollectiveOp::kAllGather, CollectiveOp::kBroadcast,
                          CollectiveOp::kReduce, CollectiveOp::kAllToAll,
                          CollectiveOp::kSendRecv}) {
    StatusOr<CollectiveTiming> t =
        TuneCollective({.op = op, .ranks = FirstRanks(32), .bytes = 64_MiB}, topo);
    ASSERT_TRUE(t.ok()) << OpName(op) << ": " << t.status().message();
    EXPECT_GT(t->time, Time::Zero());
  }
}

// nccl-tests#130: multi-node all-to-all busbw ≈ per-GPU NIC bandwidth × N/(N-1) for N nodes.
TEST(Direct, AllToAllAcrossNodesIsBoundByEachGpusNic) {
  const topology::Topology topo = Cluster(kFourNodes);
  const Bytes s = 4_GiB;
  const CollectiveTiming t = Timed(topo, CollectiveOp::kAllToAll, FirstRanks(32), s, "direct");
  const double busbw = BusBw(CollectiveOp::kAllToAll, 32, s, t.time);
  const double nic = 50.0 * 4096 / 4122;
  EXPECT_NEAR(busbw, nic * 4 / 3, 0.1 * nic * 4 / 3);
}

}  // namespace
}  // namespace trainsim::collectives
