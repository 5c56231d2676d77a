// Routing: shortest paths computed from indices, no graph search. A fat-tree has closed-form
// shortest paths: up to the lowest tier that joins source and destination leaf, then down. The
// only choices are the leaf's uplink port j (which fixes the spine and the cable) and, when the
// leaves are in different pods, the spine's uplink port q (which fixes the core). The way down
// mirrors the way up (the same spine, the same core, cable j and q on the other side), so a
// path is fixed by (j, q):
//   ECMP:    h = hash(flow_key, src, dst); j = h mod leaf_up; q = (h / leaf_up) mod spine_up,
//            a uniform choice among the leaf_up · spine_up equal-cost paths.
//   D-mod-k: D = the destination NIC's fat-tree number, leaf · leaf_down + its port on the leaf;
//            j = D mod leaf_up; q = (D / leaf_up) mod spine_up (Zahavi, "D-Mod-K routing
//            providing non-blocking traffic for shift permutations on real life fat trees",
//            2010), so NICs under one leaf leave every other leaf by distinct uplinks.
// With failed uplinks (fabric.faults) j is chosen among those both leaves still share (and, across
// pods, whose spines still share a working core uplink), then q among the core uplinks both
// spines still have: ECMP hashes over them (h mod their number), D-mod-k takes the next working
// one after its usual choice.
//
// Rails (PXN): in a rail-optimised fabric traffic to a GPU on rail k always enters the fabric
// through the source node's NIC k, reached over NVLink when the source GPU is on another rail,
// as NCCL's PXN does (NCCL_PXN_DISABLE=0, the default since NCCL 2.12): a transfer never
// changes rail inside the fabric, so one rail's leaves and spines carry all of its traffic.
// With fewer NICs than GPUs the relay is the first GPU of the source node on that NIC. Without
// rail optimisation every NIC of a node sits on the same leaf and a GPU uses its own NIC.
#include "topology/topology.h"

#include <bit>
#include <cstdint>
#include <vector>

namespace trainsim::topology {
namespace {

// splitmix64's finaliser (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): a fixed, platform-independent mix, so ECMP choices are reproducible.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t FlowHash(uint64_t flow_key, int64_t src, int64_t dst) {
  return Mix(Mix(Mix(flow_key) ^ static_cast<uint64_t>(src)) ^ static_cast<uint64_t>(dst));
}

}  // namespace

LinkIndex Topology::Up(uint32_t block, int64_t cable) const {
  return LinkIndex{static_cast<uint32_t>(block + 2 * cable)};
}

LinkIndex Topology::Down(uint32_t block, int64_t cable) const {
  return LinkIndex{static_cast<uint32_t>(block + 2 * cable + 1)};
}

int64_t Topology::NicOf(int64_t node, int rail) const {
  return node * spec_.node.nics_per_node + rail;
}

int64_t Topology::LeafOf(int64_t nic) const {
  const int rails = spec_.node.nics_per_node;
  const int64_t unit = nic / rails / fat_tree_.nodes_per_unit;
  if (!spec_.fabric.rail_optimized) return unit;
  return (nic % rails) * fat_tree_.units + unit;  // rail-major
}

int64_t Topology::LeafPortOf(int64_t nic) const {
  const int rails = spec_.node.nics_per_node;
  const int64_t node_in_unit = nic / rails % fat_tree_.nodes_per_unit;
  return spec_.fabric.rail_optimized ? node_in_unit : node_in_unit * rails + nic % rails;
}

int64_t Topology::PodOf(int64_t leaf) const {
  return fat_tree_.leaves_per_pod > 0 ? leaf / fat_tree_.leaves_per_pod : 0;
}

void Topology::AppendFabric(int64_t leaf_a, int64_t leaf_b, int uplink, int spine_uplink,
                            std::vector<LinkIndex>& path) const {
  if (leaf_a == leaf_b) return;
  const FatTreeShape& ft = fat_tree_;
  TRAINSIM_CHECK(ft.tiers >= 2) << "leaves " << leaf_a << " and " << leaf_b
                                << " of a 1-tier fabric share no switch";
  path.push_back(Up(layout_.leaf_spine_link, leaf_a * ft.leaf_up + uplink));
  const int64_t pod_a = PodOf(leaf_a);
  const int64_t pod_b = PodOf(leaf_b);
  if (pod_a != pod_b) {
    const int spine = uplink % ft.spines_per_pod;
    const int64_t spine_a = pod_a * ft.spines_per_pod + spine;
    const int64_t spine_b = pod_b * ft.spines_per_pod + spine;
    path.push_back(Up(layout_.spine_core_link, spine_a * ft.spine_up + spine_uplink));
    path.push_back(Down(layout_.spine_core_link, spine_b * ft.spine_up + spine_uplink));
  }
  path.push_back(Down(layout_.leaf_spine_link, leaf_b * ft.leaf_up + uplink));
}

uint64_t Topology::SharedCoreUplinks(int64_t pod_a, int64_t pod_b, int spine) const {
  const int per_pod = fat_tree_.spines_per_pod;
  return spine_alive_[static_cast<size_t>(pod_a * per_pod + spine)] &
         spine_alive_[static_cast<size_t>(pod_b * per_pod + spine)];
}

