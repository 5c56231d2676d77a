// Topology: the cluster as a graph of vertices (GPUs, NVSwitches, NVLink Switches, NICs, and
// leaf/spine/core switches) and directed links (one direction of a full-duplex cable, with its
// bandwidth, latency and tier), built from a ClusterSpec. It answers the questions collectives
// ask: which links does a transfer from rank a to rank b cross (shortest paths; ECMP spreading
// over equal-cost uplinks, or static D-mod-k; PXN across rails as NCCL does), and which links and
// switch reduction engines an in-network reduction (NVLS inside an NVLink domain, SHARP on the
// InfiniBand fabric) uses.
//
// Ranks are GPU indices 0..gpus-1, node-major: rank = node·gpus_per_node + local, and `local`
// is also the GPU's rail (NIC k of a node attaches to rail k). Vertex and link indices are dense
// and stable for a given spec. Immutable after Build; safe to share across threads.
//
// The model (each choice is documented where it is made, in topology.cc and routing.cc):
//  * Node: each GPU has one NVLink port to the node's NVSwitch chips, modelled as one
//    non-blocking crossbar vertex; gpu.nvlink_bandwidth per direction; node.nvlink_latency is
//    the GPU-to-GPU latency, split over the two hops.
//  * NVLink Switch System (nvlink_domain.nodes > 1): each node's NVSwitch has one link each way
//    to a domain-wide NVLink Switch vertex of gpus_per_node · off_node_bandwidth_per_gpu (DGX
//    H100: 8 · 225 GB/s = 1.8 TB/s, half the 3.6 TB/s the GPUs reach inside the node: the 2:1
//    taper of Hot Chips 2023); nvlink_domain.switch_latency is the extra one-way latency through
//    that tier, split over its two hops.
//  * Scale-out, built only when the cluster has more than one NVLink domain: GPU -> NIC over
//    PCIe (pcie_bandwidth, no latency modelled), NIC -> leaf at min(nic_bandwidth,
//    link_bandwidth), and the fat-tree of fat_tree.h. A link into a switch carries
//    fabric.hop_latency, a link into a NIC none, so a path's fabric latency is hop_latency per
//    switch crossed. With fewer NICs than GPUs (nics_per_node must divide gpus_per_node), GPU
//    `local` uses NIC local·nics/gpus (its rail): gpus/nics neighbouring GPUs share one NIC.
//  * Reduction engines: a kReduction link from a switch to itself for each NVSwitch when
//    node.nvswitch_sharp (capacity: the sum of its GPU ports, gpus_per_node · nvlink_bandwidth),
//    each NVLink Switch when nvlink_domain.switch_sharp (the sum of its node ports), and each
//    InfiniBand switch when fabric.sharp.enabled (sharp.reduction_bandwidth · switch_radix: line
//    rate on every port when reduction_bandwidth equals the port rate).
//
// Layout: vertices are GPUs (vertex r is rank r), NVSwitches (one per node), NVLink Switches
// (one per domain, only when domains span nodes), NICs, leaves, spines, cores. Links come in
// blocks (NVLink, NVLink network, PCIe, NIC, leaf-spine, spine-core, reduction); in each cable
// block the up direction (towards the spine/core) of cable i is link 2i and the down direction
// is 2i + 1. Routes are computed from indices in O(hops); there is no adjacency list.
#ifndef TRAINSIM_TOPOLOGY_TOPOLOGY_H_
#define TRAINSIM_TOPOLOGY_TOPOLOGY_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sim/flow_network.h"
#include "sim/status.h"
#include "sim/units.h"
#include "topology/cluster_spec.h"
#include "topology/fat_tree.h"

