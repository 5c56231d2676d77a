#include "collectives/runner.h"

#include <memory>
#include <optional>

#include "collectives/nccl_model.h"
#include "fmt/format.h"

namespace trainsim::collectives {

std::vector<BytesPerSecond> AchievableCapacities(const topology::Topology& topology) {
  std::vector<BytesPerSecond> capacities;
  capacities.reserve(topology.links().size());
  for (const topology::Link& link : topology.links()) {
    capacities.push_back(link.bandwidth * nccl::LinkEfficiency(link.tier));
  }
  return capacities;
}

namespace {

// The state of one plan in flight: which phase runs and how many of its bundles are left.
struct PlanRun {
  EventEngine& engine;
  FlowNetwork& network;
  const CollectivePlan& plan;
  EventCallback on_done;
  size_t phase = 0;
  size_t left = 0;
};

void StartPhase(const std::shared_ptr<PlanRun>& run) {
  if (run->phase == run->plan.phases.size()) {
    run->on_done();
    return;
  }
  const PlanPhase& phase = run->plan.phases[run->phase];
  if (phase.bundles.empty()) {  // nothing to move: only the phase's latency
    run->engine.ScheduleAfter(phase.latency, [run] {
      ++run->phase;
      StartPhase(run);
    });
    return;
  }
  run->left = phase.bundles.size();
  for (const PlannedBundle& b : phase.bundles) {
    run->network.Start(BundleSpec{.path = b.path,
                                  .bytes = b.bytes,
                                  .multiplicity = b.multiplicity,
                                  .latency = phase.latency},
                       [run] {
                         if (--run->left > 0) return;
                         ++run->phase;
                         StartPhase(run);
                       });
  }
}

}  // namespace

void RunPlan(EventEngine& engine, FlowNetwork& network, const CollectivePlan& plan,
             EventCallback on_done) {
  auto run = std::make_shared<PlanRun>(
      PlanRun{.engine = engine, .network = network, .plan = plan, .on_done = std::move(on_done)});
  StartPhase(run);
}

CollectiveTimer::CollectiveTimer(const topology::Topology& topology)
    : topology_(topology), network_(engine_, AchievableCapacities(topology)) {}

Time CollectiveTimer::Run(const CollectivePlan& plan) {
  const Time start = engine_.now();
  Time finished = start;
  RunPlan(engine_, network_, plan, [&] { finished = engine_.now(); });
  engine_.Run();
  return finished - start;
}

StatusOr<CollectiveTiming> CollectiveTimer::Measure(const CollectiveRequest& request,
                                                    const CollectiveAlgorithm& algorithm,
                                                    Protocol protocol) {
  StatusOr<CollectivePlan> plan = algorithm.Plan(request, topology_, protocol);
  if (!plan.ok()) return plan.status();
  return CollectiveTiming{.time = Run(*plan), .algorithm = plan->algorithm, .protocol = protocol};
}

StatusOr<CollectiveTiming> CollectiveTimer::Measure(const CollectiveRequest& request,
                                                    const CollectiveAlgorithm& algorithm) {
  StatusOr<CollectiveTiming> best = FailedPreconditionError("no protocol");
  for (Protocol p : {Protocol::kLL, Protocol::kLL128, Protocol::kSimple}) {
    StatusOr<CollectiveTiming> t = Measure(request, algorithm, p);
    if (!t.ok()) {
      if (!best.ok()) best = t.status();
      if (t.status().code() == StatusCode::kInvalidArgument) return t.status();
      continue;
    }
    if (!best.ok() || t->time < best->time) best = std::move(t);
  }
  return best;
}

StatusOr<CollectiveTiming> CollectiveTimer::Tune(const CollectiveRequest& request) {
  if (Status s = ValidateRequest(request, topology_); !s.ok()) return s;
  std::optional<CollectiveTiming> best;
  std::string why_not;
  for (const auto& algorithm : Algorithms()) {
    StatusOr<CollectiveTiming> t = Measure(request, *algorithm);
    if (!t.ok()) {
      why_not += fmt::format("\n  {}: {}", algorithm->name(), t.status().message());
      continue;
    }
    if (!best || t->time < best->time) best = *std::move(t);
  }
  if (!best) {
    return FailedPreconditionError(fmt::format("no algorithm can run {}:{}", OpName(request.op),
                                               why_not));
  }
  return *best;
}

StatusOr<CollectiveTiming> TimeCollective(const CollectiveRequest& request,
                                          const topology::Topology& topology,
                                          const CollectiveAlgorithm& algorithm,
                                          Protocol protocol) {
  return CollectiveTimer(topology).Measure(request, algorithm, protocol);
}

StatusOr<CollectiveTiming> TimeCollective(const CollectiveRequest& request,
                                          const topology::Topology& topology,
                                          const CollectiveAlgorithm& algorithm) {
  return CollectiveTimer(topology).Measure(request, algorithm);
}

StatusOr<CollectiveTiming> TuneCollective(const CollectiveRequest& request,
                                          const topology::Topology& topology) {
  return CollectiveTimer(topology).Tune(request);
}

}  // namespace trainsim::collectives
