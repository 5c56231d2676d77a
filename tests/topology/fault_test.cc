// Fabric faults: failed and degraded leaf uplinks, failed spines, failed leaves. Routes avoid
// failed uplinks (ECMP hashes over the working ones both leaves share, D-mod-k takes the next), degraded ones lose bandwidth, a leaf pair left
// without a common uplink is an error, and the flow model sees the effect.
#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/engine.h"
#include "sim/flow_network.h"
#include "tests/topology/test_clusters.h"

namespace trainsim::topology {
namespace {

using ::testing::HasSubstr;
using testing::SuperPod;

// 64 DGX H100 nodes: 2 units of 32, so rail 0 has leaves 0 (unit 0) and 1 (unit 1), each with
// 32 uplinks. D-mod-k sends node i of unit 0 to node 32 + i over uplink i: a permutation that
// uses every uplink once.
ClusterSpec TwoUnits(std::vector<FabricFault> faults) {
  ClusterSpec spec = SuperPod(512);
  spec.fabric.tiers = 2;
  spec.fabric.routing = Routing::kDModK;
  spec.fabric.faults = std::move(faults);
  return spec;
}

// The time for node i's GPU 0 to send 1 GB to node 32 + i's GPU 0, for all i at once.
Time Permutation(const Topology& t) {
  EventEngine engine;
  FlowNetwork network(engine, t.Capacities());
  std::vector<std::vector<FlowHop>> paths(32);
  Time done;
  for (int i = 0; i < 32; ++i) {
    std::vector<LinkIndex> route;
    t.Route(int64_t{i} * 8, int64_t{32 + i} * 8, 0, route);
    for (LinkIndex l : route) paths[i].push_back({.link = l});
    network.Start({.path = paths[i], .bytes = Bytes(1'000'000'000)},
                  [&] { done = std::max(done, engine.now()); });
  }
  engine.Run();
  return done;
}

// The leaf-spine links leaving leaf 0 that the permutation uses.
std::set<uint32_t> UplinksUsed(const Topology& t) {
  std::set<uint32_t> used;
  for (int i = 0; i < 32; ++i) {
    const std::vector<LinkIndex> route = testing::RouteOf(t, int64_t{i} * 8, int64_t{32 + i} * 8);
    EXPECT_EQ(testing::PathProblem(t, int64_t{i} * 8, int64_t{32 + i} * 8, route), "");
    for (LinkIndex l : route) {
      const Link& link = t.links()[l.value];
      if (link.tier == LinkTier::kSpine && t.vertices()[link.from].kind == VertexKind::kLeaf) {
        used.insert(l.value);
      }
    }
  }
  return used;
}

TEST(FabricFaults, RoutesAvoidAFailedUplink) {
  StatusOr<Topology> healthy = Topology::Build(TwoUnits({}));
  StatusOr<Topology> t = Topology::Build(TwoUnits({{.leaf = 0, .port = 5}}));
  ASSERT_TRUE(healthy.ok() && t.ok()) << t.status().message();
  EXPECT_EQ(UplinksUsed(*healthy).size(), 32u);  // D-mod-k: one flow per uplink
  EXPECT_EQ(UplinksUsed(*t).size(), 31u);        // the failed one is left out
  // The flow that used uplink 5 now shares uplink 6: two flows on one uplink take twice as long.
  EXPECT_NEAR(Permutation(*t).seconds() / Permutation(*healthy).seconds(), 2.0, 0.01);
}

// ECMP hashes every flow over the uplinks that still work, so many flows (a DP all-reduce's
// channels between two units) spread evenly over 31 of 32 uplinks: the leaf's bandwidth
// drops by the lost fraction, 1/32, not by a collision's factor of two.
TEST(FabricFaults, EcmpSpreadsOverTheWorkingUplinks) {
  ClusterSpec spec = TwoUnits({{.leaf = 0, .port = 5}});
  spec.fabric.routing = Routing::kEcmp;
  StatusOr<Topology> t = Topology::Build(spec);
  ASSERT_TRUE(t.ok()) << t.status().message();
  std::map<uint32_t, int> load;  // leaf 0's uplinks → flows
  const int flows_per_pair = 8;
  int flows = 0;
  for (int i = 0; i < 32; ++i) {
    for (int j = 0; j < 32; ++j) {
      for (int k = 0; k < flows_per_pair; ++k, ++flows) {
        std::vector<LinkIndex> route;
        t->Route(int64_t{i} * 8, int64_t{32 + j} * 8, static_cast<uint64_t>(k), route);
        for (LinkIndex l : route) {
          const Link& link = t->links()[l.value];
          if (link.tier == LinkTier::kSpine && t->vertices()[link.from].kind == VertexKind::kLeaf) {
            ++load[l.value];
          }
        }
      }
    }
  }
  ASSERT_EQ(load.size(), 31u);
  const double mean = static_cast<double>(flows) / 31;
  for (const auto& [link, n] : load) {
    EXPECT_NEAR(n / mean, 1.0, 0.2) << "uplink link " << link;
  }
}

TEST(FabricFaults, ADegradedUplinkSlowsItsFlowByItsLostFraction) {
  StatusOr<Topology> healthy = Topology::Build(TwoUnits({}));
  StatusOr<Topology> half =
      Topology::Build(TwoUnits({{.leaf = 0, .port = 7, .bandwidth_fraction = 0.5}}));
  StatusOr<Topology> most =
      Topology::Build(TwoUnits({{.leaf = 1, .port = 7, .bandwidth_fraction = 0.8}}));
  ASSERT_TRUE(healthy.ok() && half.ok() && most.ok());
  const double base = Permutation(*healthy).seconds();
  EXPECT_NEAR(Permutation(*half).seconds() / base, 2.0, 0.01);
  EXPECT_NEAR(Permutation(*most).seconds() / base, 1.25, 0.01);
}

TEST(FabricFaults, AFailedSpineTakesItsUplinksEverywhereInThePod) {
  StatusOr<Topology> t = Topology::Build(TwoUnits({{.spine = 3}}));
  ASSERT_TRUE(t.ok()) << t.status().message();
  StatusOr<Topology> healthy = Topology::Build(TwoUnits({}));
  // Uplink 3 of every leaf is gone: flow 3 joins flow 4 on uplink 4.
  EXPECT_NEAR(Permutation(*t).seconds() / Permutation(*healthy).seconds(), 2.0, 0.01);
}

TEST(FabricFaults, ALeafCutOffIsAnErrorNotAHang) {
  std::vector<FabricFault> all;
  for (int port = 0; port < 32; ++port) all.push_back({.leaf = 1, .port = port});
  StatusOr<Topology> t = Topology::Build(TwoUnits(all));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(),
              HasSubstr("leaves 1 and 0 have no working uplink in common"));
}

// A failed leaf switch (rail 0 of unit 1: GPU 0 of nodes 32 .. 63) leaves its NICs no path:
// an error that names the GPUs, not a hang or a silent reroute.
TEST(FabricFaults, AFailedLeafDisconnectsItsGpusAndSaysWhich) {
  StatusOr<Topology> t = Topology::Build(TwoUnits({{.leaf = 1}}));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(),
              HasSubstr("faults[0]: leaf 1 failed whole, which disconnects 32 GPUs from the "
                        "fabric (no other path reaches their NICs): GPUs 256, 264, 272"));
  EXPECT_THAT(Topology::Build(TwoUnits({{.leaf = 1, .bandwidth_fraction = 0.5}})).status().message(),
              HasSubstr("faults[0]: leaf 1 must be a leaf (0 .. 15) that failed whole"));
}

TEST(FabricFaults, FaultsOutsideTheFabricAreErrors) {
  EXPECT_THAT(Topology::Build(TwoUnits({{.leaf = 0, .port = 32}})).status().message(),
              HasSubstr("faults[0]: leaf 0 port 32 is not a leaf uplink"));
  EXPECT_THAT(Topology::Build(TwoUnits({{.leaf = 0, .port = 1, .spine = 2}})).status().message(),
              HasSubstr("give a leaf (with a port for one uplink), or a spine"));
  EXPECT_THAT(
      Topology::Build(TwoUnits({{.spine = 2, .bandwidth_fraction = 0.5}})).status().message(),
      HasSubstr("failed whole"));
}

}  // namespace
}  // namespace trainsim::topology
