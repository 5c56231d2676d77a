// Runs a lowered Program (program.h) in SimGrid 3.32, in the calling process. Internal to the
// backend: SimGrid's Engine is a process-wide singleton that 3.32 cannot create twice, so
// simgrid_backend.cc calls this once per forked child process and never in the caller's.
//
// Two models. Comms: network/model:CM02 with no cross traffic, no TCP window (TCP-gamma 0), unit
// latency and bandwidth factors and weight-S 0, i.e. plain max-min fair sharing of bandwidth
// between flows; each flow is a host-to-host Comm. Parallel tasks: host/model:ptask_L07, every
// flow a two-host parallel task and every reduction tree one task over its hosts; its
// fairbottleneck solver shares each link's bandwidth equally between the tasks on it, the same
// max-min sharing for flows, and the bottleneck rate for a task alone. Reduction trees need the
// second; so do large programs, because SimGrid 3.32 keeps every host-to-host Comm in one list
// of maestro's and walks it at each completion: measured on this project's 2-core machine, 16k
// flows of an 8-rail ring took 3.4 s as Comms, 131k flows did not finish in 16 minutes.
//
// Each plan runs one actor per sending rank and a coordinator that runs the reduction trees; per
// phase every actor starts its transfers, waits for them, meets the others at a barrier and
// sleeps the phase's α, so a phase ends when its last transfer does, plus α. This is the one
// file that includes SimGrid's headers.
#ifndef TRAINSIM_SIM_SIMGRID_SIMGRID_ENGINE_H_
#define TRAINSIM_SIM_SIMGRID_SIMGRID_ENGINE_H_

#include <cstdint>
#include <vector>

#include "sim/simgrid/program.h"

namespace trainsim::simgrid {

struct EngineRun {
  std::vector<std::vector<double>> phase_ends;  // per plan, per phase: simulated seconds, α in
  int64_t actors = 0;
  double build_seconds = 0;  // wall time to configure SimGrid and build the platform
  double run_seconds = 0;    // wall time of Engine::run
};

// Runs with ptask_L07 when the program has parallel tasks or `flows_as_tasks` (flows as two-host
// tasks rather than Comms), else CM02. REQUIRES: called at most once per process. SimGrid errors
// that it reports as exceptions propagate; those it reports by aborting end the process.
EngineRun RunInSimGrid(const Program& program, bool flows_as_tasks);

}  // namespace trainsim::simgrid

#endif  // TRAINSIM_SIM_SIMGRID_SIMGRID_ENGINE_H_
