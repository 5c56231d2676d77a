#include "workloads/executor.h"

#include <cmath>
#include <memory>

#include "collectives/runner.h"
#include "fmt/format.h"
#include "sim/engine.h"
#include "sim/flow_network.h"
#include "workloads/graph_walker.h"

namespace trainsim::workloads {

using collectives::CollectivePlan;
using collectives::CollectiveRequest;

namespace {

std::vector<int64_t> RepresentativeGroup(const CommOp& op, const Placement& placement) {
  const int cp = placement.GroupSize(GroupKind::kContext);
  const int cp_index = op.replica % cp;
  const int dp_index = op.replica / cp;
  const int64_t rep = placement.Rank({0, cp_index, dp_index, op.stage});
  if (op.group == GroupKind::kPipelineNext) {
    return {rep, placement.Rank({0, cp_index, dp_index, op.peer_stage})};
  }
  return placement.Group(op.group, rep);
}

std::vector<std::vector<int64_t>> MirrorGroups(const CommOp& op, const Placement& placement) {
  if (op.group != GroupKind::kPipelineNext) return placement.GroupsOnStage(op.group, op.stage);
  std::vector<std::vector<int64_t>> pairs;
  for (int64_t r = 0; r < placement.ranks(); ++r) {
    RankCoords peer = placement.Coords(r);
    if (peer.pp != op.stage) continue;
    peer.pp = op.peer_stage;
    pairs.push_back({r, placement.Rank(peer)});
  }
  return pairs;
}

// Weights the representative's flows in `plan` by the load of all `mirrors` (its own plan among
// them) on each link it crosses, phase by phase. `slot` is a per-link scratch table of -1s,
// left as it was found; only the representative's links are counted.
void WeightByMirrors(CollectivePlan& plan, std::span<const CollectivePlan> mirrors,
                     std::vector<int32_t>& slot) {
  std::vector<uint32_t> links;
  std::vector<double> own, all;
  for (size_t p = 0; p < plan.phases.size(); ++p) {
    for (const collectives::PlannedBundle& b : plan.phases[p].bundles) {
      for (const FlowHop& hop : b.path) {
        int32_t& s = slot[hop.link.value];
        if (s < 0) {
          s = static_cast<int32_t>(links.size());
          links.push_back(hop.link.value);
          own.push_back(0);
          all.push_back(0);
        }
        own[static_cast<size_t>(s)] += static_cast<double>(hop.weight) * static_cast<double>(b.multiplicity);
      }
    }
    for (const CollectivePlan& m : mirrors) {
      if (p >= m.phases.size()) continue;
      for (const collectives::PlannedBundle& b : m.phases[p].bundles) {
        for (const FlowHop& hop : b.path) {
          const int32_t s = slot[hop.link.value];
          if (s >= 0) {
            all[static_cast<size_t>(s)] +=
                static_cast<double>(hop.weight) * static_cast<double>(b.multiplicity);
          }
        }
      }
    }
    for (collectives::PlannedBundle& b : plan.phases[p].bundles) {
      for (FlowHop& hop : b.path) {
        const auto s = static_cast<size_t>(slot[hop.link.value]);
        const double weight = std::max(1.0, std::round(hop.weight * all[s] / own[s]));
        hop.weight = static_cast<uint32_t>(weight);
      }
    }
    for (uint32_t l : links) slot[l] = -1;
    links.clear();
    own.clear();
    all.clear();
  }
}

}  // namespace

StatusOr<std::vector<PlannedComm>> PlanCommunication(std::span<const CommOp> ops,
                                                     const Placement& placement,
                                                     const topology::Topology& topology) {
  std::vector<PlannedComm> planned;
  planned.reserve(ops.size());
  collectives::CollectiveTimer timer(topology);
  std::vector<int32_t> slot(topology.links().size(), -1);
  for (const CommOp& op : ops) {
    CollectiveRequest request{.op = op.op, .ranks = RepresentativeGroup(op, placement),
                              .bytes = op.bytes};
    auto fail = [&](const Status& s) {
      return Status(s.code(), fmt::format("{} {} of {} on stage {}: {}", GroupKindName(op.group),
                                          collectives::OpName(op.op), ToString(op.bytes),
                                          op.stage, s.message()));
    };
    StatusOr<collectives::CollectiveTiming> tuned = timer.Tune(request);
    if (!tuned.ok()) return fail(tuned.status());
    StatusOr<const collectives::CollectiveAlgorithm*> algorithm =
        collectives::FindAlgorithm(tuned->algorithm);
    if (!algorithm.ok()) return fail(algorithm.status());
    StatusOr<CollectivePlan> plan = (*algorithm)->Plan(request, topology, tuned->protocol);
    if (!plan.ok()) return fail(plan.status());

    // Census of the mirror groups' flows on the representative's links, phase by phase.
    const std::vector<std::vector<int64_t>> mirrors = MirrorGroups(op, placement);
    if (mirrors.size() > 1) {
      std::vector<CollectivePlan> mirror_plans;
      mirror_plans.reserve(mirrors.size());
      for (const std::vector<int64_t>& group : mirrors) {
        CollectiveRequest r = request;
        r.ranks = group;
        StatusOr<CollectivePlan> p = (*algorithm)->Plan(r, topology, tuned->protocol);
        if (!p.ok()) return fail(p.status());
        mirror_plans.push_back(*std::move(p));
      }
      WeightByMirrors(*plan, mirror_plans, slot);
    }
    planned.push_back(PlannedComm{.plan = *std::move(plan),
                                  .idle_time = tuned->time,
                                  .mirror_groups = static_cast<int>(mirrors.size())});
  }
  return planned;
}

namespace {

class Runner {
 public:
  Runner(const ExecutionGraph& graph, std::span<const PlannedComm> comms,
         const topology::Topology& topology)
      : graph_(graph),
        comms_(comms),
        network_(engine_, collectives::AchievableCapacities(topology)),
        walker_(graph, [this](NodeId id) { Start(id); }) {
    trace_.nodes.resize(graph.size());
  }

