// Fabric faults: failed and degraded leaf and spine uplinks, failed spines, cores and leaves. Routes avoid
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
              HasSubstr("leaves 1 and 0 have no working path left (no uplink in common)"));
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
              HasSubstr("give a leaf (with a port for one uplink), a spine (with a port for one "
                        "core uplink), or a core"));
  EXPECT_THAT(
      Topology::Build(TwoUnits({{.spine = 2, .bandwidth_fraction = 0.5}})).status().message(),
      HasSubstr("failed whole"));
}

// Three tiers in miniature: radix-16 switches, 4 nodes per unit, so a pod holds 8 leaves and
// rail 0 (leaves 0 .. 15 of 64 nodes) spans two pods: node i of pod 0 (nodes 0 .. 31) sends to
// node 32 + i of pod 1 over leaf uplink, spine, core and back down.
ClusterSpec TwoPods(std::vector<FabricFault> faults, Routing routing = Routing::kDModK) {
  ClusterSpec spec = SuperPod(512);
  spec.fabric.tiers = 3;
  spec.fabric.switch_radix = 16;
  spec.fabric.nodes_per_unit = 4;
  spec.fabric.routing = routing;
  spec.fabric.faults = std::move(faults);
  return spec;
}

// The time for GPU 0 of node i to send 1 GB to GPU 0 of node 32 + i, i = 0 .. 31, all at once,
// and the core-tier links they cross.
Time CrossPod(const Topology& t, std::set<uint32_t>* core_links = nullptr) {
  EventEngine engine;
  FlowNetwork network(engine, t.Capacities());
  std::vector<std::vector<FlowHop>> paths(32);
  Time done;
  for (int i = 0; i < 32; ++i) {
    const std::vector<LinkIndex> route = testing::RouteOf(t, int64_t{i} * 8, int64_t{32 + i} * 8);
    EXPECT_EQ(testing::PathProblem(t, int64_t{i} * 8, int64_t{32 + i} * 8, route), "");
    for (LinkIndex l : route) {
      paths[i].push_back({.link = l});
      if (core_links != nullptr && t.links()[l.value].tier == LinkTier::kCore) {
        core_links->insert(l.value);
      }
    }
    network.Start({.path = paths[i], .bytes = Bytes(1'000'000'000)},
                  [&] { done = std::max(done, engine.now()); });
  }
  engine.Run();
  return done;
}

TEST(FabricFaults, SpineCoreUplinksAndCoresFailOrDegrade) {
  StatusOr<Topology> healthy = Topology::Build(TwoPods({}));
  ASSERT_TRUE(healthy.ok()) << healthy.status().message();
  std::set<uint32_t> used;
  const Time base = CrossPod(*healthy, &used);
  ASSERT_FALSE(used.empty());
  for (const FabricFault& fault :
       {FabricFault{.port = 0, .spine = 0}, FabricFault{.core = 0}}) {
    StatusOr<Topology> t = Topology::Build(TwoPods({fault}));
    ASSERT_TRUE(t.ok()) << t.status().message();
    std::set<uint32_t> now;
    const Time slower = CrossPod(*t, &now);
    // D-mod-k gives each flow its own core uplink (32 flows, 64 core-tier links up and down);
    // the failed one's flow moves to the next working uplink and shares it: twice as long.
    EXPECT_EQ(now.size(), used.size() - 2);
    EXPECT_NEAR(slower.seconds() / base.seconds(), 2.0, 0.01);
  }
  // A half-speed core uplink on every spine of pod 0 slows the permutation, failing none.
  const FatTreeShape& ft = healthy->fat_tree();
  std::vector<FabricFault> degraded;
  for (int64_t sp = 0; sp < ft.spines_per_pod; ++sp) {
    for (int q = 0; q < ft.spine_up; ++q) {
      degraded.push_back({.port = q, .spine = sp, .bandwidth_fraction = 0.5});
    }
  }
  StatusOr<Topology> half = Topology::Build(TwoPods(degraded));
  ASSERT_TRUE(half.ok()) << half.status().message();
  EXPECT_NEAR(CrossPod(*half).seconds() / base.seconds(), 2.0, 0.01);
}

TEST(FabricFaults, CoreFaultsThatCutThePodsApartAreErrors) {
  StatusOr<Topology> shape = Topology::Build(TwoPods({}));
  ASSERT_TRUE(shape.ok());
  std::vector<FabricFault> cores;
  for (int64_t c = 0; c < shape->fat_tree().cores; ++c) cores.push_back({.core = c});
  StatusOr<Topology> t = Topology::Build(TwoPods(cores));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("have no working path left"));
  EXPECT_THAT(Topology::Build(TwoUnits({{.core = 0}})).status().message(),
              HasSubstr("faults[0]: core 0 must be a core switch of a three-tier fabric"));
  EXPECT_THAT(Topology::Build(TwoPods({{.port = 9, .spine = 0}})).status().message(),
              HasSubstr("faults[0]: spine 0 port 9 is not a spine's core uplink"));
}

}  // namespace
}  // namespace trainsim::topology
