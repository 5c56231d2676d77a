// The native executor: runs an ExecutionGraph on trainsim's event engine and flow-level network
// (sim/), so that pipeline bubbles, overlap and link contention come out of the simulation.
//
// Communication planning. Each CommOp is a collective of the representative's group; the
// algorithm and protocol are the fastest for that group on an idle network (as NCCL's tuner
// would pick them, collectives::TuneCollective). Every other group of the same kind on the stage
// runs the same collective at the same time (the ranks are mirror images), so the
// representative's flows are weighted, link by link and phase by phase, by how many flows of all
// those groups cross the link per representative flow (rounded to the nearest integer, at least
// 1): a leaf uplink that eight groups' rings share costs each representative flow eight times
// its rate. Groups whose routes are link-disjoint (TP inside a node) keep weight 1. Concurrent
// collectives of different kinds and stages meet on the network as they would in the cluster.
#ifndef TRAINSIM_WORKLOADS_EXECUTOR_H_
#define TRAINSIM_WORKLOADS_EXECUTOR_H_

#include <span>
#include <string>
#include <vector>

#include "collectives/collective.h"
#include "sim/status.h"
#include "sim/units.h"
#include "topology/topology.h"
#include "workloads/execution_graph.h"
#include "workloads/placement.h"

namespace trainsim::workloads {

struct PlannedComm {
  collectives::CollectivePlan plan;  // representative's flows, weighted for its mirror groups
  Time idle_time;                    // the representative's group alone on an idle network
  int mirror_groups = 1;             // groups of this kind on the stage, the representative's
                                     // included; with expansion, the groups the plan holds
};

// Plans every op of `ops` (graph.comm_ops()). Without `expand`, the representative's flows
// weighted for its mirror groups (above); with it (every replica a class of its own, see
// StepGraphInputs::expand), the flows of every group the op's node stands for, each of weight 1:
// the TP peers' groups of the replica (one TP group), all groups on the stage for DP
// collectives. Those groups' plans run together, phase by phase. Either way the algorithm is
// the one tuned for the representative's group of that kind on that stage. Errors name the op
// and its group.
StatusOr<std::vector<PlannedComm>> PlanCommunication(std::span<const CommOp> ops,
                                                     const Placement& placement,
                                                     const topology::Topology& topology,
                                                     bool expand = false);

struct NodeTiming {
  Time start;
  Time end;
};

struct ExecutionTrace {
  std::vector<NodeTiming> nodes;  // by NodeId
  Time makespan;
  std::vector<Bytes> link_bytes;  // weighted bytes per link (the whole stage's traffic)
};

// Runs the graph from time 0 until every node is done. A dependency cycle (or a node that can
// never start) is an InternalError naming it. The plans run with their links in series merged
// (collectives/series_links.h): the same rates and link bytes, a fraction of the hops.
StatusOr<ExecutionTrace> ExecuteNative(const ExecutionGraph& graph,
                                       std::span<const PlannedComm> comms,
                                       const topology::Topology& topology);

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_EXECUTOR_H_
