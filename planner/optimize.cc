#include "planner/optimize.h"

#include <algorithm>
#include <chrono>
#include <latch>
#include <map>
#include <set>
#include <tuple>

#include "boost/asio/post.hpp"
#include "boost/asio/thread_pool.hpp"
#include "compute/roofline.h"
#include "config/scenario_spec.h"
#include "fmt/format.h"
#include "workloads/layer_costs.h"
#include "workloads/memory.h"
#include "workloads/parameters.h"
#include "workloads/step.h"

namespace trainsim::planner {
namespace {

namespace v1 = trainsim::v1;
using workloads::ParallelPlan;
using workloads::Recompute;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
// Candidates simulated between two pruning decisions. Fixed (not the job count) so that which
// candidates are pruned does not depend on how many run at once.
constexpr size_t kWave = 8;

// The canonical order that breaks ties.
auto PlanKey(const ParallelPlan& p) {
  return std::make_tuple(p.tp, p.pp, p.dp, p.cp, p.ep, p.virtual_stages, p.microbatch_size,
                         static_cast<int>(p.recompute), p.zero_stage, static_cast<int>(p.schedule),
                         p.first_stage_layers, p.last_stage_layers);
}

std::string_view RecomputeName(Recompute r) {
  switch (r) {
    case Recompute::kNone:
      return "none";
    case Recompute::kSelective:
      return "selective";
    case Recompute::kFull:
      return "full";
  }
  return "?";
}

std::vector<int> Divisors(int64_t n) {
  std::vector<int> out;
  for (int64_t d = 1; d <= n; ++d) {
    if (n % d == 0) out.push_back(static_cast<int>(d));
  }
  return out;
}

// One point of the search space, as it is written into the scenario's parallelism section.
struct Choice {
  int tp, pp, cp, ep, v, mbs;
  v1::Parallelism::Recompute recompute;
  int zero;
};

void Apply(const Choice& c, int64_t gpus, v1::Parallelism& p) {
  p.set_tp(c.tp);
  p.set_pp(c.pp);
  p.set_cp(c.cp);
  p.set_dp(static_cast<int>(gpus / (int64_t{c.tp} * c.pp * c.cp)));
  p.set_ep(c.ep);
  p.set_virtual_stages(c.v);
  p.set_schedule(c.v > 1 ? v1::Parallelism::SCHEDULE_INTERLEAVED_1F1B
                         : v1::Parallelism::SCHEDULE_1F1B);
  p.set_microbatch_size(c.mbs);
  p.set_recompute(c.recompute);
  p.set_zero_stage(c.zero);
  p.set_first_stage_layers(0);
  p.set_last_stage_layers(0);
}

std::vector<Choice> SearchSpace(const config::ScenarioSpec& s) {
  const int64_t gpus = s.cluster.gpus;
  const int per_node = s.cluster.node.gpus_per_node;
  std::vector<int> tps = Divisors(per_node);
  const int64_t domain = s.cluster.gpus_per_nvlink_domain();
  for (int64_t t = 2 * int64_t{per_node}; t <= domain; t += per_node) {
    if (domain % t == 0) tps.push_back(static_cast<int>(t));
  }
  std::vector<int> cps = {1};
  if (s.training.sequence_length >= 8192) cps = {1, 2, 4};
  const std::vector<int> pps = Divisors(s.model.layers);
  static constexpr v1::Parallelism::Recompute kRecompute[] = {v1::Parallelism::RECOMPUTE_NONE,
                                                              v1::Parallelism::RECOMPUTE_SELECTIVE,
                                                              v1::Parallelism::RECOMPUTE_FULL};
  std::vector<Choice> out;
  for (int tp : tps) {
    for (int pp : pps) {
      for (int cp : cps) {
        const int64_t model_parallel = int64_t{tp} * pp * cp;
        if (gpus % model_parallel != 0) continue;
        const int64_t dp = gpus / model_parallel;
        std::vector<int> eps = {1};
        if (s.model.moe) {
          eps.clear();
          for (int e : Divisors(s.model.moe->experts)) {
            if ((dp * cp) % e == 0) eps.push_back(e);
          }
        }
        for (int ep : eps) {
          for (int v = 1; v <= 4; ++v) {
            if (v > 1 && (pp < 2 || s.model.layers % (pp * v) != 0)) continue;
            for (int mbs : {1, 2, 4}) {
              if (s.training.global_batch % dp != 0 || (s.training.global_batch / dp) % mbs != 0) {
                continue;
              }
              for (v1::Parallelism::Recompute r : kRecompute) {
                for (int zero = 0; zero <= 3; ++zero) {
                  out.push_back({tp, pp, cp, ep, v, mbs, r, zero});
                }
              }
            }
          }
        }
      }
    }
  }
  return out;
}

// Per micro-batch work on each pipeline stage's stream: compute (forward, backward and
// recompute) from the roofline costs, with its energy, and the TP and EP collectives that run on
// the stream between the blocks (unless tp_overlap), each at least the bytes one rank must send
// or receive, (g−1)/g of the buffer, over its NVLink port (the fastest path it has).
struct StageCompute {
  std::vector<double> time_s;     // compute and on-stream collectives
  std::vector<double> compute_s;  // compute alone
  std::vector<double> energy_j;   // of the compute
};

StatusOr<StageCompute> ComputePerStage(const config::ScenarioSpec& s, const ParallelPlan& plan,
                                       const compute::RooflineModel& roofline) {
  StatusOr<workloads::LayerCosts> costs =
      workloads::ComputeLayerCosts(s.model, plan, s.training, s.precision, roofline);
  if (!costs.ok()) return costs.status();
  auto add = [](const workloads::BlockCost& b, double& t, double& e) {
    for (const workloads::Cost* c : {&b.forward, &b.backward, &b.recompute}) {
      t += c->time.seconds();
      e += c->energy.value();
    }
  };
  const workloads::CommSizes sizes = workloads::ComputeCommSizes(s.model, plan, s.training);
  const double port = s.cluster.node.gpu.nvlink_bandwidth.value();
  auto transfer = [&](Bytes buffer, int group) {
    if (group <= 1 || port <= 0) return 0.0;
    return static_cast<double>(buffer.count()) * (group - 1) / group / port;
  };
  // Passes through each layer's blocks: forward, backward, and full recompute's second forward.
  const int passes = plan.recompute == Recompute::kFull ? 3 : 2;
  // Attention and MLP blocks each: all-gather before, reduce-scatter after with sequence
  // parallelism; an all-reduce after without.
  const int tp_per_layer = plan.sequence_parallel ? 4 : 2;
  const double tp_dense =
      plan.tp_overlap ? 0.0 : passes * tp_per_layer * transfer(sizes.tp_activation, plan.tp);
  const double moe_extra =
      passes * (2 * transfer(sizes.ep_dispatch, plan.ep) +
                (plan.tp_overlap ? 0.0 : 2 * transfer(sizes.ep_gather, plan.tp)));
  StageCompute out;
  for (int st = 0; st < plan.pp; ++st) {
    double t = 0, e = 0;
    double comm = 0;
    for (int c = 0; c < plan.virtual_stages; ++c) {
      const workloads::LayerRange layers = workloads::ChunkLayers(s.model.layers, plan, st, c);
      for (int l = layers.first; l < layers.first + layers.count; ++l) {
        add(costs->attention, t, e);
        comm += tp_dense;
        if (workloads::IsMoeLayer(s.model, l)) {
          add(costs->moe, t, e);
          add(costs->experts, t, e);
          comm += moe_extra;
        } else {
          add(costs->mlp, t, e);
        }
      }
    }
    if (st == 0) add(costs->embedding, t, e);
    if (st == plan.pp - 1) add(costs->logits, t, e);
    out.time_s.push_back(t + comm);
    out.compute_s.push_back(t);
    out.energy_j.push_back(e);
  }
  return out;
}

// A candidate that is valid and fits, waiting to be simulated or pruned.
struct Pending {
  ParallelPlan plan;
  double peak_gib = 0;
  double bound_s = 0;      // step time
  double bound_score = 0;  // the objective as a cost to minimise
  bool scenario_plan = false;
};

struct Scorer {
  Objective objective;
  double tokens_per_step;
  double gpus;
  double gpu_hour_usd;
  double rest_of_nodes_w;  // cluster power beyond the GPUs
  double static_w;         // per GPU

