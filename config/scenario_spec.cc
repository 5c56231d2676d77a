#include "config/scenario_spec.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <variant>

#include "compute/number_format.h"
#include "config/catalogs.h"
#include "config/proto_yaml.h"
#include "fmt/format.h"
#include "sim/units.h"
#include "workloads/parameters.h"

namespace trainsim::config {
namespace {

namespace v1 = trainsim::v1;
namespace pb = google::protobuf;

// The loader has checked every unit string, so a failure here is a bug.
template <typename T>
T Must(StatusOr<T> parsed, std::string_view what) {
  TRAINSIM_CHECK(parsed.ok()) << what << ": " << parsed.status().message();
  return *std::move(parsed);
}

// ---------------------------------------------------------------------------------------------
// GpuSpec ⇄ proto, driven by one table of (field name, member).

using GpuMember =
    std::variant<std::string compute::GpuSpec::*, int compute::GpuSpec::*,
                 double compute::GpuSpec::*, bool compute::GpuSpec::*, Bytes compute::GpuSpec::*,
                 BytesPerSecond compute::GpuSpec::*, FlopsPerSecond compute::GpuSpec::*,
                 Watts compute::GpuSpec::*, Joules compute::GpuSpec::*, Time compute::GpuSpec::*>;

struct GpuField {
  const char* name;  // the proto field, spelled as the member
  GpuMember member;
};

using G = compute::GpuSpec;
const GpuField kGpuFields[] = {
    {"name", &G::name},
    {"sm_count", &G::sm_count},
    {"l2_cache", &G::l2_cache},
    {"hbm_capacity", &G::hbm_capacity},
    {"hbm_bandwidth", &G::hbm_bandwidth},
    {"tdp", &G::tdp},
    {"static_power", &G::static_power},
    {"boost_clock_ghz", &G::boost_clock_ghz},
    {"peak_fp64_vector", &G::peak_fp64_vector},
    {"peak_fp64_tensor", &G::peak_fp64_tensor},
    {"peak_fp32_vector", &G::peak_fp32_vector},
    {"peak_tf32", &G::peak_tf32},
    {"peak_bf16", &G::peak_bf16},
    {"peak_fp16", &G::peak_fp16},
    {"peak_fp8", &G::peak_fp8},
    {"peak_int8", &G::peak_int8},
    {"peak_int4", &G::peak_int4},
    {"peak_fp6", &G::peak_fp6},
    {"peak_fp4", &G::peak_fp4},
    {"block_scaled_tensor_cores", &G::block_scaled_tensor_cores},
    {"sparsity_2_4", &G::sparsity_2_4},
    {"sparse_speedup", &G::sparse_speedup},
    {"vsq_int4_tensor_cores", &G::vsq_int4_tensor_cores},
    {"nvlink_bandwidth", &G::nvlink_bandwidth},
    {"math_efficiency", &G::math_efficiency},
    {"hbm_efficiency", &G::hbm_efficiency},
    {"attention_efficiency", &G::attention_efficiency},
    {"kernel_launch_overhead", &G::kernel_launch_overhead},
    {"tile_m", &G::tile_m},
    {"tile_n", &G::tile_n},
    {"tile_k", &G::tile_k},
    {"mac_energy_fp32", &G::mac_energy_fp32},
    {"mac_energy_tf32", &G::mac_energy_tf32},
    {"mac_energy_bf16", &G::mac_energy_bf16},
    {"mac_energy_fp8", &G::mac_energy_fp8},
    {"mac_energy_int8", &G::mac_energy_int8},
    {"mac_energy_int4", &G::mac_energy_int4},
    {"hbm_energy_per_bit", &G::hbm_energy_per_bit},
};

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

}  // namespace

compute::GpuSpec GpuSpecFromProto(const v1::Gpu& proto) {
  compute::GpuSpec gpu;
  const pb::Reflection& r = *proto.GetReflection();
  for (const GpuField& f : kGpuFields) {
    const pb::FieldDescriptor* field = proto.GetDescriptor()->FindFieldByName(f.name);
    TRAINSIM_CHECK(field != nullptr) << "trainsim.v1.Gpu has no field " << f.name;
    if (!r.HasField(proto, field)) continue;  // keep the calibrated default
    std::visit(Overloaded{
                   [&](std::string G::*m) { gpu.*m = r.GetString(proto, field); },
                   [&](int G::*m) { gpu.*m = r.GetInt32(proto, field); },
                   [&](double G::*m) { gpu.*m = r.GetDouble(proto, field); },
                   [&](bool G::*m) { gpu.*m = r.GetBool(proto, field); },
                   [&](Bytes G::*m) { gpu.*m = Must(ParseBytes(r.GetString(proto, field)), f.name); },
                   [&](BytesPerSecond G::*m) {
                     gpu.*m = Must(ParseBandwidth(r.GetString(proto, field)), f.name);
                   },
                   [&](FlopsPerSecond G::*m) {
                     gpu.*m = Must(ParseFlopRate(r.GetString(proto, field)), f.name);
                   },
                   [&](Watts G::*m) { gpu.*m = Must(ParsePower(r.GetString(proto, field)), f.name); },
                   [&](Joules G::*m) { gpu.*m = Must(ParseEnergy(r.GetString(proto, field)), f.name); },
                   [&](Time G::*m) { gpu.*m = Must(ParseTime(r.GetString(proto, field)), f.name); },
               },
               f.member);
  }
  return gpu;
}

v1::Gpu GpuSpecToProto(const compute::GpuSpec& gpu) {
  v1::Gpu proto;
  const pb::Reflection& r = *proto.GetReflection();
  for (const GpuField& f : kGpuFields) {
    const pb::FieldDescriptor* field = proto.GetDescriptor()->FindFieldByName(f.name);
    std::visit(Overloaded{
                   [&](std::string G::*m) { r.SetString(&proto, field, gpu.*m); },
                   [&](int G::*m) { r.SetInt32(&proto, field, gpu.*m); },
                   [&](double G::*m) { r.SetDouble(&proto, field, gpu.*m); },
                   [&](bool G::*m) { r.SetBool(&proto, field, gpu.*m); },
                   [&](auto G::*m) { r.SetString(&proto, field, ToString(gpu.*m)); },
               },
               f.member);
  }
  return proto;
}

namespace {

// Collects problems with the positions of the fields they name.
class Checker {
 public:
  explicit Checker(const SourceMap& sources) : sources_(sources) {}
  void Fail(const std::string& path, std::string message) {
    diagnostics_.Add(sources_.Find(path), path, std::move(message));
  }
  const Diagnostics& diagnostics() const { return diagnostics_; }

