#include "service/planner_service.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <string>
#include <thread>

#include "config/proto_yaml.h"
#include "config/report.h"
#include "config/scenario_loader.h"
#include "config/scenario_spec.h"
#include "fmt/format.h"
#include "planner/optimize.h"
#include "planner/simulate.h"
#include "planner/study.h"
#include "planner/sweep.h"
#include "service/catalog.h"
#include "service/convert.h"

namespace trainsim::service {
namespace {

constexpr std::string_view kVersion = TRAINSIM_VERSION;

grpc::Status ToGrpc(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return grpc::Status::OK;
    case StatusCode::kInvalidArgument:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, status.message());
    case StatusCode::kNotFound:
      return grpc::Status(grpc::StatusCode::NOT_FOUND, status.message());
    case StatusCode::kFailedPrecondition:
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, status.message());
    case StatusCode::kUnimplemented:
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, status.message());
    case StatusCode::kResourceExhausted:
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, status.message());
    case StatusCode::kCancelled:
      return grpc::Status(grpc::StatusCode::CANCELLED, status.message());
    case StatusCode::kInternal:
      return grpc::Status(grpc::StatusCode::INTERNAL, status.message());
  }
  return grpc::Status(grpc::StatusCode::UNKNOWN, status.message());
}

// Why a call stops early: its deadline passed or its client went away.
grpc::Status Stopped(const grpc::ServerContext& context) {
  if (context.deadline() <= std::chrono::system_clock::now()) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the deadline passed");
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
}

// Turns a call's end (deadline, client cancellation, server shutdown) into the planner's cancel
// flag: a thread polls ServerContext::IsCancelled until the watch is destroyed.
class CancelWatch {
 public:
  explicit CancelWatch(grpc::ServerContext& context)
      : poller_([this, &context] {
          std::unique_lock<std::mutex> lock(mu_);
          while (!done_ && !cancel_.load()) {
            if (context.IsCancelled()) cancel_.store(true);
            wake_.wait_for(lock, kPollInterval);
          }
        }) {}
  ~CancelWatch() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    wake_.notify_all();
    poller_.join();
  }
  CancelWatch(const CancelWatch&) = delete;
  CancelWatch& operator=(const CancelWatch&) = delete;

  const std::atomic<bool>* flag() const { return &cancel_; }
  void Cancel() { cancel_.store(true); }

 private:
  // Short next to a point's simulation (milliseconds to a second), long next to a poll's cost.
  static constexpr std::chrono::milliseconds kPollInterval{5};

  std::atomic<bool> cancel_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread poller_;  // last: starts once the members above exist
};

std::string SourceName(const std::string& name) { return name.empty() ? "request" : name; }

// A scenario message is loaded as the same scenario written as YAML, so that presets, defaults
// and every check apply exactly as to a file.
StatusOr<config::LoadedScenario> LoadSource(const v1::ScenarioSource& source) {
  const std::string name = SourceName(source.source_name());
  switch (source.source_case()) {
    case v1::ScenarioSource::kScenarioText:
      return config::LoadScenarioText(source.scenario_text(), name);
    case v1::ScenarioSource::kScenario:
      return config::LoadScenarioText(config::ToYaml(source.scenario()), name);
    case v1::ScenarioSource::SOURCE_NOT_SET:
      break;
  }
  return InvalidArgumentError(fmt::format(
      "{}: scenario: missing; set scenario (a trainsim.v1.Scenario) or scenario_text (YAML or "
      "JSON)",
      name));
}

}  // namespace

PlannerService::PlannerService(const ServiceOptions& options) : slots_(options.max_concurrent) {}

std::optional<SimulationSlots::Lease> PlannerService::Claim(int jobs, grpc::Status& refused) {
  const int wanted = std::clamp(jobs, 1, slots_.capacity());
  std::optional<SimulationSlots::Lease> lease = slots_.TryAcquire(wanted);
  if (!lease) {
    refused = grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        fmt::format("the server runs at most {} simulations at once (--max-concurrent) and {} are "
                    "running; this call needs {}: retry later",
                    slots_.capacity(), slots_.in_use(), wanted));
  }
  return lease;
}

grpc::Status PlannerService::Simulate(grpc::ServerContext* context,
                                      const v1::SimulateRequest* request, v1::Report* response) {
  grpc::Status refused;
  std::optional<SimulationSlots::Lease> lease = Claim(1, refused);
  if (!lease) return refused;
  StatusOr<config::LoadedScenario> loaded = LoadSource(request->scenario());
  if (!loaded.ok()) return ToGrpc(loaded.status());
  StatusOr<config::ScenarioSpec> spec = config::BuildScenarioSpec(*loaded);
  if (!spec.ok()) return ToGrpc(spec.status());
  if (context->IsCancelled()) return Stopped(*context);

  StatusOr<planner::Simulation> simulated =
      planner::SimulateScenario(*loaded, *spec, {.version = kVersion});
  if (!simulated.ok()) return ToGrpc(simulated.status());
  if (context->IsCancelled()) return Stopped(*context);
  *response = std::move(simulated->report);
  if (!request->ops()) response->clear_ops();
  return grpc::Status::OK;
}

