// `trainsim optimize SCENARIO [--objective step-time|tokens-per-dollar|tokens-per-joule]
// [--top N] [--jobs N] [--json]`: search the parallel plans of a scenario's cluster, model and
// training (planner/optimize.h) and print the best N with the search's statistics.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "config/scenario_loader.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "planner/optimize.h"

namespace trainsim::cli {
namespace {

struct OptimizeCliOptions {
  std::string scenario;
  std::string objective = "step-time";
  int top = 10;
  int jobs = 1;
  bool json = false;
};

std::string_view RecomputeName(workloads::Recompute r) {
  switch (r) {
    case workloads::Recompute::kNone:
      return "none";
    case workloads::Recompute::kSelective:
      return "selective";
    case workloads::Recompute::kFull:
      return "full";
  }
  return "?";
}

nlohmann::ordered_json CandidateJson(const planner::Candidate& c) {
  const workloads::ParallelPlan& p = c.plan;
  nlohmann::ordered_json j;
  j["plan"] = {{"tp", p.tp},
               {"pp", p.pp},
               {"dp", p.dp},
               {"cp", p.cp},
               {"ep", p.ep},
               {"virtual_stages", p.virtual_stages},
               {"microbatch_size", p.microbatch_size},
               {"recompute", RecomputeName(p.recompute)},
               {"zero_stage", p.zero_stage}};
  j["step_time_s"] = c.step_time_s;
  j["mfu"] = c.mfu;
  j["tokens_per_s"] = c.tokens_per_s;
  j["peak_memory_gib"] = c.peak_memory_gib;
  j["energy_per_step_j"] = c.energy_per_step_j;
  j["cost_per_step_usd"] = c.cost_per_step_usd;
  j["objective"] = c.objective;
  j["step_time_bound_s"] = c.step_time_bound_s;
  return j;
}

std::string ObjectiveText(planner::Objective o, double value) {
  switch (o) {
    case planner::Objective::kStepTime:
      return fmt::format("{:.3f} s", value);
    case planner::Objective::kTokensPerDollar:
      return fmt::format("{:.4g} tok/$", value);
    case planner::Objective::kTokensPerJoule:
      return fmt::format("{:.4g} tok/J", value);
  }
  return "";
}

std::string Row(const std::string& rank, const planner::Candidate& c, planner::Objective o) {
  const workloads::ParallelPlan& p = c.plan;
  return fmt::format(
      "{:>4} {:>3} {:>3} {:>5} {:>3} {:>3} {:>2} {:>4} {:<10} {:>4} {:>9.3f} "
      "{:>6.1f}% {:>10.4g} {:>8.1f}  {}\n",
      rank, p.tp, p.pp, p.dp, p.cp, p.ep, p.virtual_stages, p.microbatch_size,
      RecomputeName(p.recompute), p.zero_stage, c.step_time_s, 100 * c.mfu, c.tokens_per_s,
      c.peak_memory_gib, ObjectiveText(o, c.objective));
}

std::string Text(const config::LoadedScenario& loaded, const planner::OptimizeResult& r,
                 const OptimizeCliOptions& options, planner::Objective objective) {
  std::string out =
      fmt::format("optimize {} ({}): best {} plans by {}\n\n",
                  loaded.scenario.name().empty() ? "(unnamed)" : loaded.scenario.name(),
                  loaded.file, r.top.size(), planner::ObjectiveName(objective));
  out +=
      "rank  tp  pp    dp  cp  ep  v  mbs recompute  zero    step s    MFU   tokens/s  mem GiB  "
      "objective\n";
  for (size_t i = 0; i < r.top.size(); ++i) out += Row(std::to_string(i + 1), r.top[i], objective);
  if (r.scenario_plan) {
    out += Row("own", *r.scenario_plan, objective);
    out +=
        fmt::format("(own: the scenario's plan, {})\n", planner::PlanLabel(r.scenario_plan->plan));
  }
  out += fmt::format(
      "\nsearch    {} plans considered = {} infeasible ({} invalid, {} out of memory) + {} "
      "pruned by their bound + {} simulated\n",
      r.considered, r.infeasible, r.invalid, r.out_of_memory, r.pruned, r.simulated);
  out += fmt::format("          {:.1f} s wall, {:.2f} simulations/s with {} job(s)\n", r.wall_s,
                     r.simulations_per_s, options.jobs);
  return out;
}

int Optimize(const OptimizeCliOptions& options) {
  StatusOr<planner::Objective> objective = planner::ParseObjective(options.objective);
  if (!objective.ok()) {
    std::fprintf(stderr, "--objective: %s\n", objective.status().message().c_str());
    return kExitBadInput;
  }
  StatusOr<config::LoadedScenario> loaded = config::LoadScenarioFile(options.scenario);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    return kExitBadInput;
  }
  StatusOr<planner::OptimizeResult> result = planner::Optimize(
      *loaded, {.objective = *objective, .top = options.top, .jobs = options.jobs});
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.status().message().c_str());
    return result.status().code() == StatusCode::kInternal ? kExitInternal : kExitBadInput;
  }
  if (options.json) {
    nlohmann::ordered_json j;
    j["scenario"] = loaded->scenario.name();
    j["objective"] = planner::ObjectiveName(*objective);
    j["top"] = nlohmann::ordered_json::array();
    for (const planner::Candidate& c : result->top) j["top"].push_back(CandidateJson(c));
    if (result->scenario_plan) j["scenario_plan"] = CandidateJson(*result->scenario_plan);
    j["statistics"] = {{"considered", result->considered},
                       {"infeasible", result->infeasible},
                       {"invalid", result->invalid},
                       {"out_of_memory", result->out_of_memory},
                       {"pruned", result->pruned},
                       {"simulated", result->simulated},
                       {"wall_s", result->wall_s},
                       {"simulations_per_s", result->simulations_per_s},
                       {"jobs", options.jobs}};
    std::fputs((j.dump(2) + "\n").c_str(), stdout);
  } else {
    std::fputs(Text(*loaded, *result, options, *objective).c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace

void AddOptimizeCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<OptimizeCliOptions>();
  CLI::App* sub = app.add_subcommand(
      "optimize",
      "Search parallelism plans (tp, pp, dp, cp, ep, virtual stages, micro-batch, "
      "recompute, ZeRO) for the best that fit, and print the top N.");
  sub->add_option("scenario", options->scenario,
                  "Scenario file (YAML or JSON): its cluster, model, training and precision are "
                  "kept, its parallelism is searched (and its own plan compared).")
      ->required();
  sub->add_option("--objective", options->objective,
                  "step-time (lowest), tokens-per-dollar (needs simulation.gpu_hour_usd) or "
                  "tokens-per-joule (cluster energy). Default: step-time.")
      ->check(CLI::IsMember({"step-time", "tokens-per-dollar", "tokens-per-joule"}));
  sub->add_option("--top", options->top, "How many plans to print (default 10).")
      ->check(CLI::Range(1, 1000));
  sub->add_option("--jobs", options->jobs,
                  "Simulations run at once on a thread pool (default 1); the result does not "
                  "depend on it.")
      ->check(CLI::Range(1, 256));
  sub->add_flag("--json", options->json, "Print JSON instead of a table.");
  sub->callback([options, &exit_code] {
    UseHugePageHeap();
    exit_code = Optimize(*options);
  });
}

}  // namespace trainsim::cli
