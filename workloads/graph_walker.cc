#include "workloads/graph_walker.h"

#include <utility>

#include "fmt/format.h"

namespace trainsim::workloads {

GraphWalker::GraphWalker(const ExecutionGraph& graph, std::function<void(NodeId)> start)
    : graph_(graph), start_(std::move(start)), state_(graph.size()) {
  streams_.reserve(static_cast<size_t>(graph.streams()));
  for (int s = 0; s < graph.streams(); ++s) {
    streams_.push_back(StreamState{.order = graph.stream_order(s), .next = 0, .busy = false});
  }
  for (NodeId id = 0; id < graph.size(); ++id) {
    const GraphNode n = graph.node(id);
    state_[id] = NodeState{.pending = static_cast<uint32_t>(graph.predecessors(id).size()),
                           .stream = n.on_stream ? n.stream : -1};
  }
}

void GraphWalker::Begin() {
  for (NodeId id = 0; id < graph_.size(); ++id) {
    if (state_[id].stream < 0 && state_[id].pending == 0) start_(id);
  }
  for (int s = 0; s < graph_.streams(); ++s) TryStream(s);
}

void GraphWalker::Finished(NodeId id) {
  const int32_t stream = state_[id].stream;
  state_[id].pending = kDone;  // its predecessors have all finished: nothing counts it down again
  if (stream >= 0) {
    streams_[stream].busy = false;
    ++streams_[stream].next;
  }
  for (NodeId s : graph_.successors(id)) {
    NodeState& succ = state_[s];
    if (--succ.pending > 0) continue;
    if (succ.stream >= 0) {
      TryStream(succ.stream);
    } else {
      start_(s);
    }
  }
  if (stream >= 0) TryStream(stream);
}

Status GraphWalker::CheckAllRan() const {
  for (NodeId id = 0; id < graph_.size(); ++id) {
    if (state_[id].pending == kDone) continue;
    const GraphNode n = graph_.node(id);
    return InternalError(fmt::format(
        "the step's execution graph cannot finish: node {} ({} on stream {}) never ran; "
        "its dependencies form a cycle or wait on it",
        id, CategoryName(n.category), n.stream));
  }
  return OkStatus();
}

void GraphWalker::TryStream(int stream) {
  StreamState& s = streams_[stream];
  if (s.busy || s.next == s.order.size()) return;
  const NodeId id = s.order[s.next];
  if (state_[id].pending > 0) return;
  s.busy = true;
  start_(id);
}

}  // namespace trainsim::workloads
