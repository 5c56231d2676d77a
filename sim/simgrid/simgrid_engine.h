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
// Two ways to run. RunInSimGrid runs every plan once from time zero: each plan runs one actor per
// sending rank and a coordinator that runs the reduction trees; per phase every actor starts its
// transfers, waits for them, meets the others at a barrier and sleeps the phase's α, so a phase
// ends when its last transfer does, plus α. DriveInSimGrid lets a driver (an execution graph's
// walker) start activities as the run goes: a delay, or one run of a plan, whose phases one
// actor starts and waits for in turn (a plan run has a few to a few hundred flows, too few for
// SimGrid's per-actor lists to matter: measured, a GPT-3 175B step on 1,024 GPUs started 603k
// transfers in 4.7 s, 8 µs each). Either way an activity with less than 1 ps left at an event
// ends there. This is the one file that includes SimGrid's headers.
#ifndef TRAINSIM_SIM_SIMGRID_SIMGRID_ENGINE_H_
#define TRAINSIM_SIM_SIMGRID_SIMGRID_ENGINE_H_

#include <cstdint>
#include <vector>

#include "sim/simgrid/program.h"
#include "sim/units.h"

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

// What a driver may do during a driven run; valid only inside its callbacks.
class ActivityStarter {
 public:
  // The simulated time, rounded to the picosecond.
  virtual Time now() const = 0;
  // Starts an activity that ends `duration` from now.
  virtual void StartDelay(uint64_t tag, Time duration) = 0;
  // Starts a run of program.plans[plan] now; it ends when its last phase does (at once for a
  // plan without phases). REQUIRES: plan < program.plans.size().
  virtual void StartPlan(uint64_t tag, uint32_t plan) = 0;

 protected:
  ~ActivityStarter() = default;
};

// The caller's side of a driven run. Callbacks run inside the simulation, one at a time.
class ActivityDriver {
 public:
  virtual ~ActivityDriver() = default;
  // At time zero: starts the first activities.
  virtual void Begin(ActivityStarter& starter) = 0;
  // The activity started with `tag` has ended, at starter.now(); may start more.
  virtual void Ended(ActivityStarter& starter, uint64_t tag) = 0;
};

struct DrivenRunStats {
  int64_t actors = 0;
  int64_t activities = 0;    // delays and plan runs started
  int64_t transfers = 0;     // flows and parallel tasks the plan runs started
  double build_seconds = 0;  // wall time to configure SimGrid and build the platform
  double run_seconds = 0;    // wall time of Engine::run
};

// Runs what `driver` starts on the program's platform until no activity is left (all ended, or
// the driver stopped starting them). Models as for RunInSimGrid. REQUIRES: called at most once
// per process, and not in the same process as RunInSimGrid.
DrivenRunStats DriveInSimGrid(const Program& program, bool flows_as_tasks, ActivityDriver& driver);

}  // namespace trainsim::simgrid

#endif  // TRAINSIM_SIM_SIMGRID_SIMGRID_ENGINE_H_
