#include "config/report.h"

#include <cmath>

#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace trainsim::config {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

double Gib(Bytes b) { return static_cast<double>(b.count()) / kGiB; }

// The goodput what-if over the simulated time to train (planner/goodput.h).
void AddGoodput(const ScenarioSpec& spec, v1::Report& r) {
  const planner::GoodputSpec& g = *spec.goodput;
  const planner::FailingParts parts{
      .gpus = spec.cluster.gpus,
      .nodes = spec.cluster.nodes(),
      .links = spec.cluster.nodes() * spec.cluster.node.nics_per_node};
  StatusOr<planner::GoodputEstimate> e = planner::EstimateGoodput(g, parts, r.time_to_train_s());
  if (!e.ok()) {
    r.add_warnings(e.status().message());
    return;
  }
  v1::GoodputReport* out = r.mutable_goodput();
  out->set_cluster_mtbf_s(e->cluster_mtbf_s);
  out->set_checkpoint_bytes(static_cast<double>(g.checkpoint_bytes.count()));
  out->set_checkpoint_write_s(e->checkpoint_write_s);
  out->set_young_interval_s(e->young_interval_s);
  out->set_checkpoint_interval_s(e->checkpoint_interval_s);
  out->set_restart_s(g.restart_time.seconds());
  out->set_goodput(e->goodput);
  out->set_ideal_time_to_train_s(e->ideal_time_to_train_s);
  out->set_expected_time_to_train_s(e->expected_time_to_train_s);
  out->set_expected_failures(e->expected_failures);
  if (e->goodput <= 0) {
    r.add_warnings(fmt::format(
        "goodput: the cluster fails every {:.0f} s on average, sooner than a checkpoint interval "
        "({:.0f} s) plus a restart ({:.0f} s) can complete: the run would not finish",
        e->cluster_mtbf_s, e->checkpoint_interval_s, g.restart_time.seconds()));
  }
}

std::string Duration(double s) {
  if (s >= 86400) return fmt::format("{:.1f} days", s / 86400);
  if (s >= 3600) return fmt::format("{:.2f} h", s / 3600);
  if (s >= 60) return fmt::format("{:.1f} min", s / 60);
  return fmt::format("{:.1f} s", s);
}

std::string GoodputText(const v1::GoodputReport& g) {
  std::string out = "\ngoodput (failures, checkpoints, restarts)\n";
  out += fmt::format("  cluster MTBF          {}\n", Duration(g.cluster_mtbf_s()));
  out += fmt::format("  checkpoint            {:.1f} GiB, written in {}\n",
                     g.checkpoint_bytes() / kGiB, Duration(g.checkpoint_write_s()));
  out += fmt::format("  checkpoint interval   {} (Daly; Young: {})\n",
                     Duration(g.checkpoint_interval_s()), Duration(g.young_interval_s()));
  out += fmt::format("  restart               {}\n", Duration(g.restart_s()));
  out += fmt::format("  goodput               {:.1f}%\n", 100 * g.goodput());
  if (g.expected_time_to_train_s() > 0) {
    out += fmt::format("  time to train         {} expected (ideal {}, {:.0f} failures)\n",
                       Duration(g.expected_time_to_train_s()),
                       Duration(g.ideal_time_to_train_s()), g.expected_failures());
  }
  return out;
}

}  // namespace

