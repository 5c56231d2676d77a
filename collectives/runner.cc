#include "collectives/runner.h"

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

void PlanRunner::Run(const CollectivePlan& plan, EventCallback on_done) {
  uint32_t run;
  if (free_.empty()) {
    run = static_cast<uint32_t>(runs_.size());
    runs_.emplace_back();
  } else {
    run = free_.back();
    free_.pop_back();
  }
  runs_[run].plan = &plan;
  runs_[run].on_done = std::move(on_done);
  runs_[run].phase = 0;
  StartPhase(run);
}

// Starts the run's current phase, or ends the run after its last. Nothing here calls back
// synchronously except the run's own on_done, which may start runs (and so grow runs_).
void PlanRunner::StartPhase(uint32_t run) {
  InFlight& r = runs_[run];
  if (r.phase == r.plan->phases.size()) {
    EventCallback done = std::move(r.on_done);
    free_.push_back(run);
    done();
    return;
  }
  const PlanPhase& phase = r.plan->phases[r.phase];
  if (phase.bundles.empty()) {  // nothing to move: only the phase's latency
    r.left = 1;
    engine_.ScheduleAfter(phase.latency, [this, run] { PhaseDone(run); });
    return;
  }
  r.left = static_cast<uint32_t>(phase.bundles.size());
  for (const PlannedBundle& b : phase.bundles) {
    network_.Start(BundleSpec{.path = b.path,
                              .bytes = b.bytes,
                              .multiplicity = b.multiplicity,
                              .latency = phase.latency},
                   [this, run] { PhaseDone(run); });
  }
}

void PlanRunner::PhaseDone(uint32_t run) {
  InFlight& r = runs_[run];
  if (--r.left > 0) return;
  ++r.phase;
  StartPhase(run);
}

CollectiveTimer::CollectiveTimer(const topology::Topology& topology)
    : topology_(topology), network_(engine_, AchievableCapacities(topology)), runner_(engine_, network_) {}

Time CollectiveTimer::Run(const CollectivePlan& plan) {
  const Time start = engine_.now();
  Time finished = start;
  runner_.Run(plan, [&] { finished = engine_.now(); });
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
