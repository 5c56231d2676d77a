#include "workloads/execution_graph.h"

#include <algorithm>
#include <bit>

#include "sim/check.h"

namespace trainsim::workloads {

std::string_view CategoryName(Category c) {
  switch (c) {
    case Category::kForward:
      return "forward";
    case Category::kBackward:
      return "backward";
    case Category::kRecompute:
      return "recompute";
    case Category::kOptimizer:
      return "optimizer";
    case Category::kTpComm:
      return "tp-comm";
    case Category::kCpComm:
      return "cp-comm";
    case Category::kEpComm:
      return "ep-comm";
    case Category::kPpComm:
      return "pp-comm";
    case Category::kDpComm:
      return "dp-comm";
  }
  return "?";
}

size_t CommOpHash::operator()(const CommOp& op) const {
  uint64_t h = static_cast<uint64_t>(op.bytes.count());
  for (const uint64_t v : {uint64_t{static_cast<uint8_t>(op.group)}, uint64_t{static_cast<uint8_t>(op.op)},
                           static_cast<uint64_t>(op.stage), static_cast<uint64_t>(op.peer_stage),
                           static_cast<uint64_t>(op.replica)}) {
    h = (h ^ v) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  return static_cast<size_t>(h);
}

uint32_t ExecutionGraph::CostIndex(const GraphNode& node) {
  const auto duration = static_cast<uint64_t>(node.duration.picoseconds());
  const auto energy = std::bit_cast<uint64_t>(node.energy.value());
  const auto flops = std::bit_cast<uint64_t>(node.flops);
  if ((duration | energy | flops) == 0) return 0;
  uint64_t h = duration * 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 29) ^ energy) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 31) ^ flops) * 0x94d049bb133111ebULL;
  uint32_t& recent = recent_costs_[(h >> 32) % recent_costs_.size()];
  const NodeCost& seen = costs_[recent];
  // Compared bit for bit, so that a cost is stored exactly as it was given.
  if (recent != 0 && static_cast<uint64_t>(seen.duration.picoseconds()) == duration &&
      std::bit_cast<uint64_t>(seen.energy.value()) == energy &&
      std::bit_cast<uint64_t>(seen.flops) == flops) {
    return recent;
  }
  TRAINSIM_CHECK(costs_.size() < UINT32_MAX) << "more than 2^32 - 1 distinct compute costs";
  recent = static_cast<uint32_t>(costs_.size());
  costs_.push_back(NodeCost{.duration = node.duration, .energy = node.energy,
                            .flops = node.flops});
  return recent;
}

NodeId ExecutionGraph::Add(const GraphNode& node) {
  TRAINSIM_CHECK(node.stream >= 0 && node.stream < streams());
  const auto id = static_cast<NodeId>(nodes_.size());
  nodes_.push_back(StoredNode{.category = node.category, .on_stream = node.on_stream,
                              .stream = node.stream, .comm = node.comm,
                              .cost = CostIndex(node)});
  if (node.on_stream) streams_[node.stream].push_back(id);
  return id;
}

NodeId ExecutionGraph::AddComm(Category category, bool on_stream, int stream, const CommOp& op) {
  // Identical operations share one entry, so the executor plans each once.
  const auto [it, added] = comm_index_.try_emplace(op, static_cast<int32_t>(comm_ops_.size()));
  if (added) comm_ops_.push_back(op);
  const int32_t index = it->second;
  return Add(GraphNode{.category = category, .on_stream = on_stream, .stream = stream,
                       .comm = index});
}

void ExecutionGraph::Depend(NodeId from, NodeId to) {
  TRAINSIM_CHECK(from != to && from < nodes_.size() && to < nodes_.size());
  edges_.emplace_back(from, to);
}

void ExecutionGraph::Renumber(std::span<const NodeId> new_id) {
  TRAINSIM_CHECK(new_id.size() == nodes_.size());
  std::vector<StoredNode> renumbered(nodes_.size());
  for (NodeId id = 0; id < nodes_.size(); ++id) {
    TRAINSIM_CHECK(new_id[id] < nodes_.size());
    renumbered[new_id[id]] = nodes_[id];
  }
  nodes_ = std::move(renumbered);
  for (std::vector<NodeId>& order : streams_) {
    for (NodeId& id : order) id = new_id[id];
  }
  for (auto& [from, to] : edges_) {
    from = new_id[from];
    to = new_id[to];
  }
}

void ExecutionGraph::Finalize() {
  const size_t n = nodes_.size();
  succ_begin_.assign(n + 1, 0);
  pred_begin_.assign(n + 1, 0);
  for (auto [from, to] : edges_) {
    ++succ_begin_[from + 1];
    ++pred_begin_[to + 1];
  }
  for (size_t i = 0; i < n; ++i) {
    succ_begin_[i + 1] += succ_begin_[i];
    pred_begin_[i + 1] += pred_begin_[i];
  }
  succ_.resize(edges_.size());
  pred_.resize(edges_.size());
  std::vector<uint32_t> s_fill(succ_begin_.begin(), succ_begin_.end() - 1);
  std::vector<uint32_t> p_fill(pred_begin_.begin(), pred_begin_.end() - 1);
  for (auto [from, to] : edges_) {
    succ_[s_fill[from]++] = to;
    pred_[p_fill[to]++] = from;
  }
  edges_.clear();
  edges_.shrink_to_fit();
  comm_index_ = {};
  costs_.shrink_to_fit();
}

}  // namespace trainsim::workloads
