#include "planner/simulate.h"

#include <mutex>

#include "config/report.h"
#include "fmt/format.h"
#include "workloads/simgrid_executor.h"

namespace trainsim::planner {
namespace {

std::mutex& SimGridMutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

StatusOr<Simulation> SimulateScenario(const config::LoadedScenario& loaded,
                                      const config::ScenarioSpec& spec,
                                      const SimulateOptions& options) {
  workloads::StepScenario scenario{.cluster = &spec.cluster,
                                   .model = &spec.model,
                                   .plan = &spec.parallel,
                                   .training = &spec.training,
                                   .precision = &spec.precision,
                                   .options = &spec.simulation,
                                   .record_timeline = options.record_timeline};
  std::unique_lock<std::mutex> simgrid_turn;
  if (spec.simulation.executor == ExecutorKind::kSimGrid) {
    scenario.executor = workloads::ExecuteSimGrid;
    simgrid_turn = std::unique_lock<std::mutex>(SimGridMutex());
  }
  StatusOr<workloads::StepResult> step = workloads::SimulateStep(scenario);
  if (simgrid_turn.owns_lock()) simgrid_turn.unlock();
  if (!step.ok()) {
    return Status(step.status().code(), fmt::format("{}: {}", loaded.file, step.status().message()));
  }
  Simulation out{.step = *std::move(step)};
  if (!options.resolve) {
    out.report = config::MakeReport(spec, out.step, v1::Scenario(), options.version);
    return out;
  }
  out.resolved_yaml = config::ResolvedYaml(loaded, spec);
  StatusOr<config::LoadedScenario> resolved = config::LoadScenarioText(out.resolved_yaml, loaded.file);
  if (!resolved.ok()) {
    return InternalError("the resolved scenario does not load back: " +
                         resolved.status().message());
  }
  out.report = config::MakeReport(spec, out.step, resolved->scenario, options.version);
  return out;
}

}  // namespace trainsim::planner
