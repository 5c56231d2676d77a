#include "workloads/step.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "collectives/runner.h"
#include "compute/number_format.h"
#include "compute/roofline.h"
#include "compute/tensor_core.h"
#include "fmt/format.h"
#include "sim/check.h"
#include "topology/topology.h"
#include "workloads/executor.h"
#include "workloads/layer_costs.h"
#include "workloads/parameters.h"
#include "workloads/placement.h"
#include "workloads/step_graph.h"

namespace trainsim::workloads {
namespace {

// REQUIRES: a format name config/ has checked against compute's registry.
double BytesPerElement(const std::string& format) {
  StatusOr<compute::NumberFormat> f = compute::ParseNumberFormat(format);
  TRAINSIM_CHECK(f.ok()) << "unchecked number format " << format;
  return compute::StorageBitsPerElement(*f) / 8.0;
}

Bytes ToBytes(double elements, double bytes_per_element) {
  return Bytes(static_cast<int64_t>(std::llround(elements * bytes_per_element)));
}

// Parameters each rank of a stage holds per model chunk, and the optimizer's work.
StatusOr<std::vector<StageWork>> StageShards(const ModelSpec& model, const ParallelPlan& plan,
                                             const TrainingSpec& training,
                                             const PrecisionSpec& precision,
                                             const compute::RooflineModel& roofline) {
  const double grad_bytes = BytesPerElement(precision.grads);
  const double param_bytes = BytesPerElement(precision.params);
  const auto dense_group = static_cast<double>(int64_t{plan.dp} * plan.cp);
  const double expert_group = dense_group / plan.ep;
  std::vector<StageWork> stages(static_cast<size_t>(plan.pp));
  for (int s = 0; s < plan.pp; ++s) {
    StageWork& work = stages[s];
    double dense_total = 0, expert_total = 0;
    for (int c = 0; c < plan.virtual_stages; ++c) {
      const ChunkParameters p = ParametersOfChunk(model, plan, s, c);
      const auto dense = static_cast<double>(p.dense);
      const auto expert = static_cast<double>(p.expert);
      work.chunks.push_back(ChunkShard{.dense_grads = ToBytes(dense, grad_bytes),
                                       .expert_grads = ToBytes(expert, grad_bytes),
                                       .dense_params = ToBytes(dense, param_bytes),
                                       .expert_params = ToBytes(expert, param_bytes)});
      dense_total += dense;
      expert_total += expert;
    }
    const double updated = plan.zero_stage >= 1
                               ? dense_total / dense_group + expert_total / expert_group
                               : dense_total + expert_total;
    StatusOr<compute::RooflineResult> adam =
        roofline.Memory(compute::AdamUpdateOp(static_cast<int64_t>(updated)));
    if (!adam.ok()) return adam.status();
    work.optimizer.Add(*adam);
    work.optimizer =
        work.optimizer.Stretched(training.software_efficiency, roofline.gpu().static_power);
  }
  return stages;
}

// Replica classes from the stragglers: the replicas of each EP group (all-to-all couples them;
// one replica each without experts) with a slow GPU form a class, slowed on the stages where its
// stragglers are (a TP group runs at its slowest member's pace); the untouched replicas form one
// class. No stragglers: no classes (one class of everything).
//
// With expansion, every replica is a class of its own, slowed where its own GPUs are.
std::vector<ReplicaClass> ReplicaClasses(const topology::ClusterSpec& cluster,
                                         const ParallelPlan& plan,
                                         const std::vector<Straggler>& stragglers, bool expand) {
  if (stragglers.empty() && !expand) return {};
  const Placement placement(plan);
  const int ep = expand ? 1 : plan.ep;
  const int64_t replicas = int64_t{plan.dp} * plan.cp;
  std::map<int, std::vector<double>> slow;  // EP group (replica with expansion) → per stage
  for (const Straggler& st : stragglers) {
    std::vector<int64_t> ranks;
    if (st.gpu >= 0) {
      ranks.push_back(st.gpu);
    } else {
      for (int i = 0; i < cluster.node.gpus_per_node; ++i) {
        ranks.push_back(st.node * cluster.node.gpus_per_node + i);
      }
    }
    for (int64_t r : ranks) {
      const RankCoords c = placement.Coords(r);
      const int d = c.cp + plan.cp * c.dp;
      std::vector<double>& per_stage = slow[d / ep];
      per_stage.resize(static_cast<size_t>(plan.pp), 0.0);
      per_stage[c.pp] = std::max(per_stage[c.pp], st.slowdown);
    }
  }
  std::vector<ReplicaClass> classes;
  if (expand) {
    for (int d = 0; d < replicas; ++d) {
      auto it = slow.find(d);
      classes.push_back({.replica = d, .replicas = 1,
                         .slowdown = it == slow.end() ? std::vector<double>() : it->second});
    }
    return classes;
  }
  const int64_t untouched = replicas - static_cast<int64_t>(slow.size()) * ep;
  if (untouched > 0) {
    int first = 0;  // the first replica of an untouched EP group
    while (slow.count(first / ep)) first += ep;
    classes.push_back({.replica = first, .replicas = untouched});
  }
  for (const auto& [group, per_stage] : slow) {
    classes.push_back({.replica = group * ep, .replicas = ep, .slowdown = per_stage});
  }
  return classes;
}

struct StageAccount {
  std::array<Time, kCategoryCount> busy{};  // on-stream time by category
  Time bubble;
  Time idle;
  Time end;
  Time compute_time;  // compute nodes only
  Joules compute_energy;
  double flops = 0;
  NodeId last_async = UINT32_MAX;  // the stream's off-stream node that ended last
};

struct StepAccount {
  std::vector<StageAccount> streams;
  int critical = 0;  // the stream that ends last (the first such)
  // The critical stream's exposed time per CommOp (index into comm_ops()). Kept for that stream
  // alone: one table per stream would take streams × ops (2,048 × 12,452 with expansion).
  std::vector<Time> exposed_by_comm;
};

// Splits each stage's time into its stream's work, exposed communication and bubble.
StepAccount Account(const ExecutionGraph& graph, const ExecutionTrace& trace) {
  StepAccount step;
  std::vector<StageAccount>& stages = step.streams;
  stages.resize(static_cast<size_t>(graph.streams()));
  for (NodeId id = 0; id < graph.size(); ++id) {
    const GraphNode n = graph.node(id);
    StageAccount& a = stages[n.stream];
    a.end = std::max(a.end, trace.nodes[id].end);
    if (!n.on_stream &&
        (a.last_async == UINT32_MAX || trace.nodes[id].end >= trace.nodes[a.last_async].end)) {
      a.last_async = id;
    }
    if (n.comm < 0) {
      a.compute_time += n.duration;
      a.compute_energy += n.energy;
      a.flops += n.flops;
    }
  }
  for (int s = 0; s < graph.streams(); ++s) {
    if (stages[s].end > stages[step.critical].end) step.critical = s;
  }
  step.exposed_by_comm.assign(graph.comm_ops().size(), Time());
  for (int s = 0; s < graph.streams(); ++s) {
    StageAccount& a = stages[s];
    std::vector<Time>* exposed_by_comm = s == step.critical ? &step.exposed_by_comm : nullptr;
    Time prev;
    // A gap before a stream node: exposed communication of the transfer that gated it, up to
    // that transfer's own duration since the gap began; the rest is bubble.
    auto gap = [&](Time length, NodeId gate) {
      const GraphNode g = graph.node(gate);
      if (g.comm < 0) {
        a.bubble += length;
        return;
      }
      const NodeTiming& t = trace.nodes[gate];
      const Time exposed = std::min(length, t.end - t.start);
      a.busy[static_cast<int>(g.category)] += exposed;
      if (exposed_by_comm != nullptr) (*exposed_by_comm)[static_cast<size_t>(g.comm)] += exposed;
      a.bubble += length - exposed;
    };
    for (NodeId id : graph.stream_order(s)) {
      const NodeTiming& t = trace.nodes[id];
      if (t.start > prev) {
        NodeId gate = id;
        Time latest;
        for (NodeId p : graph.predecessors(id)) {
          if (trace.nodes[p].end >= latest) {
            latest = trace.nodes[p].end;
            gate = p;
          }
        }
        if (gate == id) {
          a.idle += t.start - prev;
        } else {
          gap(t.start - prev, gate);
        }
      }
      const GraphNode n = graph.node(id);
      a.busy[static_cast<int>(n.category)] += t.end - t.start;
      if (n.comm >= 0 && exposed_by_comm != nullptr) {
        (*exposed_by_comm)[static_cast<size_t>(n.comm)] += t.end - t.start;
      }
      prev = t.end;
    }
    // Transfers that end after the stream went quiet (there is one when the stage ends later).
    if (a.end > prev) gap(a.end - prev, a.last_async);
  }
  return step;
}

std::string CommLabel(const CommOp& op) {
  std::string label =
      fmt::format("{} {} {:.1f} MiB", GroupKindName(op.group), collectives::OpName(op.op),
                  static_cast<double>(op.bytes.count()) / (1024.0 * 1024.0));
  if (op.group == GroupKind::kPipelineNext) {
    label += fmt::format(" to stage {}", op.peer_stage);
  }
  return label;
}

std::shared_ptr<const StepTimeline> MakeTimeline(const ExecutionGraph& graph,
                                                 const ExecutionTrace& trace,
                                                 std::span<const PlannedComm> comms,
                                                 const topology::Topology& topology,
                                                 const std::vector<ReplicaClass>& classes,
                                                 int pp, Watts static_power) {
  auto t = std::make_shared<StepTimeline>();
  t->pp = pp;
  t->static_watts = static_power.value();
  for (int st = 0; st < graph.streams(); ++st) {
    std::string name = fmt::format("stage {}", st % pp);
    if (!classes.empty()) {
      const ReplicaClass& c = classes[static_cast<size_t>(st / pp)];
      name += c.replicas == 1 ? fmt::format(", replica {}", c.replica)
                              : fmt::format(", {} replicas from {}", c.replicas, c.replica);
      bool slow = false;
      for (double x : c.slowdown) slow = slow || x > 0;
      if (slow) name += " (straggler)";
    }
    t->stream_names.push_back(std::move(name));
  }
  t->spans.reserve(graph.size());
  for (NodeId id = 0; id < graph.size(); ++id) {
    const GraphNode n = graph.node(id);
    const NodeTiming& timing = trace.nodes[id];
    const double seconds = (timing.end - timing.start).seconds();
    t->spans.push_back(TimelineSpan{
        .stream = n.stream,
        .category = n.category,
        .on_stream = n.on_stream,
        .comm = n.comm,
        .start = timing.start,
        .end = timing.end,
        .watts = n.comm < 0 && seconds > 0 ? n.energy.value() / seconds : 0});
    if (n.comm >= 0 && graph.comm_ops()[static_cast<size_t>(n.comm)].group ==
                           GroupKind::kPipelineNext) {
      for (NodeId s : graph.successors(id)) {
        if (graph.node(s).stream != n.stream) t->flows.push_back({id, s});
      }
    }
  }
  for (const CommOp& op : graph.comm_ops()) t->comm_labels.push_back(CommLabel(op));
  // Tiers in the topology's order, only those the step's traffic crosses, and the links it uses.
  std::map<int, size_t> tier_index;
  std::vector<bool> used(topology.links().size(), false);
  for (const PlannedComm& c : comms) {
    for (const collectives::PlanPhase& phase : c.plan.phases) {
      for (const collectives::PlannedBundle& b : phase.bundles) {
        for (const FlowHop& hop : b.path) {
          tier_index[static_cast<int>(topology.links()[hop.link.value].tier)] = 0;
          used[hop.link.value] = true;
        }
      }
    }
  }
  for (auto& [tier, index] : tier_index) {
    index = t->tiers.size();
    t->tiers.emplace_back(topology::TierName(static_cast<topology::LinkTier>(tier)));
  }
  t->tier_capacity.assign(t->tiers.size(), 0);
  const std::vector<BytesPerSecond> capacity = collectives::AchievableCapacities(topology);
  for (size_t l = 0; l < topology.links().size(); ++l) {
    if (used[l]) {
      t->tier_capacity[tier_index.at(static_cast<int>(topology.links()[l].tier))] +=
          capacity[l].value();
    }
  }
  for (const PlannedComm& c : comms) {
    std::vector<double>& bytes = t->comm_tier_bytes.emplace_back(t->tiers.size(), 0.0);
    for (const collectives::PlanPhase& phase : c.plan.phases) {
      for (const collectives::PlannedBundle& b : phase.bundles) {
        for (const FlowHop& hop : b.path) {
          const size_t tier =
              tier_index.at(static_cast<int>(topology.links()[hop.link.value].tier));
          bytes[tier] += static_cast<double>(hop.weight) * static_cast<double>(b.bytes.count());
        }
      }
    }
  }
  return t;
}

}  // namespace

StatusOr<StepResult> SimulateStep(const StepScenario& sc) {
  const topology::ClusterSpec& cluster = *sc.cluster;
  const ModelSpec& model = *sc.model;
  const ParallelPlan& plan = *sc.plan;
  const TrainingSpec& training = *sc.training;
  const PrecisionSpec& precision = *sc.precision;
  const compute::GpuSpec& gpu = cluster.node.gpu;

  StepResult result;
  StatusOr<MemoryEstimate> memory =
      EstimateMemory(model, plan, training, precision, gpu.hbm_capacity);
  if (!memory.ok()) return memory.status();
  result.memory = *std::move(memory);
  if (!result.memory.fits()) return result;

  StatusOr<compute::RooflineModel> roofline = compute::RooflineModel::Create(gpu);
  if (!roofline.ok()) return roofline.status();
  StatusOr<LayerCosts> costs = ComputeLayerCosts(model, plan, training, precision, *roofline);
  if (!costs.ok()) return costs.status();
  StatusOr<std::vector<StageWork>> stages = StageShards(model, plan, training, precision, *roofline);
  if (!stages.ok()) return stages.status();

  StepGraphInputs inputs{.model = &model,
                         .plan = &plan,
                         .microbatches = static_cast<int>(training.microbatches(plan)),
                         .costs = &*costs,
                         .sizes = ComputeCommSizes(model, plan, training),
                         .stages = *std::move(stages),
                         .bucket_bytes = ToBytes(static_cast<double>(DpBucketParameters(plan)),
                                                 BytesPerElement(precision.grads)),
                         .classes = ReplicaClasses(cluster, plan, sc.options->stragglers,
                                                   sc.options->expand),
                         .expand = sc.options->expand,
                         .compute_jitter = sc.options->expand ? sc.options->compute_jitter : 0,
                         .seed = sc.options->seed,
                         .static_power = gpu.static_power};
  const ExecutionGraph graph = BuildStepGraph(inputs);
  const int64_t replicas = int64_t{plan.dp} * plan.cp;

  StatusOr<topology::Topology> topology = topology::Topology::Build(cluster);
  if (!topology.ok()) return topology.status();
  const Placement placement(plan);
  StatusOr<std::vector<PlannedComm>> comms =
      PlanCommunication(graph.comm_ops(), placement, *topology, sc.options->expand);
  if (!comms.ok()) return comms.status();
  StatusOr<ExecutionTrace> trace = sc.executor ? sc.executor(graph, *comms, *topology)
                                               : ExecuteNative(graph, *comms, *topology);
  if (!trace.ok()) return trace.status();

  result.simulated = true;
  result.ops = costs->ops;
  result.graph_nodes = graph.size();
  result.planned_collectives = comms->size();
  result.step_time = trace->makespan;
  const double step_s = result.step_time.seconds();
  const StepAccount account = Account(graph, *trace);
  const std::vector<StageAccount>& accounts = account.streams;
  // Streams are class · pp + stage; the critical stream is the one that ends last.
  result.stage_end.assign(static_cast<size_t>(plan.pp), Time());
  for (int st = 0; st < graph.streams(); ++st) {
    Time& end = result.stage_end[static_cast<size_t>(st % plan.pp)];
    end = std::max(end, accounts[st].end);
  }
  const int critical_stream = account.critical;
  result.critical_stage = critical_stream % plan.pp;
  const StageAccount& crit = accounts[critical_stream];
  for (int c = 0; c < kCategoryCount; ++c) {
    result.breakdown.push_back({std::string(CategoryName(static_cast<Category>(c))), crit.busy[c]});
  }
  result.breakdown.push_back({"pp-bubble", crit.bubble});
  result.breakdown.push_back({"idle", crit.idle + (result.step_time - crit.end)});

  // FLOPs and utilisation.
  const auto gpus = static_cast<double>(plan.gpus());
  const auto per_stage = static_cast<double>(placement.ranks_per_stage());
  // MFU and HFU count FLOPs by the same (PaLM) formula, with and without recompute, so that
  // HFU >= MFU; the simulated ops' own FLOP counts (causal attention halved) are not used here.
  result.model_flops = ModelFlopsPerStep(model, training).value();
  result.hardware_flops = HardwareFlopsPerStep(model, training, plan.recompute).value();
  StatusOr<compute::NumberFormat> format = compute::ParseNumberFormat(precision.compute);
  if (!format.ok()) return format.status();
  StatusOr<compute::MathPath> path = compute::ResolveMathPath(gpu, *format, false);
  if (!path.ok()) return path.status();
  const double peak = path->dense_peak.value();
  result.peak_tflops_per_gpu = peak / 1e12;
  if (step_s > 0) {
    result.mfu = result.model_flops / (step_s * gpus * peak);
    result.hfu = result.hardware_flops / (step_s * gpus * peak);
    result.tflops_per_gpu = result.hardware_flops / (step_s * gpus) / 1e12;
    result.megatron_tflops_per_gpu =
        MegatronEq3Flops(training.global_batch, training.sequence_length, model.layers,
                         model.hidden, model.vocab)
            .value() /
        (step_s * gpus) / 1e12;
    result.tokens_per_s = static_cast<double>(training.tokens_per_step()) / step_s;
  }

  // Energy: each op's own energy, static power while a GPU waits.
  double energy = 0;
  const std::vector<ReplicaClass>& classes = inputs.classes;
  for (int st = 0; st < graph.streams(); ++st) {
    const StageAccount& a = accounts[st];
    // The ranks this stream stands for: its class's share of the stage's ranks.
    const double share = classes.empty() ? 1.0
                                         : static_cast<double>(classes[st / plan.pp].replicas) /
                                               static_cast<double>(replicas);
    const double waiting = std::max(0.0, step_s - a.compute_time.seconds());
    energy +=
        (a.compute_energy.value() + gpu.static_power.value() * waiting) * per_stage * share;
  }
  result.energy_per_step = Joules(energy);
  result.avg_power_per_gpu = Watts(step_s > 0 ? energy / step_s / gpus : 0);
  const double rest_of_node = std::max(
      0.0, cluster.node.node_power.value() - cluster.node.gpus_per_node * gpu.tdp.value());
  result.cluster_power = Watts(result.avg_power_per_gpu.value() * gpus +
                               rest_of_node * static_cast<double>(cluster.nodes()));
  if (training.tokens > 0) {
    result.steps_to_train = static_cast<int64_t>(
        std::ceil(training.tokens / static_cast<double>(training.tokens_per_step())));
  } else {
    result.steps_to_train = training.steps;
  }
  result.time_to_train_s = static_cast<double>(result.steps_to_train) * step_s;
  result.energy_to_train_j = result.time_to_train_s * result.cluster_power.value();

  // Links, by tier.
  const std::vector<BytesPerSecond> capacity = collectives::AchievableCapacities(*topology);
  std::map<int, TierLoad> tiers;
  for (size_t l = 0; l < trace->link_bytes.size(); ++l) {
    if (trace->link_bytes[l] <= Bytes() || step_s <= 0) continue;
    const topology::Link& link = topology->links()[l];
    TierLoad& t = tiers[static_cast<int>(link.tier)];
    t.tier = std::string(topology::TierName(link.tier));
    t.bytes += trace->link_bytes[l];
    const double u = static_cast<double>(trace->link_bytes[l].count()) /
                     (capacity[l].value() * step_s);
    t.mean_utilisation += u;
    t.max_utilisation = std::max(t.max_utilisation, u);
    ++t.links;
  }
  for (auto& [tier, load] : tiers) {
    load.mean_utilisation /= load.links;
    result.links.push_back(load);
  }

  // What bounds the step: the critical stage's largest share, and the collective with the most
  // exposed time there, with the busiest tier of the links it crosses.
  {
    const TimeShare* largest = &result.breakdown.front();
    for (const TimeShare& t : result.breakdown) {
      if (t.time > largest->time) largest = &t;
    }
    result.bound_by = largest->name;
    const std::vector<Time>& exposed = account.exposed_by_comm;
    const auto worst = std::max_element(exposed.begin(), exposed.end());
    if (worst != exposed.end() && *worst > Time()) {
      const auto index = static_cast<size_t>(worst - exposed.begin());
      result.bottleneck_collective = CommLabel(graph.comm_ops()[index]);
      result.bottleneck_collective_time = *worst;
      double busiest = -1;
      for (const collectives::PlanPhase& phase : (*comms)[index].plan.phases) {
        for (const collectives::PlannedBundle& b : phase.bundles) {
          for (const FlowHop& hop : b.path) {
            const size_t l = hop.link.value;
            const double u = static_cast<double>(trace->link_bytes[l].count()) /
                             (capacity[l].value() * step_s);
            if (u > busiest) {
              busiest = u;
              result.bottleneck_tier = std::string(topology::TierName(topology->links()[l].tier));
              result.bottleneck_tier_utilisation = u;
            }
          }
        }
      }
    }
  }

  // Collectives of the critical stage.
  std::vector<int> uses(graph.comm_ops().size(), 0);
  for (const GraphNode& n : graph.nodes()) {
    if (n.comm >= 0 && n.stream == critical_stream) ++uses[n.comm];
  }
  for (size_t i = 0; i < uses.size(); ++i) {
    if (uses[i] == 0) continue;
    const PlannedComm& c = (*comms)[i];
    result.comms.push_back(CommUse{
        .what = CommLabel(graph.comm_ops()[i]),
        .algorithm = fmt::format("{}/{}", c.plan.algorithm,
                                 collectives::ProtocolName(c.plan.protocol)),
        .idle_time = c.idle_time,
        .groups = c.mirror_groups,
        .count = uses[i]});
  }
  if (sc.record_timeline) {
    result.timeline = MakeTimeline(graph, *trace, *comms, *topology, inputs.classes, plan.pp,
                                   gpu.static_power);
  }
  return result;
}

}  // namespace trainsim::workloads