grpc::Status PlannerService::Sweep(grpc::ServerContext* context, const v1::SweepRequest* request,
                                   grpc::ServerWriter<v1::SweepRow>* writer) {
  StatusOr<planner::Study> study =
      planner::LoadStudyText(request->study_text(), SourceName(request->source_name()));
  if (!study.ok()) return ToGrpc(study.status());
  grpc::Status refused;
  std::optional<SimulationSlots::Lease> lease = Claim(request->jobs(), refused);
  if (!lease) return refused;

  CancelWatch watch(*context);
  const planner::SweepOptions options{
      .jobs = lease->count(),
      .shard_index = request->shard_index(),
      .shard_count = request->shard_count() == 0 ? 1 : request->shard_count(),
      .cancel = watch.flag()};
  const int64_t points = study->points();
  bool client_gone = false;
  StatusOr<planner::SweepSummary> summary =
      planner::RunSweep(*study, options, [&](const planner::SweepRow& row) {
        if (client_gone) return;
        if (!writer->Write(SweepRowToProto(row, points))) {
          client_gone = true;
          watch.Cancel();
        }
      });
  if (!summary.ok()) return ToGrpc(summary.status());
  if (summary->cancelled || client_gone) return Stopped(*context);
  return grpc::Status::OK;
}

grpc::Status PlannerService::Optimize(grpc::ServerContext* context,
                                      const v1::OptimizeRequest* request,
                                      v1::OptimizeResponse* response) {
  StatusOr<planner::Objective> objective = planner::Objective::kStepTime;
  if (!request->objective().empty()) objective = planner::ParseObjective(request->objective());
  if (!objective.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "objective: " + objective.status().message());
  }
  StatusOr<config::LoadedScenario> loaded = LoadSource(request->scenario());
  if (!loaded.ok()) return ToGrpc(loaded.status());
  grpc::Status refused;
  std::optional<SimulationSlots::Lease> lease = Claim(request->jobs(), refused);
  if (!lease) return refused;

  CancelWatch watch(*context);
  StatusOr<planner::OptimizeResult> result = planner::Optimize(
      *loaded, planner::OptimizeOptions{.objective = *objective,
                                        .top = request->top() == 0 ? 10 : request->top(),
                                        .jobs = lease->count(),
                                        .cancel = watch.flag()});
  if (!result.ok()) {
    if (result.status().code() == StatusCode::kCancelled) return Stopped(*context);
    return ToGrpc(result.status());
  }
  *response = OptimizeResultToProto(*result);
  return grpc::Status::OK;
}

grpc::Status PlannerService::ListGpus(grpc::ServerContext*, const v1::ListGpusRequest*,
                                      v1::ListGpusResponse* response) {
  StatusOr<v1::ListGpusResponse> list = ListGpuPresets();
  if (!list.ok()) return ToGrpc(list.status());
  *response = *std::move(list);
  return grpc::Status::OK;
}

grpc::Status PlannerService::ListFormats(grpc::ServerContext*, const v1::ListFormatsRequest*,
                                         v1::ListFormatsResponse* response) {
  *response = ListNumberFormats();
  return grpc::Status::OK;
}

grpc::Status PlannerService::ListModels(grpc::ServerContext*, const v1::ListModelsRequest*,
                                        v1::ListModelsResponse* response) {
  StatusOr<v1::ListModelsResponse> list = ListModelPresets();
  if (!list.ok()) return ToGrpc(list.status());
  *response = *std::move(list);
  return grpc::Status::OK;
}

grpc::Status PlannerService::ListClusterPresets(grpc::ServerContext*,
                                                const v1::ListClusterPresetsRequest*,
                                                v1::ListClusterPresetsResponse* response) {
  StatusOr<v1::ListClusterPresetsResponse> list = service::ListClusterPresets();
  if (!list.ok()) return ToGrpc(list.status());
  *response = *std::move(list);
  return grpc::Status::OK;
}

grpc::Status PlannerService::ListParameters(grpc::ServerContext*, const v1::ListParametersRequest*,
                                            v1::ListParametersResponse* response) {
  *response = ListScenarioParameters();
  return grpc::Status::OK;
}

}  // namespace trainsim::service
