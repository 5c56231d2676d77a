// SimGridProgram: collective plans lowered to what one SimGrid run needs, in plain C++ (no
// SimGrid types, so the lowering is testable without an engine): the links the plans use, hosts
// with the routes SimGrid gives them, and per plan the transfers of each phase.
//
// The platform is one SimGrid star zone: a route from host a to host b is a's UP list followed by
// b's DOWN list. That stores one route per host instead of the n² table of a full zone, and it
// lets every flow take the exact links of its plan route (ECMP paths differ per flow key, so two
// flows between the same ranks may differ): a sending rank's host has empty lists, and each
// distinct flow route gets a destination host whose DOWN list is that route. Hosts with equal
// routes are shared. Every LinkIndex a plan uses becomes one SHARED SimGrid link (one direction
// of a cable, as in the topology) at its achievable capacity, with zero latency: the plan's
// phase α carries the latency, as in the native model.
//
// In-network reduction bundles (empty flow_ends: NVLS, SHARP) become parallel tasks. Their hop
// list is read back as a reduction tree: each rank's stream climbs from a port host to the
// aggregator host of the first switch that reduces it (the aggregator's DOWN list is the switch's
// reduction link), each aggregator's result climbs to the next one, and each result comes back
// down the mirrored links. The task moves `bytes` along every stream, both ways, so every link
// carries weight × bytes, as in the native bundle; this is checked, and a hop list that is not
// such a tree falls back to one transfer per link of weight × bytes from an anchor host to a
// host whose DOWN list is that link. A point-to-point bundle whose flows SimGrid comms cannot
// carry one by one (a hop of weight above 1, as the mirror groups of workloads/executor.h give,
// or a flow that crosses a link twice) becomes one such per-link task for the whole bundle, so
// all its flows progress at one rate, as the native model's bundle does.
#ifndef TRAINSIM_SIM_SIMGRID_PROGRAM_H_
#define TRAINSIM_SIM_SIMGRID_PROGRAM_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "collectives/collective.h"
#include "sim/status.h"
#include "sim/units.h"
#include "topology/topology.h"

namespace trainsim::simgrid {

struct ProgramLink {
  uint32_t topology_link;  // LinkIndex value in the topology
  double bandwidth;        // B/s, achievable (line rate × NCCL's link efficiency)
};

struct ProgramHost {
  std::string name;
  std::vector<uint32_t> up;    // indices into Program::links
  std::vector<uint32_t> down;  // indices into Program::links
};

// One point-to-point flow: `bytes` from host `src` (a sending rank) to host `dst`.
struct ProgramFlow {
  uint32_t src;
  uint32_t dst;
  uint64_t bytes;
};

// One parallel task: transfers between positions of `hosts` (a sparse bytes matrix).
struct ProgramTransfer {
  uint32_t from;
  uint32_t to;
  double bytes;
};
struct ProgramTask {
  std::vector<uint32_t> hosts;  // indices into Program::hosts, distinct
  std::vector<ProgramTransfer> transfers;
};

struct ProgramPhase {
  // Flows grouped by the plan's workers: worker w sends flows[flow_begin[w] .. flow_begin[w+1]).
  std::vector<ProgramFlow> flows;
  std::vector<uint32_t> flow_begin;
  std::vector<ProgramTask> tasks;  // run by the plan's coordinator
  Time latency;
};

struct ProgramPlan {
  std::vector<uint32_t> workers;  // host of each worker (one per sending rank)
  std::vector<ProgramPhase> phases;
};

struct Program {
  std::vector<ProgramLink> links;
  std::vector<ProgramHost> hosts;
  uint32_t coordinator_host = 0;  // where the plans' coordinators run (empty routes)
  std::vector<ProgramPlan> plans;
  int64_t flows = 0;       // point-to-point flows, all plans and phases
  int64_t tasks = 0;       // parallel tasks
  int64_t tree_tasks = 0;  // of which read back as reduction trees
  bool needs_parallel_tasks() const { return tasks > 0; }
};

// Lowers `plans` (to run concurrently, each from time zero) on `topology`. kInvalidArgument for
// a malformed plan: a hop naming no link of the topology, a zero weight, negative bytes or
// latency, flow_ends that decrease or do not end at the path's end.
StatusOr<Program> LowerPlans(std::span<const collectives::CollectivePlan> plans,
                             const topology::Topology& topology);
// The same for plans held elsewhere (program.plans[i] lowers *plans[i]).
StatusOr<Program> LowerPlans(std::span<const collectives::CollectivePlan* const> plans,
                             const topology::Topology& topology);

}  // namespace trainsim::simgrid

#endif  // TRAINSIM_SIM_SIMGRID_PROGRAM_H_
