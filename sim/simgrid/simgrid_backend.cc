#include "sim/simgrid/simgrid_backend.h"

#include <string>
#include <string_view>
#include <utility>

#include "fmt/format.h"
#include "sim/simgrid/child_process.h"
#include "sim/simgrid/program.h"
#include "sim/simgrid/simgrid_engine.h"

namespace trainsim::simgrid {
namespace {

std::string Encode(const Program& program, bool flows_as_tasks, const EngineRun& run) {
  std::string out;
  Put(out, static_cast<uint64_t>(run.phase_ends.size()));
  for (const std::vector<double>& ends : run.phase_ends) {
    Put(out, static_cast<uint64_t>(ends.size()));
    for (double t : ends) Put(out, t);
  }
  const SimGridStats stats{.links = static_cast<int64_t>(program.links.size()),
                           .hosts = static_cast<int64_t>(program.hosts.size()),
                           .flows = program.flows,
                           .tasks = program.tasks,
                           .tree_tasks = program.tree_tasks,
                           .actors = run.actors,
                           .flows_as_tasks = flows_as_tasks,
                           .build_seconds = run.build_seconds,
                           .run_seconds = run.run_seconds};
  Put(out, stats);
  return out;
}

StatusOr<SimGridRun> Decode(std::string_view data) {
  WireReader in(data);
  SimGridRun run;
  uint64_t plans = 0;
  bool ok = in.Get(plans);
  for (uint64_t p = 0; ok && p < plans; ++p) {
    uint64_t phases = 0;
    ok = in.Get(phases);
    std::vector<Time>& ends = run.phase_ends.emplace_back();
    for (uint64_t i = 0; ok && i < phases; ++i) {
      double seconds = 0;
      ok = in.Get(seconds);
      if (ok) ends.push_back(Time::FromSeconds(seconds));
    }
    run.finish.push_back(ends.empty() ? Time::Zero() : ends.back());
  }
  if (!ok || !in.Get(run.stats)) return InternalError("the SimGrid process's answer is cut short");
  return run;
}

}  // namespace

bool FlowsAsTasks(const Program& program, FlowModel flows) {
  switch (flows) {
    case FlowModel::kAuto:
      return program.needs_parallel_tasks() || program.flows > kMaxComms;
    case FlowModel::kComms:
      return false;
    case FlowModel::kParallelTasks:
      return true;
  }
  return true;
}

StatusOr<SimGridRun> SimulatePlansWithSimGrid(std::span<const collectives::CollectivePlan> plans,
                                              const topology::Topology& topology,
                                              const SimGridOptions& options) {
  StatusOr<Program> program = LowerPlans(plans, topology);
  if (!program.ok()) return program.status();
  const bool flows_as_tasks = FlowsAsTasks(*program, options.flows);
  StatusOr<ChildAnswer> answer = RunInChildProcess(
      [&] { return Encode(*program, flows_as_tasks, RunInSimGrid(*program, flows_as_tasks)); },
      options.timeout_seconds);
  if (!answer.ok()) return answer.status();
  StatusOr<SimGridRun> run = Decode(answer->bytes);
  if (run.ok()) run->stats.peak_rss_bytes = answer->peak_rss_bytes;
  return run;
}

StatusOr<Time> SimulatePlanWithSimGrid(const collectives::CollectivePlan& plan,
                                       const topology::Topology& topology) {
  StatusOr<SimGridRun> run = SimulatePlansWithSimGrid(std::span(&plan, 1), topology);
  if (!run.ok()) return run.status();
  return run->finish.front();
}

StatusOr<collectives::CollectiveTiming> TimeCollectiveSimGrid(
    const collectives::CollectiveRequest& request, const topology::Topology& topology,
    const collectives::CollectiveAlgorithm& algorithm, collectives::Protocol protocol) {
  StatusOr<collectives::CollectivePlan> plan = algorithm.Plan(request, topology, protocol);
  if (!plan.ok()) return plan.status();
  StatusOr<Time> time = SimulatePlanWithSimGrid(*plan, topology);
  if (!time.ok()) return time.status();
  return collectives::CollectiveTiming{
      .time = *time, .algorithm = plan->algorithm, .protocol = protocol};
}

}  // namespace trainsim::simgrid
