// Building blocks shared by the collective algorithms: a group's ranks arranged by node, the
// rings NCCL would build over them, routes turned into flow hops, and wire-byte rounding.
#ifndef TRAINSIM_COLLECTIVES_PLAN_BUILDER_H_
#define TRAINSIM_COLLECTIVES_PLAN_BUILDER_H_

#include <cstdint>
#include <vector>

#include "collectives/collective.h"
#include "topology/topology.h"

namespace trainsim::collectives {

// The group's ranks by node, nodes in order of first appearance, ranks in request order.
struct GroupLayout {
  std::vector<std::vector<int64_t>> by_node;
  int64_t ranks = 0;
  int64_t nodes() const { return static_cast<int64_t>(by_node.size()); }
  // True when every node holds the same number of the group's ranks.
  bool balanced() const;
};
GroupLayout LayoutOf(const std::vector<int64_t>& ranks, const topology::Topology& topology);

// NCCL-style rings: one channel per rank of a node (one per rail when the group spans nodes;
// a single ring inside a node). Channel c visits the nodes in order and starts each node at
// local offset c, so consecutive channels leave each node through different NICs.
std::vector<std::vector<int64_t>> RingOrders(const GroupLayout& layout);

// Appends the route src → dst as weight-1 hops.
void AppendRoute(const topology::Topology& topology, int64_t src, int64_t dst, uint64_t flow_key,
                 std::vector<FlowHop>& hops);

// A bundle whose flows are the edges of `order` (closed: a ring, else a chain from the first
// rank), each carrying `bytes` on the wire.
PlannedBundle EdgesBundle(const topology::Topology& topology, const std::vector<int64_t>& order,
                          bool closed, Bytes bytes, uint64_t flow_key);

// One phase of rings inside each node, all nodes at once: every rank sends `payload_per_rank`
// (before protocol overhead) around its node's ring in `steps` NVLink steps. The intra-node
// halves of hierarchical algorithms (reduce-scatter before, all-gather after).
PlanPhase LocalRingPhase(const GroupLayout& layout, const topology::Topology& topology,
                         double payload_per_rank, int64_t steps, Protocol protocol);

// Payload bytes → wire bytes at a protocol efficiency, rounded up to a whole byte.
Bytes WireBytes(double payload_bytes, double efficiency);

}  // namespace trainsim::collectives

#endif  // TRAINSIM_COLLECTIVES_PLAN_BUILDER_H_
