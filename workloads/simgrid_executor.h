// The SimGrid executor: runs a step's ExecutionGraph in SimGrid 3.32, with ExecuteNative's
// contract (executor.h), so that `StepScenario::executor = ExecuteSimGrid` cross-checks a whole
// step against the native executor on the same graph, plans and topology.
//
// The platform is built once for every plan of `comms` (sim/simgrid/program.h: the links the
// plans use at their achievable capacities, hosts with star-zone routes). The graph is walked by
// GraphWalker, the same dependency and stream rules as the native executor; each node that may
// start runs in SimGrid (sim/simgrid/simgrid_engine.h, DriveInSimGrid):
//  * a compute node is a delay of its `duration`;
//  * a communication node runs its plan: phases one after another, every transfer of a phase
//    started at once, the phase over when its last transfer ends plus the phase's α, as
//    collectives::PlanRunner does natively. Weight-1 point-to-point flows are SimGrid comms or
//    two-host parallel tasks, as SimGridOptions::flows chooses (FlowsAsTasks); bundles with
//    weighted hops (mirror groups) and reduction trees are parallel tasks, all of whose
//    transfers progress at one rate, as a native bundle does (any parallel task puts the whole
//    run under ptask_L07, else it runs under CM02). A plan without phases ends at once.
// Node times are SimGrid's clock rounded to the picosecond; SimGrid merges events less than
// 1 ps apart. `link_bytes` is what the native executor reports, computed from the plans: per
// communication node run, Σ over its plan's bundles and hops of weight × bytes.
//
// Where the models differ (by design, see sim/simgrid/simgrid_backend.h): SimGrid shares a link
// max-min fairly between flows and, for parallel tasks, equally between tasks (ptask_L07's
// fair-bottleneck solver); the native model shares it between bundles in proportion to their
// hop weights. Alone on their links, a plan's phases take the same time in both. Measured on
// this project's 2-core machine: GPT-3 175B on 1,024 H100 (scenarios/gpt3-175b-h100.yaml),
// 126k nodes, step time within 1e-9 of the native one, 5.3 s of wall time against 0.17 s
// natively (SimGrid moves 603k flows and tasks where the native model moves bundles); with
// collectives of different kinds contending (Mixtral 8x7B on 64 GPUs, ep 8), 0.4 % longer.
//
// Each call runs SimGrid in a forked child process (sim/simgrid/child_process.h): calls are
// independent and deterministic (same input, same trace to the picosecond). Not safe to call
// from several threads at once.
#ifndef TRAINSIM_WORKLOADS_SIMGRID_EXECUTOR_H_
#define TRAINSIM_WORKLOADS_SIMGRID_EXECUTOR_H_

#include <cstdint>
#include <span>

#include "sim/simgrid/simgrid_backend.h"
#include "sim/status.h"
#include "topology/topology.h"
#include "workloads/execution_graph.h"
#include "workloads/executor.h"

namespace trainsim::workloads {

struct SimGridExecution {
  ExecutionTrace trace;
  simgrid::SimGridStats stats;  // actors counts the keeper and the pool of runners
  int64_t activities = 0;       // delays and plan runs: one per node
  int64_t transfers = 0;        // flows and parallel tasks the plan runs started
};

// Runs the graph in SimGrid from time 0 until every node is done. Errors: kInvalidArgument for a
// communication node without a plan or a malformed plan; the GraphWalker's kInternal error for
// a graph whose nodes cannot all run (a dependency cycle); kResourceExhausted past
// options.timeout_seconds; kInternal when SimGrid fails or its process dies, naming what failed.
StatusOr<SimGridExecution> ExecuteGraphWithSimGrid(const ExecutionGraph& graph,
                                                   std::span<const PlannedComm> comms,
                                                   const topology::Topology& topology,
                                                   const simgrid::SimGridOptions& options = {});

// ExecuteGraphWithSimGrid with default options: a GraphExecutor (step.h).
StatusOr<ExecutionTrace> ExecuteSimGrid(const ExecutionGraph& graph,
                                        std::span<const PlannedComm> comms,
                                        const topology::Topology& topology);

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_SIMGRID_EXECUTOR_H_
