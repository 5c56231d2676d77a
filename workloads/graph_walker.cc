#include "workloads/graph_walker.h"

#include <utility>

#include "fmt/format.h"

namespace trainsim::workloads {

GraphWalker::GraphWalker(const ExecutionGraph& graph, std::function<void(NodeId)> start)
    : graph_(graph),
      start_(std::move(start)),
      pending_(graph.size()),
      next_(static_cast<size_t>(graph.streams()), 0),
      busy_(static_cast<size_t>(graph.streams()), false),
      done_(graph.size(), false) {
  for (NodeId id = 0; id < graph.size(); ++id) {
    pending_[id] = static_cast<uint32_t>(graph.predecessors(id).size());
  }
}

void GraphWalker::Begin() {
  for (NodeId id = 0; id < graph_.size(); ++id) {
    if (!graph_.node(id).on_stream && pending_[id] == 0) start_(id);
  }
  for (int s = 0; s < graph_.streams(); ++s) TryStream(s);
}

void GraphWalker::Finished(NodeId id) {
  const GraphNode n = graph_.node(id);
  done_[id] = true;
  if (n.on_stream) {
    busy_[n.stream] = false;
    ++next_[n.stream];
  }
  for (NodeId s : graph_.successors(id)) {
    if (--pending_[s] > 0) continue;
    const GraphNode succ = graph_.node(s);
    if (succ.on_stream) {
      TryStream(succ.stream);
    } else {
      start_(s);
    }
  }
  if (n.on_stream) TryStream(n.stream);
}

Status GraphWalker::CheckAllRan() const {
  for (NodeId id = 0; id < graph_.size(); ++id) {
    if (done_[id]) continue;
    const GraphNode n = graph_.node(id);
    return InternalError(fmt::format(
        "the step's execution graph cannot finish: node {} ({} on stream {}) never ran; "
        "its dependencies form a cycle or wait on it",
        id, CategoryName(n.category), n.stream));
  }
  return OkStatus();
}

void GraphWalker::TryStream(int stream) {
  if (busy_[stream]) return;
  std::span<const NodeId> order = graph_.stream_order(stream);
  if (next_[stream] == order.size()) return;
  const NodeId id = order[next_[stream]];
  if (pending_[id] > 0) return;
  busy_[stream] = true;
  start_(id);
}

}  // namespace trainsim::workloads