  double CostPerStep(double step_s) const { return step_s * gpus * gpu_hour_usd / 3600.0; }
  double ClusterEnergy(double gpu_energy_j, double step_s) const {
    return gpu_energy_j + rest_of_nodes_w * step_s;
  }
  // Lower is better: seconds per step, dollars per token, joules per token.
  double Score(double step_s, double cluster_energy_j) const {
    switch (objective) {
      case Objective::kStepTime:
        return step_s;
      case Objective::kTokensPerDollar:
        return CostPerStep(step_s) / tokens_per_step;
      case Objective::kTokensPerJoule:
        return cluster_energy_j / tokens_per_step;
    }
    return step_s;
  }
  double Value(double score) const {
    return objective == Objective::kStepTime ? score : 1.0 / score;
  }
};

Candidate FromStep(const Pending& p, const workloads::StepResult& step, const Scorer& scorer) {
  Candidate c;
  c.plan = p.plan;
  c.step_time_s = step.step_time.seconds();
  c.mfu = step.mfu;
  c.tokens_per_s = step.tokens_per_s;
  c.peak_memory_gib = static_cast<double>(step.memory.peak.count()) / kGiB;
  c.energy_per_step_j = scorer.ClusterEnergy(step.energy_per_step.value(), c.step_time_s);
  c.cost_per_step_usd = scorer.CostPerStep(c.step_time_s);
  c.objective = scorer.Value(scorer.Score(c.step_time_s, c.energy_per_step_j));
  c.step_time_bound_s = p.bound_s;
  return c;
}

// Best first: lower score (higher value for the per-token objectives), then canonical order.
bool Better(const Candidate& a, const Candidate& b, Objective objective) {
  const double sa = objective == Objective::kStepTime ? a.objective : -a.objective;
  const double sb = objective == Objective::kStepTime ? b.objective : -b.objective;
  if (sa != sb) return sa < sb;
  return PlanKey(a.plan) < PlanKey(b.plan);
}

Status Cancelled() { return Status(StatusCode::kCancelled, "optimize: cancelled"); }

}  // namespace

std::string_view ObjectiveName(Objective objective) {
  switch (objective) {
    case Objective::kStepTime:
      return "step-time";
    case Objective::kTokensPerDollar:
      return "tokens-per-dollar";
    case Objective::kTokensPerJoule:
      return "tokens-per-joule";
  }
  return "?";
}

StatusOr<Objective> ParseObjective(std::string_view name) {
  for (Objective o :
       {Objective::kStepTime, Objective::kTokensPerDollar, Objective::kTokensPerJoule}) {
    if (ObjectiveName(o) == name) return o;
  }
  return NotFoundError(fmt::format(
      "unknown objective \"{}\"; objectives: step-time, tokens-per-dollar, tokens-per-joule",
      name));
}

std::string PlanLabel(const ParallelPlan& p) {
  std::string label = fmt::format("tp {} pp {} dp {} cp {} ep {} v {} mbs {} {} ZeRO-{}", p.tp,
                                  p.pp, p.dp, p.cp, p.ep, p.virtual_stages, p.microbatch_size,
                                  RecomputeName(p.recompute), p.zero_stage);
  if (p.first_stage_layers > 0 || p.last_stage_layers > 0) {
    label +=
        fmt::format(" first/last stage layers {}/{}", p.first_stage_layers, p.last_stage_layers);
  }
  return label;
}

StatusOr<OptimizeResult> Optimize(const config::LoadedScenario& base,
                                  const OptimizeOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.top < 1) {
    return InvalidArgumentError(
        fmt::format("--top: {} is not a positive number of plans", options.top));
  }
  if (options.jobs < 1) {
    return InvalidArgumentError(
        fmt::format("--jobs: {} is not a positive number of jobs", options.jobs));
  }
  StatusOr<config::ScenarioSpec> spec = config::BuildScenarioSpec(base);
  if (!spec.ok()) return spec.status();
  if (options.objective == Objective::kTokensPerDollar && spec->simulation.gpu_hour_usd <= 0) {
    return InvalidArgumentError(fmt::format(
        "{}: simulation.gpu_hour_usd is not set (0), but the tokens-per-dollar objective prices "
        "each plan by it; set it, e.g. simulation: {{gpu_hour_usd: 2.5}}",
        base.file));
  }
  StatusOr<compute::RooflineModel> roofline =
      compute::RooflineModel::Create(spec->cluster.node.gpu);
  if (!roofline.ok()) return roofline.status();
  const compute::GpuSpec& gpu = spec->cluster.node.gpu;
  const Scorer scorer{
      .objective = options.objective,
      .tokens_per_step = static_cast<double>(spec->training.tokens_per_step()),
      .gpus = static_cast<double>(spec->cluster.gpus),
      .gpu_hour_usd = spec->simulation.gpu_hour_usd,
      .rest_of_nodes_w = std::max(0.0, spec->cluster.node.node_power.value() -
                                           spec->cluster.node.gpus_per_node * gpu.tdp.value()) *
                         static_cast<double>(spec->cluster.nodes()),
      .static_w = gpu.static_power.value()};

