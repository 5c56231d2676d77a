#include "workloads/executor.h"

#include <cmath>
#include <memory>
#include <unordered_map>

#include "collectives/runner.h"
#include "collectives/series_links.h"
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

// With expansion, every group of the op's kind that holds a rank of the representative's
// replica on its stage: the TP peers' groups (one TP group), or all groups on the stage for the
// DP collectives every replica shares.
std::vector<std::vector<int64_t>> ExpandedGroups(const CommOp& op, const Placement& placement) {
  if (op.group == GroupKind::kData || op.group == GroupKind::kExpertData) {
    return placement.GroupsOnStage(op.group, op.stage);
  }
  const int cp = placement.GroupSize(GroupKind::kContext);
  const int tp = op.group == GroupKind::kTensor ? 1 : placement.GroupSize(GroupKind::kTensor);
  const RankCoords rep{.tp = 0, .cp = op.replica % cp, .dp = op.replica / cp, .pp = op.stage};
  std::vector<std::vector<int64_t>> groups;
  for (int t = 0; t < tp; ++t) {
    RankCoords c = rep;
    c.tp = t;
    const int64_t rank = placement.Rank(c);
    if (op.group == GroupKind::kPipelineNext) {
      c.pp = op.peer_stage;
      groups.push_back({rank, placement.Rank(c)});
    } else {
      groups.push_back(placement.Group(op.group, rank));
    }
  }
  return groups;
}

// Appends `other`'s phases to `plan`'s, phase by phase (both of one algorithm).
void MergePhases(CollectivePlan& plan, CollectivePlan&& other) {
  if (plan.phases.size() < other.phases.size()) plan.phases.resize(other.phases.size());
  for (size_t p = 0; p < other.phases.size(); ++p) {
    collectives::PlanPhase& into = plan.phases[p];
    collectives::PlanPhase& from = other.phases[p];
    into.latency = std::max(into.latency, from.latency);
    for (collectives::PlannedBundle& b : from.bundles) into.bundles.push_back(std::move(b));
  }
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
                                                     const topology::Topology& topology,
                                                     bool expand) {
  std::vector<PlannedComm> planned;
  planned.reserve(ops.size());
  collectives::CollectiveTimer timer(topology);
  std::vector<int32_t> slot(topology.links().size(), -1);
  // Tuned once per kind of op on a stage: with expansion every replica's group of that kind
  // uses the algorithm tuned for the representative's, as the mirror groups do without it.
  struct Tuned {
    const collectives::CollectiveAlgorithm* algorithm;
    collectives::CollectiveTiming timing;
  };
  std::unordered_map<CommOp, Tuned, CommOpHash> tuned_by_kind;
  for (const CommOp& op : ops) {
    CollectiveRequest request{.op = op.op, .ranks = RepresentativeGroup(op, placement),
                              .bytes = op.bytes};
    auto fail = [&](const Status& s) {
      return Status(s.code(), fmt::format("{} {} of {} on stage {}: {}", GroupKindName(op.group),
                                          collectives::OpName(op.op), ToString(op.bytes),
                                          op.stage, s.message()));
    };
    CommOp kind = op;
    kind.replica = 0;
    auto cached = tuned_by_kind.find(kind);
    if (cached == tuned_by_kind.end()) {
      CollectiveRequest first = request;
      first.ranks = RepresentativeGroup(kind, placement);
      StatusOr<collectives::CollectiveTiming> tuned = timer.Tune(first);
      if (!tuned.ok()) return fail(tuned.status());
      StatusOr<const collectives::CollectiveAlgorithm*> algorithm =
          collectives::FindAlgorithm(tuned->algorithm);
      if (!algorithm.ok()) return fail(algorithm.status());
      cached = tuned_by_kind.emplace(kind, Tuned{*algorithm, *tuned}).first;
    }
    const collectives::CollectiveAlgorithm& algorithm = *cached->second.algorithm;
    const collectives::Protocol protocol = cached->second.timing.protocol;
    auto plan_for = [&](const std::vector<int64_t>& group) {
      CollectiveRequest r = request;
      r.ranks = group;
      return algorithm.Plan(r, topology, protocol);
    };

    if (expand) {
      // Every group explicit, every flow its own weight.
      const std::vector<std::vector<int64_t>> groups = ExpandedGroups(op, placement);
      CollectivePlan merged;
      for (const std::vector<int64_t>& group : groups) {
        StatusOr<CollectivePlan> p = plan_for(group);
        if (!p.ok()) return fail(p.status());
        if (merged.phases.empty()) {
          merged = *std::move(p);
        } else {
          MergePhases(merged, std::move(*p));
        }
      }
      planned.push_back(PlannedComm{.plan = std::move(merged),
                                    .idle_time = cached->second.timing.time,
                                    .mirror_groups = static_cast<int>(groups.size())});
      continue;
    }

    StatusOr<CollectivePlan> plan = plan_for(request.ranks);
    if (!plan.ok()) return fail(plan.status());
    // Census of the mirror groups' flows on the representative's links, phase by phase.
    const std::vector<std::vector<int64_t>> mirrors = MirrorGroups(op, placement);
    if (mirrors.size() > 1) {
      std::vector<CollectivePlan> mirror_plans;
      mirror_plans.reserve(mirrors.size());
      for (const std::vector<int64_t>& group : mirrors) {
        StatusOr<CollectivePlan> p = plan_for(group);
        if (!p.ok()) return fail(p.status());
        mirror_plans.push_back(*std::move(p));
      }
      WeightByMirrors(*plan, mirror_plans, slot);
    }
    planned.push_back(PlannedComm{.plan = *std::move(plan),
                                  .idle_time = cached->second.timing.time,
                                  .mirror_groups = static_cast<int>(mirrors.size())});
  }
  return planned;
}

