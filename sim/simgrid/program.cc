#include "sim/simgrid/program.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "collectives/runner.h"
#include "fmt/format.h"

namespace trainsim::simgrid {
namespace {

using collectives::CollectivePlan;
using collectives::PlannedBundle;
using topology::VertexKind;

constexpr uint32_t kNoLink = UINT32_MAX;

std::string_view KindName(VertexKind kind) {
  switch (kind) {
    case VertexKind::kGpu:
      return "gpu";
    case VertexKind::kNvSwitch:
      return "nvswitch";
    case VertexKind::kNvlinkSwitch:
      return "nvlink-switch";
    case VertexKind::kNic:
      return "nic";
    case VertexKind::kLeaf:
      return "leaf";
    case VertexKind::kSpine:
      return "spine";
    case VertexKind::kCore:
      return "core";
  }
  return "vertex";
}

// Height in the cluster's hierarchy: every cable of the topology joins a lower vertex to a
// higher one (GPU - NVSwitch - NVLink Switch; GPU - NIC - leaf - spine - core), so a link is
// "up" when it climbs.
int Level(VertexKind kind) {
  switch (kind) {
    case VertexKind::kGpu:
      return 0;
    case VertexKind::kNvSwitch:
    case VertexKind::kNic:
      return 1;
    case VertexKind::kNvlinkSwitch:
    case VertexKind::kLeaf:
      return 2;
    case VertexKind::kSpine:
      return 3;
    case VertexKind::kCore:
      return 4;
  }
  return 0;
}

Status ValidatePlans(std::span<const CollectivePlan* const> plans, size_t link_count) {
  for (size_t p = 0; p < plans.size(); ++p) {
    for (size_t i = 0; i < plans[p]->phases.size(); ++i) {
      const collectives::PlanPhase& phase = plans[p]->phases[i];
      const std::string where = fmt::format("plan {} ({}), phase {}", p, plans[p]->algorithm, i);
      if (phase.latency < Time::Zero()) {
        return InvalidArgumentError(
            fmt::format("{}: latency {} ps is negative", where, phase.latency.picoseconds()));
      }
      for (size_t b = 0; b < phase.bundles.size(); ++b) {
        const PlannedBundle& bundle = phase.bundles[b];
        if (bundle.bytes < Bytes(0)) {
          return InvalidArgumentError(
              fmt::format("{}, bundle {}: bytes {} is negative", where, b, bundle.bytes.count()));
        }
        for (const FlowHop& hop : bundle.path) {
          if (hop.link.value >= link_count) {
            return InvalidArgumentError(
                fmt::format("{}, bundle {}: a hop names link {}, but the topology has {} links",
                            where, b, hop.link.value, link_count));
          }
          if (hop.weight == 0) {
            return InvalidArgumentError(fmt::format(
                "{}, bundle {}: the hop on link {} has weight 0", where, b, hop.link.value));
          }
        }
        uint32_t previous = 0;
        for (uint32_t end : bundle.flow_ends) {
          if (end < previous || end > bundle.path.size()) {
            return InvalidArgumentError(fmt::format(
                "{}, bundle {}: flow_ends must rise to the path's {} hops, found {} after {}",
                where, b, bundle.path.size(), end, previous));
          }
          previous = end;
        }
        if (!bundle.flow_ends.empty() && previous != bundle.path.size()) {
          return InvalidArgumentError(
              fmt::format("{}, bundle {}: flow_ends end at hop {}, but the path has {} hops", where,
                          b, previous, bundle.path.size()));
        }
      }
    }
  }
  return OkStatus();
}

struct RouteHash {
  size_t operator()(const std::vector<uint32_t>& route) const {
    uint64_t h = 1469598103934665603ull;  // FNV-1a over the link indices
    for (uint32_t l : route) h = (h ^ l) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

// One stream of a reduction tree: from `source` (a rank, or a switch passing its result on)
// up `up` to the switch `parent`, whose reduction link is `reduction`; the result comes back
// down `down` (top to bottom). Links are topology indices.
struct Stream {
  uint32_t source;
  uint32_t parent;
  uint32_t reduction;
  std::vector<uint32_t> up;
  std::vector<uint32_t> down;
};

class Lowering {
 public:
  explicit Lowering(const topology::Topology& topology)
      : topology_(topology),
        capacities_(collectives::AchievableCapacities(topology)),
        link_of_(topology.links().size(), kNoLink) {
    program_.coordinator_host = NewHost("coordinator", {}, {});
  }

  void LowerPlan(const CollectivePlan& plan);
  Program Finish() && { return std::move(program_); }

 private:
  // A phase's flows before they are grouped by worker.
  struct PendingFlow {
    uint32_t worker;
    ProgramFlow flow;
  };

  uint32_t Link(uint32_t topology_link);
  std::vector<uint32_t> Links(std::span<const uint32_t> topology_links);
  uint32_t NewHost(std::string label, std::vector<uint32_t> up, std::vector<uint32_t> down);
  uint32_t RouteHost(std::string_view label, std::vector<uint32_t> up, std::vector<uint32_t> down);
  uint32_t WorkerOf(uint32_t vertex, std::unordered_map<uint32_t, uint32_t>& workers,
                    ProgramPlan& plan);
  void LowerFlows(const PlannedBundle& bundle, std::unordered_map<uint32_t, uint32_t>& workers,
                  ProgramPlan& plan, std::vector<PendingFlow>& flows, ProgramPhase& phase);
  std::optional<std::vector<Stream>> TreeStreams(std::span<const FlowHop> path) const;
  ProgramTask TreeTask(const std::vector<Stream>& streams, double bytes);
  ProgramTask LinkTask(std::span<const FlowHop> path, double bytes);

  const topology::Topology& topology_;
  std::vector<BytesPerSecond> capacities_;
  std::vector<uint32_t> link_of_;  // topology link → program link, kNoLink until used
  std::unordered_map<std::vector<uint32_t>, uint32_t, RouteHash> host_of_route_;
  std::unordered_map<uint32_t, uint32_t> host_of_vertex_;  // sending ranks' hosts
  Program program_;
};

uint32_t Lowering::Link(uint32_t topology_link) {
  uint32_t& l = link_of_[topology_link];
  if (l == kNoLink) {
    l = static_cast<uint32_t>(program_.links.size());
    program_.links.push_back(ProgramLink{.topology_link = topology_link,
                                         .bandwidth = capacities_[topology_link].value()});
  }
  return l;
}

std::vector<uint32_t> Lowering::Links(std::span<const uint32_t> topology_links) {
  std::vector<uint32_t> out;
  out.reserve(topology_links.size());
  for (uint32_t l : topology_links) out.push_back(Link(l));
  return out;
}

uint32_t Lowering::NewHost(std::string label, std::vector<uint32_t> up,
                           std::vector<uint32_t> down) {
  const auto id = static_cast<uint32_t>(program_.hosts.size());
  program_.hosts.push_back(ProgramHost{
      .name = fmt::format("{}.{}", label, id), .up = std::move(up), .down = std::move(down)});
  return id;
}

// The host with these UP and DOWN lists (program links), shared by everything that needs them.
uint32_t Lowering::RouteHost(std::string_view label, std::vector<uint32_t> up,
                             std::vector<uint32_t> down) {
  std::vector<uint32_t> key = up;
  key.push_back(kNoLink);
  key.insert(key.end(), down.begin(), down.end());
  auto [it, inserted] = host_of_route_.try_emplace(std::move(key), 0);
  if (inserted) it->second = NewHost(std::string(label), std::move(up), std::move(down));
  return it->second;
}

// The plan's worker for flows leaving `vertex` (a rank), created with the rank's host.
uint32_t Lowering::WorkerOf(uint32_t vertex, std::unordered_map<uint32_t, uint32_t>& workers,
                            ProgramPlan& plan) {
  auto [it, inserted] = workers.try_emplace(vertex, 0);
  if (!inserted) return it->second;
  auto [host, new_host] = host_of_vertex_.try_emplace(vertex, 0);
  if (new_host) {
    const topology::Vertex& v = topology_.vertices()[vertex];
    host->second = NewHost(fmt::format("{}{}", KindName(v.kind), v.index), {}, {});
  }
  it->second = static_cast<uint32_t>(plan.workers.size());
  plan.workers.push_back(host->second);
  return it->second;
}

// A bundle whose hops all have weight 1 and whose flows cross each link once.
bool SimpleFlows(const PlannedBundle& bundle) {
  uint32_t begin = 0;
  for (uint32_t end : bundle.flow_ends) {
    for (uint32_t i = begin; i < end; ++i) {
      if (bundle.path[i].weight != 1) return false;
      for (uint32_t j = begin; j < i; ++j) {
        if (bundle.path[j].link == bundle.path[i].link) return false;
      }
    }
    begin = end;
  }
  return true;
}

void Lowering::LowerFlows(const PlannedBundle& bundle,
                          std::unordered_map<uint32_t, uint32_t>& workers, ProgramPlan& plan,
                          std::vector<PendingFlow>& flows, ProgramPhase& phase) {
  if (bundle.bytes == Bytes(0)) return;  // nothing that takes time on a link
  if (!SimpleFlows(bundle)) {
    if (!bundle.path.empty()) phase.tasks.push_back(LinkTask(bundle.path, bundle.bytes.value()));
    return;
  }
  uint32_t begin = 0;
  std::vector<uint32_t> route;
  for (uint32_t end : bundle.flow_ends) {
    const std::span<const FlowHop> hops(bundle.path.data() + begin, end - begin);
    begin = end;
    if (hops.empty()) continue;
    route.clear();
    for (const FlowHop& hop : hops) route.push_back(hop.link.value);
    const uint32_t worker = WorkerOf(topology_.links()[route.front()].from, workers, plan);
    const uint32_t dst = RouteHost("flow", {}, Links(route));
    flows.push_back({.worker = worker,
                     .flow = {.src = plan.workers[worker],
                              .dst = dst,
                              .bytes = static_cast<uint64_t>(bundle.bytes.count())}});
    ++program_.flows;
  }
}

// Reads a reduction bundle's hops back as streams (see the header comment), or nullopt when
// they are not a tree whose streams load every link with exactly its weight.
std::optional<std::vector<Stream>> Lowering::TreeStreams(std::span<const FlowHop> path) const {
  const auto links = topology_.links();
  const auto vertices = topology_.vertices();
  std::map<uint32_t, uint32_t> weight;  // link → summed weight, in link order
  for (const FlowHop& hop : path) weight[hop.link.value] += hop.weight;
  std::unordered_map<uint32_t, uint32_t> reduction_of;  // switch vertex → its reduction link
  std::unordered_map<uint32_t, uint32_t> up_of;         // vertex → the tree's link up from it
  std::unordered_map<uint64_t, uint32_t> between;       // (from, to) → link
  auto key = [](uint32_t from, uint32_t to) { return (uint64_t{from} << 32) | to; };
  for (const auto& [l, w] : weight) {
    const topology::Link& link = links[l];
    if (link.tier == topology::LinkTier::kReduction) {
      if (link.from != link.to || !reduction_of.try_emplace(link.from, l).second)
        return std::nullopt;
      continue;
    }
    if (!between.try_emplace(key(link.from, link.to), l).second) return std::nullopt;
    if (Level(vertices[link.to].kind) > Level(vertices[link.from].kind) &&
        !up_of.try_emplace(link.from, l).second) {
      return std::nullopt;
    }
  }
  std::vector<uint32_t> sources;  // ranks, and reducing switches that pass a result up
  for (const auto& [v, l] : up_of) {
    if (vertices[v].kind == VertexKind::kGpu || reduction_of.contains(v)) sources.push_back(v);
  }
  if (sources.empty()) return std::nullopt;
  std::sort(sources.begin(), sources.end());
  std::vector<Stream> streams;
  std::map<uint32_t, uint32_t> load;
  for (uint32_t source : sources) {
    Stream s{.source = source};
    uint32_t at = source;
    for (;;) {
      const auto up = up_of.find(at);
      if (up == up_of.end() || s.up.size() > vertices.size()) return std::nullopt;
      s.up.push_back(up->second);
      at = links[up->second].to;
      if (reduction_of.contains(at)) break;
    }
    s.parent = at;
    s.reduction = reduction_of.at(at);
    for (auto l = s.up.rbegin(); l != s.up.rend(); ++l) {
      const auto down = between.find(key(links[*l].to, links[*l].from));
      if (down == between.end()) return std::nullopt;
      s.down.push_back(down->second);
    }
    for (uint32_t l : s.up) ++load[l];
    for (uint32_t l : s.down) ++load[l];
    ++load[s.reduction];
    streams.push_back(std::move(s));
  }
  if (load != weight) return std::nullopt;
  return streams;
}

// One parallel task over the streams' port hosts and the switches' aggregator hosts.
ProgramTask Lowering::TreeTask(const std::vector<Stream>& streams, double bytes) {
  ProgramTask task;
  std::map<uint32_t, uint32_t> position_of_parent;  // switch vertex → position in task.hosts
  const auto vertices = topology_.vertices();
  auto label = [&](uint32_t vertex, std::string_view what) {
    return fmt::format("{}-{}{}", what, KindName(vertices[vertex].kind), vertices[vertex].index);
  };
  for (const Stream& s : streams) {
    auto [parent, inserted] = position_of_parent.try_emplace(s.parent, 0);
    if (inserted) {
      parent->second = static_cast<uint32_t>(task.hosts.size());
      task.hosts.push_back(RouteHost(label(s.parent, "aggregator"), {}, {Link(s.reduction)}));
    }
    const auto port = static_cast<uint32_t>(task.hosts.size());
    task.hosts.push_back(RouteHost(label(s.source, "port"), Links(s.up), Links(s.down)));
    task.transfers.push_back({.from = port, .to = parent->second, .bytes = bytes});
    task.transfers.push_back({.from = parent->second, .to = port, .bytes = bytes});
  }
  return task;
}

// One transfer of weight × bytes per link, from the coordinator's host (empty lists).
ProgramTask Lowering::LinkTask(std::span<const FlowHop> path, double bytes) {
  std::map<uint32_t, uint64_t> weight;
  for (const FlowHop& hop : path) weight[hop.link.value] += hop.weight;
  ProgramTask task{.hosts = {program_.coordinator_host}};
  for (const auto& [l, w] : weight) {
    task.transfers.push_back({.from = 0,
                              .to = static_cast<uint32_t>(task.hosts.size()),
                              .bytes = static_cast<double>(w) * bytes});
    task.hosts.push_back(RouteHost("link", {}, {Link(l)}));
  }
  ++program_.tasks;
  return task;
}

void Lowering::LowerPlan(const CollectivePlan& plan) {
  ProgramPlan out;
  std::unordered_map<uint32_t, uint32_t> workers;  // sending vertex → worker
  std::vector<std::vector<PendingFlow>> pending(plan.phases.size());
  for (size_t i = 0; i < plan.phases.size(); ++i) {
    const collectives::PlanPhase& phase = plan.phases[i];
    ProgramPhase lowered{.latency = phase.latency};
    for (const PlannedBundle& bundle : phase.bundles) {
      if (!bundle.flow_ends.empty()) {
        LowerFlows(bundle, workers, out, pending[i], lowered);
        continue;
      }
      if (bundle.path.empty() || bundle.bytes == Bytes(0)) continue;
      if (std::optional<std::vector<Stream>> streams = TreeStreams(bundle.path)) {
        lowered.tasks.push_back(TreeTask(*streams, bundle.bytes.value()));
        ++program_.tasks;
        ++program_.tree_tasks;
      } else {
        lowered.tasks.push_back(LinkTask(bundle.path, bundle.bytes.value()));
      }
    }
    out.phases.push_back(std::move(lowered));
  }
  // Group each phase's flows by worker (stable: bundle order within a worker).
  const size_t n = out.workers.size();
  for (size_t i = 0; i < out.phases.size(); ++i) {
    ProgramPhase& phase = out.phases[i];
    phase.flow_begin.assign(n + 1, 0);
    for (const PendingFlow& f : pending[i]) ++phase.flow_begin[f.worker + 1];
    for (size_t w = 0; w < n; ++w) phase.flow_begin[w + 1] += phase.flow_begin[w];
    std::vector<uint32_t> next(phase.flow_begin.begin(), phase.flow_begin.end() - 1);
    phase.flows.resize(pending[i].size());
    for (const PendingFlow& f : pending[i]) phase.flows[next[f.worker]++] = f.flow;
  }
  program_.plans.push_back(std::move(out));
}

}  // namespace

StatusOr<Program> LowerPlans(std::span<const CollectivePlan* const> plans,
                             const topology::Topology& topology) {
  if (Status s = ValidatePlans(plans, topology.links().size()); !s.ok()) return s;
  Lowering lowering(topology);
  for (const CollectivePlan* plan : plans) lowering.LowerPlan(*plan);
  return std::move(lowering).Finish();
}

StatusOr<Program> LowerPlans(std::span<const CollectivePlan> plans,
                             const topology::Topology& topology) {
  std::vector<const CollectivePlan*> pointers;
  pointers.reserve(plans.size());
  for (const CollectivePlan& plan : plans) pointers.push_back(&plan);
  return LowerPlans(pointers, topology);
}

}  // namespace trainsim::simgrid
