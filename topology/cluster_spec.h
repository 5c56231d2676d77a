// ClusterSpec: the validated description of a cluster, as config/ builds it from a scenario:
// nodes of GPUs on NVSwitch, optionally joined into NVLink domains by NVLink Switches, and
// NVLink domains joined by a scale-out fat-tree. Bandwidths are per direction. The topology
// graph, routing and link model built from this spec live here too (later).
#ifndef TRAINSIM_TOPOLOGY_CLUSTER_SPEC_H_
#define TRAINSIM_TOPOLOGY_CLUSTER_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "compute/gpu_spec.h"
#include "sim/units.h"

namespace trainsim::topology {

struct NodeSpec {
  std::string name;
  compute::GpuSpec gpu;
  int gpus_per_node = 8;
  int nvswitch_chips = 0;
  bool nvswitch_sharp = false;  // NVLS: reduce and multicast in the NVSwitch
  Time nvlink_latency;
  int nics_per_node = 0;
  BytesPerSecond nic_bandwidth;
  BytesPerSecond pcie_bandwidth;
  Watts node_power;
};

struct NvlinkDomainSpec {
  int nodes = 1;  // 1: NVSwitch inside the node only; up to 32 with the NVLink Switch System
  BytesPerSecond off_node_bandwidth_per_gpu;
  bool switch_sharp = false;
  Time switch_latency;
};

enum class FabricKind { kNone, kInfiniband, kEthernet };
enum class Routing { kEcmp, kDModK };

struct SharpSpec {
  bool enabled = false;
  BytesPerSecond reduction_bandwidth;
  int max_trees = 64;
};

// One fault, by what it names:
//   leaf, port:  that leaf uplink failed (bandwidth_fraction 0) or degraded;
//   leaf:        the whole leaf switch failed (an error: its NICs have no other path);
//   spine, port: that spine's core uplink (three tiers) failed or degraded;
//   spine:       the whole spine failed;
//   core:        the whole core switch failed (three tiers).
// Traffic reroutes over the remaining equal-cost uplinks.
struct FabricFault {
  int64_t leaf = -1;
  int port = -1;
  int64_t spine = -1;
  int64_t core = -1;
  double bandwidth_fraction = 0;
};

struct FabricSpec {
  FabricKind kind = FabricKind::kInfiniband;
  BytesPerSecond link_bandwidth;
  int switch_radix = 64;
  int tiers = 0;  // 0: the fewest that fit
  int nodes_per_unit = 32;
  bool rail_optimized = true;
  double oversubscription = 1.0;
  Time hop_latency;
  Routing routing = Routing::kEcmp;
  SharpSpec sharp;
  std::vector<FabricFault> faults;
};

struct ClusterSpec {
  int64_t gpus = 0;
  NodeSpec node;
  NvlinkDomainSpec nvlink_domain;
  FabricSpec fabric;

  int64_t nodes() const { return gpus / node.gpus_per_node; }
  int64_t gpus_per_nvlink_domain() const {
    return static_cast<int64_t>(nvlink_domain.nodes) * node.gpus_per_node;
  }
  int64_t nvlink_domains() const { return gpus / gpus_per_nvlink_domain(); }
};

}  // namespace trainsim::topology

#endif  // TRAINSIM_TOPOLOGY_CLUSTER_SPEC_H_
