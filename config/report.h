// The step report as users and services see it: a trainsim.v1.Report built from a simulated
// step (workloads/step.h) and its scenario, printed as a human table or as JSON whose top-level
// keys are the report's field names (step_time_s, mfu, hfu, tflops_per_gpu, tokens_per_s,
// peak_memory_gib, energy_per_step_j, avg_power_w, breakdown as an object of seconds, ...).
#ifndef TRAINSIM_CONFIG_REPORT_H_
#define TRAINSIM_CONFIG_REPORT_H_

#include <string>

#include "config/scenario_spec.h"
#include "trainsim/v1/report.pb.h"
#include "workloads/step.h"

namespace trainsim::config {

// `resolved` is the scenario as simulated (LoadScenarioText(ResolvedYaml(...)).scenario).
v1::Report MakeReport(const ScenarioSpec& spec, const workloads::StepResult& step,
                      const v1::Scenario& resolved, std::string_view version);

// JSON with keys in the report's field order; `breakdown` is an object {category: seconds};
// `scenario` is left out unless `with_scenario`. Deterministic (same report, same text).
std::string ReportJson(const v1::Report& report, bool with_scenario);

// The human-readable report: summary, breakdown, memory per stage, links, collectives, and the
// goodput what-if when the scenario has a `goodput` section (MakeReport fills report.goodput).
std::string ReportText(const ScenarioSpec& spec, const v1::Report& report);

// The per-kernel table (report.ops).
std::string OpsText(const v1::Report& report);

// One line for a plan that does not fit: which stage, how much over, the largest terms.
std::string OutOfMemoryMessage(const v1::Report& report);

}  // namespace trainsim::config

#endif  // TRAINSIM_CONFIG_REPORT_H_