  StatusOr<ExecutionTrace> Run() {
    walker_.Begin();
    engine_.Run();
    if (Status s = walker_.CheckAllRan(); !s.ok()) return s;
    for (const NodeTiming& t : trace_.nodes) trace_.makespan = std::max(trace_.makespan, t.end);
    const size_t links = network_.link_count();
    trace_.link_bytes.resize(links);
    for (size_t l = 0; l < links; ++l) {
      trace_.link_bytes[l] = network_.link_bytes(LinkIndex{static_cast<uint32_t>(l)});
    }
    return std::move(trace_);
  }

 private:
  void Start(NodeId id) {
    const GraphNode& n = graph_.node(id);
    trace_.nodes[id].start = engine_.now();
    if (n.comm < 0 || comms_[n.comm].plan.phases.empty()) {
      engine_.ScheduleAfter(n.comm < 0 ? n.duration : Time(), [this, id] { Finish(id); });
      return;
    }
    collectives::RunPlan(engine_, network_, comms_[n.comm].plan, [this, id] { Finish(id); });
  }

  void Finish(NodeId id) {
    trace_.nodes[id].end = engine_.now();
    walker_.Finished(id);
  }

  const ExecutionGraph& graph_;
  std::span<const PlannedComm> comms_;
  EventEngine engine_;
  FlowNetwork network_;
  GraphWalker walker_;
  ExecutionTrace trace_;
};

}  // namespace

StatusOr<ExecutionTrace> ExecuteNative(const ExecutionGraph& graph,
                                       std::span<const PlannedComm> comms,
                                       const topology::Topology& topology) {
  for (const GraphNode& n : graph.nodes()) {
    if (n.comm >= static_cast<int32_t>(comms.size())) {
      return InvalidArgumentError("execution graph: a communication node has no plan");
    }
  }
  Runner runner(graph, comms, topology);
  return runner.Run();
}

}  // namespace trainsim::workloads
