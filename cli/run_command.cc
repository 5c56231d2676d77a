// `trainsim run [SCENARIO] [--check] [--json] [--out DIR]`: simulate one training step of a
// scenario (the built-in default without an argument) and print its report; with --check, only
// validate and print the resolved specs (presets expanded, defaults filled in).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "config/report.h"
#include "config/scenario_loader.h"
#include "config/scenario_spec.h"
#include "dashboards/dashboard.h"
#include "dashboards/trace.h"
#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "planner/simulate.h"
#include "workloads/step.h"

namespace trainsim::cli {
namespace {

struct RunOptions {
  std::string scenario;  // empty: the built-in default
  bool check = false;
  bool json = false;
  bool ops = false;
  std::string out;  // directory for report.json and scenario.yaml
  bool expand = false;   // overrides simulation.expand
  std::string executor;  // overrides simulation.executor when set
};

// Writes `text` to DIR/name; false (with a message) when it cannot.
bool WriteFile(const std::string& dir, const std::string& name, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::filesystem::path path = std::filesystem::path(dir) / name;
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f.good()) {
    std::fprintf(stderr, "--out: cannot write %s\n", path.string().c_str());
    return false;
  }
  return true;
}

int Simulate(const RunOptions& options, const config::LoadedScenario& loaded,
             const config::ScenarioSpec& spec) {
  StatusOr<planner::Simulation> simulated = planner::SimulateScenario(
      loaded, spec, {.record_timeline = !options.out.empty(), .version = kVersion});
  if (!simulated.ok()) {
    std::fprintf(stderr, "%s\n", simulated.status().message().c_str());
    return simulated.status().code() == StatusCode::kInternal ? kExitInternal : kExitBadInput;
  }
  const workloads::StepResult& step = simulated->step;
  const v1::Report& report = simulated->report;
  if (options.json) {
    std::fputs(config::ReportJson(report, false).c_str(), stdout);
  } else {
    std::fputs(config::ReportText(spec, report).c_str(), stdout);
    if (options.ops && report.simulated()) {
      std::fputs(("\n" + config::OpsText(report)).c_str(), stdout);
    }
  }
  if (!options.out.empty()) {
    if (!WriteFile(options.out, "report.json", config::ReportJson(report, true)) ||
        !WriteFile(options.out, "scenario.yaml", simulated->resolved_yaml) ||
        !WriteFile(options.out, "report.txt", config::ReportText(spec, report)) ||
        !WriteFile(options.out, "dashboard.html",
                   dashboards::DashboardHtml(
                       dashboards::StepDashboardData(spec, report, step.timeline.get()),
                       spec.name))) {
      return kExitBadInput;
    }
    // The trace of the step (dashboards/trace.h), unless it would be too large to open.
    constexpr size_t kMaxTraceSpans = 4'000'000;
    if (step.timeline != nullptr && step.timeline->spans.size() <= kMaxTraceSpans) {
      if (!WriteFile(options.out, "trace.json",
                     dashboards::ChromeTraceJson(*step.timeline, spec.name))) {
        return kExitBadInput;
      }
    } else if (step.timeline != nullptr) {
      std::fprintf(stderr,
                   "--out: trace.json not written: the step has %zu nodes, more than the %zu a "
                   "trace viewer opens comfortably; simulate fewer replicas (without --expand)\n",
                   step.timeline->spans.size(), kMaxTraceSpans);
    }
  }
  if (!step.simulated) {
    std::fprintf(stderr, "%s: %s\n", loaded.file.c_str(),
                 config::OutOfMemoryMessage(report).c_str());
    return kExitBadInput;
  }
  return kExitOk;
}

std::string Summary(const config::LoadedScenario& loaded, const config::ScenarioSpec& s) {
  const topology::ClusterSpec& c = s.cluster;
  const workloads::ModelSpec& m = s.model;
  const workloads::ParallelPlan& p = s.parallel;
  std::string out = fmt::format("scenario {} ({}): valid\n", s.name.empty() ? "(unnamed)" : s.name,
                                loaded.file);
  out += fmt::format("  cluster   {} x {} in {} nodes of {}; NVLink domains of {} GPUs ({} domains)\n",
                     c.gpus, c.node.gpu.name, c.nodes(), c.node.gpus_per_node,
                     c.gpus_per_nvlink_domain(), c.nvlink_domains());
  out += fmt::format("  model     {}: {} layers, hidden {}, {} heads ({} KV), vocab {}", m.name,
                     m.layers, m.hidden, m.heads, m.kv_heads, m.vocab);
  if (m.moe) out += fmt::format(", {} experts top-{}", m.moe->experts, m.moe->top_k);
  out += "\n";
  out += fmt::format("  plan      tp {} x pp {} x dp {} x cp {}, ep {}, {} virtual stage(s)\n", p.tp,
                     p.pp, p.dp, p.cp, p.ep, p.virtual_stages);
  out += fmt::format("  step      {} sequences x {} tokens = {} tokens; {} micro-batches of {} per "
                     "pipeline\n",
                     s.training.global_batch, s.training.sequence_length,
                     s.training.tokens_per_step(), s.training.microbatches(p), p.microbatch_size);
  return out;
}

int Run(const RunOptions& options) {
  StatusOr<config::LoadedScenario> loaded = options.scenario.empty()
                                                ? config::LoadDefaultScenario()
                                                : config::LoadScenarioFile(options.scenario);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    return kExitBadInput;
  }
  // Command-line overrides, written into the scenario so the resolved copy records them.
  if (options.expand) loaded->scenario.mutable_simulation()->set_expand(true);
  if (options.executor == "simgrid") {
    loaded->scenario.mutable_simulation()->set_executor(v1::Simulation::EXECUTOR_SIMGRID);
  } else if (options.executor == "native") {
    loaded->scenario.mutable_simulation()->set_executor(v1::Simulation::EXECUTOR_NATIVE);
  }
  StatusOr<config::ScenarioSpec> spec = config::BuildScenarioSpec(*loaded);
  if (!spec.ok()) {
    std::fprintf(stderr, "%s\n", spec.status().message().c_str());
    return kExitBadInput;
  }
  if (!options.check) {
    if (spec->simulation.expand) UseHugePageHeap();
    return Simulate(options, *loaded, *spec);
  }
  const std::string resolved = config::ResolvedYaml(*loaded, *spec);
  if (options.json) {
    StatusOr<config::LoadedScenario> reloaded = config::LoadScenarioText(resolved, loaded->file);
    std::string json;
    google::protobuf::util::JsonPrintOptions print;
    print.add_whitespace = true;
    print.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(reloaded->scenario, &json, print);
    std::fputs(json.c_str(), stdout);
    return kExitOk;
  }
  std::fputs(Summary(*loaded, *spec).c_str(), stdout);
  std::fputs("resolved scenario:\n", stdout);
  std::fputs(resolved.c_str(), stdout);
  return kExitOk;
}

}  // namespace

void AddRunCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* run = app.add_subcommand("run", "Simulate one training step of a scenario.");
  run->add_option("scenario", options->scenario,
                  "Scenario file (YAML or JSON). Default: the built-in GPT-4-scale MoE on 16,384 "
                  "H100 GPUs (scenarios/default.yaml).");
  run->add_flag("--check", options->check,
                "Validate the scenario and print the resolved specs (presets expanded).");
  run->add_flag("--json", options->json, "Print JSON instead of a table.");
  run->add_flag("--ops", options->ops,
                "Also print the per-kernel FLOP, byte and time accounting of one layer.");
  run->add_option("--out", options->out,
                  "Also write report.json (with the resolved scenario), report.txt, "
                  "scenario.yaml, dashboard.html (charts of the step; opens from disk) and "
                  "trace.json (Chrome Trace Event format: open in Perfetto or "
                  "chrome://tracing) into this directory.");
  run->add_flag("--expand", options->expand,
                "Simulate every replica (each TP group) and every group's flows explicitly "
                "instead of one representative per equivalence class (simulation.expand).");
  run->add_option("--executor", options->executor,
                  "native (trainsim's discrete-event engine) or simgrid (SimGrid 3.32); "
                  "overrides simulation.executor.")
      ->check(CLI::IsMember({"native", "simgrid"}));
  run->callback([options, &exit_code] { exit_code = Run(*options); });
}

void AddVersionCommand(CLI::App& app, int& exit_code) {
  CLI::App* version = app.add_subcommand("version", "Print the version of trainsim.");
  version->callback([&exit_code] {
    std::printf("trainsim %s\n", std::string(kVersion).c_str());
    exit_code = kExitOk;
  });
}

}  // namespace trainsim::cli