namespace trainsim::topology {

enum class VertexKind : uint8_t { kGpu, kNvSwitch, kNvlinkSwitch, kNic, kLeaf, kSpine, kCore };

// kReduction links are virtual: a switch's in-network reduction engine, whose capacity is its
// reduction throughput; in-network trees cross them once per reduced input stream.
enum class LinkTier : uint8_t {
  kNvlink,         // GPU <-> NVSwitch inside a node
  kNvlinkNetwork,  // node NVSwitches <-> NVLink Switch tier (NVLink Switch System)
  kPcie,           // GPU <-> its NIC
  kLeaf,           // NIC <-> leaf switch
  kSpine,          // leaf <-> spine
  kCore,           // spine <-> core
  kReduction,      // a switch's reduction engine (NVLS, SHARP)
};
std::string_view TierName(LinkTier tier);  // "nvlink", "nvlink-network", "pcie", "leaf", ...

struct Vertex {
  VertexKind kind;
  // GPU: rank. NIC: node·nics_per_node + rail (the rank of its GPU when there is one NIC per
  // GPU). NVSwitch: node. NVLink Switch: NVLink domain. Leaf, spine, core: switch number in its
  // tier (leaves rail-major, spines pod-major, cores group-major; see fat_tree.h).
  int64_t index;
};

struct Link {
  uint32_t from;  // vertex indices; from == to for a kReduction link
  uint32_t to;
  BytesPerSecond bandwidth;
  Time latency;
  LinkTier tier;
};

class Topology {
 public:
  // fabric.faults (leaf-spine tier only, fabrics of 2 or 3 tiers with at most 64 leaf uplinks):
  // failed uplinks are never routed (ECMP and D-mod-k move to the next working uplink both
  // leaves share), degraded ones keep a fraction of their bandwidth; leaves left without a
  // common working uplink are an error naming them, and a SHARP tree that would cross a failed
  // uplink is a FailedPrecondition.
  // Errors (kInvalidArgument, naming the field; all problems in one message separated by "; "):
  // a fabric too small for the node count at the given tiers and radix (fat_tree.h has the
  // capacity formulas), a zero or odd radix, SHARP without an InfiniBand fabric, bandwidths that
  // are not > 0 where a link needs them, NVLink domains or NICs that do not divide the nodes or
  // GPUs, more than 2^32 - 1 vertices or links. Fabric fields are checked only when the cluster
  // has more than one NVLink domain and so needs the fabric.
  static StatusOr<Topology> Build(const ClusterSpec& spec);

  const ClusterSpec& spec() const;
  int64_t gpus() const;
  int64_t nodes() const;
  int64_t NodeOf(int64_t rank) const;
  int LocalIndex(int64_t rank) const;  // also the rail when there is one NIC per GPU
  int RailOf(int64_t rank) const;      // the NIC of its node the GPU uses: local·nics/gpus
  int64_t NvlinkDomainOf(int64_t rank) const;
  int fabric_tiers() const;  // 0 when there is no scale-out fabric
  // The fat-tree's sizes (all zero without a scale-out fabric).
  const FatTreeShape& fat_tree() const;
  // Concurrent SHARP trees a switch supports (fabric.sharp.max_trees); 0 without SHARP. The
  // collectives layer stripes in-network reductions over at most this many trees.
  int sharp_max_trees() const;

  std::span<const Vertex> vertices() const;
  std::span<const Link> links() const;
  // Capacities in link order, for FlowNetwork.
  std::vector<BytesPerSecond> Capacities() const;

  // Appends the directed links a transfer from `src` to `dst` crosses (src != dst). Inside an
  // NVLink domain: NVLink (and the NVLink Switch tier between nodes). Otherwise: the scale-out
  // fabric through the NIC on dst's rail, reached over NVLink first when src is on another rail
  // (PXN). ECMP hashes `flow_key` to pick among equal-cost uplinks; D-mod-k ignores it.
  // Without rail optimisation a GPU always uses its own NIC (no PXN hop). Every route is a
  // shortest path and the same arguments always give the same path. See routing.cc for the
  // hash and the D-mod-k port formula. REQUIRES: 0 <= src, dst < gpus(), src != dst.
  void Route(int64_t src, int64_t dst, uint64_t flow_key, std::vector<LinkIndex>& path) const;
  // Sum of link latencies along a path.
  Time PathLatency(std::span<const LinkIndex> path) const;

  // The hops of one in-network AllReduce stream per rank: each rank's links up to the reducing
  // switch(es) and back down (weight 1 per direction), each reducing switch's reduction link
  // (weight = streams it reduces), and the links between switches of the tree.
  // NVLS: ranks in one NVLink domain whose NVSwitches reduce (node.nvswitch_sharp, or
  // nvlink_domain.switch_sharp across nodes). SHARP: ranks reached through their rail NICs on a
  // fabric with sharp.enabled; the tree is rooted at the lowest tier that spans them all.
  // Errors name why the group cannot use the algorithm.
  // Hops come one per link, sorted by link index (a link that several ranks' streams cross
  // carries their summed weight). Ranks must be distinct and in range (kInvalidArgument); a
  // group the hardware cannot reduce is kFailedPrecondition.
  StatusOr<std::vector<FlowHop>> NvlsTree(std::span<const int64_t> ranks) const;
  StatusOr<std::vector<FlowHop>> SharpTree(std::span<const int64_t> ranks) const;  // tree 0
  // SHARP tree number `tree` of the group: trees differ in their spine (and core) roots, leaf
  // uplink tree % leaf_up and spine uplink (tree / leaf_up) % spine_up, so concurrent trees of
  // one group, or of groups on different rails, can spread over the upper tiers.
  // REQUIRES: tree >= 0.
  StatusOr<std::vector<FlowHop>> SharpTree(std::span<const int64_t> ranks, int tree) const;