 private:
  const SourceMap& sources_;
  Diagnostics diagnostics_;
};

topology::ClusterSpec BuildCluster(const v1::Cluster& c, Checker& check) {
  topology::ClusterSpec cluster;
  cluster.gpus = c.gpus();
  const v1::Node& n = c.node();
  topology::NodeSpec& node = cluster.node;
  node.name = n.name();
  node.gpu = GpuSpecFromProto(n.gpu());
  node.gpus_per_node = n.gpus_per_node();
  node.nvswitch_chips = n.nvswitch_chips();
  node.nvswitch_sharp = n.nvswitch_sharp();
  node.nvlink_latency = Must(ParseTime(n.nvlink_latency()), "nvlink_latency");
  node.nics_per_node = n.nics_per_node();
  node.nic_bandwidth = Must(ParseBandwidth(n.nic_bandwidth()), "nic_bandwidth");
  node.pcie_bandwidth = Must(ParseBandwidth(n.pcie_bandwidth()), "pcie_bandwidth");
  node.node_power = Must(ParsePower(n.node_power()), "node_power");

  const v1::NvlinkDomain& d = c.nvlink_domain();
  cluster.nvlink_domain = {
      .nodes = d.nodes(),
      .off_node_bandwidth_per_gpu =
          Must(ParseBandwidth(d.off_node_bandwidth_per_gpu()), "off_node_bandwidth_per_gpu"),
      .switch_sharp = d.switch_sharp(),
      .switch_latency = Must(ParseTime(d.switch_latency()), "switch_latency"),
  };

  const v1::Fabric& f = c.fabric();
  topology::FabricSpec& fabric = cluster.fabric;
  switch (f.kind()) {
    case v1::Fabric::KIND_NONE:
      fabric.kind = topology::FabricKind::kNone;
      break;
    case v1::Fabric::KIND_ETHERNET:
      fabric.kind = topology::FabricKind::kEthernet;
      break;
    default:
      fabric.kind = topology::FabricKind::kInfiniband;
      break;
  }
  fabric.link_bandwidth = Must(ParseBandwidth(f.link_bandwidth()), "link_bandwidth");
  fabric.switch_radix = f.switch_radix();
  fabric.tiers = f.tiers();
  fabric.nodes_per_unit = f.nodes_per_unit();
  fabric.rail_optimized = f.rail_optimized();
  fabric.oversubscription = f.oversubscription();
  fabric.hop_latency = Must(ParseTime(f.hop_latency()), "hop_latency");
  fabric.routing =
      f.routing() == v1::Fabric::ROUTING_D_MOD_K ? topology::Routing::kDModK : topology::Routing::kEcmp;
  fabric.sharp = {
      .enabled = f.sharp().enabled(),
      .reduction_bandwidth =
          Must(ParseBandwidth(f.sharp().reduction_bandwidth()), "reduction_bandwidth"),
      .max_trees = f.sharp().max_trees(),
  };
  for (const v1::FabricFault& fault : f.faults()) {
    fabric.faults.push_back({.leaf = fault.leaf(),
                             .port = fault.port(),
                             .spine = fault.spine(),
                             .core = fault.core(),
                             .bandwidth_fraction = fault.bandwidth_fraction()});
  }

  if (Status s = compute::ValidateGpuSpec(node.gpu); !s.ok()) {
    check.Fail("cluster.node.gpu", s.message());
  }
  if (cluster.gpus % node.gpus_per_node != 0) {
    check.Fail("cluster.gpus", fmt::format("{} is not a multiple of cluster.node.gpus_per_node = {}",
                                           cluster.gpus, node.gpus_per_node));
    return cluster;
  }
  const int64_t nodes = cluster.nodes();
  if (nodes % cluster.nvlink_domain.nodes != 0) {
    check.Fail("cluster.nvlink_domain.nodes",
               fmt::format("{} does not divide the cluster's {} nodes", cluster.nvlink_domain.nodes,
                           nodes));
  }
  if (cluster.nvlink_domain.nodes > 1 && cluster.nvlink_domain.off_node_bandwidth_per_gpu.value() <= 0) {
    check.Fail("cluster.nvlink_domain.off_node_bandwidth_per_gpu",
               fmt::format("must be > 0 when an NVLink domain spans {} nodes",
                           cluster.nvlink_domain.nodes));
  }
  const bool needs_fabric = nodes > cluster.nvlink_domain.nodes;
  if (needs_fabric && fabric.kind == topology::FabricKind::kNone) {
    check.Fail("cluster.fabric.kind",
               fmt::format("none, but the cluster's {} nodes form {} NVLink domains that need a "
                           "scale-out fabric",
                           nodes, nodes / cluster.nvlink_domain.nodes));
  }
  if (needs_fabric && fabric.kind != topology::FabricKind::kNone &&
      (node.nics_per_node == 0 || node.nic_bandwidth.value() <= 0)) {
    check.Fail("cluster.node.nics_per_node",
               "the node needs NICs (nics_per_node > 0 and nic_bandwidth > 0) to reach the "
               "scale-out fabric");
  }
  if (fabric.sharp.enabled && fabric.kind != topology::FabricKind::kInfiniband) {
    check.Fail("cluster.fabric.sharp.enabled", "SHARP needs an InfiniBand fabric");
  }
  return cluster;
}

workloads::ModelSpec BuildModel(const v1::Model& m, Checker& check) {
  workloads::ModelSpec model;
  model.name = m.has_name() ? m.name() : m.preset();
  model.layers = m.layers();
  model.hidden = m.hidden();
  model.heads = m.heads();
  model.kv_heads = m.kv_heads() == 0 ? m.heads() : m.kv_heads();
  model.vocab = m.vocab();
  model.mlp = m.mlp() == v1::Model::MLP_SWIGLU ? workloads::MlpKind::kSwiglu : workloads::MlpKind::kGelu;
  model.norm = m.norm() == v1::Model::NORM_RMSNORM ? workloads::NormKind::kRmsNorm
                                                   : workloads::NormKind::kLayerNorm;
  model.ffn_hidden =
      m.ffn_hidden() == 0 ? workloads::DefaultFfnHidden(model.hidden, model.mlp) : m.ffn_hidden();
  model.tied_embeddings = m.tied_embeddings();
  if (model.hidden % model.heads != 0) {
    check.Fail("model.hidden", fmt::format("{} is not a multiple of model.heads = {}", model.hidden,
                                           model.heads));
  }
  if (model.heads % model.kv_heads != 0) {
    check.Fail("model.kv_heads", fmt::format("{} does not divide model.heads = {}", model.kv_heads,
                                             model.heads));
  }
  if (m.has_moe()) {
    const v1::Moe& e = m.moe();
    model.moe = workloads::MoeSpec{
        .experts = e.experts(),
        .top_k = e.top_k(),
        .capacity_factor = e.capacity_factor(),
        .shared_experts = e.shared_experts(),
        .expert_ffn_hidden = e.expert_ffn_hidden() == 0 ? model.ffn_hidden : e.expert_ffn_hidden(),
        .layer_interval = e.layer_interval(),
    };
    if (e.top_k() > e.experts()) {
      check.Fail("model.moe.top_k", fmt::format("{} exceeds model.moe.experts = {}", e.top_k(),
                                                e.experts()));
    }
    if (e.layer_interval() > model.layers) {
      check.Fail("model.moe.layer_interval",
                 fmt::format("{} exceeds model.layers = {}: no layer would be MoE",
                             e.layer_interval(), model.layers));
    }
  }
  return model;
}

workloads::ParallelPlan BuildPlan(const v1::Parallelism& p, const topology::ClusterSpec& cluster,
                                  const workloads::ModelSpec& model, Checker& check) {
  workloads::ParallelPlan plan;
  plan.tp = p.tp();
  plan.pp = p.pp();
  plan.cp = p.cp();
  plan.ep = p.ep();
  plan.virtual_stages = p.virtual_stages();
  plan.sequence_parallel = p.sequence_parallel();
  switch (p.schedule()) {
    case v1::Parallelism::SCHEDULE_GPIPE:
      plan.schedule = workloads::PipelineSchedule::kGpipe;
      break;
    case v1::Parallelism::SCHEDULE_INTERLEAVED_1F1B:
      plan.schedule = workloads::PipelineSchedule::kInterleavedOneFOneB;
      break;
    default:
      plan.schedule = workloads::PipelineSchedule::kOneFOneB;
      break;
  }
  plan.microbatch_size = p.microbatch_size();
  plan.zero_stage = p.zero_stage();
  switch (p.recompute()) {
    case v1::Parallelism::RECOMPUTE_NONE:
      plan.recompute = workloads::Recompute::kNone;
      break;
    case v1::Parallelism::RECOMPUTE_FULL:
      plan.recompute = workloads::Recompute::kFull;
      break;
    default:
      plan.recompute = workloads::Recompute::kSelective;
      break;
  }
  plan.dp_overlap = p.dp_overlap();
  plan.tp_overlap = p.tp_overlap();
  plan.pp_overlap = p.pp_overlap();
  plan.first_stage_layers = p.first_stage_layers();
  plan.last_stage_layers = p.last_stage_layers();
  {
    // "tp-cp-dp-pp": each of the four dimensions exactly once.
    static constexpr std::array<std::pair<std::string_view, workloads::ParallelDim>, 4> kDims = {
        {{"tp", workloads::ParallelDim::kTp},
         {"cp", workloads::ParallelDim::kCp},
         {"dp", workloads::ParallelDim::kDp},
         {"pp", workloads::ParallelDim::kPp}}};
    std::vector<std::string_view> parts;
    std::string_view rest = p.order();
    for (size_t dash; (dash = rest.find('-')) != std::string_view::npos; rest.remove_prefix(dash + 1)) {
      parts.push_back(rest.substr(0, dash));
    }
    parts.push_back(rest);
    bool ok = parts.size() == 4;
    std::array<bool, 4> seen{};
    for (size_t i = 0; ok && i < parts.size(); ++i) {
      auto it = std::find_if(kDims.begin(), kDims.end(),
                             [&](const auto& d) { return d.first == parts[i]; });
      const auto index = static_cast<size_t>(it - kDims.begin());
      ok = it != kDims.end() && !seen[index];
      if (ok) {
        seen[index] = true;
        plan.order[i] = it->second;
      }
    }
    if (!ok) {
      check.Fail("parallelism.order",
                 fmt::format("\"{}\" is not an order of the four dimensions; expected tp, cp, dp "
                             "and pp each once, joined by '-', fastest first (e.g. tp-cp-dp-pp)",
                             p.order()));
    }
  }

  const int64_t model_parallel = int64_t{plan.tp} * plan.pp * plan.cp;
  if (p.dp() == 0) {
    if (cluster.gpus % model_parallel != 0) {
      check.Fail("parallelism", fmt::format("tp*pp*cp = {} does not divide cluster.gpus = {}",
                                            model_parallel, cluster.gpus));
    } else {
      plan.dp = static_cast<int>(cluster.gpus / model_parallel);
    }
  } else {
    plan.dp = p.dp();
    if (plan.gpus() != cluster.gpus) {
      check.Fail("parallelism", fmt::format("tp*pp*dp*cp = {} but the cluster has {} GPUs",
                                            plan.gpus(), cluster.gpus));
    }
  }
  if (model.heads % plan.tp != 0) {
    check.Fail("parallelism.tp",
               fmt::format("{} does not divide model.heads = {}", plan.tp, model.heads));
  }
  if (model.kv_heads % plan.tp != 0 && plan.tp % model.kv_heads != 0) {
    check.Fail("parallelism.tp", fmt::format("{} and model.kv_heads = {}: one must divide the other "
                                             "(KV heads are split or replicated across TP)",
                                             plan.tp, model.kv_heads));
  }
  const int64_t chunks = int64_t{plan.pp} * plan.virtual_stages;
  if (plan.first_stage_layers > 0 || plan.last_stage_layers > 0) {
    // Uneven first/last stages (Megatron's --decoder-first/last-pipeline-num-layers).
    const int first = plan.first_stage_layers > 0 ? plan.first_stage_layers : model.layers / plan.pp;
    const int last = plan.last_stage_layers > 0 ? plan.last_stage_layers : model.layers / plan.pp;
    const std::string field = plan.first_stage_layers > 0 ? "parallelism.first_stage_layers"
                                                          : "parallelism.last_stage_layers";
    if (plan.virtual_stages > 1) {
      check.Fail(field, "uneven first/last stages need virtual_stages: 1");
    } else if (plan.pp < 3) {
      check.Fail(field, fmt::format("uneven first/last stages need pp >= 3, not {}", plan.pp));
    } else if (first + last >= model.layers || (model.layers - first - last) % (plan.pp - 2) != 0) {
      check.Fail(field, fmt::format("{} first + {} last leaves {} of model.layers = {} for the "
                                    "{} middle stages: it must be a positive multiple of {}",
                                    first, last, model.layers - first - last, model.layers,
                                    plan.pp - 2, plan.pp - 2));
    }
  } else if (model.layers % chunks != 0) {
    check.Fail("parallelism.pp", fmt::format("pp*virtual_stages = {}*{} = {} does not divide "
                                             "model.layers = {} (or set first_stage_layers / "
                                             "last_stage_layers)",
                                             plan.pp, plan.virtual_stages, chunks, model.layers));
  }
  const bool interleaved = plan.schedule == workloads::PipelineSchedule::kInterleavedOneFOneB;
  if (plan.virtual_stages > 1 && !interleaved) {
    check.Fail("parallelism.virtual_stages",
               fmt::format("{} needs schedule: interleaved-1f1b", plan.virtual_stages));
  }
  if (interleaved && (plan.virtual_stages < 2 || plan.pp < 2)) {
    check.Fail("parallelism.schedule",
               "interleaved-1f1b needs pp >= 2 and virtual_stages >= 2");
  }
  if (plan.ep > 1) {
    if (!model.moe) {
      check.Fail("parallelism.ep", fmt::format("{} > 1 but the model has no experts", plan.ep));
    } else {
      if (model.moe->experts % plan.ep != 0) {
        check.Fail("parallelism.ep", fmt::format("{} does not divide model.moe.experts = {}",
                                                 plan.ep, model.moe->experts));
      }
      if (plan.dp > 0 && (int64_t{plan.dp} * plan.cp) % plan.ep != 0) {
        check.Fail("parallelism.ep", fmt::format("{} does not divide dp*cp = {}", plan.ep,
                                                 int64_t{plan.dp} * plan.cp));
      }
    }
  }
  return plan;
}

void CheckTraining(const workloads::TrainingSpec& training, const workloads::ParallelPlan& plan,
                   Checker& check) {
  if (plan.dp > 0) {
    const int64_t per_step = int64_t{plan.dp} * plan.microbatch_size;
    if (training.global_batch % per_step != 0) {
      check.Fail("training.global_batch",
                 fmt::format("{} is not a multiple of dp*microbatch_size = {}*{} = {}",
                             training.global_batch, plan.dp, plan.microbatch_size, per_step));
    } else if (plan.schedule == workloads::PipelineSchedule::kInterleavedOneFOneB &&
               training.microbatches(plan) % plan.pp != 0) {
      check.Fail("training.global_batch",
                 fmt::format("gives {} micro-batches per pipeline, not a multiple of pp = {} as "
                             "the interleaved schedule needs",
                             training.microbatches(plan), plan.pp));
    }
  }
  if (plan.cp > 1 && training.sequence_length % (2 * plan.cp) != 0) {
    check.Fail("training.sequence_length",
               fmt::format("{} is not a multiple of 2*cp = {} (causal load balancing splits each "
                           "sequence into 2*cp chunks)",
                           training.sequence_length, 2 * plan.cp));
  }
  if (training.steps > 0 && training.tokens > 0) {
    check.Fail("training.tokens", "give the run length as steps or as tokens, not both");
  }
}

// The goodput what-if's inputs; a checkpoint holds, unless the file gives its size, every
// parameter's working weight, master weight (when its format differs) and Adam's m and v.
planner::GoodputSpec BuildGoodput(const v1::Goodput& g, const workloads::ModelSpec& model,
                                  const workloads::PrecisionSpec& precision, Checker& check) {
  planner::GoodputSpec spec;
  const std::pair<const char*, double> mtbfs[] = {{"gpu_mtbf_hours", g.gpu_mtbf_hours()},
                                                  {"node_mtbf_hours", g.node_mtbf_hours()},
                                                  {"link_mtbf_hours", g.link_mtbf_hours()}};
  const bool given[] = {g.has_gpu_mtbf_hours(), g.has_node_mtbf_hours(), g.has_link_mtbf_hours()};
  for (int i = 0; i < 3; ++i) {
    if (given[i] && mtbfs[i].second <= 0) {
      check.Fail(fmt::format("goodput.{}", mtbfs[i].first),
                 fmt::format("{} is not a mean time between failures; give a positive number of "
                             "hours (e.g. 50000), or leave the field out to not count that part",
                             mtbfs[i].second));
    }
  }
  if (!given[0] && !given[1] && !given[2]) {
    check.Fail("goodput", "no failure rate: give gpu_mtbf_hours, node_mtbf_hours or "
                          "link_mtbf_hours (e.g. gpu_mtbf_hours: 50000)");
  }
  spec.gpu_mtbf_h = std::max(0.0, g.gpu_mtbf_hours());
  spec.node_mtbf_h = std::max(0.0, g.node_mtbf_hours());
  spec.link_mtbf_h = std::max(0.0, g.link_mtbf_hours());
  spec.storage_bandwidth = Must(ParseBandwidth(g.storage_bandwidth()), "storage_bandwidth");
  if (spec.storage_bandwidth.value() <= 0) {
    check.Fail("goodput.storage_bandwidth",
               fmt::format("\"{}\" is not a usable write bandwidth; give a positive one, e.g. "
                           "\"1TB/s\"",
                           g.storage_bandwidth()));
  }
  spec.restart_time = Must(ParseTime(g.restart_time()), "restart_time");
  if (g.has_checkpoint_size()) {
    spec.checkpoint_bytes = Must(ParseBytes(g.checkpoint_size()), "checkpoint_size");
  } else {
    auto bytes = [](const std::string& format) {
      StatusOr<compute::NumberFormat> f = compute::ParseNumberFormat(format);
      return f.ok() ? compute::StorageBitsPerElement(*f) / 8.0 : 0.0;
    };
    double per_parameter = bytes(precision.params) + 2 * bytes(precision.optimizer_state);
    if (precision.master_weights != precision.params) per_parameter += bytes(precision.master_weights);
    const auto params = static_cast<double>(workloads::CountParameters(model).total);
    spec.checkpoint_bytes = Bytes(static_cast<int64_t>(std::llround(params * per_parameter)));
  }
  return spec;
}

}  // namespace

StatusOr<ScenarioSpec> BuildScenarioSpec(const LoadedScenario& loaded) {
  const v1::Scenario& s = loaded.scenario;
  Checker check(loaded.sources);
  ScenarioSpec spec;
  spec.name = s.name();
  spec.description = s.description();
  spec.cluster = BuildCluster(s.cluster(), check);
  spec.model = BuildModel(s.model(), check);
  spec.parallel = BuildPlan(s.parallelism(), spec.cluster, spec.model, check);
  spec.training = {
      .global_batch = s.training().global_batch(),
      .sequence_length = s.training().sequence_length(),
      .steps = s.training().steps(),
      .tokens = s.training().tokens(),
      .flash_attention = s.training().attention() != v1::Training::ATTENTION_UNFUSED,
      .software_efficiency = s.training().software_efficiency(),
  };
  CheckTraining(spec.training, spec.parallel, check);

  const v1::Precision& p = s.precision();
  spec.precision = {
      .compute = p.compute(),
      .sparse_2to4 = p.sparse_2to4(),
      .params = p.params(),
      .grads = p.grads(),
      .master_weights = p.master_weights(),
      .optimizer_state = p.optimizer_state(),
  };
  if (spec.precision.sparse_2to4 && !spec.cluster.node.gpu.sparsity_2_4) {
    check.Fail("precision.sparse_2to4",
               fmt::format("the GPU ({}) has no 2:4 sparse tensor cores", spec.cluster.node.gpu.name));
  }

  const v1::Simulation& sim = s.simulation();
  spec.simulation = {
      .executor = sim.executor() == v1::Simulation::EXECUTOR_SIMGRID ? ExecutorKind::kSimGrid
                                                                     : ExecutorKind::kNative,
      .expand = sim.expand(),
      .seed = sim.seed(),
      .collective_detail = sim.collective_detail() == v1::Simulation::COLLECTIVE_DETAIL_STEP
                               ? CollectiveDetail::kStep
                               : CollectiveDetail::kBundle,
      .gpu_hour_usd = sim.gpu_hour_usd(),
  };
  spec.simulation.compute_jitter = sim.compute_jitter();
  if (sim.compute_jitter() > 0 && !sim.expand()) {
    check.Fail("simulation.compute_jitter",
               fmt::format("{} needs simulation.expand: true (each replica draws its own times; "
                           "a representative per class cannot stand for them)",
                           sim.compute_jitter()));
  }
  if (sim.collective_detail() == v1::Simulation::COLLECTIVE_DETAIL_STEP) {
    check.Fail("simulation.collective_detail",
               "step is not available in this version of trainsim; collectives run as flow "
               "bundles plus their latency (bundle)");
  }
  for (int i = 0; i < sim.stragglers_size(); ++i) {
    const v1::Straggler& st = sim.stragglers(i);
    const std::string path = fmt::format("simulation.stragglers[{}]", i);
    if ((st.gpu() >= 0) == (st.node() >= 0)) {
      check.Fail(path, "give exactly one of gpu and node");
    } else if (st.gpu() >= spec.cluster.gpus) {
      check.Fail(path + ".gpu", fmt::format("{} is not a GPU of the cluster (0 .. {})", st.gpu(),
                                            spec.cluster.gpus - 1));
    } else if (st.node() >= spec.cluster.nodes()) {
      check.Fail(path + ".node", fmt::format("{} is not a node of the cluster (0 .. {})",
                                             st.node(), spec.cluster.nodes() - 1));
    }
    spec.simulation.stragglers.push_back(
        {.gpu = st.gpu(), .node = st.node(), .slowdown = st.slowdown()});
  }
  if (s.has_goodput()) {
    spec.goodput = BuildGoodput(s.goodput(), spec.model, spec.precision, check);
  }
  if (!check.diagnostics().empty()) return check.diagnostics().ToStatus();
  return spec;
}

StatusOr<topology::ClusterSpec> LoadClusterText(std::string_view text, const std::string& file) {
  StatusOr<YAML::Node> root = ParseYamlText(text, file);
  if (!root.ok()) return root.status();
  v1::Cluster proto;
  SourceMap sources;
  if (Status s = LoadWithCatalogs(*root, "cluster", file, proto, sources); !s.ok()) return s;
  Checker check(sources);
  topology::ClusterSpec cluster = BuildCluster(proto, check);
  if (!check.diagnostics().empty()) return check.diagnostics().ToStatus();
  return cluster;
}

StatusOr<compute::GpuSpec> GpuFromPreset(const std::string& name) {
  v1::Gpu proto;
  SourceMap sources;
  if (Status s = LoadWithCatalogs(YAML::Node(name), "gpu", "--gpu", proto, sources); !s.ok()) {
    return s;
  }
  compute::GpuSpec gpu = GpuSpecFromProto(proto);
  if (Status s = compute::ValidateGpuSpec(gpu); !s.ok()) return s;
  return gpu;
}

std::string ResolvedYaml(const LoadedScenario& loaded, const ScenarioSpec& spec) {
  v1::Scenario resolved = loaded.scenario;
  v1::Gpu* gpu = resolved.mutable_cluster()->mutable_node()->mutable_gpu();
  const std::string preset = gpu->preset();
  *gpu = GpuSpecToProto(spec.cluster.node.gpu);
  if (!preset.empty()) gpu->set_preset(preset);
  v1::Parallelism* plan = resolved.mutable_parallelism();
  plan->set_dp(spec.parallel.dp);
  v1::Model* model = resolved.mutable_model();
  model->set_kv_heads(spec.model.kv_heads);
  model->set_ffn_hidden(spec.model.ffn_hidden);
  if (spec.model.moe) model->mutable_moe()->set_expert_ffn_hidden(spec.model.moe->expert_ffn_hidden);
  if (spec.goodput) {
    resolved.mutable_goodput()->set_checkpoint_size(
        fmt::format("{}B", spec.goodput->checkpoint_bytes.count()));
  }
  return ToYaml(resolved);
}

}  // namespace trainsim::config
