// In-network reduction trees: NVLS (NVLink SHARP) inside an NVLink domain and SHARP on the
// InfiniBand fabric, as hop lists for one FlowNetwork bundle of one stream per rank.
//
// Every switch of a tree reduces the streams its children send up, and multicasts the result
// back down the same links: a rank's links to its first reducing switch carry its stream up and
// the result down (weight 1 each way), a switch's reduction link carries one stream per child
// (weight = children), and a link between two switches of the tree carries one reduced stream
// each way. A switch that does not reduce passes its children's streams through, so the links
// above it carry all of them (weight = the streams crossing).
#include "topology/topology.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "fmt/format.h"

namespace trainsim::topology {
namespace {

// Sorts hops by link and merges repeats of a link into one hop with the summed weight.
std::vector<FlowHop> Merged(std::vector<FlowHop> hops) {
  std::sort(hops.begin(), hops.end(),
            [](const FlowHop& a, const FlowHop& b) { return a.link < b.link; });
  std::vector<FlowHop> out;
  out.reserve(hops.size());
  for (const FlowHop& hop : hops) {
    if (!out.empty() && out.back().link == hop.link) {
      out.back().weight += hop.weight;
    } else {
      out.push_back(hop);
    }
  }
  return out;
}

// A sorted list of keys as (key, count) runs.
struct Run {
  int64_t key;
  uint32_t count;
};
std::vector<Run> Runs(std::vector<int64_t> keys) {
  std::sort(keys.begin(), keys.end());
  std::vector<Run> runs;
  for (int64_t key : keys) {
    if (!runs.empty() && runs.back().key == key) {
      ++runs.back().count;
    } else {
      runs.push_back({.key = key, .count = 1});
    }
  }
  return runs;
}

void UpAndDown(LinkIndex up, LinkIndex down, uint32_t weight, std::vector<FlowHop>& hops) {
  hops.push_back({.link = up, .weight = weight});
  hops.push_back({.link = down, .weight = weight});
}

}  // namespace

Status Topology::CheckRanks(std::string_view algorithm, std::span<const int64_t> ranks) const {
  if (ranks.empty())
    return InvalidArgumentError(fmt::format("{}: the group has no ranks", algorithm));
  std::vector<int64_t> sorted(ranks.begin(), ranks.end());
  std::sort(sorted.begin(), sorted.end());
  if (sorted.front() < 0 || sorted.back() >= gpus()) {
    return InvalidArgumentError(
        fmt::format("{}: rank {} is outside the cluster's {} GPUs", algorithm,
                    sorted.front() < 0 ? sorted.front() : sorted.back(), gpus()));
  }
  if (auto dup = std::adjacent_find(sorted.begin(), sorted.end()); dup != sorted.end()) {
    return InvalidArgumentError(
        fmt::format("{}: rank {} appears twice in the group", algorithm, *dup));
  }
  return OkStatus();
}

StatusOr<std::vector<FlowHop>> Topology::NvlsTree(std::span<const int64_t> ranks) const {
  if (Status s = CheckRanks("nvls", ranks); !s.ok()) return s;
  const int64_t domain = NvlinkDomainOf(ranks.front());
  for (int64_t r : ranks) {
    if (NvlinkDomainOf(r) != domain) {
      return FailedPreconditionError(fmt::format(
          "nvls: ranks {} and {} are in different NVLink domains ({} and {}); NVLS reduces inside "
          "one NVLink domain of {} GPUs",
          ranks.front(), r, domain, NvlinkDomainOf(r), spec_.gpus_per_nvlink_domain()));
    }
  }
  std::vector<int64_t> node_of_rank;
  node_of_rank.reserve(ranks.size());
  for (int64_t r : ranks) node_of_rank.push_back(NodeOf(r));
  const std::vector<Run> nodes = Runs(std::move(node_of_rank));
  const bool nvswitch_reduces = layout_.nvswitch_reduction != kNone;
  if (nodes.size() == 1 && !nvswitch_reduces) {
    return FailedPreconditionError(fmt::format(
        "nvls: the NVSwitch of node {} cannot reduce (cluster.node.nvswitch_sharp is false)",
        nodes.front().key));
  }
  if (nodes.size() > 1 && layout_.nvlink_switch_reduction == kNone) {
    return FailedPreconditionError(fmt::format(
        "nvls: the ranks span {} nodes of NVLink domain {}, but its NVLink Switches cannot reduce "
        "(cluster.nvlink_domain.switch_sharp is false)",
        nodes.size(), domain));
  }

  std::vector<FlowHop> hops;
  hops.reserve(2 * ranks.size() + 3 * nodes.size() + 1);
  for (int64_t r : ranks)
    UpAndDown(Up(layout_.nvlink_link, r), Down(layout_.nvlink_link, r), 1, hops);
  if (nodes.size() == 1) {
    hops.push_back(
        {.link = LinkIndex{static_cast<uint32_t>(layout_.nvswitch_reduction + nodes.front().key)},
         .weight = nodes.front().count});
    return Merged(std::move(hops));
  }
  // Across nodes: a node's NVSwitch reduces its ranks' streams into one when it can; otherwise
  // every stream crosses the node's NVLink-network cable to the NVLink Switch.
  uint32_t switch_inputs = 0;
  for (const Run& node : nodes) {
    const uint32_t streams = nvswitch_reduces ? 1 : node.count;
    if (nvswitch_reduces) {
      hops.push_back(
          {.link = LinkIndex{static_cast<uint32_t>(layout_.nvswitch_reduction + node.key)},
           .weight = node.count});
    }
    UpAndDown(Up(layout_.nvlink_network_link, node.key),
              Down(layout_.nvlink_network_link, node.key), streams, hops);
    switch_inputs += streams;
  }
  hops.push_back(
      {.link = LinkIndex{static_cast<uint32_t>(layout_.nvlink_switch_reduction + domain)},
       .weight = switch_inputs});
  return Merged(std::move(hops));
}

StatusOr<std::vector<FlowHop>> Topology::SharpTree(std::span<const int64_t> ranks) const {
  return SharpTree(ranks, 0);
}

StatusOr<std::vector<FlowHop>> Topology::SharpTree(std::span<const int64_t> ranks, int tree) const {
  TRAINSIM_CHECK(tree >= 0) << "SHARP tree " << tree;
  if (Status s = CheckRanks("sharp", ranks); !s.ok()) return s;
  if (!spec_.fabric.sharp.enabled) {
    return FailedPreconditionError(
        "sharp: the fabric's switches do not reduce (cluster.fabric.sharp.enabled is false)");
  }
  if (fat_tree_.tiers == 0) {
    return FailedPreconditionError(
        "sharp: the cluster is one NVLink domain with no scale-out fabric; use nvls");
  }
  const FatTreeShape& ft = fat_tree_;
  std::vector<FlowHop> hops;
  std::vector<int64_t> leaf_of_rank;
  leaf_of_rank.reserve(ranks.size());
  for (int64_t r : ranks) {  // each rank's stream enters the fabric through its own (rail) NIC
    const int64_t nic = NicOf(NodeOf(r), RailOf(r));
    UpAndDown(Up(layout_.pcie_link, r), Down(layout_.pcie_link, r), 1, hops);
    UpAndDown(Up(layout_.nic_link, nic), Down(layout_.nic_link, nic), 1, hops);
    leaf_of_rank.push_back(LeafOf(nic));
  }
  const std::vector<Run> leaves = Runs(std::move(leaf_of_rank));
  const auto engine = [this](int64_t fabric_switch) {
    return LinkIndex{static_cast<uint32_t>(layout_.leaf_reduction + fabric_switch)};
  };
  for (const Run& leaf : leaves) hops.push_back({.link = engine(leaf.key), .weight = leaf.count});
  if (leaves.size() == 1) return Merged(std::move(hops));
  if (ft.tiers == 1) {
    return FailedPreconditionError(fmt::format(
        "sharp: the ranks sit under {} leaves of a 1-tier fabric, which no switch joins",
        leaves.size()));
  }

  // The root: spine `uplink % spines_per_pod` of the pod when the leaves share one, else a core
  // of that spine's group; each pod's spine reduces its leaves first.
  const int uplink = tree % ft.leaf_up;
  const int spine_uplink = ft.spine_up > 0 ? tree / ft.leaf_up % ft.spine_up : 0;
  const int spine_in_pod = uplink % ft.spines_per_pod;
  std::vector<Run> pods;
  for (const Run& leaf : leaves) {
    UpAndDown(Up(layout_.leaf_spine_link, leaf.key * ft.leaf_up + uplink),
              Down(layout_.leaf_spine_link, leaf.key * ft.leaf_up + uplink), 1, hops);
    const int64_t pod = PodOf(leaf.key);  // leaves are sorted, so pods come in order
    if (!pods.empty() && pods.back().key == pod) {
      ++pods.back().count;
    } else {
      pods.push_back({.key = pod, .count = 1});
    }
  }
  for (const Run& pod : pods) {
    const int64_t spine = pod.key * ft.spines_per_pod + spine_in_pod;
    hops.push_back({.link = engine(ft.leaves + spine), .weight = pod.count});
    if (pods.size() > 1) {
      UpAndDown(Up(layout_.spine_core_link, spine * ft.spine_up + spine_uplink),
                Down(layout_.spine_core_link, spine * ft.spine_up + spine_uplink), 1, hops);
    }
  }
  if (pods.size() > 1) {
    const int64_t core =
        static_cast<int64_t>(spine_in_pod) * ft.cores_per_group + spine_uplink % ft.cores_per_group;
    hops.push_back({.link = engine(ft.leaves + ft.spines + core),
                    .weight = static_cast<uint32_t>(pods.size())});
  }
  if (!spine_alive_.empty()) {
    const uint32_t first = layout_.spine_core_link;
    const auto cables = static_cast<uint32_t>(fat_tree_.spines * fat_tree_.spine_up);
    for (const FlowHop& hop : hops) {
      if (hop.link.value < first || hop.link.value >= first + 2 * cables) continue;
      const uint32_t cable = (hop.link.value - first) / 2;
      const uint32_t spine = cable / static_cast<uint32_t>(fat_tree_.spine_up);
      const uint32_t port = cable % static_cast<uint32_t>(fat_tree_.spine_up);
      if ((spine_alive_[spine] >> port & 1) == 0) {
        return FailedPreconditionError(fmt::format(
            "sharp: aggregation tree {} uses core uplink {} of spine {}, which has failed "
            "(cluster.fabric.faults); SHARP trees are not rerouted around faults",
            tree, port, spine));
      }
    }
  }
  if (!leaf_alive_.empty()) {
    const uint32_t first = layout_.leaf_spine_link;
    const auto cables = static_cast<uint32_t>(fat_tree_.leaves * fat_tree_.leaf_up);
    for (const FlowHop& hop : hops) {
      if (hop.link.value < first || hop.link.value >= first + 2 * cables) continue;
      const uint32_t cable = (hop.link.value - first) / 2;
      const uint32_t leaf = cable / static_cast<uint32_t>(fat_tree_.leaf_up);
      const uint32_t port = cable % static_cast<uint32_t>(fat_tree_.leaf_up);
      if ((leaf_alive_[leaf] >> port & 1) == 0) {
        return FailedPreconditionError(fmt::format(
            "sharp: aggregation tree {} uses uplink {} of leaf {}, which has failed "
            "(cluster.fabric.faults); SHARP trees are not rerouted around faults",
            tree, port, leaf));
      }
    }
  }
  return Merged(std::move(hops));
}

}  // namespace trainsim::topology
