// GraphWalker: the dependency and stream bookkeeping every executor of an ExecutionGraph shares.
// It says which nodes may start; the executor runs them (on trainsim's engine, in SimGrid) and
// reports back when each finishes. A node starts once all its predecessors have finished and,
// if it is on a stream, when it is the next node of its stream and the stream is idle.
#ifndef TRAINSIM_WORKLOADS_GRAPH_WALKER_H_
#define TRAINSIM_WORKLOADS_GRAPH_WALKER_H_

#include <cstdint>
#include <functional>
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

  const ExecutionGraph& graph_;
  std::function<void(NodeId)> start_;
  std::vector<uint32_t> pending_;  // unfinished predecessors
  std::vector<size_t> next_;       // by stream: position of its next node in stream order
  std::vector<bool> busy_;         // by stream
  std::vector<bool> done_;         // by node
};

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_GRAPH_WALKER_H_
