// ExecutionGraph: one training step as a DAG of compute and communication nodes, for one
// representative rank per equivalence class. With a uniform plan, every rank of a pipeline stage
// does the same work at the same time (its TP, CP and DP peers are mirror images), so a class is
// a pipeline stage and its representative is the rank with tp = cp = dp = 0 on that stage.
//
// A straggler splits classes: the replicas (DP×CP indices) it slows form their own class, one
// stream per stage like the others, and share the DP collectives with them.
//
// Each class has one compute stream: its on-stream nodes run one at a time in stream order, as
// kernels on a CUDA stream do; a node also waits for its dependencies. Communication that the
// stream waits for (TP collectives without overlap, EP all-to-all) is on the stream;
// communication that overlaps compute (PP sends, DP gradient buckets, CP key/value exchange, TP
// with overlap) is off the stream and only its consumers wait for it.
//
// Communication nodes name a collective over a group of ranks (workloads/placement.h) of the
// representative; the executor turns them into flows on the network, where concurrent
// collectives contend for links. Nodes, dependencies and streams are flat vectors (CSR); a node
// is stored in 16 bytes, its compute cost as an index into a table of the distinct costs.
#ifndef TRAINSIM_WORKLOADS_EXECUTION_GRAPH_H_
#define TRAINSIM_WORKLOADS_EXECUTION_GRAPH_H_

#include <array>
#include <cstdint>
#include <ranges>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collectives/collective.h"
#include "sim/units.h"
#include "workloads/placement.h"

namespace trainsim::workloads {

// What a node's time counts as in the step's breakdown.
enum class Category : uint8_t {
  kForward,
  kBackward,
  kRecompute,
  kOptimizer,
  kTpComm,
  kCpComm,
  kEpComm,
  kPpComm,
  kDpComm,
};
inline constexpr int kCategoryCount = 9;
std::string_view CategoryName(Category c);  // "forward", ..., "tp-comm", ..., "dp-comm"

using NodeId = uint32_t;

// A collective of the representative's group on one stage (kPipelineNext: from `stage` to
// `peer_stage`, which is stage + 1, or 0 from the last stage for interleaved chunks).
struct CommOp {
  GroupKind group = GroupKind::kTensor;
  collectives::CollectiveOp op = collectives::CollectiveOp::kAllReduce;
  Bytes bytes;
  int stage = 0;
  int peer_stage = 0;
  int replica = 0;  // the representative's index in its DP×CP group (cp + CP·dp)

  bool operator==(const CommOp&) const = default;
};

struct CommOpHash {
  size_t operator()(const CommOp& op) const;
};

struct GraphNode {
  Category category = Category::kForward;
  bool on_stream = true;
  int32_t stream = 0;  // the stream (class × stages + stage) that issues it
  int32_t comm = -1;   // index into comm_ops(); -1 for compute
  Time duration;       // compute nodes
  Joules energy;       // compute nodes, one GPU
  double flops = 0;    // compute nodes, one GPU
};

class ExecutionGraph {
 public:
  explicit ExecutionGraph(int streams) : streams_(static_cast<size_t>(streams)) {}

  // Appends a node; on-stream nodes go to the end of their stream's order.
  NodeId Add(const GraphNode& node);
  NodeId AddComm(Category category, bool on_stream, int stream, const CommOp& op);
  // `to` waits for `from`. The executor reports a cycle as an error.
  void Depend(NodeId from, NodeId to);
  // Gives node `id` the number new_id[id] (a permutation of 0 .. size()-1). Stream orders and
  // each node's dependency lists keep their order. Call after the last Add/Depend, before
  // Finalize.
  void Renumber(std::span<const NodeId> new_id);
  // Freezes the dependency lists into CSR; call once after the last Add/Depend.
  void Finalize();

  size_t size() const { return nodes_.size(); }
  int streams() const { return static_cast<int>(streams_.size()); }
  GraphNode node(NodeId id) const {
    const StoredNode& n = nodes_[id];
    const NodeCost& c = costs_[n.cost];
    return GraphNode{.category = n.category, .on_stream = n.on_stream, .stream = n.stream,
                     .comm = n.comm, .duration = c.duration, .energy = c.energy,
                     .flops = c.flops};
  }
  // Every node, in NodeId order (by value).
  auto nodes() const {
    return std::views::iota(NodeId{0}, static_cast<NodeId>(nodes_.size())) |
           std::views::transform([this](NodeId id) { return node(id); });
  }
  std::span<const CommOp> comm_ops() const { return comm_ops_; }
  std::span<const NodeId> stream_order(int stream) const { return streams_[stream]; }
  // After Finalize: successors and predecessors of a node.
  std::span<const NodeId> successors(NodeId id) const {
    return {succ_.data() + succ_begin_[id], succ_.data() + succ_begin_[id + 1]};
  }
  std::span<const NodeId> predecessors(NodeId id) const {
    return {pred_.data() + pred_begin_[id], pred_.data() + pred_begin_[id + 1]};
  }

 private:
  // A node as stored: 16 bytes rather than GraphNode's 40, since an expanded step holds tens of
  // millions of nodes and its walk streams through them.
  struct StoredNode {
    Category category;
    bool on_stream;
    int32_t stream;
    int32_t comm;
    uint32_t cost;  // index into costs_
  };
  struct NodeCost {
    Time duration;
    Joules energy;
    double flops = 0;
  };
  static_assert(sizeof(StoredNode) == 16);
  uint32_t CostIndex(const GraphNode& node);

  std::vector<StoredNode> nodes_;
  // Compute costs, each distinct one once (0: the zero cost of communication nodes). The same
  // few kernels recur on every layer, micro-batch and replica, so Add finds a repeat in a small
  // direct-mapped cache of recent costs, with no map that could grow with the graph; with
  // compute jitter every node's cost is its own, and the table holds one per compute node.
  std::vector<NodeCost> costs_{NodeCost{}};
  std::array<uint32_t, 256> recent_costs_{};
  std::vector<CommOp> comm_ops_;
  std::unordered_map<CommOp, int32_t, CommOpHash> comm_index_;
  std::vector<std::vector<NodeId>> streams_;
  std::vector<std::pair<NodeId, NodeId>> edges_;
  std::vector<uint32_t> succ_begin_, pred_begin_;
  std::vector<NodeId> succ_, pred_;
};

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_EXECUTION_GRAPH_H_
