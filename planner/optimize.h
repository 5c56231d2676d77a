// Parallelism search (`trainsim optimize`): the best plans for a scenario's cluster, model,
// training and precision. The search space is every combination of
//   tp   divisors of the GPUs per node, and multiples of it that divide the NVLink domain;
//   pp   divisors of the layer count;  dp  the rest (gpus / (tp·pp·cp));
//   cp   1, and 2 and 4 for sequences of 8k tokens or more;
//   ep   divisors of the experts and of dp·cp (MoE models only);
//   v    1 (1F1B), and 2, 3, 4 with interleaved 1F1B where pp·v divides the layers;
//   mbs  1, 2, 4 dividing the per-replica batch;  recompute none/selective/full;  ZeRO 0–3,
// plus the scenario's own plan, with its other settings (order, overlaps, sequence parallelism)
// kept. Each candidate is checked by config/'s own rules (BuildScenarioSpec) and by its memory
// (workloads/memory.h); the valid ones that fit are ordered by a lower bound of their objective
// and simulated best-first with SimulateStep (native executor), in fixed waves so that the
// result, and every statistic but the wall time, is the same for any number of jobs. A
// candidate whose bound is already worse than the current top-N's last is pruned: it could not
// enter the top N. Ties are broken by a canonical plan order (tp, pp, dp, cp, ep, v, mbs,
// recompute, ZeRO, schedule). considered = infeasible + pruned + simulated.
//
// Step-time lower bound (per micro-batch work of each stage, T_s: compute from the roofline costs
// of workloads/layer_costs.h, plus the TP and EP collectives that sit on the stream, each at
// least its bytes over the GPU's NVLink port): the last op of stage s cannot end before the first
// micro-batch's forward reached it and the stage ran all its m micro-batches, and the pipeline
// drains back through the stages before it (Narayanan et al. SC'21 §2.2: bubble (p−1)/(v·m)):
//   bound = max_s [ m·T_s + Σ_{j<s} T_j / v ].
// Optimize is thread-safe; each call uses its own thread pool of `jobs` threads.
#ifndef TRAINSIM_PLANNER_OPTIMIZE_H_
#define TRAINSIM_PLANNER_OPTIMIZE_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/scenario_loader.h"
#include "sim/status.h"
#include "workloads/parallel_plan.h"

namespace trainsim::planner {

enum class Objective { kStepTime, kTokensPerDollar, kTokensPerJoule };

// "step-time", "tokens-per-dollar", "tokens-per-joule".
std::string_view ObjectiveName(Objective objective);
// The inverse of ObjectiveName; NotFound listing the names otherwise.
StatusOr<Objective> ParseObjective(std::string_view name);

struct OptimizeOptions {
  Objective objective = Objective::kStepTime;
  int top = 10;  // plans returned, >= 1
  int jobs = 1;  // simulations run at once, >= 1
  // Set to true (from another thread) to stop: Optimize returns kCancelled.
  const std::atomic<bool>* cancel = nullptr;
};

struct Candidate {
  workloads::ParallelPlan plan;
  double step_time_s = 0;
  double mfu = 0;
  double tokens_per_s = 0;
  double peak_memory_gib = 0;  // the worst stage, per GPU
  // The whole cluster per step: GPUs (each op's energy and static power while waiting) plus the
  // rest of every node (node power − GPUs × TDP), as the report's cluster power counts it.
  double energy_per_step_j = 0;
  double cost_per_step_usd = 0;  // step time × GPUs × simulation.gpu_hour_usd; 0 when unpriced
  // The objective's value: seconds per step, tokens per US dollar or tokens per joule.
  double objective = 0;
  double step_time_bound_s = 0;  // the lower bound the search ordered and pruned by
};

struct OptimizeResult {
  std::vector<Candidate> top;  // best first
  // The scenario's own plan as simulated, when it is valid and fits (always simulated).
  std::optional<Candidate> scenario_plan;
  int64_t considered = 0, pruned = 0, infeasible = 0, simulated = 0;
  int64_t invalid = 0, out_of_memory = 0;  // infeasible = invalid + out_of_memory (+ failed)
  double wall_s = 0;
  double simulations_per_s = 0;
};

// Errors: kInvalidArgument for bad options or a scenario that does not build (naming the field),
// the dollar objective without simulation.gpu_hour_usd; kFailedPrecondition when no plan of the
// space is valid and fits (naming the smallest memory need found); kCancelled.
StatusOr<OptimizeResult> Optimize(const config::LoadedScenario& base, const OptimizeOptions&);

// "tp 8 pp 8 dp 16 cp 1 ep 1 v 4 mbs 1 selective ZeRO-1".
std::string PlanLabel(const workloads::ParallelPlan& plan);

}  // namespace trainsim::planner

#endif  // TRAINSIM_PLANNER_OPTIMIZE_H_