v1::Report MakeReport(const ScenarioSpec& spec, const workloads::StepResult& step,
                      const v1::Scenario& resolved, std::string_view version) {
  v1::Report r;
  r.set_name(spec.name);
  r.set_simulated(step.simulated);
  r.set_trainsim_version(std::string(version));
  const workloads::MemoryEstimate& mem = step.memory;
  r.set_peak_memory_gib(Gib(mem.peak));
  r.set_memory_capacity_gib(Gib(mem.capacity));
  r.set_memory_worst_stage(mem.worst_stage);
  r.set_memory_overflow_gib(Gib(mem.overflow()));
  for (const workloads::StageMemory& s : mem.stages) {
    v1::StageMemory* m = r.add_memory();
    m->set_stage(s.stage);
    m->set_weights_bytes(static_cast<double>(s.weights.count()));
    m->set_gradients_bytes(static_cast<double>(s.gradients.count()));
    m->set_optimizer_bytes(static_cast<double>(s.optimizer.count()));
    m->set_activations_bytes(static_cast<double>(s.activations.count()));
    m->set_buffers_bytes(static_cast<double>(s.buffers.count()));
    m->set_total_bytes(static_cast<double>(s.total.count()));
  }
  *r.mutable_scenario() = resolved;
  if (!step.simulated) return r;

  r.set_step_time_s(step.step_time.seconds());
  r.set_mfu(step.mfu);
  r.set_hfu(step.hfu);
  r.set_tflops_per_gpu(step.tflops_per_gpu);
  r.set_tokens_per_s(step.tokens_per_s);
  r.set_energy_per_step_j(step.energy_per_step.value());
  r.set_avg_power_w(step.avg_power_per_gpu.value());
  for (const workloads::TimeShare& t : step.breakdown) {
    v1::TimeShare* b = r.add_breakdown();
    b->set_name(t.name);
    b->set_seconds(t.time.seconds());
  }
  r.set_megatron_tflops_per_gpu(step.megatron_tflops_per_gpu);
  r.set_peak_tflops_per_gpu(step.peak_tflops_per_gpu);
  r.set_model_flops(step.model_flops);
  r.set_hardware_flops(step.hardware_flops);
  r.set_critical_stage(step.critical_stage);
  r.set_graph_nodes(static_cast<int64_t>(step.graph_nodes));
  r.set_bound_by(step.bound_by);
  r.set_bottleneck_collective(step.bottleneck_collective);
  r.set_bottleneck_collective_s(step.bottleneck_collective_time.seconds());
  r.set_bottleneck_tier(step.bottleneck_tier);
  r.set_bottleneck_tier_utilisation(step.bottleneck_tier_utilisation);
  r.set_planned_collectives(static_cast<int32_t>(step.planned_collectives));
  for (Time t : step.stage_end) r.add_stage_end_s(t.seconds());
  r.set_cluster_power_w(step.cluster_power.value());
  r.set_steps_to_train(step.steps_to_train);
  r.set_time_to_train_s(step.time_to_train_s);
  r.set_energy_to_train_j(step.energy_to_train_j);
  if (spec.simulation.gpu_hour_usd > 0) {
    r.set_cost_usd(step.time_to_train_s / 3600.0 * static_cast<double>(spec.cluster.gpus) *
                   spec.simulation.gpu_hour_usd);
  }
  for (const workloads::TierLoad& t : step.links) {
    v1::LinkTierLoad* l = r.add_links();
    l->set_tier(t.tier);
    l->set_bytes(static_cast<double>(t.bytes.count()));
    l->set_mean_utilisation(t.mean_utilisation);
    l->set_max_utilisation(t.max_utilisation);
    l->set_links(t.links);
  }
  for (const workloads::OpRecord& op : step.ops) {
    v1::OpCost* o = r.add_ops();
    o->set_block(op.block);
    o->set_pass(op.backward ? "backward" : "forward");
    o->set_op(op.op);
    o->set_flops(op.flops);
    o->set_bytes(op.bytes);
    o->set_time_s(op.time.seconds());
    o->set_bound(std::string(compute::BoundName(op.bound)));
  }
  for (const workloads::CommUse& c : step.comms) {
    v1::CollectiveUse* u = r.add_collectives();
    u->set_collective(c.what);
    u->set_algorithm(c.algorithm);
    u->set_idle_time_s(c.idle_time.seconds());
    u->set_groups(c.groups);
    u->set_count(c.count);
  }
  if (spec.goodput) AddGoodput(spec, r);
  return r;
}