  // Check every candidate: valid, fits, bounded.
  OptimizeResult result;
  std::vector<Pending> pending;
  std::set<decltype(PlanKey(ParallelPlan()))> seen;
  config::LoadedScenario trial = base;
  double smallest_need_gib = -1;
  std::map<std::string, int64_t> reasons;  // first line of each validation message
  auto consider = [&](const v1::Parallelism& parallelism, bool scenario_plan) -> Status {
    *trial.scenario.mutable_parallelism() = parallelism;
    StatusOr<config::ScenarioSpec> s = config::BuildScenarioSpec(trial);
    if (s.ok() && !seen.insert(PlanKey(s->parallel)).second) return OkStatus();  // a duplicate
    ++result.considered;
    if (!s.ok()) {
      ++result.invalid;
      ++reasons[s.status().message().substr(0, s.status().message().find('\n'))];
      return OkStatus();
    }
    StatusOr<workloads::MemoryEstimate> mem = workloads::EstimateMemory(
        s->model, s->parallel, s->training, s->precision, gpu.hbm_capacity);
    if (!mem.ok()) {
      ++result.invalid;
      ++reasons[mem.status().message()];
      return OkStatus();
    }
    const double need = static_cast<double>(mem->peak.count()) / kGiB;
    if (smallest_need_gib < 0 || need < smallest_need_gib) smallest_need_gib = need;
    if (!mem->fits()) {
      ++result.out_of_memory;
      return OkStatus();
    }
    StatusOr<StageCompute> per_stage = ComputePerStage(*s, s->parallel, *roofline);
    if (!per_stage.ok()) return per_stage.status();
    const ParallelPlan& plan = s->parallel;
    const auto m = static_cast<double>(s->training.microbatches(plan));
    double bound = 0, before = 0, energy = 0;
    for (int st = 0; st < plan.pp; ++st) {
      bound = std::max(bound, m * per_stage->time_s[st] + before / plan.virtual_stages);
      before += per_stage->time_s[st];
    }
    const double ranks_per_stage = scorer.gpus / plan.pp;
    for (int st = 0; st < plan.pp; ++st) {
      energy +=
          ranks_per_stage * (m * per_stage->energy_j[st] +
                             scorer.static_w * std::max(0.0, bound - m * per_stage->compute_s[st]));
    }
    pending.push_back({.plan = plan,
                       .peak_gib = need,
                       .bound_s = bound,
                       .bound_score = scorer.Score(bound, scorer.ClusterEnergy(energy, bound)),
                       .scenario_plan = scenario_plan});
    return OkStatus();
  };
  {
    v1::Parallelism own = base.scenario.parallelism();
    own.set_dp(spec->parallel.dp);
    if (Status st = consider(own, true); !st.ok()) return st;
  }
  for (const Choice& c : SearchSpace(*spec)) {
    if (options.cancel != nullptr && options.cancel->load()) return Cancelled();
    v1::Parallelism p = base.scenario.parallelism();
    Apply(c, spec->cluster.gpus, p);
    if (Status st = consider(p, false); !st.ok()) return st;
  }
  result.infeasible = result.invalid + result.out_of_memory;
  if (pending.empty()) {
    std::string why;
    if (smallest_need_gib >= 0) {
      why = fmt::format(
          "the smallest memory need of any valid plan is {:.1f} GiB per GPU, over "
          "the {:.1f} GiB of HBM",
          smallest_need_gib, static_cast<double>(gpu.hbm_capacity.count()) / kGiB);
    } else if (!reasons.empty()) {
      why = "no plan passes the scenario checks, e.g. " + reasons.begin()->first;
    }
    return FailedPreconditionError(fmt::format(
        "{}: no parallel plan of {} considered for {} on {} GPUs is valid and fits in memory "
        "({} invalid, {} out of memory): {}",
        base.file, result.considered, spec->model.name, spec->cluster.gpus, result.invalid,
        result.out_of_memory, why));
  }

