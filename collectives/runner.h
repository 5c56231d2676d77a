// Running collective plans on the flow-level network: phases one after another, each phase's
// bundles together; and timing one collective alone on an idle network, for a given algorithm
// and protocol or tuned (`auto`: the fastest algorithm and protocol, as NCCL's tuner picks by
// its cost model; here by simulating each candidate).
#ifndef TRAINSIM_COLLECTIVES_RUNNER_H_
#define TRAINSIM_COLLECTIVES_RUNNER_H_

#include <string>
#include <vector>

#include "collectives/collective.h"
#include "sim/engine.h"
#include "sim/flow_network.h"
#include "topology/topology.h"

namespace trainsim::collectives {

// Link capacities as collectives achieve them: line rate × nccl::LinkEfficiency(tier).
std::vector<BytesPerSecond> AchievableCapacities(const topology::Topology& topology);

// Runs collective plans on one network: each plan's phases one after another, a phase's bundles
// together, the next phase once the last of them completes. Plans in flight live in a pool, so
// that a run allocates nothing once the pool has grown to the most runs at once (an expanded
// step starts tens of millions). Its callbacks point back to it: it must outlive its runs, and is
// neither copied nor moved.
class PlanRunner {
 public:
  PlanRunner(EventEngine& engine, FlowNetwork& network) : engine_(engine), network_(network) {}
  PlanRunner(const PlanRunner&) = delete;
  PlanRunner& operator=(const PlanRunner&) = delete;

  // Starts `plan` now; `on_done` runs when its last phase completes. `plan` must outlive the run.
  void Run(const CollectivePlan& plan, EventCallback on_done);

 private:
  struct InFlight {
    const CollectivePlan* plan = nullptr;
    EventCallback on_done;
    uint32_t phase = 0;  // the phase running
    uint32_t left = 0;   // its bundles not yet completed
  };
  void StartPhase(uint32_t run);
  void PhaseDone(uint32_t run);

  EventEngine& engine_;
  FlowNetwork& network_;
  std::vector<InFlight> runs_;
  std::vector<uint32_t> free_;  // slots of runs_ not in use
};

struct CollectiveTiming {
  Time time;
  std::string algorithm;
  Protocol protocol = Protocol::kSimple;
};

// Times collectives one at a time on an idle network, reusing one network model (building one
// for a large topology costs more than timing a collective on it). Not thread-safe.
class CollectiveTimer {
 public:
  explicit CollectiveTimer(const topology::Topology& topology);

  // The plan alone on the idle network: from its start to its last phase's end.
  Time Run(const CollectivePlan& plan);
  StatusOr<CollectiveTiming> Measure(const CollectiveRequest& request,
                                     const CollectiveAlgorithm& algorithm, Protocol protocol);
  // The fastest protocol for one algorithm; the fastest algorithm and protocol (as below).
  StatusOr<CollectiveTiming> Measure(const CollectiveRequest& request,
                                     const CollectiveAlgorithm& algorithm);
  StatusOr<CollectiveTiming> Tune(const CollectiveRequest& request);

 private:
  const topology::Topology& topology_;
  EventEngine engine_;
  FlowNetwork network_;
  PlanRunner runner_;
};

// The collective alone on an idle network.
StatusOr<CollectiveTiming> TimeCollective(const CollectiveRequest& request,
                                          const topology::Topology& topology,
                                          const CollectiveAlgorithm& algorithm, Protocol protocol);
// The fastest protocol for one algorithm.
StatusOr<CollectiveTiming> TimeCollective(const CollectiveRequest& request,
                                          const topology::Topology& topology,
                                          const CollectiveAlgorithm& algorithm);
// The fastest algorithm and protocol that can run the request. Ties go to the earlier algorithm
// in Algorithms() order, then the earlier protocol.
StatusOr<CollectiveTiming> TuneCollective(const CollectiveRequest& request,
                                          const topology::Topology& topology);

}  // namespace trainsim::collectives

#endif  // TRAINSIM_COLLECTIVES_RUNNER_H_