uint64_t Topology::UsableUplinks(int64_t leaf_a, int64_t leaf_b) const {
  uint64_t usable =
      leaf_alive_[static_cast<size_t>(leaf_a)] & leaf_alive_[static_cast<size_t>(leaf_b)];
  const FatTreeShape& ft = fat_tree_;
  const int64_t pod_a = PodOf(leaf_a);
  const int64_t pod_b = PodOf(leaf_b);
  if (pod_a == pod_b || spine_alive_.empty()) return usable;
  for (int j = 0; j < ft.leaf_up; ++j) {
    const int k = j % ft.spines_per_pod;
    if (SharedCoreUplinks(pod_a, pod_b, k) == 0) usable &= ~(uint64_t{1} << j);
  }
  return usable;
}

int Topology::PickWorking(uint64_t usable, int preferred, uint64_t choice, int width) const {
  TRAINSIM_CHECK(usable != 0) << "no working uplink (ApplyFaults should have refused)";
  if (spec_.fabric.routing == Routing::kEcmp) {
    // The (choice mod n)-th of the n working uplinks.
    for (uint64_t k = choice % static_cast<uint64_t>(std::popcount(usable)); k > 0; --k) {
      usable &= usable - 1;
    }
    return std::countr_zero(usable);
  }
  for (int t = 0; t < width; ++t) {
    const int j = (preferred + t) % width;
    if (usable >> j & 1) return j;
  }
  return preferred;
}

void Topology::Route(int64_t src, int64_t dst, uint64_t flow_key,
                     std::vector<LinkIndex>& path) const {
  TRAINSIM_CHECK(src >= 0 && src < gpus() && dst >= 0 && dst < gpus() && src != dst)
      << "Route(" << src << ", " << dst << ") in a cluster of " << gpus() << " GPUs";
  const int64_t node_a = NodeOf(src);
  const int64_t node_b = NodeOf(dst);
  if (node_a == node_b) {
    path.push_back(Up(layout_.nvlink_link, src));
    path.push_back(Down(layout_.nvlink_link, dst));
    return;
  }
  if (NvlinkDomainOf(src) == NvlinkDomainOf(dst)) {
    path.push_back(Up(layout_.nvlink_link, src));
    path.push_back(Up(layout_.nvlink_network_link, node_a));
    path.push_back(Down(layout_.nvlink_network_link, node_b));
    path.push_back(Down(layout_.nvlink_link, dst));
    return;
  }

  const FatTreeShape& ft = fat_tree_;
  TRAINSIM_CHECK(ft.tiers > 0) << "no scale-out fabric between NVLink domains";
  const int gpus_per_nic = spec_.node.gpus_per_node / spec_.node.nics_per_node;
  const int dst_rail = RailOf(dst);
  int src_rail = RailOf(src);
  int64_t relay = src;  // the GPU whose PCIe link reaches the NIC the transfer leaves by
  if (spec_.fabric.rail_optimized && src_rail != dst_rail) {
    relay = node_a * spec_.node.gpus_per_node + static_cast<int64_t>(dst_rail) * gpus_per_nic;
    src_rail = dst_rail;
    path.push_back(Up(layout_.nvlink_link, src));
    path.push_back(Down(layout_.nvlink_link, relay));
  }
  const int64_t nic_a = NicOf(node_a, src_rail);
  const int64_t nic_b = NicOf(node_b, dst_rail);
  path.push_back(Up(layout_.pcie_link, relay));
  path.push_back(Up(layout_.nic_link, nic_a));

  const int64_t leaf_b = LeafOf(nic_b);
  uint64_t choice = 0;
  switch (spec_.fabric.routing) {
    case Routing::kEcmp:
      choice = FlowHash(flow_key, src, dst);
      break;
    case Routing::kDModK:
      choice = static_cast<uint64_t>(leaf_b * ft.leaf_down + LeafPortOf(nic_b));
      break;
  }
  const int64_t leaf_a = LeafOf(nic_a);
  int uplink = ft.leaf_up > 0 ? static_cast<int>(choice % ft.leaf_up) : 0;
  int spine_uplink = ft.spine_up > 0 ? static_cast<int>(choice / ft.leaf_up % ft.spine_up) : 0;
  if (!leaf_alive_.empty() && leaf_a != leaf_b) {
    uplink = PickWorking(UsableUplinks(leaf_a, leaf_b), uplink, choice, ft.leaf_up);
    const int64_t pod_a = PodOf(leaf_a);
    const int64_t pod_b = PodOf(leaf_b);
    if (pod_a != pod_b && !spine_alive_.empty()) {
      const int k = uplink % ft.spines_per_pod;
      spine_uplink = PickWorking(SharedCoreUplinks(pod_a, pod_b, k), spine_uplink,
                                 choice / ft.leaf_up, ft.spine_up);
    }
  }
  AppendFabric(leaf_a, leaf_b, uplink, spine_uplink, path);

  path.push_back(Down(layout_.nic_link, nic_b));
  path.push_back(Down(layout_.pcie_link, dst));
}

}  // namespace trainsim::topology
