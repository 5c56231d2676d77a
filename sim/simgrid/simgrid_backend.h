// The SimGrid backend: runs collective plans in SimGrid 3.32 to cross-check the native flow
// model (sim/flow_network.h driven by collectives/runner.h) on the same plan and topology.
// Same semantics: phases run one after another; in a phase every flow of every bundle starts at
// once, flow i of a point-to-point bundle crossing path[flow_ends[i-1] .. flow_ends[i]); an
// in-network reduction bundle (empty flow_ends) runs as one SimGrid parallel task that loads
// each link with weight × bytes; a phase ends when its last transfer does, plus its α. Links
// have the achievable capacities of collectives::AchievableCapacities and no latency.
//
// One difference is by design: SimGrid shares bandwidth max-min fairly between individual flows,
// the native model between bundles (all flows of a bundle at one rate, so a ring goes at the pace
// of its slowest edge). When every flow of a phase has the same size the phase times agree
// exactly: in both the flows on the most loaded link set the pace and are never sped up before
// they end. They can differ when plans of different sizes contend: measured, a 1 GiB ring
// sharing 2 nodes with a 256 MiB all-to-all ends 1.9 % earlier in SimGrid, whose ring edges away
// from the contention run ahead of the others. How plans become a SimGrid platform: program.h;
// the SimGrid side: simgrid_engine.h.
//
// Each call runs SimGrid in a forked child process (child_process.h), so calls are independent,
// deterministic and may be made any number of times. Not safe to call from several threads at
// once (fork). workloads/simgrid_executor.h runs a whole training step's graph the same way.
#ifndef TRAINSIM_SIM_SIMGRID_SIMGRID_BACKEND_H_
#define TRAINSIM_SIM_SIMGRID_SIMGRID_BACKEND_H_

#include <cstdint>
#include <span>
#include <vector>

#include "collectives/collective.h"
#include "collectives/runner.h"
#include "sim/simgrid/program.h"
#include "sim/status.h"
#include "sim/units.h"
#include "topology/topology.h"

namespace trainsim::simgrid {

// What a run built and how long it took (wall time in the child process).
struct SimGridStats {
  int64_t links = 0;  // SimGrid links: the topology links the plans use
  int64_t hosts = 0;
  int64_t flows = 0;       // point-to-point flows, all plans and phases
  int64_t tasks = 0;       // parallel tasks
  int64_t tree_tasks = 0;  // of which run as reduction trees over aggregator hosts
  int64_t actors = 0;
  bool flows_as_tasks = false;  // the flow model used (FlowModel)
  double build_seconds = 0;     // SimGrid set-up and platform
  double run_seconds = 0;       // the simulation
  int64_t peak_rss_bytes = 0;   // of the SimGrid process
};

struct SimGridRun {
  std::vector<Time> finish;                   // per plan: when its last phase ended
  std::vector<std::vector<Time>> phase_ends;  // per plan, per phase (α included)
  SimGridStats stats;
};

// How SimGrid moves point-to-point flows (simgrid_engine.h describes both). Both share a link's
// bandwidth max-min fairly between flows, and give the same times on this project's tests.
enum class FlowModel : uint8_t {
  kAuto,           // comms for plans without reduction trees and with at most kMaxComms flows
  kComms,          // host-to-host Comms (CM02, or ptask_L07 when the plans have reduction trees)
  kParallelTasks,  // two-host parallel tasks under ptask_L07
};
// Beyond this many flows SimGrid 3.32's Comms cost more than parallel tasks (their completions
// walk a list of every Comm in flight).
inline constexpr int64_t kMaxComms = 4096;

// Whether `flows` moves the program's point-to-point flows as parallel tasks.
bool FlowsAsTasks(const Program& program, FlowModel flows);

struct SimGridOptions {
  FlowModel flows = FlowModel::kAuto;
  double timeout_seconds = 0;  // wall-clock limit for the SimGrid process; 0: none
};

// Runs `plans` together on an idle network, each starting at time zero (so they contend for
// the links they share). Errors: kInvalidArgument for a malformed plan (program.h lists what is
// checked); kResourceExhausted when the run exceeds options.timeout_seconds (the process is
// killed); kInternal when SimGrid fails or its process dies.
StatusOr<SimGridRun> SimulatePlansWithSimGrid(std::span<const collectives::CollectivePlan> plans,
                                              const topology::Topology& topology,
                                              const SimGridOptions& options = {});

// One plan alone on an idle network: when its last phase ends.
StatusOr<Time> SimulatePlanWithSimGrid(const collectives::CollectivePlan& plan,
                                       const topology::Topology& topology);

// As collectives::TimeCollective for one algorithm and protocol, timed by SimGrid.
StatusOr<collectives::CollectiveTiming> TimeCollectiveSimGrid(
    const collectives::CollectiveRequest& request, const topology::Topology& topology,
    const collectives::CollectiveAlgorithm& algorithm, collectives::Protocol protocol);

}  // namespace trainsim::simgrid

#endif  // TRAINSIM_SIM_SIMGRID_SIMGRID_BACKEND_H_
