// One training step of a loaded scenario, simulated and reported as `trainsim run` does it: the
// executor the scenario names (SimGrid runs one at a time in the whole process: it forks a child
// per call and is not safe from several threads at once), the report with the resolved scenario
// (presets expanded, defaults filled in) attached. Shared by the CLI, the gRPC service, studies
// and the live dashboards.
#ifndef TRAINSIM_PLANNER_SIMULATE_H_
#define TRAINSIM_PLANNER_SIMULATE_H_

#include <string>
#include <string_view>

#include "config/scenario_loader.h"
#include "config/scenario_spec.h"
#include "trainsim/v1/report.pb.h"
#include "sim/status.h"
#include "workloads/step.h"

namespace trainsim::planner {

struct SimulateOptions {
  bool record_timeline = false;  // fill step.timeline (traces, dashboards)
  bool resolve = true;           // attach the resolved scenario and its YAML (studies skip it)
  std::string_view version;      // trainsim's version, recorded in the report
};

struct Simulation {
  workloads::StepResult step;
  v1::Report report;  // step.simulated false: out of memory, only the memory figures
  std::string resolved_yaml;  // empty unless options.resolve
};

// Errors: the step's (kInvalidArgument for a scenario the model cannot run, kInternal for a
// defect), its message prefixed with the scenario's file name.
StatusOr<Simulation> SimulateScenario(const config::LoadedScenario& loaded,
                                      const config::ScenarioSpec& spec,
                                      const SimulateOptions& options = {});

}  // namespace trainsim::planner

#endif  // TRAINSIM_PLANNER_SIMULATE_H_