std::string ReportJson(const v1::Report& report, bool with_scenario) {
  // Protobuf's printer gives each field its proto3 JSON form; nlohmann keeps the field order
  // and turns `breakdown` into an object.
  v1::Report copy = report;
  if (!with_scenario) copy.clear_scenario();
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(copy, &text, print);
  const nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(text);
  nlohmann::ordered_json out;
  const google::protobuf::Descriptor* d = v1::Report::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const std::string& name = d->field(i)->name();
    if (name == "breakdown") {
      nlohmann::ordered_json b = nlohmann::ordered_json::object();
      for (const v1::TimeShare& t : report.breakdown()) b[t.name()] = t.seconds();
      out[name] = std::move(b);
    } else if (parsed.contains(name)) {
      out[name] = parsed[name];
    }
  }
  return out.dump(2) + "\n";
}

std::string OutOfMemoryMessage(const v1::Report& r) {
  const v1::StageMemory* worst = nullptr;
  for (const v1::StageMemory& m : r.memory()) {
    if (m.stage() == r.memory_worst_stage()) worst = &m;
  }
  std::string out = fmt::format(
      "out of memory: pipeline stage {} needs {:.1f} GiB per GPU, {:.1f} GiB over the "
      "{:.1f} GiB of HBM",
      r.memory_worst_stage(), r.peak_memory_gib(), r.memory_overflow_gib(),
      r.memory_capacity_gib());
  if (worst != nullptr) {
    out += fmt::format(
        " (weights {:.1f}, gradients {:.1f}, optimizer {:.1f}, activations {:.1f}, buffers "
        "{:.1f} GiB)",
        worst->weights_bytes() / kGiB, worst->gradients_bytes() / kGiB,
        worst->optimizer_bytes() / kGiB, worst->activations_bytes() / kGiB,
        worst->buffers_bytes() / kGiB);
  }
  return out +
         "; the step was not simulated. Raise tp/pp, the ZeRO stage, recompute, or lower "
         "microbatch_size.";
}

std::string OpsText(const v1::Report& r) {
  std::string out =
      "per-kernel accounting: one micro-batch, one layer of each kind, one GPU (roofline)\n"
      "  block      pass      op                            GFLOP      MB   FLOP/B    time us  bound\n";
  for (const v1::OpCost& o : r.ops()) {
    out += fmt::format("  {:<10} {:<9} {:<28} {:8.1f} {:7.1f} {:8.1f} {:10.1f}  {}\n", o.block(),
                       o.pass(), o.op(), o.flops() / 1e9, o.bytes() / 1e6,
                       o.bytes() > 0 ? o.flops() / o.bytes() : 0.0, o.time_s() * 1e6,
                       o.bound());
  }
  return out;
}

