// Scale driver for the training-step simulation: the default GPT-4-scale scenario
// (scenarios/default.yaml) at 1,024 … 98,304 GPUs, weak-scaled (the plan per pipeline is fixed:
// 32 micro-batches, so the global batch grows with dp), each size in a forked child so that its
// peak RSS is its own (the SimGrid executor's own child process included). Prints wall time,
// CPU time, peak RSS, the simulated step time and the graph size, for each way of simulating:
//   classes  the native executor, one representative per equivalence class (the default);
//   expand   the native executor with every replica and every group's flows (--expand);
//   simgrid  the graph run inside SimGrid 3.32 (--executor simgrid), with classes.
// Beyond 65,536 GPUs a radix-64 three-tier fat-tree needs oversubscription 3
// (topology/fat_tree.h), which the driver sets. A run over the budget (--budget seconds, default
// 600) is stopped and reported, and that mode is not tried at larger sizes.
// Usage: scale_bench [--budget S] [--modes classes,expand,simgrid] [GPUS ...]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/catalogs.h"
#include "config/scenario_loader.h"
#include "config/scenario_spec.h"
#include "sim/huge_pages.h"
#include "workloads/simgrid_executor.h"
#include "workloads/step.h"
#include "yaml-cpp/yaml.h"

namespace {

using trainsim::StatusOr;

struct ChildResult {
  double step_s = -1;
  long long graph_nodes = 0;
  char error[240] = {};
};

enum class Mode { kClasses, kExpand, kSimGrid };

const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kClasses:
      return "native, classes";
    case Mode::kExpand:
      return "native, --expand";
    case Mode::kSimGrid:
      return "simgrid, classes";
  }
  return "?";
}

// Runs in the child: the default scenario at `gpus`, simulated.
ChildResult Simulate(int64_t gpus, Mode mode) {
  ChildResult out;
  YAML::Node root = YAML::Load(
      std::string(trainsim::config::EmbeddedText(trainsim::config::kDefaultScenarioPath)));
  const int64_t model_parallel =
      root["parallelism"]["tp"].as<int64_t>() * root["parallelism"]["pp"].as<int64_t>();
  root["cluster"]["gpus"] = gpus;
  if (gpus > 65536) root["cluster"]["fabric"]["oversubscription"] = 3;
  root["training"]["global_batch"] = 32 * (gpus / model_parallel);
  if (mode == Mode::kExpand) root["simulation"]["expand"] = true;
  StatusOr<trainsim::config::LoadedScenario> loaded =
      trainsim::config::LoadScenarioText(YAML::Dump(root), "default.yaml (scaled)");
  StatusOr<trainsim::config::ScenarioSpec> spec =
      loaded.ok() ? trainsim::config::BuildScenarioSpec(*loaded)
                  : StatusOr<trainsim::config::ScenarioSpec>(loaded.status());
  if (!spec.ok()) {
    std::snprintf(out.error, sizeof(out.error), "%s", spec.status().message().c_str());
    return out;
  }
  const trainsim::config::ScenarioSpec& s = *spec;
  trainsim::workloads::StepScenario scenario{.cluster = &s.cluster,
                                             .model = &s.model,
                                             .plan = &s.parallel,
                                             .training = &s.training,
                                             .precision = &s.precision,
                                             .options = &s.simulation};
  if (mode == Mode::kSimGrid) scenario.executor = trainsim::workloads::ExecuteSimGrid;
  StatusOr<trainsim::workloads::StepResult> r = trainsim::workloads::SimulateStep(scenario);
  if (!r.ok() || !r->simulated) {
    std::snprintf(out.error, sizeof(out.error), "%s",
                  r.ok() ? "out of memory" : r.status().message().c_str());
    return out;
  }
  out.step_s = r->step_time.seconds();
  out.graph_nodes = static_cast<long long>(r->graph_nodes);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // The heap `trainsim run --expand` has. Classes' heaps are too small for it to matter (GPT-3
  // 175B at 1,024 GPUs takes 0.17 s either way).
  trainsim::ReexecWithHugePageHeap(argv);
  double budget = 600;
  std::vector<int64_t> sizes;
  std::vector<Mode> modes;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--budget" && i + 1 < argc) {
      budget = std::atof(argv[++i]);
    } else if (arg == "--modes" && i + 1 < argc) {
      const std::string list = std::string(",") + argv[++i] + ",";
      if (list.find(",classes,") != std::string::npos) modes.push_back(Mode::kClasses);
      if (list.find(",expand,") != std::string::npos) modes.push_back(Mode::kExpand);
      if (list.find(",simgrid,") != std::string::npos) modes.push_back(Mode::kSimGrid);
      if (modes.empty()) {
        std::fprintf(stderr, "--modes: a comma-separated list of classes, expand, simgrid\n");
        return 2;
      }
    } else if (const long long gpus = std::atoll(argv[i]);
               gpus > 0 && arg.find_first_not_of("0123456789") == std::string::npos) {
      sizes.push_back(gpus);
    } else {
      std::fprintf(stderr,
                   "scale_bench: unexpected '%s'\nusage: scale_bench [--budget SECONDS] "
                   "[--modes classes,expand,simgrid] [GPUS ...]\n",
                   arg.c_str());
      return 2;
    }
  }
  if (sizes.empty()) sizes = {1024, 4096, 16384, 65536, 98304};
  if (modes.empty()) modes = {Mode::kClasses, Mode::kExpand, Mode::kSimGrid};
  std::printf("%8s %10s %9s %10s %12s %12s  %s\n", "GPUs", "wall s", "CPU s", "RSS MB", "step s",
              "graph nodes", "executor");
  for (Mode mode : modes) {
    bool over_budget = false;
    for (int64_t gpus : sizes) {
      if (over_budget) {
        std::printf("%8lld   skipped: a smaller size ran past the budget  %s\n",
                    static_cast<long long>(gpus), ModeName(mode));
        continue;
      }
      int fds[2];
      if (pipe(fds) != 0) return 1;
      std::fflush(stdout);  // or the child inherits the buffered lines
      const auto start = std::chrono::steady_clock::now();
      const pid_t pid = fork();
      if (pid == 0) {
        setpgid(0, 0);  // its own group, so a SimGrid process it started goes with it
        close(fds[0]);
        alarm(static_cast<unsigned>(budget));
        const ChildResult r = Simulate(gpus, mode);
        (void)!write(fds[1], &r, sizeof(r));
        _exit(0);
      }
      setpgid(pid, pid);
      close(fds[1]);
      ChildResult r;
      const bool got = read(fds[0], &r, sizeof(r)) == static_cast<ssize_t>(sizeof(r));
      close(fds[0]);
      int status = 0;
      rusage usage{};
      wait4(pid, &status, 0, &usage);
      kill(-pid, SIGKILL);  // what is left of the group (a stopped run's SimGrid process)
      const double wall =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double cpu =
          static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
          1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
      if (!got) {
        std::printf("%8lld   stopped after %.0f s (budget)  %s\n", static_cast<long long>(gpus),
                    wall, ModeName(mode));
        over_budget = true;
        std::fflush(stdout);
        continue;
      }
      if (r.step_s < 0) {
        std::printf("%8lld   error: %s  %s\n", static_cast<long long>(gpus), r.error,
                    ModeName(mode));
        continue;
      }
      std::printf("%8lld %10.2f %9.2f %10.0f %12.3f %12lld  %s\n", static_cast<long long>(gpus),
                  wall, cpu, static_cast<double>(usage.ru_maxrss) / 1024.0, r.step_s, r.graph_nodes,
                  ModeName(mode));
      std::fflush(stdout);
    }
  }
  return 0;
}
