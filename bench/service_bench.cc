// Simulations per second through the gRPC Planner service and through the sweep path the CLI
// uses, on the same small scenario (GPT 7.5B on 64 H100 GPUs, tp 4 pp 2):
//   service: a `PlannerServer` on a loopback port, N client threads each calling Simulate over
//            its own TCP channel for a fixed number of calls;
//   sweep:   planner::RunSweep over a study of the same scenario repeated (a zip knob on the
//            name) with jobs 2, as `trainsim sweep --jobs 2` runs it.
// A plain program: it prints its figures; it never passes or fails on speed.
//   service_bench [--clients N] [--calls-per-client K] [--points P]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "planner/study.h"
#include "planner/sweep.h"
#include "service/server.h"
#include "trainsim/v1/planner.grpc.pb.h"

namespace {

using namespace trainsim;
using Clock = std::chrono::steady_clock;

constexpr char kScenario[] =
    "cluster: {preset: dgx-h100-superpod, gpus: 64}\n"
    "model: megatron-7.5b\n"
    "parallelism: {tp: 4, pp: 2}\n"
    "training: {global_batch: 256, sequence_length: 2048}\n";

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Returns simulations per second, or a negative value when a call failed.
double ThroughService(int clients, int calls_per_client) {
  StatusOr<std::unique_ptr<service::PlannerServer>> server =
      service::PlannerServer::Start({.listen = "127.0.0.1:0", .max_concurrent = clients});
  if (!server.ok()) {
    std::fprintf(stderr, "service_bench: %s\n", server.status().message().c_str());
    return -1;
  }
  v1::SimulateRequest request;
  request.mutable_scenario()->set_scenario_text(kScenario);
  std::atomic<int> failures{0};
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      std::unique_ptr<v1::Planner::Stub> stub = v1::Planner::NewStub(
          grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
      for (int i = 0; i < calls_per_client; ++i) {
        grpc::ClientContext context;
        v1::Report report;
        if (!stub->Simulate(&context, request, &report).ok() || !report.simulated()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double wall = Seconds(Clock::now() - start);
  if (failures > 0) {
    std::fprintf(stderr, "service_bench: %d Simulate calls failed\n", failures.load());
    return -1;
  }
  return clients * calls_per_client / wall;
}

double ThroughSweep(int points, int jobs) {
  std::string study_text = "name: repeat\nscenario:\n";
  for (const char* line = kScenario; *line != '\0';) {
    const char* end = std::strchr(line, '\n');
    study_text += "  " + std::string(line, end + 1);
    line = end + 1;
  }
  study_text +=
      "knobs:\n  - {path: name, range: {from: 1, to: " + std::to_string(points) + ", step: 1}}\n";
  StatusOr<planner::Study> study = planner::LoadStudyText(study_text, "service_bench");
  if (!study.ok()) {
    std::fprintf(stderr, "service_bench: %s\n", study.status().message().c_str());
    return -1;
  }
  int64_t failed = 0;
  const Clock::time_point start = Clock::now();
  StatusOr<planner::SweepSummary> summary = planner::RunSweep(
      *study, {.jobs = jobs}, [&](const planner::SweepRow& row) { failed += row.ok ? 0 : 1; });
  const double wall = Seconds(Clock::now() - start);
  if (!summary.ok() || failed > 0) {
    std::fprintf(stderr, "service_bench: the sweep failed (%lld rows)\n",
                 static_cast<long long>(failed));
    return -1;
  }
  return summary->finished / wall;
}

int IntFlag(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int clients = IntFlag(argc, argv, "--clients", 2);
  const int calls = IntFlag(argc, argv, "--calls-per-client", 25);
  const int points = IntFlag(argc, argv, "--points", clients * calls);
  std::printf("scenario: GPT 7.5B on 64 H100 (tp 4, pp 2, global batch 256); %u cores\n",
              std::thread::hardware_concurrency());
  const double service = ThroughService(clients, calls);
  if (service < 0) return 1;
  std::printf("service  Simulate over loopback, %d clients x %d calls: %8.1f simulations/s\n",
              clients, calls, service);
  const double sweep = ThroughSweep(points, 2);
  if (sweep < 0) return 1;
  std::printf("sweep    RunSweep, %d points, jobs 2:              %8.1f simulations/s\n", points,
              sweep);
  return 0;
}