std::string ReportText(const ScenarioSpec& spec, const v1::Report& r) {
  const topology::ClusterSpec& c = spec.cluster;
  const workloads::ParallelPlan& p = spec.parallel;
  std::string out;
  out += fmt::format("scenario  {}: {} on {} x {} ({} nodes)\n", r.name(), spec.model.name,
                     c.gpus, c.node.gpu.name, c.nodes());
  out += fmt::format(
      "plan      tp {} pp {} dp {} cp {} ep {}, v {}, micro-batch {}, {} micro-batches, "
      "{} {}, ZeRO-{}, recompute {}\n",
      p.tp, p.pp, p.dp, p.cp, p.ep, p.virtual_stages, p.microbatch_size,
      spec.training.microbatches(p), spec.precision.compute,
      spec.precision.sparse_2to4 ? "2:4-sparse" : "dense", p.zero_stage,
      p.recompute == workloads::Recompute::kNone
          ? "none"
          : (p.recompute == workloads::Recompute::kSelective ? "selective" : "full"));
  if (!r.simulated()) return out + OutOfMemoryMessage(r) + "\n";

  const double step = r.step_time_s();
  out += fmt::format("\nstep time           {:10.3f} s     (critical stage {})\n", step,
                     r.critical_stage());
  out += fmt::format("tokens/s            {:10.4g}\n", r.tokens_per_s());
  out += fmt::format("MFU / HFU           {:9.1f}% / {:.1f}%   of {:.0f} TFLOP/s dense {}\n",
                     100 * r.mfu(), 100 * r.hfu(), r.peak_tflops_per_gpu(),
                     spec.precision.compute);
  out += fmt::format("TFLOP/s per GPU     {:10.1f}       (Megatron Eq. 3 count: {:.1f})\n",
                     r.tflops_per_gpu(), r.megatron_tflops_per_gpu());
  out += fmt::format("memory per GPU      {:10.1f} GiB   of {:.1f} GiB (stage {})\n",
                     r.peak_memory_gib(), r.memory_capacity_gib(), r.memory_worst_stage());
  out += fmt::format("energy per step     {:10.4g} J     {:.0f} W per GPU, {:.2f} MW cluster\n",
                     r.energy_per_step_j(), r.avg_power_w(), r.cluster_power_w() / 1e6);
  if (r.steps_to_train() > 0) {
    out += fmt::format("time to train       {:10.1f} days  ({} steps, {:.3g} GWh",
                       r.time_to_train_s() / 86400.0, r.steps_to_train(),
                       r.energy_to_train_j() / 3.6e12);
    if (r.cost_usd() > 0) out += fmt::format(", ${:.3g}", r.cost_usd());
    out += ")\n";
  }
  out += fmt::format("bound by            {:>10}     on stage {}", r.bound_by(), r.critical_stage());
  if (!r.bottleneck_collective().empty()) {
    out += fmt::format("; most exposed collective: {} ({:.3f} s), busiest tier {} ({:.0f}%)",
                       r.bottleneck_collective(), r.bottleneck_collective_s(),
                       r.bottleneck_tier(), 100 * r.bottleneck_tier_utilisation());
  }
  out += "\n";
  out += fmt::format("simulated           {:10} graph nodes, {} distinct collectives; {} executor, {}\n",
                     r.graph_nodes(), r.planned_collectives(),
                     spec.simulation.executor == ExecutorKind::kSimGrid ? "SimGrid" : "native",
                     spec.simulation.expand ? "every replica expanded" : "one rank per class");
  out += "\nwhere the step goes (critical stage)\n";
  for (const v1::TimeShare& t : r.breakdown()) {
    if (t.seconds() <= 0) continue;
    out += fmt::format("  {:<12} {:9.3f} s  {:5.1f}%\n", t.name(), t.seconds(),
                       step > 0 ? 100 * t.seconds() / step : 0.0);
  }
  out += "\nmemory per GPU (GiB)\n  stage  weights  grads  optimizer  activations  buffers  total\n";
  for (const v1::StageMemory& m : r.memory()) {
    out += fmt::format("  {:5}  {:7.1f}  {:5.1f}  {:9.1f}  {:11.1f}  {:7.1f}  {:5.1f}\n",
                       m.stage(), m.weights_bytes() / kGiB, m.gradients_bytes() / kGiB,
                       m.optimizer_bytes() / kGiB, m.activations_bytes() / kGiB,
                       m.buffers_bytes() / kGiB, m.total_bytes() / kGiB);
  }
  if (r.links_size() > 0) {
    out += "\nlinks (traffic of the simulated groups)\n  tier             links  mean util  max util\n";
    for (const v1::LinkTierLoad& l : r.links()) {
      out += fmt::format("  {:<15} {:6}  {:8.1f}%  {:7.1f}%\n", l.tier(), l.links(),
                         100 * l.mean_utilisation(), 100 * l.max_utilisation());
    }
  }
  if (r.collectives_size() > 0) {
    out += fmt::format("\ncollectives on stage {} (per step)\n", r.critical_stage());
    for (const v1::CollectiveUse& u : r.collectives()) {
      out += fmt::format("  {:<42} x{:<5} {:<16} {:9.1f} us alone, {} groups\n",
                         u.collective(), u.count(), u.algorithm(), u.idle_time_s() * 1e6,
                         u.groups());
    }
  }
  if (r.has_goodput()) out += GoodputText(r.goodput());
  return out;
}

}  // namespace trainsim::config
