// Double binary tree AllReduce (NCCL's Tree), node-aware as NCCL builds it. Two complementary
// binary trees over the group's nodes each reduce half of the buffer up to a root and broadcast
// it back down, pipelined, so every tree edge carries its share each way at the same time.
// Inside a node the ranks form a chain; between nodes the trees connect one rank per node. NCCL
// runs a channel per rail: channel c enters and leaves every node through local rank c (its
// NIC), and its chain runs from local rank c through the node's other ranks. Each (tree,
// channel) moves S/(2·channels) over each of its edges in each direction. Latency grows with
// log2 of the node count instead of the rank count.
//
// Link loads (k ranks, and so k channels, per node): a node is interior (a parent and two
// children) in at most one tree and a leaf in the other, so each NIC carries at most four edges
// of S/(2k), 2S/k each way: what a ring puts on it, 2(n-1)/n·S/k. Over NVLink each rank has
// 2(k-1) chain neighbours across the channels, (k-1)/k·2S each way, about a ring's share.
//
// Unbalanced groups (nodes holding different numbers of the group's ranks) use as many channels
// as the smallest node has ranks, as RingOrders does; a larger node's chain still runs through
// all of its ranks, so every rank is in every tree, and its extra ranks are only ever chain
// members (more NVLink load per channel there, which the flow model then shows).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "collectives/algorithms.h"
#include "collectives/nccl_model.h"
#include "collectives/plan_builder.h"
#include "fmt/format.h"

namespace trainsim::collectives {
namespace {

// Parent of `pos` in NCCL's binary tree over positions 0..n-1 (ncclGetBtree, src/graph/trees.cc):
// position 0 is the root; a position's parent clears its lowest set bit and sets the next one up
// (or only clears it when that falls outside the group). Odd positions are leaves.
// REQUIRES: 0 < pos < n.
int64_t BtreeParent(int64_t pos, int64_t n) {
  const int64_t bit = pos & -pos;
  const int64_t up = (pos ^ bit) | (bit << 1);
  return up < n ? up : pos ^ bit;
}

// Parent of `pos` in tree `t` of NCCL's double binary tree (ncclGetDtree): tree 0 is the binary
// tree; tree 1 mirrors it (pos -> n-1-pos) for even n and shifts it by one for odd n, so the
// even positions interior in tree 0 are leaves in tree 1 (but position 0 for odd n, the root of
// tree 0 with a single child). No position has more than four edges in the two trees together
// (checked for n < 300). REQUIRES: pos is not tree t's root.
int64_t DtreeParent(int t, int64_t pos, int64_t n) {
  if (t == 0) return BtreeParent(pos, n);
  if (n % 2 == 0) return n - 1 - BtreeParent(n - 1 - pos, n);
  return (BtreeParent((pos - 1 + n) % n, n) + 1) % n;
}

// Tree t's root: the position whose image under tree t's mapping is position 0.
int64_t DtreeRoot(int t, int64_t n) { return t == 0 ? 0 : n % 2 == 0 ? n - 1 : 1 % n; }

// One (tree, channel): its edges as a flow bundle, both directions of every edge.
class TreeBundleBuilder {
 public:
  TreeBundleBuilder(const topology::Topology& topology, Bytes wire, uint64_t key)
      : topology_(topology), bundle_{.bytes = wire}, key_(key) {}

  void Edge(int64_t a, int64_t b) {
    for (auto [src, dst] : {std::pair{a, b}, std::pair{b, a}}) {
      AppendRoute(topology_, src, dst, key_ + bundle_.flow_ends.size(), bundle_.path);
      bundle_.flow_ends.push_back(static_cast<uint32_t>(bundle_.path.size()));
    }
  }

  PlannedBundle Finish() && {
    bundle_.multiplicity = static_cast<int64_t>(bundle_.flow_ends.size());
    return std::move(bundle_);
  }

 private:
  const topology::Topology& topology_;
  PlannedBundle bundle_;
  uint64_t key_;
};

class Tree final : public CollectiveAlgorithm {
 public:
  std::string_view name() const override { return "tree"; }

  StatusOr<CollectivePlan> Plan(const CollectiveRequest& request,
                                const topology::Topology& topology,
                                Protocol protocol) const override {
    if (Status s = ValidateRequest(request, topology); !s.ok()) return s;
    if (request.op != CollectiveOp::kAllReduce) {
      return FailedPreconditionError(
          fmt::format("tree runs allreduce only, not {}", OpName(request.op)));
    }
    const GroupLayout layout = LayoutOf(request.ranks, topology);
    const int64_t nodes = layout.nodes();
    // One channel per rail across nodes (the smallest node's rank count when unbalanced); one
    // chain inside a single node, as RingOrders.
    size_t channels = 1;
    if (nodes > 1) {
      channels = layout.by_node.front().size();
      for (const auto& node : layout.by_node) channels = std::min(channels, node.size());
    }
    const Bytes wire = WireBytes(request.bytes.value() / (2.0 * static_cast<double>(channels)),
                                 nccl::TreeWireEfficiency(protocol));
    PlanPhase phase;
    for (int t = 0; t < 2; ++t) {
      for (size_t c = 0; c < channels; ++c) {
        TreeBundleBuilder bundle(topology, wire, (2 * c + t) * 0x9E3779B97F4A7C15u);
        // The chain inside each node, from local rank c (the node's rail-c NIC rank).
        for (const std::vector<int64_t>& node : layout.by_node) {
          for (size_t i = 0; i + 1 < node.size(); ++i) {
            bundle.Edge(node[(c + i) % node.size()], node[(c + i + 1) % node.size()]);
          }
        }
        // The node-level tree, between the nodes' local ranks c (same rail: no PXN hop).
        const int64_t root = DtreeRoot(t, nodes);
        for (int64_t pos = 0; pos < nodes; ++pos) {
          if (pos == root) continue;
          const int64_t parent = DtreeParent(t, pos, nodes);
          bundle.Edge(layout.by_node[parent][c], layout.by_node[pos][c]);
        }
        phase.bundles.push_back(std::move(bundle).Finish());
      }
    }
    // tuning.cc: base + 2·((ranks per node - 1)·intraLat + log2(nNodes)·interLat).
    const double per_node = static_cast<double>(layout.ranks) / static_cast<double>(nodes);
    phase.latency = nccl::Microseconds(
        nccl::kTreeBase.of(protocol) +
        2 * ((per_node - 1) * nccl::kTreeNvlinkStep.of(protocol) +
             std::log2(static_cast<double>(nodes)) * nccl::kTreeNetStep.of(protocol)));
    return CollectivePlan{.algorithm = "tree", .protocol = protocol, .phases = {std::move(phase)}};
  }
};

}  // namespace

std::unique_ptr<CollectiveAlgorithm> MakeTree() { return std::make_unique<Tree>(); }

}  // namespace trainsim::collectives
