#include "topology/fat_tree.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/topology/test_clusters.h"

namespace trainsim::topology {
namespace {

using ::testing::AllOf;
using testing::DgxH100;
using ::testing::HasSubstr;
using testing::SuperPod;

constexpr int kRadix = 64;  // Quantum-2 NDR
constexpr int kRails = 8;   // DGX H100: 8 ConnectX-7
constexpr int kUnit = 32;   // SuperPOD scalable unit

StatusOr<FatTreeShape> Plan(int64_t nodes, FabricSpec fabric = SuperPod(8).fabric) {
  return PlanFatTree(nodes, DgxH100(), fabric);
}

TEST(FatTreeTest, CapacityFormulasMatchTheFoldedClos) {
  EXPECT_EQ(MaxLeaves(1, kRadix, 1.0, kRails), kRails);
  EXPECT_EQ(MaxLeaves(2, kRadix, 1.0, kRails), kRadix);
  EXPECT_EQ(MaxLeaves(3, kRadix, 1.0, kRails), kRadix * kRadix / 2);
  // o = 3: a spine has 48 down and 16 up ports (48 + 48 / 3 = 64).
  EXPECT_EQ(MaxLeaves(3, kRadix, 3.0, kRails), kRadix * 48);
  // In NICs, with 32-port leaves: R²/2 = 2048 for two tiers and R³/4 = 65,536 for three.
  EXPECT_EQ(MaxLeaves(2, kRadix, 1.0, kRails) * kUnit, 2048);
  EXPECT_EQ(MaxLeaves(3, kRadix, 1.0, kRails) * kUnit, kRadix * kRadix * kRadix / 4);
}

TEST(FatTreeTest, FewestTiersAreOneUnitTwoUpToRadixLeavesThenThree) {
  EXPECT_EQ(Plan(kUnit)->tiers, 1);
  EXPECT_EQ(Plan(kUnit + 1)->tiers, 2);
  EXPECT_EQ(Plan(kRadix / kRails * kUnit)->tiers, 2);  // 8 units = 64 leaves
  EXPECT_EQ(Plan(kRadix / kRails * kUnit + 1)->tiers, 3);
}

TEST(FatTreeTest, TwoTiersUseTheFewestSpinesThatTakeEveryUplink) {
  const FatTreeShape shape = *Plan(128);  // 4 units, 32 leaves of 32 down + 32 up
  const int cables = 2;                   // the largest c dividing 32 with 32 leaves · c <= 64
  EXPECT_EQ(shape.leaves, 4 * kRails);
  EXPECT_EQ(shape.leaf_up, kUnit);
  EXPECT_EQ(shape.leaf_spine_cables, cables);
  EXPECT_EQ(shape.spines, kUnit / cables);
  EXPECT_EQ(shape.cores, 0);
}

TEST(FatTreeTest, OversubscriptionThreeHolds98304NicsInThreeTiers) {
  FabricSpec fabric = SuperPod(8).fabric;
  fabric.oversubscription = 3;
  const FatTreeShape shape = *Plan(12'288, fabric);
  const int leaf_up = (kUnit + 2) / 3;  // ceil(32 / 3)
  EXPECT_EQ(shape.tiers, 3);
  EXPECT_EQ(shape.leaf_up, leaf_up);
  EXPECT_EQ(shape.spine_down, 48);
  EXPECT_EQ(shape.spine_up, 16);
  EXPECT_EQ(shape.leaves, 12'288 / kUnit * kRails);
  EXPECT_EQ(shape.pods, kRadix);
  EXPECT_EQ(shape.spines, kRadix * leaf_up);
  EXPECT_EQ(shape.cores, leaf_up * 16);
}

TEST(FatTreeTest, WithoutRailOptimisationOneLeafTakesAUnitsNics) {
  FabricSpec fabric = SuperPod(8).fabric;
  fabric.rail_optimized = false;
  fabric.nodes_per_unit = 4;
  const FatTreeShape shape = *Plan(16, fabric);
  EXPECT_EQ(shape.leaves_per_unit, 1);
  EXPECT_EQ(shape.leaf_down, 4 * kRails);
  EXPECT_EQ(shape.leaves, 4);
}

TEST(FatTreeTest, TooFewTiersNameWhatTheyHold) {
  FabricSpec fabric = SuperPod(8).fabric;
  fabric.tiers = 2;
  StatusOr<FatTreeShape> shape = Plan(4096, fabric);
  ASSERT_FALSE(shape.ok());
  EXPECT_EQ(shape.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(shape.status().message(),
            "cluster.fabric: 4096 nodes x 8 NICs need 3 tiers of radix-64 switches; tiers: 2 "
            "holds at most 2048 NICs");
}

TEST(FatTreeTest, MoreNicsThanThreeFullTiersHoldSuggestsAnOversubscription) {
  StatusOr<FatTreeShape> shape = Plan(12'288);
  ASSERT_FALSE(shape.ok());
  EXPECT_THAT(shape.status().message(),
              AllOf(HasSubstr("98304 NICs exceed 3 tiers of radix-64 switches"),
                    HasSubstr("at most 65536 NICs (64 pods x 32 leaves x 32 NICs)"),
                    HasSubstr("oversubscription: 3 holds 98304 NICs")));
}

TEST(FatTreeTest, AUnitTooLargeForTheRadixIsAnError) {
  FabricSpec fabric = SuperPod(8).fabric;
  fabric.nodes_per_unit = 40;  // 40 down + 40 up > 64
  StatusOr<FatTreeShape> shape = Plan(80, fabric);
  ASSERT_FALSE(shape.ok());
  EXPECT_THAT(shape.status().message(),
              HasSubstr("cluster.fabric.nodes_per_unit: a leaf of a 40-node unit needs 40 down + "
                        "40 up ports"));
}

TEST(FatTreeTest, ZeroOrOddRadixIsAnError) {
  for (int radix : {0, 63}) {
    FabricSpec fabric = SuperPod(8).fabric;
    fabric.switch_radix = radix;
    StatusOr<FatTreeShape> shape = Plan(64, fabric);
    ASSERT_FALSE(shape.ok());
    EXPECT_THAT(shape.status().message(),
                HasSubstr(fmt::format("cluster.fabric.switch_radix: {} must be an even", radix)));
  }
}

}  // namespace
}  // namespace trainsim::topology