  // The scenario's own plan first (an incumbent to prune against), then by bound.
  std::sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
    if (a.scenario_plan != b.scenario_plan) return a.scenario_plan;
    if (a.bound_score != b.bound_score) return a.bound_score < b.bound_score;
    return PlanKey(a.plan) < PlanKey(b.plan);
  });

  boost::asio::thread_pool pool(static_cast<size_t>(options.jobs));
  std::vector<Candidate> top;
  const auto kth_score = [&]() {
    return static_cast<int>(top.size()) < options.top
               ? -1.0
               : scorer.Score(top.back().step_time_s, top.back().energy_per_step_j);
  };
  size_t next = 0;
  while (next < pending.size()) {
    if (options.cancel != nullptr && options.cancel->load()) {
      pool.join();
      return Cancelled();
    }
    // This wave: the next candidates whose bound could still enter the top N. Sorted by bound,
    // so the first one that cannot ends the search.
    std::vector<size_t> wave;
    const double kth = kth_score();
    while (next < pending.size() && wave.size() < kWave) {
      if (kth >= 0 && pending[next].bound_score > kth && !pending[next].scenario_plan) break;
      wave.push_back(next++);
    }
    if (wave.empty()) break;
    std::vector<StatusOr<workloads::StepResult>> steps(
        wave.size(), StatusOr<workloads::StepResult>(Cancelled()));
    std::latch done(static_cast<std::ptrdiff_t>(wave.size()));
    for (size_t i = 0; i < wave.size(); ++i) {
      boost::asio::post(pool, [&, i] {
        if (options.cancel == nullptr || !options.cancel->load()) {
          const Pending& p = pending[wave[i]];
          const workloads::StepScenario sc{.cluster = &spec->cluster,
                                           .model = &spec->model,
                                           .plan = &p.plan,
                                           .training = &spec->training,
                                           .precision = &spec->precision,
                                           .options = &spec->simulation};
          steps[i] = workloads::SimulateStep(sc);
        }
        done.count_down();
      });
    }
    done.wait();
    for (size_t i = 0; i < wave.size(); ++i) {
      if (!steps[i].ok()) {
        if (steps[i].status().code() == StatusCode::kCancelled) {
          pool.join();
          return Cancelled();
        }
        if (steps[i].status().code() == StatusCode::kInternal) {
          pool.join();
          return steps[i].status();
        }
        ++result.infeasible;  // a collective the cluster cannot run, say
        continue;
      }
      ++result.simulated;
      if (!steps[i]->simulated) continue;  // EstimateMemory said it fits; SimulateStep agrees
      const Candidate c = FromStep(pending[wave[i]], *steps[i], scorer);
      if (pending[wave[i]].scenario_plan) result.scenario_plan = c;
      top.insert(std::upper_bound(top.begin(), top.end(), c,
                                  [&](const Candidate& a, const Candidate& b) {
                                    return Better(a, b, options.objective);
                                  }),
                 c);
      if (static_cast<int>(top.size()) > options.top) top.pop_back();
    }
  }
  pool.join();
  result.pruned = static_cast<int64_t>(pending.size() - next);
  result.top = std::move(top);
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.simulations_per_s =
      result.wall_s > 0 ? static_cast<double>(result.simulated) / result.wall_s : 0;
  return result;
}

}  // namespace trainsim::planner