namespace {

// `plan` with each bundle's path reduced to its distinct links, in order of first appearance,
// weights summed: what FlowNetwork::Start makes of it anyway, done once per plan instead of once
// per run (an all-to-all's path names each sender's and receiver's links once per peer).
CollectivePlan Compacted(const CollectivePlan& plan, std::vector<int32_t>& slot) {
  CollectivePlan out{.algorithm = plan.algorithm, .protocol = plan.protocol};
  out.phases.reserve(plan.phases.size());
  for (const collectives::PlanPhase& phase : plan.phases) {
    collectives::PlanPhase& into = out.phases.emplace_back();
    into.latency = phase.latency;
    for (const collectives::PlannedBundle& b : phase.bundles) {
      collectives::PlannedBundle& c = into.bundles.emplace_back(
          collectives::PlannedBundle{.bytes = b.bytes, .multiplicity = b.multiplicity});
      for (const FlowHop& hop : b.path) {
        int32_t& at = slot[hop.link.value];
        if (at < 0) {
          at = static_cast<int32_t>(c.path.size());
          c.path.push_back(hop);
        } else {
          c.path[static_cast<size_t>(at)].weight += hop.weight;
        }
      }
      for (const FlowHop& hop : c.path) slot[hop.link.value] = -1;
    }
  }
  return out;
}

class Runner {
 public:
  Runner(const ExecutionGraph& graph, std::span<const PlannedComm> comms,
         const topology::Topology& topology)
      : graph_(graph),
        network_(engine_, collectives::AchievableCapacities(topology)),
        plan_runner_(engine_, network_),
        walker_(graph, [this](NodeId id) { Start(id); }) {
    trace_.nodes.resize(graph.size());
    // Compacted in the order the graph first uses them, so that the plans of collectives that
    // run together (the replicas' copies of one op, when the graph interleaves them) were
    // allocated together.
    std::vector<int32_t> slot(topology.links().size(), -1);
    plans_.resize(comms.size());
    std::vector<bool> done(comms.size(), false);
    for (NodeId id = 0; id < graph.size(); ++id) {
      const int32_t comm = graph.node(id).comm;
      if (comm < 0 || done[static_cast<size_t>(comm)]) continue;
      done[static_cast<size_t>(comm)] = true;
      plans_[static_cast<size_t>(comm)] = Compacted(comms[static_cast<size_t>(comm)].plan, slot);
    }
    // Links in series (collectives/series_links.h) run as one: same rates and bytes, fewer hops.
    std::vector<BytesPerSecond> capacities;
    capacities.reserve(network_.link_count());
    for (uint32_t l = 0; l < network_.link_count(); ++l) {
      capacities.push_back(network_.capacity(LinkIndex{l}));
    }
    representative_ = collectives::MergeSeriesLinks(plans_, capacities);
  }

  StatusOr<ExecutionTrace> Run() {
    walker_.Begin();
    engine_.Run();
    if (Status s = walker_.CheckAllRan(); !s.ok()) return s;
    for (const NodeTiming& t : trace_.nodes) trace_.makespan = std::max(trace_.makespan, t.end);
    const size_t links = network_.link_count();
    trace_.link_bytes.resize(links);
    for (size_t l = 0; l < links; ++l) {
      trace_.link_bytes[l] = network_.link_bytes(LinkIndex{representative_[l]});
    }
    return std::move(trace_);
  }

 private:
  void Start(NodeId id) {
    const GraphNode n = graph_.node(id);
    trace_.nodes[id].start = engine_.now();
    if (n.comm < 0 || plans_[n.comm].phases.empty()) {
      engine_.ScheduleAfter(n.comm < 0 ? n.duration : Time(), [this, id] { Finish(id); });
      return;
    }
    plan_runner_.Run(plans_[n.comm], [this, id] { Finish(id); });
  }

  void Finish(NodeId id) {
    trace_.nodes[id].end = engine_.now();
    walker_.Finished(id);
  }

  const ExecutionGraph& graph_;
  std::vector<CollectivePlan> plans_;  // by comm op, compacted, links in series merged
  std::vector<uint32_t> representative_;  // by link: the link that carries its flows
  EventEngine engine_;
  FlowNetwork network_;
  collectives::PlanRunner plan_runner_;
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
