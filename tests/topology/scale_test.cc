// Builds the largest clusters trainsim targets and reports how long that took, without timing
// assertions (a loaded CI machine must not fail them): the build time goes to the test's XML
// properties and stdout. What is asserted are the sizes, from the formulas of fat_tree.h.
#include "topology/topology.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

#include "tests/topology/test_clusters.h"

namespace trainsim::topology {
namespace {

using testing::PathProblem;
using testing::RouteOf;
using testing::SuperPod;
using testing::WithSharp;

Topology TimedBuild(const ClusterSpec& spec) {
  const auto start = std::chrono::steady_clock::now();
  StatusOr<Topology> t = Topology::Build(spec);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  TRAINSIM_CHECK(t.ok()) << t.status().message();
  ::testing::Test::RecordProperty("build_ms", std::to_string(ms));
  std::printf("Topology::Build(%lld GPUs): %.1f ms, %zu vertices, %zu links\n",
              static_cast<long long>(spec.gpus), ms, t->vertices().size(), t->links().size());
  return *std::move(t);
}

void ExpectRoutesConnect(const Topology& t) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> rank(0, t.gpus() - 1);
  for (int i = 0; i < 1000; ++i) {
    const int64_t a = rank(rng), b = rank(rng);
    if (a == b) continue;
    ASSERT_EQ(PathProblem(t, a, b, RouteOf(t, a, b, i)), "") << a << " -> " << b;
  }
}

TEST(ScaleTest, Builds16384Gpus) {
  const Topology t = TimedBuild(WithSharp(SuperPod(16'384)));
  const int64_t nodes = 2048, leaves = nodes / 32 * 8;
  EXPECT_EQ(t.fabric_tiers(), 3);
  EXPECT_EQ(t.fat_tree().leaves, leaves);
  EXPECT_EQ(t.fat_tree().spines, leaves);  // 32 per pod of 32 leaves
  ExpectRoutesConnect(t);
}

TEST(ScaleTest, Builds32768GpusInThreeTiersOfRadix64) {
  const Topology t = TimedBuild(WithSharp(SuperPod(32'768)));
  const int64_t nodes = 4096, leaves = nodes / 32 * 8, pods = leaves / 32;
  EXPECT_EQ(t.fat_tree().pods, pods);
  EXPECT_EQ(t.fat_tree().cores, 32 * (32 / (64 / pods)));  // 32 groups of 32/c' cores, c' = 2
  ExpectRoutesConnect(t);
}

TEST(ScaleTest, Builds98304GpusInThreeTiersAtOversubscriptionThree) {
  ClusterSpec spec = WithSharp(SuperPod(98'304));
  spec.fabric.oversubscription = 3;
  const Topology t = TimedBuild(spec);
  const int64_t nodes = 12'288, leaves = nodes / 32 * 8;
  const int64_t leaf_up = 11;  // ceil(32 / 3)
  EXPECT_EQ(t.fat_tree().leaves, leaves);
  EXPECT_EQ(t.fat_tree().pods, 64);  // 64 pods of 48 leaves: a radix-64 core's ports
  EXPECT_EQ(t.fat_tree().spines, 64 * leaf_up);
  EXPECT_EQ(t.fat_tree().cores, leaf_up * 16);
  ExpectRoutesConnect(t);
}

}  // namespace
}  // namespace trainsim::topology
