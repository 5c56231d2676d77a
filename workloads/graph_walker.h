// GraphWalker: the dependency and stream bookkeeping every executor of an ExecutionGraph shares.
// It says which nodes may start; the executor runs them (on trainsim's engine, in SimGrid) and
// reports back when each finishes. A node starts once all its predecessors have finished and,
// if it is on a stream, when it is the next node of its stream and the stream is idle.
#ifndef TRAINSIM_WORKLOADS_GRAPH_WALKER_H_
#define TRAINSIM_WORKLOADS_GRAPH_WALKER_H_

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "sim/status.h"
#include "workloads/execution_graph.h"

namespace trainsim::workloads {

class GraphWalker {
 public:
  // `start` is called once for each node, when it may start; it must not call back into the
  // walker (report the end with Finished later). The graph must outlive the walker.
  GraphWalker(const ExecutionGraph& graph, std::function<void(NodeId)> start);

  // Starts every node that has no predecessor (off-stream ones first, then the streams' heads).
  void Begin();
  // `id` has finished: starts what became ready.
  void Finished(NodeId id);
  // After the run: an InternalError naming a node that never ran (a dependency cycle, or a node
  // that waits on one), else OK.
  Status CheckAllRan() const;

 private:
  void TryStream(int stream);

  // What the walk reads and writes of a node, in 8 bytes: an expanded step has tens of millions
  // of nodes, and each one finishing touches its successors' states.
  struct NodeState {
    uint32_t pending;  // unfinished predecessors; kDone once the node has finished
    int32_t stream;    // the stream it is on; -1 if off-stream
  };
  static constexpr uint32_t kDone = ~uint32_t{0};
  // A stream's order and place in it, together: a finishing node reads both.
  struct StreamState {
    std::span<const NodeId> order;  // the graph's stream_order
    uint32_t next;                   // position of its next node in `order`
    bool busy;
  };

  const ExecutionGraph& graph_;
  std::function<void(NodeId)> start_;
  std::vector<NodeState> state_;      // by node
  std::vector<StreamState> streams_;  // by stream
};

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_GRAPH_WALKER_H_
