// ClusterSpecs for topology tests, with the values of topology/catalog/nodes.yaml and
// clusters.yaml (sources there): tests build specs here rather than parse the catalog, which is
// config/'s job, and must not depend on the working directory. Also a check that a route is a
// connected walk through the graph.
#ifndef TRAINSIM_TESTS_TOPOLOGY_TEST_CLUSTERS_H_
#define TRAINSIM_TESTS_TOPOLOGY_TEST_CLUSTERS_H_

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "sim/check.h"
#include "sim/units.h"
#include "tests/compute/test_gpus.h"
#include "topology/cluster_spec.h"
#include "topology/topology.h"

namespace trainsim::topology::testing {

using namespace trainsim::literals;

inline NodeSpec DgxH100() {
  return NodeSpec{.name = "DGX H100",
                  .gpu = compute::testing::H100Sxm(),
                  .gpus_per_node = 8,
                  .nvswitch_chips = 4,
                  .nvswitch_sharp = true,
                  .nvlink_latency = 0.5_us,
                  .nics_per_node = 8,
                  .nic_bandwidth = 400_Gbps,
                  .pcie_bandwidth = 64_GBps,
                  .node_power = 11.3_kW};
}

inline NodeSpec DgxA100() {
  return NodeSpec{.name = "DGX A100",
                  .gpu = compute::testing::A100Sxm80(),
                  .gpus_per_node = 8,
                  .nvswitch_chips = 6,
                  .nvswitch_sharp = false,
                  .nvlink_latency = 0.5_us,
                  .nics_per_node = 8,
                  .nic_bandwidth = 200_Gbps,
                  .pcie_bandwidth = 32_GBps,
                  .node_power = 6.5_kW};
}

// dgx-h100-superpod: 32-node scalable units, rail-optimised NDR fabric of radix-64 switches.
inline ClusterSpec SuperPod(int64_t gpus) {
  return ClusterSpec{.gpus = gpus,
                     .node = DgxH100(),
                     .nvlink_domain = {.nodes = 1},
                     .fabric = {.kind = FabricKind::kInfiniband,
                                .link_bandwidth = 400_Gbps,
                                .switch_radix = 64,
                                .nodes_per_unit = 32,
                                .rail_optimized = true,
                                .oversubscription = 1,
                                .hop_latency = 0.6_us,
                                .routing = Routing::kEcmp,
                                .sharp = {.enabled = false, .reduction_bandwidth = 400_Gbps}}};
}

// dgx-h100-nvl256: 32 nodes per NVLink domain, 225 GB/s per GPU off the node.
inline ClusterSpec Nvl256(int64_t gpus) {
  ClusterSpec spec = SuperPod(gpus);
  spec.nvlink_domain = {.nodes = 32,
                        .off_node_bandwidth_per_gpu = 225_GBps,
                        .switch_sharp = true,
                        .switch_latency = 0.5_us};
  return spec;
}

inline ClusterSpec WithSharp(ClusterSpec spec) {
  spec.fabric.sharp.enabled = true;
  return spec;
}

// Empty when `path` is a walk from GPU `src` to GPU `dst` (each link starts where the previous
// one ended); otherwise what is wrong.
inline std::string PathProblem(const Topology& t, int64_t src, int64_t dst,
                               std::span<const LinkIndex> path) {
  if (path.empty()) return "empty path";
  uint64_t at = static_cast<uint64_t>(src);  // GPU vertices come first: vertex r is rank r
  for (size_t i = 0; i < path.size(); ++i) {
    const Link& link = t.links()[path[i].value];
    if (link.from != at) return fmt::format("hop {} leaves vertex {}, not {}", i, link.from, at);
    at = link.to;
  }
  if (at != static_cast<uint64_t>(dst)) return fmt::format("ends at vertex {}, not {}", at, dst);
  return "";
}

// The topology of `spec`, which must be a valid spec.
inline Topology Build(const ClusterSpec& spec) {
  StatusOr<Topology> t = Topology::Build(spec);
  TRAINSIM_CHECK(t.ok()) << t.status().message();
  return *std::move(t);
}

inline std::vector<LinkIndex> RouteOf(const Topology& t, int64_t src, int64_t dst,
                                      uint64_t flow_key = 0) {
  std::vector<LinkIndex> path;
  t.Route(src, dst, flow_key, path);
  return path;
}

inline std::vector<LinkTier> TiersOf(const Topology& t, std::span<const LinkIndex> path) {
  std::vector<LinkTier> tiers;
  for (LinkIndex l : path) tiers.push_back(t.links()[l.value].tier);
  return tiers;
}

}  // namespace trainsim::topology::testing

#endif  // TRAINSIM_TESTS_TOPOLOGY_TEST_CLUSTERS_H_