 private:
  // Sizes, and the first vertex and link of each block (see the header comment). A block that
  // is absent has no entries; a reduction base is kNone where that tier's switches do not reduce.
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Layout {
    size_t vertices = 0;
    size_t links = 0;
    uint32_t nvswitch_vertex = 0;
    uint32_t nvlink_switch_vertex = 0;
    uint32_t nic_vertex = 0;
    uint32_t leaf_vertex = 0;
    uint32_t spine_vertex = 0;
    uint32_t core_vertex = 0;
    uint32_t nvlink_link = 0;                  // cable: rank
    uint32_t nvlink_network_link = 0;          // cable: node
    uint32_t pcie_link = 0;                    // cable: rank
    uint32_t nic_link = 0;                     // cable: NIC
    uint32_t leaf_spine_link = 0;              // cable: leaf·leaf_up + uplink port
    uint32_t spine_core_link = 0;              // cable: spine·spine_up + uplink port
    uint32_t nvswitch_reduction = kNone;       // + node
    uint32_t nvlink_switch_reduction = kNone;  // + domain
    uint32_t leaf_reduction = kNone;           // + leaf, then spines, then cores
  };

  Topology() = default;
  static StatusOr<Layout> MakeLayout(const ClusterSpec& spec, const FatTreeShape& fat_tree);
  void AddVertices();
  void AddCable(int64_t lower, int64_t upper, BytesPerSecond bandwidth, Time up_latency,
                Time down_latency, LinkTier tier);
  void AddNodeLinks();
  void AddFabricLinks();
  void AddReductionLinks();

  // Link indices from the layout (routing.cc).
  LinkIndex Up(uint32_t block, int64_t cable) const;
  LinkIndex Down(uint32_t block, int64_t cable) const;
  int64_t NicOf(int64_t node, int rail) const;
  int64_t LeafOf(int64_t nic) const;
  int64_t LeafPortOf(int64_t nic) const;  // the NIC's down port on its leaf
  int64_t PodOf(int64_t leaf) const;
  void AppendFabric(int64_t leaf_a, int64_t leaf_b, int uplink, int spine_uplink,
                    std::vector<LinkIndex>& path) const;
  // fabric.faults: failed uplinks leave leaf_alive_, degraded ones lose bandwidth; errors for
  // faults outside the fabric and for leaf pairs left without a common working uplink.
  Status ApplyFaults();
  // Leaf uplinks a route between the two leaves can take: working on both, and for leaves in
  // different pods, leading to spines that still share a working core uplink.
  uint64_t UsableUplinks(int64_t leaf_a, int64_t leaf_b) const;
  // Core uplinks that spine `spine` (index in its pod) of both pods still has. REQUIRES: faults
  // in a three-tier fabric (spine_alive_ filled).
  uint64_t SharedCoreUplinks(int64_t pod_a, int64_t pod_b, int spine) const;
  // Among the set bits of `usable`: with ECMP the (choice mod n)-th (flows spread evenly over
  // what is left); with D-mod-k the first at or after `preferred`, circularly (a static table's
  // reroute). REQUIRES: usable != 0.
  int PickWorking(uint64_t usable, int preferred, uint64_t choice, int width) const;
  Status CheckRanks(std::string_view algorithm, std::span<const int64_t> ranks) const;

  ClusterSpec spec_;
  FatTreeShape fat_tree_;
  Layout layout_;
  std::vector<Vertex> vertices_;
  std::vector<Link> links_;
  // With fabric.faults: bit j of leaf_alive_[leaf] is set while uplink j works, bit q of
  // spine_alive_[spine] while its core uplink q works. Empty: no faults.
  std::vector<uint64_t> leaf_alive_;
  std::vector<uint64_t> spine_alive_;
};

}  // namespace trainsim::topology

#endif  // TRAINSIM_TOPOLOGY_TOPOLOGY_H_
