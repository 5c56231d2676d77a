// Tests of Topology::NvlsTree and Topology::SharpTree (topology/reduction_tree.cc).
#include "topology/topology.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "tests/topology/test_clusters.h"

namespace trainsim::topology {
namespace {

using testing::Build;
using testing::DgxA100;
using ::testing::HasSubstr;
using testing::Nvl256;
using testing::SuperPod;
using testing::WithSharp;
using namespace trainsim::literals;

using TierWeight = std::pair<LinkTier, uint32_t>;

// How many hops of each (tier, weight) the tree has.
std::map<TierWeight, int> Census(const Topology& t, const std::vector<FlowHop>& hops) {
  std::map<TierWeight, int> census;
  for (const FlowHop& hop : hops) ++census[{t.links()[hop.link.value].tier, hop.weight}];
  return census;
}

std::vector<int64_t> Range(int64_t first, int64_t count, int64_t stride = 1) {
  std::vector<int64_t> ranks;
  for (int64_t i = 0; i < count; ++i) ranks.push_back(first + i * stride);
  return ranks;
}

TEST(NvlsTreeTest, EightGpusOfANodeReduceInTheirNvswitch) {
  const Topology t = Build(SuperPod(8));
  StatusOr<std::vector<FlowHop>> tree = t.NvlsTree(Range(0, 8));
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  // Each GPU's link up and down once; the NVSwitch reduces 8 streams.
  EXPECT_EQ(Census(t, *tree), (std::map<TierWeight, int>{{{LinkTier::kNvlink, 1}, 2 * 8},
                                                         {{LinkTier::kReduction, 8}, 1}}));
  EXPECT_EQ(t.links()[tree->back().link.value].bandwidth, 8 * 450_GBps);
}

TEST(NvlsTreeTest, ANodeWhoseNvswitchCannotReduceHasNoNvls) {
  ClusterSpec spec = SuperPod(8);
  spec.node = DgxA100();
  const Topology t = Build(spec);
  StatusOr<std::vector<FlowHop>> tree = t.NvlsTree(Range(0, 8));
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(tree.status().message(), HasSubstr("cluster.node.nvswitch_sharp is false"));
}

TEST(NvlsTreeTest, AcrossNodesEachNvswitchReducesItsGpusThenTheNvlinkSwitchReducesTheNodes) {
  const Topology t = Build(Nvl256(256));
  StatusOr<std::vector<FlowHop>> tree = t.NvlsTree(Range(0, 16));
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  EXPECT_EQ(Census(t, *tree), (std::map<TierWeight, int>{{{LinkTier::kNvlink, 1}, 2 * 16},
                                                         {{LinkTier::kNvlinkNetwork, 1}, 2 * 2},
                                                         {{LinkTier::kReduction, 8}, 2},
                                                         {{LinkTier::kReduction, 2}, 1}}));
}

TEST(NvlsTreeTest, WithoutNodeReductionEveryStreamCrossesTheNvlinkNetwork) {
  ClusterSpec spec = Nvl256(256);
  spec.node.nvswitch_sharp = false;
  const Topology t = Build(spec);
  StatusOr<std::vector<FlowHop>> tree = t.NvlsTree(Range(0, 16));
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  EXPECT_EQ(Census(t, *tree), (std::map<TierWeight, int>{{{LinkTier::kNvlink, 1}, 2 * 16},
                                                         {{LinkTier::kNvlinkNetwork, 8}, 2 * 2},
                                                         {{LinkTier::kReduction, 16}, 1}}));
}

TEST(NvlsTreeTest, RanksInDifferentNvlinkDomainsAreAnError) {
  const Topology t = Build(Nvl256(512));
  const std::vector<int64_t> ranks = {0, 256};
  StatusOr<std::vector<FlowHop>> tree = t.NvlsTree(ranks);
  ASSERT_FALSE(tree.ok());
  EXPECT_THAT(tree.status().message(),
              HasSubstr("nvls: ranks 0 and 256 are in different NVLink domains (0 and 1)"));
}

TEST(NvlsTreeTest, NodesWithoutNvlinkSwitchReductionAreAnError) {
  ClusterSpec spec = Nvl256(256);
  spec.nvlink_domain.switch_sharp = false;
  const Topology t = Build(spec);
  StatusOr<std::vector<FlowHop>> tree = t.NvlsTree(Range(0, 16));
  ASSERT_FALSE(tree.ok());
  EXPECT_THAT(tree.status().message(), HasSubstr("cluster.nvlink_domain.switch_sharp is false"));
}

TEST(SharpTreeTest, SixtyFourNicsUnderTwoLeavesReduceAtOneSpine) {
  const Topology t = Build(WithSharp(SuperPod(1024)));
  // Rail 0 of nodes 0..63: 32 NICs under each of the leaves of units 0 and 1.
  StatusOr<std::vector<FlowHop>> tree = t.SharpTree(Range(0, 64, 8));
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  EXPECT_EQ(Census(t, *tree), (std::map<TierWeight, int>{{{LinkTier::kPcie, 1}, 2 * 64},
                                                         {{LinkTier::kLeaf, 1}, 2 * 64},
                                                         {{LinkTier::kReduction, 32}, 2},
                                                         {{LinkTier::kSpine, 1}, 2 * 2},
                                                         {{LinkTier::kReduction, 2}, 1}}));
  // The root's engine reduces at line rate on all 64 ports.
  for (const FlowHop& hop : *tree) {
    const Link& link = t.links()[hop.link.value];
    if (link.tier == LinkTier::kReduction) {
      EXPECT_EQ(link.bandwidth, 64 * 400_Gbps);
    }
  }
}

TEST(SharpTreeTest, RanksUnderOneLeafReduceThere) {
  const Topology t = Build(WithSharp(SuperPod(32)));
  StatusOr<std::vector<FlowHop>> tree = t.SharpTree(Range(0, 3, 8));
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  EXPECT_EQ(Census(t, *tree), (std::map<TierWeight, int>{{{LinkTier::kPcie, 1}, 2 * 3},
                                                         {{LinkTier::kLeaf, 1}, 2 * 3},
                                                         {{LinkTier::kReduction, 3}, 1}}));
}

TEST(SharpTreeTest, PodsReduceAtTheirSpinesThenACoreReducesThePods) {
  const Topology t = Build(WithSharp(SuperPod(16'384)));
  // Rail 0 of node 0 (pod 0) and of node 1024 (unit 32: pod 1).
  const std::vector<int64_t> ranks = {0, 1024 * 8};
  StatusOr<std::vector<FlowHop>> tree = t.SharpTree(ranks);
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  EXPECT_EQ(Census(t, *tree), (std::map<TierWeight, int>{{{LinkTier::kPcie, 1}, 2 * 2},
                                                         {{LinkTier::kLeaf, 1}, 2 * 2},
                                                         {{LinkTier::kSpine, 1}, 2 * 2},
                                                         {{LinkTier::kCore, 1}, 2 * 2},
                                                         {{LinkTier::kReduction, 1}, 4},
                                                         {{LinkTier::kReduction, 2}, 1}}));
}

TEST(SharpTreeTest, TreeNumbersPickDifferentRoots) {
  const Topology t = Build(WithSharp(SuperPod(1024)));
  const std::vector<int64_t> ranks = Range(0, 64, 8);
  StatusOr<std::vector<FlowHop>> first = t.SharpTree(ranks, 0);
  StatusOr<std::vector<FlowHop>> second = t.SharpTree(ranks, 1);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->back().link, second->back().link);  // the root's engine comes last
  EXPECT_EQ(first->back().link, t.SharpTree(ranks)->back().link);
}

TEST(SharpTreeTest, AFabricWithoutSharpIsAnError) {
  const Topology t = Build(SuperPod(1024));
  StatusOr<std::vector<FlowHop>> tree = t.SharpTree(Range(0, 64, 8));
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(tree.status().message(), HasSubstr("cluster.fabric.sharp.enabled is false"));
  EXPECT_EQ(t.sharp_max_trees(), 0);
}

TEST(SharpTreeTest, RailsOfAOneTierFabricShareNoSwitch) {
  const Topology t = Build(WithSharp(SuperPod(32)));
  StatusOr<std::vector<FlowHop>> tree = t.SharpTree(Range(0, 2));
  ASSERT_FALSE(tree.ok());
  EXPECT_THAT(tree.status().message(), HasSubstr("2 leaves of a 1-tier fabric"));
}

TEST(SharpTreeTest, OneNvlinkDomainHasNoFabricToReduceIn) {
  const Topology t = Build(WithSharp(SuperPod(8)));
  StatusOr<std::vector<FlowHop>> tree = t.SharpTree(Range(0, 8));
  ASSERT_FALSE(tree.ok());
  EXPECT_THAT(tree.status().message(), HasSubstr("no scale-out fabric"));
}

TEST(ReductionTreeTest, RepeatedOrOutOfRangeRanksAreInvalid) {
  const Topology t = Build(WithSharp(SuperPod(1024)));
  const std::vector<int64_t> twice = {0, 8, 0};
  const std::vector<int64_t> outside = {0, 1024};
  EXPECT_THAT(t.SharpTree(twice).status().message(), HasSubstr("rank 0 appears twice"));
  EXPECT_THAT(t.NvlsTree(outside).status().message(),
              HasSubstr("rank 1024 is outside the cluster's 1024 GPUs"));
  EXPECT_EQ(t.NvlsTree(std::vector<int64_t>{}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trainsim::topology
