#include "collectives/plan_builder.h"

#include <cmath>
#include <unordered_map>

#include "collectives/nccl_model.h"

namespace trainsim::collectives {

bool GroupLayout::balanced() const {
  for (const auto& node : by_node) {
    if (node.size() != by_node.front().size()) return false;
  }
  return true;
}

GroupLayout LayoutOf(const std::vector<int64_t>& ranks, const topology::Topology& topology) {
  GroupLayout layout;
  layout.ranks = static_cast<int64_t>(ranks.size());
  std::unordered_map<int64_t, size_t> slot;
  for (int64_t r : ranks) {
    auto [it, inserted] = slot.try_emplace(topology.NodeOf(r), layout.by_node.size());
    if (inserted) layout.by_node.emplace_back();
    layout.by_node[it->second].push_back(r);
  }
  return layout;
}

std::vector<std::vector<int64_t>> RingOrders(const GroupLayout& layout) {
  if (layout.nodes() == 1) return {layout.by_node.front()};
  size_t channels = layout.by_node.front().size();
  for (const auto& node : layout.by_node) channels = std::min(channels, node.size());
  std::vector<std::vector<int64_t>> orders(channels);
  for (size_t c = 0; c < channels; ++c) {
    orders[c].reserve(layout.ranks);
    for (const auto& node : layout.by_node) {
      for (size_t i = 0; i < node.size(); ++i) orders[c].push_back(node[(i + c) % node.size()]);
    }
  }
  return orders;
}

void AppendRoute(const topology::Topology& topology, int64_t src, int64_t dst, uint64_t flow_key,
                 std::vector<FlowHop>& hops) {
  thread_local std::vector<LinkIndex> path;
  path.clear();
  topology.Route(src, dst, flow_key, path);
  for (LinkIndex link : path) hops.push_back({.link = link, .weight = 1});
}

PlannedBundle EdgesBundle(const topology::Topology& topology, const std::vector<int64_t>& order,
                          bool closed, Bytes bytes, uint64_t flow_key) {
  PlannedBundle bundle{.bytes = bytes};
  const size_t n = order.size();
  const size_t edges = closed ? n : n - 1;
  for (size_t i = 0; i < edges; ++i) {
    AppendRoute(topology, order[i], order[(i + 1) % n], flow_key + i, bundle.path);
    bundle.flow_ends.push_back(static_cast<uint32_t>(bundle.path.size()));
  }
  bundle.multiplicity = static_cast<int64_t>(edges);
  return bundle;
}

PlanPhase LocalRingPhase(const GroupLayout& layout, const topology::Topology& topology,
                         double payload_per_rank, int64_t steps, Protocol protocol) {
  PlanPhase phase;
  const Bytes wire = WireBytes(payload_per_rank, nccl::RingWireEfficiency(protocol));
  for (size_t i = 0; i < layout.by_node.size(); ++i) {
    if (layout.by_node[i].size() < 2) continue;
    phase.bundles.push_back(EdgesBundle(topology, layout.by_node[i], /*closed=*/true, wire, i));
  }
  phase.latency = nccl::Microseconds(nccl::kRingBase.of(protocol) +
                                     steps * nccl::kRingNvlinkStep.of(protocol));
  return phase;
}

Bytes WireBytes(double payload_bytes, double efficiency) {
  return Bytes(static_cast<int64_t>(std::ceil(payload_bytes / efficiency)));
}

}  // namespace trainsim::collectives
