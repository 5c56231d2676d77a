#include "topology/topology.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <map>

#include "tests/topology/test_clusters.h"

namespace trainsim::topology {
namespace {

using ::testing::AllOf;
using testing::DgxH100;
using ::testing::HasSubstr;
using testing::Nvl256;
using testing::SuperPod;
using testing::WithSharp;
using namespace trainsim::literals;

std::map<VertexKind, int64_t> CountKinds(const Topology& t) {
  std::map<VertexKind, int64_t> counts;
  for (const Vertex& v : t.vertices()) ++counts[v.kind];
  return counts;
}

std::map<LinkTier, int64_t> CountTiers(const Topology& t) {
  std::map<LinkTier, int64_t> counts;
  for (const Link& l : t.links()) ++counts[l.tier];
  return counts;
}

// Ports of vertex `v` on tier `tier`: the links into it (one per cable).
int64_t PortsOf(const Topology& t, uint32_t v, LinkTier tier) {
  int64_t ports = 0;
  for (const Link& l : t.links()) ports += l.to == v && l.tier == tier;
  return ports;
}

TEST(TopologyTest, ADgxH100NodeIsEightGpusOnOneNvswitch) {
  StatusOr<Topology> t = Topology::Build(SuperPod(8));
  ASSERT_TRUE(t.ok()) << t.status().message();
  const int gpus = 8;
  EXPECT_EQ(t->fabric_tiers(), 0);  // one NVLink domain: no scale-out fabric
  EXPECT_EQ(CountKinds(*t),
            (std::map<VertexKind, int64_t>{{VertexKind::kGpu, gpus}, {VertexKind::kNvSwitch, 1}}));
  // A cable per GPU, each way, and the NVSwitch's reduction engine (NVLS).
  EXPECT_EQ(CountTiers(*t), (std::map<LinkTier, int64_t>{{LinkTier::kNvlink, 2 * gpus},
                                                         {LinkTier::kReduction, 1}}));
  for (const Link& l : t->links()) {
    if (l.tier == LinkTier::kNvlink) {
      EXPECT_EQ(l.bandwidth, 450_GBps);
    }
  }
  EXPECT_EQ(t->links().back().bandwidth, 450_GBps * gpus);  // the sum of its GPU ports
}

TEST(TopologyTest, AFourNodeClusterHangsEachRailOffOneLeaf) {
  StatusOr<Topology> t = Topology::Build(SuperPod(32));
  ASSERT_TRUE(t.ok()) << t.status().message();
  const int gpus = 32, nodes = 4, rails = 8;
  EXPECT_EQ(t->fabric_tiers(), 1);  // one scalable unit
  EXPECT_EQ(CountKinds(*t), (std::map<VertexKind, int64_t>{{VertexKind::kGpu, gpus},
                                                           {VertexKind::kNvSwitch, nodes},
                                                           {VertexKind::kNic, nodes * rails},
                                                           {VertexKind::kLeaf, rails}}));
  EXPECT_EQ(CountTiers(*t), (std::map<LinkTier, int64_t>{{LinkTier::kNvlink, 2 * gpus},
                                                         {LinkTier::kPcie, 2 * gpus},
                                                         {LinkTier::kLeaf, 2 * nodes * rails},
                                                         {LinkTier::kReduction, nodes}}));
  for (const Link& l : t->links()) {
    if (l.tier == LinkTier::kPcie) {
      EXPECT_EQ(l.bandwidth, 64_GBps);
    } else if (l.tier == LinkTier::kLeaf) {
      EXPECT_EQ(l.bandwidth, 400_Gbps);
    }
  }
}

TEST(TopologyTest, A1024GpuSuperPodHasTwoTiersOf32LeavesAnd16Spines) {
  StatusOr<Topology> t = Topology::Build(SuperPod(1024));
  ASSERT_TRUE(t.ok()) << t.status().message();
  const int64_t gpus = 1024, nodes = gpus / 8, rails = 8, radix = 64;
  const int64_t leaves = nodes / 32 * rails;  // one per rail per 32-node unit
  const int64_t leaf_up = 32;                 // 32 down, 32 up
  const int64_t cables = 2;                   // largest c | 32 with leaves·c <= radix
  const int64_t spines = leaf_up / cables;
  EXPECT_EQ(t->fabric_tiers(), 2);
  EXPECT_EQ(CountKinds(*t), (std::map<VertexKind, int64_t>{{VertexKind::kGpu, gpus},
                                                           {VertexKind::kNvSwitch, nodes},
                                                           {VertexKind::kNic, nodes * rails},
                                                           {VertexKind::kLeaf, leaves},
                                                           {VertexKind::kSpine, spines}}));
  EXPECT_EQ(CountTiers(*t), (std::map<LinkTier, int64_t>{{LinkTier::kNvlink, 2 * gpus},
                                                         {LinkTier::kPcie, 2 * gpus},
                                                         {LinkTier::kLeaf, 2 * nodes * rails},
                                                         {LinkTier::kSpine, 2 * leaves * leaf_up},
                                                         {LinkTier::kReduction, nodes}}));
  const uint32_t first_spine = static_cast<uint32_t>(t->vertices().size() - spines);
  EXPECT_EQ(PortsOf(*t, first_spine, LinkTier::kSpine), radix);  // every port used
}

TEST(TopologyTest, A16384GpuClusterHasThreeTiersOfPodsAndCoreGroups) {
  StatusOr<Topology> t = Topology::Build(SuperPod(16'384));
  ASSERT_TRUE(t.ok()) << t.status().message();
  const int64_t gpus = 16'384, nodes = gpus / 8, rails = 8, radix = 64;
  const int64_t leaves = nodes / 32 * rails;
  const int64_t spine_down = radix / 2, spine_up = radix / 2;  // full bisection
  const int64_t pods = leaves / spine_down;
  const int64_t spines_per_pod = 32;         // one per leaf uplink
  const int64_t core_cables = radix / pods;  // 64 / 16 = 4 cables to each core
  const int64_t cores_per_group = spine_up / core_cables;
  const int64_t cores = spines_per_pod * cores_per_group;
  EXPECT_EQ(t->fabric_tiers(), 3);
  EXPECT_EQ(CountKinds(*t),
            (std::map<VertexKind, int64_t>{{VertexKind::kGpu, gpus},
                                           {VertexKind::kNvSwitch, nodes},
                                           {VertexKind::kNic, nodes * rails},
                                           {VertexKind::kLeaf, leaves},
                                           {VertexKind::kSpine, pods * spines_per_pod},
                                           {VertexKind::kCore, cores}}));
  EXPECT_EQ(CountTiers(*t)[LinkTier::kCore], 2 * pods * spines_per_pod * spine_up);
  const uint32_t first_core = static_cast<uint32_t>(t->vertices().size() - cores);
  EXPECT_EQ(PortsOf(*t, first_core, LinkTier::kCore), radix);
  EXPECT_EQ(t->fat_tree().pods, pods);
}

TEST(TopologyTest, AnNvl256DomainJoinsItsNodesThroughOneNvlinkSwitchVertex) {
  StatusOr<Topology> t = Topology::Build(Nvl256(256));
  ASSERT_TRUE(t.ok()) << t.status().message();
  const int gpus = 256, nodes = 32;
  EXPECT_EQ(t->fabric_tiers(), 0);
  EXPECT_EQ(CountKinds(*t), (std::map<VertexKind, int64_t>{{VertexKind::kGpu, gpus},
                                                           {VertexKind::kNvSwitch, nodes},
                                                           {VertexKind::kNvlinkSwitch, 1}}));
  EXPECT_EQ(CountTiers(*t), (std::map<LinkTier, int64_t>{{LinkTier::kNvlink, 2 * gpus},
                                                         {LinkTier::kNvlinkNetwork, 2 * nodes},
                                                         {LinkTier::kReduction, nodes + 1}}));
  EXPECT_EQ(t->NvlinkDomainOf(255), 0);
}

TEST(TopologyTest, CablesComeAsUpThenDownLinksBetweenTheSameVertices) {
  StatusOr<Topology> t = Topology::Build(WithSharp(SuperPod(16'384)));
  ASSERT_TRUE(t.ok()) << t.status().message();
  const std::span<const Link> links = t->links();
  size_t i = 0;
  for (; i < links.size() && links[i].tier != LinkTier::kReduction; i += 2) {
    EXPECT_EQ(links[i].from, links[i + 1].to);
    EXPECT_EQ(links[i].to, links[i + 1].from);
    EXPECT_EQ(links[i].bandwidth, links[i + 1].bandwidth);
  }
  // Then one reduction engine per NVSwitch (NVLS) and per fabric switch (SHARP: 64 ports at
  // 400 Gb/s each).
  EXPECT_EQ(static_cast<int64_t>(links.size() - i), t->nodes() + t->fat_tree().switches());
  EXPECT_EQ(links.back().bandwidth, 400_Gbps * 64);
  EXPECT_EQ(links.back().from, links.back().to);
  EXPECT_EQ(t->sharp_max_trees(), 64);
}

TEST(TopologyTest, CapacitiesListLinkBandwidthsInLinkOrder) {
  StatusOr<Topology> t = Topology::Build(Nvl256(512));
  ASSERT_TRUE(t.ok()) << t.status().message();
  const std::vector<BytesPerSecond> capacities = t->Capacities();
  ASSERT_EQ(capacities.size(), t->links().size());
  for (size_t i = 0; i < capacities.size(); ++i) EXPECT_EQ(capacities[i], t->links()[i].bandwidth);
}

TEST(TopologyTest, RanksAreNodeMajorAndLocalIndexIsTheRail) {
  StatusOr<Topology> t = Topology::Build(Nvl256(512));
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->NodeOf(259), 32);
  EXPECT_EQ(t->LocalIndex(259), 3);
  EXPECT_EQ(t->RailOf(259), 3);
  EXPECT_EQ(t->NvlinkDomainOf(259), 1);
}

TEST(TopologyTest, GpusShareNicsEvenlyWhenThereAreFewerNics) {
  ClusterSpec spec = SuperPod(128);
  spec.node.nics_per_node = 4;
  StatusOr<Topology> t = Topology::Build(spec);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->RailOf(0), 0);
  EXPECT_EQ(t->RailOf(1), 0);
  EXPECT_EQ(t->RailOf(7), 3);
}

TEST(TopologyTest, TierNamesAreLowerCase) {
  EXPECT_EQ(TierName(LinkTier::kNvlink), "nvlink");
  EXPECT_EQ(TierName(LinkTier::kNvlinkNetwork), "nvlink-network");
  EXPECT_EQ(TierName(LinkTier::kPcie), "pcie");
  EXPECT_EQ(TierName(LinkTier::kLeaf), "leaf");
  EXPECT_EQ(TierName(LinkTier::kSpine), "spine");
  EXPECT_EQ(TierName(LinkTier::kCore), "core");
  EXPECT_EQ(TierName(LinkTier::kReduction), "reduction");
}

TEST(TopologyTest, ATooSmallFabricIsAnErrorNamingTheNumbers) {
  ClusterSpec spec = SuperPod(32'768);
  spec.fabric.tiers = 2;
  StatusOr<Topology> t = Topology::Build(spec);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message(),
            "cluster.fabric: 4096 nodes x 8 NICs need 3 tiers of radix-64 switches; tiers: 2 "
            "holds at most 2048 NICs");
}

TEST(TopologyTest, AZeroRadixIsAnError) {
  ClusterSpec spec = SuperPod(1024);
  spec.fabric.switch_radix = 0;
  StatusOr<Topology> t = Topology::Build(spec);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("cluster.fabric.switch_radix: 0 must be an even"));
}

TEST(TopologyTest, SharpOnAnEthernetFabricIsAnError) {
  ClusterSpec spec = WithSharp(SuperPod(1024));
  spec.fabric.kind = FabricKind::kEthernet;
  StatusOr<Topology> t = Topology::Build(spec);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(),
              HasSubstr("cluster.fabric.sharp.enabled: SHARP needs an InfiniBand fabric, but "
                        "fabric.kind is ethernet"));
}

TEST(TopologyTest, AllProblemsAreReportedAtOnce) {
  ClusterSpec spec = SuperPod(1024);
  spec.node.pcie_bandwidth = BytesPerSecond(0);
  spec.fabric.switch_radix = 0;
  StatusOr<Topology> t = Topology::Build(spec);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(),
              AllOf(HasSubstr("cluster.node.pcie_bandwidth must be > 0"), HasSubstr("; "),
                    HasSubstr("cluster.fabric.switch_radix: 0")));
}

TEST(TopologyTest, SeveralNvlinkDomainsWithoutAFabricIsAnError) {
  ClusterSpec spec = SuperPod(16);
  spec.fabric.kind = FabricKind::kNone;
  StatusOr<Topology> t = Topology::Build(spec);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("cluster.fabric.kind: none, but the cluster's 2 "
                                              "nodes form 2 NVLink domains"));
}

TEST(TopologyTest, NicsThatDoNotDivideTheGpusAreAnError) {
  ClusterSpec spec = SuperPod(16);
  spec.node.nics_per_node = 3;
  StatusOr<Topology> t = Topology::Build(spec);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(),
              HasSubstr("cluster.node.nics_per_node: 3 must divide gpus_per_node = 8"));
}

}  // namespace
}  // namespace trainsim::topology
