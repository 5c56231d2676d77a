// Tests of Topology::Route (topology/routing.cc).
#include "topology/topology.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "tests/topology/test_clusters.h"

namespace trainsim::topology {
namespace {

using testing::Build;
using ::testing::ElementsAre;
using testing::Nvl256;
using testing::PathProblem;
using testing::RouteOf;
using testing::SuperPod;
using testing::TiersOf;
using namespace trainsim::literals;

constexpr int kGpusPerNode = 8;
constexpr int kUnitGpus = 32 * kGpusPerNode;  // ranks in a 32-node scalable unit
const Time kNvlink = 0.5_us;
const Time kHop = 0.6_us;

ClusterSpec DModK(ClusterSpec spec) {
  spec.fabric.routing = Routing::kDModK;
  return spec;
}

TEST(RoutingTest, SameNodeIsTwoNvlinkHopsThroughTheNvswitch) {
  const Topology t = Build(SuperPod(1024));
  const std::vector<LinkIndex> path = RouteOf(t, 1, 6);
  EXPECT_THAT(TiersOf(t, path), ElementsAre(LinkTier::kNvlink, LinkTier::kNvlink));
  EXPECT_EQ(PathProblem(t, 1, 6, path), "");
  EXPECT_EQ(t.PathLatency(path), kNvlink);
}

TEST(RoutingTest, SameRailInAnotherUnitGoesUpToASpineAndDown) {
  const Topology t = Build(SuperPod(1024));
  const std::vector<LinkIndex> path = RouteOf(t, 0, kUnitGpus);  // node 32: unit 1, rail 0
  EXPECT_THAT(TiersOf(t, path), ElementsAre(LinkTier::kPcie, LinkTier::kLeaf, LinkTier::kSpine,
                                            LinkTier::kSpine, LinkTier::kLeaf, LinkTier::kPcie));
  EXPECT_EQ(PathProblem(t, 0, kUnitGpus, path), "");
  EXPECT_EQ(t.PathLatency(path), 3 * kHop);  // leaf, spine, leaf
}

TEST(RoutingTest, SameRailInTheSameUnitTurnsAtTheLeaf) {
  const Topology t = Build(SuperPod(1024));
  const std::vector<LinkIndex> path = RouteOf(t, 0, kGpusPerNode);
  EXPECT_THAT(TiersOf(t, path),
              ElementsAre(LinkTier::kPcie, LinkTier::kLeaf, LinkTier::kLeaf, LinkTier::kPcie));
  EXPECT_EQ(t.PathLatency(path), kHop);
}

TEST(RoutingTest, CrossRailTrafficTakesNvlinkToTheGpuOnTheDestinationsRailFirst) {
  const Topology t = Build(SuperPod(1024));
  const int64_t dst = kUnitGpus + 3;  // rail 3
  const std::vector<LinkIndex> path = RouteOf(t, 0, dst);
  EXPECT_THAT(TiersOf(t, path),
              ElementsAre(LinkTier::kNvlink, LinkTier::kNvlink, LinkTier::kPcie, LinkTier::kLeaf,
                          LinkTier::kSpine, LinkTier::kSpine, LinkTier::kLeaf, LinkTier::kPcie));
  EXPECT_EQ(t.links()[path[1].value].to, 3u);  // GPU 3 of node 0 relays (PXN)
  EXPECT_EQ(PathProblem(t, 0, dst, path), "");
  EXPECT_EQ(t.PathLatency(path), kNvlink + 3 * kHop);
}

TEST(RoutingTest, ThreeTiersCrossTheCoreOnlyBetweenPods) {
  const Topology t = Build(SuperPod(16'384));
  // Rail 0's leaves are 0..63, pods of 32 leaves: unit 1 shares pod 0, unit 32 is in pod 1.
  EXPECT_EQ(RouteOf(t, 0, kUnitGpus).size(), 6u);
  const int64_t other_pod = 32 * kUnitGpus;
  const std::vector<LinkIndex> path = RouteOf(t, 0, other_pod);
  EXPECT_THAT(TiersOf(t, path),
              ElementsAre(LinkTier::kPcie, LinkTier::kLeaf, LinkTier::kSpine, LinkTier::kCore,
                          LinkTier::kCore, LinkTier::kSpine, LinkTier::kLeaf, LinkTier::kPcie));
  EXPECT_EQ(PathProblem(t, 0, other_pod, path), "");
  EXPECT_EQ(t.PathLatency(path), 5 * kHop);
}

// Every route is a walk from src to dst of the shortest length, and a rail-optimised route
// enters the fabric on the destination's rail and never leaves it.
void ExpectShortestWalks(const Topology& t, int pairs) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> rank(0, t.gpus() - 1);
  const FatTreeShape& ft = t.fat_tree();
  for (int i = 0; i < pairs; ++i) {
    const int64_t a = rank(rng), b = rank(rng);
    if (a == b) continue;
    const std::vector<LinkIndex> path = RouteOf(t, a, b, static_cast<uint64_t>(i));
    ASSERT_EQ(PathProblem(t, a, b, path), "") << a << " -> " << b;
    size_t expected = 2;
    if (t.NodeOf(a) != t.NodeOf(b)) expected = 4;
    if (t.NvlinkDomainOf(a) != t.NvlinkDomainOf(b)) {
      const int64_t node_a = t.NodeOf(a), node_b = t.NodeOf(b);
      const bool rail = t.spec().fabric.rail_optimized;
      const int nic_rail_a = rail ? t.RailOf(b) : t.RailOf(a);
      const int64_t units = ft.units, per_unit = ft.nodes_per_unit;
      const int64_t leaf_a = rail ? nic_rail_a * units + node_a / per_unit : node_a / per_unit;
      const int64_t leaf_b = rail ? t.RailOf(b) * units + node_b / per_unit : node_b / per_unit;
      const bool pxn = rail && t.RailOf(a) != t.RailOf(b);
      expected = (pxn ? 2 : 0) + 4 +
                 (leaf_a == leaf_b                                           ? 0
                  : leaf_a / ft.leaves_per_pod == leaf_b / ft.leaves_per_pod ? 2
                                                                             : 4);
      if (rail) {
        for (LinkIndex l : path) {
          const Vertex& v = t.vertices()[t.links()[l.value].to];
          if (v.kind == VertexKind::kLeaf) {
            EXPECT_EQ(v.index / units, t.RailOf(b));
          }
        }
      }
    }
    EXPECT_EQ(path.size(), expected) << a << " -> " << b;
  }
}

TEST(RoutingTest, RoutesAreShortestWalksInEveryFabricShape) {
  ExpectShortestWalks(Build(SuperPod(32)), 2000);      // 1 tier
  ExpectShortestWalks(Build(SuperPod(1024)), 2000);    // 2 tiers
  ExpectShortestWalks(Build(SuperPod(16'384)), 5000);  // 3 tiers
  ExpectShortestWalks(Build(DModK(SuperPod(16'384))), 5000);
  ExpectShortestWalks(Build(Nvl256(2048)), 2000);  // NVLink domains joined by InfiniBand
  ClusterSpec flat = SuperPod(512);
  flat.fabric.rail_optimized = false;
  flat.fabric.nodes_per_unit = 4;
  ExpectShortestWalks(Build(flat), 2000);
  ClusterSpec four_nics = SuperPod(1024);
  four_nics.node.nics_per_node = 4;
  ExpectShortestWalks(Build(four_nics), 2000);
  ClusterSpec tapered = SuperPod(16'384);
  tapered.fabric.oversubscription = 3;
  ExpectShortestWalks(Build(tapered), 5000);
}

TEST(RoutingTest, EcmpSpreadsFlowsEvenlyOverTheLeafUplinks) {
  const Topology t = Build(SuperPod(1024));
  const int uplinks = t.fat_tree().leaf_up;  // 32
  std::map<uint32_t, int> per_uplink;
  int flows = 0;
  for (int64_t node = 32; node < 128; ++node) {  // rail 0 of units 1..3
    for (uint64_t key = 0; key < 50; ++key) {
      ++per_uplink[RouteOf(t, 0, node * kGpusPerNode, key)[2].value];
      ++flows;
    }
  }
  ASSERT_EQ(static_cast<int>(per_uplink.size()), uplinks);
  const double mean = static_cast<double>(flows) / uplinks;  // 150; binomial sd ~12
  for (const auto& [link, count] : per_uplink) {
    EXPECT_GT(count, 0.75 * mean) << "link " << link;
    EXPECT_LT(count, 1.25 * mean) << "link " << link;
  }
}

TEST(RoutingTest, EcmpIsDeterministicAndVariesWithTheFlowKey) {
  const Topology t = Build(SuperPod(16'384));
  const Topology again = Build(SuperPod(16'384));
  std::set<uint32_t> uplinks;
  for (uint64_t key = 0; key < 64; ++key) {
    const std::vector<LinkIndex> path = RouteOf(t, 5, 32 * kUnitGpus + 5, key);
    EXPECT_EQ(path, RouteOf(t, 5, 32 * kUnitGpus + 5, key));
    EXPECT_EQ(path, RouteOf(again, 5, 32 * kUnitGpus + 5, key));
    uplinks.insert(path[2].value);
  }
  EXPECT_GT(uplinks.size(), 16u);
}

TEST(RoutingTest, DModKIsDeterministicByDestination) {
  const Topology t = Build(DModK(SuperPod(1024)));
  for (int64_t node = 32; node < 64; ++node) {
    const int64_t dst = node * kGpusPerNode;
    const std::vector<LinkIndex> path = RouteOf(t, 0, dst, 0);
    for (uint64_t key = 1; key < 8; ++key) EXPECT_EQ(RouteOf(t, 0, dst, key), path);
    // From any other source leaf, the flow comes down the same spine cable.
    EXPECT_EQ(RouteOf(t, 64 * kGpusPerNode, dst)[3], path[3]);
    EXPECT_EQ(RouteOf(t, 96 * kGpusPerNode, dst)[3], path[3]);
  }
}

TEST(RoutingTest, DModKGivesTheNicsUnderOneLeafDistinctUplinks) {
  const Topology t = Build(DModK(SuperPod(1024)));
  std::set<uint32_t> uplinks;
  for (int64_t i = 0; i < 32; ++i) {  // shift: node i of unit 0 -> node i of unit 1, rail 0
    uplinks.insert(RouteOf(t, i * kGpusPerNode, (32 + i) * kGpusPerNode)[2].value);
  }
  EXPECT_EQ(uplinks.size(), 32u);
}

TEST(RoutingTest, Nvl256RoutesAcrossNodesUseTheTaperedNvlinkNetwork) {
  const Topology t = Build(Nvl256(256));
  const std::vector<LinkIndex> path = RouteOf(t, 0, 31 * kGpusPerNode + 4);
  EXPECT_THAT(TiersOf(t, path), ElementsAre(LinkTier::kNvlink, LinkTier::kNvlinkNetwork,
                                            LinkTier::kNvlinkNetwork, LinkTier::kNvlink));
  EXPECT_EQ(PathProblem(t, 0, 31 * kGpusPerNode + 4, path), "");
  // 8 GPUs x 225 GB/s = 1.8 TB/s per direction, half of the 8 x 450 GB/s inside the node (2:1).
  const BytesPerSecond inside = 450_GBps * kGpusPerNode;
  EXPECT_EQ(t.links()[path[1].value].bandwidth, 225_GBps * kGpusPerNode);
  EXPECT_EQ(t.links()[path[2].value].bandwidth, inside / 2);
  EXPECT_EQ(t.PathLatency(path), kNvlink + 0.5_us);  // plus the NVLink Switch tier
}

TEST(RoutingTest, Nvl256DomainsReachEachOtherOverInfiniband) {
  const Topology t = Build(Nvl256(512));
  const std::vector<LinkIndex> path = RouteOf(t, 0, 256);
  EXPECT_EQ(TiersOf(t, path).front(), LinkTier::kPcie);
  EXPECT_EQ(PathProblem(t, 0, 256, path), "");
  EXPECT_EQ(RouteOf(t, 0, 255).size(), 4u);  // same domain: NVLink network
}

}  // namespace
}  // namespace trainsim::topology
