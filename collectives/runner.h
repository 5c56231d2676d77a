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

// Starts `plan` now; `on_done` runs when its last phase completes. `plan` must outlive the run.
void RunPlan(EventEngine& engine, FlowNetwork& network, const CollectivePlan& plan,
             EventCallback on_done);

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
