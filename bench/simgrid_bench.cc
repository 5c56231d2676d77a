// The native flow model against the SimGrid backend at scale: an 8-rail ring AllReduce of
// 1 GiB (Simple protocol, one ring per rail as NCCL builds them) on DGX H100 SuperPODs of 256,
// 2,048 and 16,384 GPUs in a three-tier rail-optimised fat-tree. Prints, per size, the wall time
// of each (topology and plan built once, outside both), the simulated times and their relative
// difference, and the SimGrid process's size and peak RSS. A figure, not a test: it never fails
// on speed. SimGrid runs that would pass the wall-clock budget (default 600 s) are stopped and
// reported; later sizes are then skipped. --flows picks SimGrid's flow model (default auto).
//   build/bin/simgrid_bench [--budget SECONDS] [--flows auto|comms|tasks] [GPUS...]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "collectives/collective.h"
#include "collectives/runner.h"
#include "config/scenario_spec.h"
#include "fmt/format.h"
#include "sim/engine.h"
#include "sim/flow_network.h"
#include "sim/simgrid/simgrid_backend.h"
#include "topology/topology.h"

namespace trainsim {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Time NativeTime(const collectives::CollectivePlan& plan, const topology::Topology& topology) {
  EventEngine engine;
  FlowNetwork network(engine, collectives::AchievableCapacities(topology));
  collectives::PlanRunner runner(engine, network);
  Time finished;
  runner.Run(plan, [&] { finished = engine.now(); });
  engine.Run();
  return finished;
}

// Returns false when SimGrid did not finish within the budget (so larger sizes are skipped).
bool RunSize(int64_t gpus, const simgrid::SimGridOptions& options) {
  const auto build_start = Clock::now();
  StatusOr<topology::ClusterSpec> spec = config::LoadClusterText(
      fmt::format("{{preset: dgx-h100-superpod, gpus: {}, fabric: {{tiers: 3}}}}", gpus),
      "simgrid_bench");
  if (!spec.ok()) {
    std::printf("%6lld GPUs: %s\n", static_cast<long long>(gpus), spec.status().message().c_str());
    return true;
  }
  StatusOr<topology::Topology> topology = topology::Topology::Build(*spec);
  if (!topology.ok()) {
    std::printf("%6lld GPUs: %s\n", static_cast<long long>(gpus),
                topology.status().message().c_str());
    return true;
  }
  std::vector<int64_t> ranks(static_cast<size_t>(gpus));
  for (int64_t r = 0; r < gpus; ++r) ranks[static_cast<size_t>(r)] = r;
  const collectives::CollectivePlan plan = collectives::FindAlgorithm("ring")
                                               .value()
                                               ->Plan({.op = collectives::CollectiveOp::kAllReduce,
                                                       .ranks = std::move(ranks),
                                                       .bytes = Bytes(int64_t{1} << 30)},
                                                      *topology, collectives::Protocol::kSimple)
                                               .value();
  const double build_seconds = Since(build_start);

  const auto native_start = Clock::now();
  const Time native = NativeTime(plan, *topology);
  const double native_seconds = Since(native_start);

  const auto simgrid_start = Clock::now();
  StatusOr<simgrid::SimGridRun> run =
      simgrid::SimulatePlansWithSimGrid(std::span(&plan, 1), *topology, options);
  const double simgrid_seconds = Since(simgrid_start);

  size_t flows = 0;
  for (const auto& bundle : plan.phases.front().bundles) flows += bundle.flow_ends.size();
  std::printf("%6lld GPUs, %zu rings, %zu flows, %zu links (topology + plan %.2f s)\n",
              static_cast<long long>(gpus), plan.phases.front().bundles.size(), flows,
              topology->links().size(), build_seconds);
  std::printf("  native : wall %9.3f s   simulated %12.6f ms\n", native_seconds,
              native.seconds() * 1e3);
  if (!run.ok()) {
    std::printf("  simgrid: %s (after %.0f s wall)\n", run.status().message().c_str(),
                simgrid_seconds);
    return run.status().code() != StatusCode::kResourceExhausted;
  }
  const simgrid::SimGridStats& s = run->stats;
  const Time sim = run->finish.front();
  std::printf(
      "  simgrid: wall %9.3f s   simulated %12.6f ms   relative difference %+.2e\n"
      "           (flows as %s; platform %.2f s, run %.2f s; %lld hosts, %lld links, %lld actors, "
      "peak RSS %.0f MiB)\n",
      simgrid_seconds, sim.seconds() * 1e3, (sim.seconds() - native.seconds()) / native.seconds(),
      s.flows_as_tasks ? "parallel tasks" : "comms", s.build_seconds, s.run_seconds,
      static_cast<long long>(s.hosts), static_cast<long long>(s.links),
      static_cast<long long>(s.actors), static_cast<double>(s.peak_rss_bytes) / (1 << 20));
  return true;
}

}  // namespace
}  // namespace trainsim

int main(int argc, char** argv) {
  trainsim::simgrid::SimGridOptions options{.timeout_seconds = 600};
  std::vector<int64_t> sizes;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--budget" && i + 1 < argc) {
      options.timeout_seconds = std::atof(argv[++i]);
    } else if (arg == "--flows" && i + 1 < argc) {
      const std::string model = argv[++i];
      options.flows = model == "comms"   ? trainsim::simgrid::FlowModel::kComms
                      : model == "tasks" ? trainsim::simgrid::FlowModel::kParallelTasks
                                         : trainsim::simgrid::FlowModel::kAuto;
    } else {
      sizes.push_back(std::atoll(argv[i]));
    }
  }
  if (sizes.empty()) sizes = {256, 2048, 16384};
  std::printf("8-rail ring AllReduce, 1 GiB, Simple protocol; SimGrid budget %.0f s per size\n",
              options.timeout_seconds);
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (!trainsim::RunSize(sizes[i], options)) {
      for (size_t j = i + 1; j < sizes.size(); ++j) {
        std::printf("%6lld GPUs: skipped (the smaller size already passed the budget)\n",
                    static_cast<long long>(sizes[j]));
      }
      break;
    }
  }
  return 0;
}
