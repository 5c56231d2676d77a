// The Planner service in process: a PlannerServer on a free loopback port, called through an
// in-process channel (and over loopback where the transport matters: message size caps).
#include "service/planner_service.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/server.h"
#include "tests/service/service_test_util.h"
#include "trainsim/v1/planner.grpc.pb.h"

namespace trainsim::service {
namespace {

using ::testing::HasSubstr;
using namespace ::trainsim::service::testing;

std::unique_ptr<PlannerServer> StartServer(int max_concurrent, int max_request_bytes = 4 << 20) {
  StatusOr<std::unique_ptr<PlannerServer>> server =
      PlannerServer::Start({.listen = "127.0.0.1:0",
                            .max_concurrent = max_concurrent,
                            .max_request_bytes = max_request_bytes});
  EXPECT_TRUE(server.ok()) << server.status().message();
  return std::move(*server);
}

// True once the server runs no simulation, polling up to `limit`.
bool BecomesIdle(PlannerServer& server, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (server.service().simulations_running() == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

bool BecomesBusy(PlannerServer& server, int running, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (server.service().simulations_running() == running) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

v1::SimulateRequest TextRequest(const std::string& text) {
  v1::SimulateRequest request;
  request.mutable_scenario()->set_scenario_text(text);
  return request;
}

class PlannerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartServer(2);
    stub_ = v1::Planner::NewStub(server_->InProcessChannel());
  }
  std::unique_ptr<PlannerServer> server_;
  std::unique_ptr<v1::Planner::Stub> stub_;
};

TEST_F(PlannerServiceTest, SimulateReturnsTheReportOfASmallScenario) {
  grpc::ClientContext context;
  v1::Report report;
  const grpc::Status status = stub_->Simulate(&context, TextRequest(SmallScenario()), &report);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(report.simulated());
  EXPECT_EQ(report.name(), "small");
  EXPECT_GT(report.step_time_s(), 0);
  double sum = 0;
  for (const v1::TimeShare& share : report.breakdown()) sum += share.seconds();
  EXPECT_NEAR(sum, report.step_time_s(), 1e-9 * report.step_time_s());
  EXPECT_EQ(report.scenario().cluster().gpus(), 64);  // the resolved scenario comes back
  EXPECT_EQ(report.ops_size(), 0);                    // only when asked for
}

TEST_F(PlannerServiceTest, AScenarioMessageSimulatesLikeTheSameText) {
  v1::SimulateRequest text = TextRequest(SmallScenario());
  text.set_ops(true);
  v1::SimulateRequest message;
  v1::Scenario& s = *message.mutable_scenario()->mutable_scenario();
  s.set_name("small");
  s.mutable_cluster()->set_preset("dgx-h100-superpod");
  s.mutable_cluster()->set_gpus(64);
  s.mutable_model()->set_preset("megatron-7.5b");
  s.mutable_parallelism()->set_tp(4);
  s.mutable_parallelism()->set_pp(2);
  s.mutable_training()->set_global_batch(256);
  s.mutable_training()->set_sequence_length(2048);
  v1::Report from_text, from_message;
  grpc::ClientContext c1, c2;
  ASSERT_TRUE(stub_->Simulate(&c1, text, &from_text).ok());
  const grpc::Status status = stub_->Simulate(&c2, message, &from_message);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(from_message.step_time_s(), from_text.step_time_s());
  EXPECT_EQ(from_message.mfu(), from_text.mfu());
  EXPECT_GT(from_text.ops_size(), 0);
}

TEST_F(PlannerServiceTest, ABadScenarioIsInvalidArgumentNamingEveryFieldPath) {
  grpc::ClientContext context;
  v1::SimulateRequest request = TextRequest(
      "cluster: {preset: dgx-h100-superpod, gpus: 64}\n"
      "model: megatron-7.5b\n"
      "paralelism: {tp: 4}\n"
      "training: {global_batch: 256, sequence_length: 2048}\n");
  request.mutable_scenario()->set_source_name("plan.yaml");
  v1::Report report;
  const grpc::Status status = stub_->Simulate(&context, request, &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("plan.yaml:3:1: paralelism: unknown field \"paralelism\", did you mean "
                        "\"parallelism\"?"));
}

TEST_F(PlannerServiceTest, ACrossFieldRuleIsInvalidArgumentNamingTheNumbers) {
  grpc::ClientContext context;
  v1::Report report;
  const grpc::Status status =
      stub_->Simulate(&context, TextRequest(SmallScenario("{tp: 3, pp: 2}")), &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("request:4:"));
  EXPECT_THAT(status.error_message(), HasSubstr("parallelism.tp"));
}

TEST_F(PlannerServiceTest, AMissingScenarioIsInvalidArgument) {
  grpc::ClientContext context;
  v1::Report report;
  const grpc::Status status = stub_->Simulate(&context, v1::SimulateRequest(), &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("request: scenario: missing"));
}

TEST_F(PlannerServiceTest, CatalogListingsNameTheBuiltInPresets) {
  {
    grpc::ClientContext context;
    v1::ListGpusResponse gpus;
    ASSERT_TRUE(stub_->ListGpus(&context, {}, &gpus).ok());
    ASSERT_GT(gpus.gpus_size(), 0);
    EXPECT_EQ(gpus.gpus(0).preset(), "h100-sxm");
    EXPECT_GT(gpus.gpus(0).gpu().sm_count(), 0);
  }
  {
    grpc::ClientContext context;
    v1::ListModelsResponse models;
    ASSERT_TRUE(stub_->ListModels(&context, {}, &models).ok());
    bool found = false;
    for (const v1::ModelPreset& m : models.models()) {
      if (m.preset() == "megatron-7.5b") found = m.model().layers() == 36;
    }
    EXPECT_TRUE(found);
  }
  {
    grpc::ClientContext context;
    v1::ListClusterPresetsResponse clusters;
    ASSERT_TRUE(stub_->ListClusterPresets(&context, {}, &clusters).ok());
    ASSERT_GT(clusters.clusters_size(), 0);
    EXPECT_EQ(clusters.clusters(0).preset(), "dgx-h100-superpod");
  }
  {
    grpc::ClientContext context;
    v1::ListFormatsResponse formats;
    ASSERT_TRUE(stub_->ListFormats(&context, {}, &formats).ok());
    EXPECT_GT(formats.formats_size(), 0);
  }
  {
    grpc::ClientContext context;
    v1::ListParametersResponse parameters;
    ASSERT_TRUE(stub_->ListParameters(&context, {}, &parameters).ok());
    EXPECT_GT(parameters.parameters_size(), 50);
  }
}

TEST_F(PlannerServiceTest, HealthIsServingForTheServerAndThePlanner) {
  EXPECT_EQ(HealthCheck(server_->InProcessChannel(), ""), kServing);
  EXPECT_EQ(HealthCheck(server_->InProcessChannel(), "trainsim.v1.Planner"), kServing);
}

TEST_F(PlannerServiceTest, ReflectionListsThePlanner) {
  const std::optional<std::string> reply = ReflectionListServices(server_->InProcessChannel());
  ASSERT_TRUE(reply.has_value());
  EXPECT_THAT(*reply, HasSubstr("trainsim.v1.Planner"));
  EXPECT_THAT(*reply, HasSubstr("grpc.health.v1.Health"));
}

TEST_F(PlannerServiceTest, SweepStreamsOneRowPerPoint) {
  v1::SweepRequest request;
  request.set_study_text(
      SmallStudy("  - {path: parallelism.microbatch_size, values: [1, 2, 4]}\n"));
  request.set_jobs(2);
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::SweepRow>> reader = stub_->Sweep(&context, request);
  std::vector<bool> seen(3, false);
  v1::SweepRow row;
  while (reader->Read(&row)) {
    EXPECT_EQ(row.points(), 3);
    ASSERT_GE(row.point(), 0);
    ASSERT_LT(row.point(), 3);
    seen[row.point()] = true;
    EXPECT_TRUE(row.ok()) << row.error();
    EXPECT_GT(row.step_time_s(), 0);
    ASSERT_EQ(row.knobs_size(), 1);
    EXPECT_EQ(row.knobs(0).path(), "parallelism.microbatch_size");
  }
  const grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(seen, std::vector<bool>(3, true));
}

TEST_F(PlannerServiceTest, ABadStudyIsInvalidArgumentNamingTheKnob) {
  v1::SweepRequest request;
  request.set_study_text(SmallStudy("  - {path: parallelism.tpp, values: [1, 2]}\n"));
  request.set_source_name("study.yaml");
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::SweepRow>> reader = stub_->Sweep(&context, request);
  v1::SweepRow row;
  EXPECT_FALSE(reader->Read(&row));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("study.yaml:"));
  EXPECT_THAT(status.error_message(), HasSubstr("parallelism.tpp"));
}

TEST_F(PlannerServiceTest, OptimizeRanksPlansBestFirstAndComparesTheScenarioPlan) {
  v1::OptimizeRequest request;
  request.mutable_scenario()->set_scenario_text(SmallScenario());
  request.set_top(3);
  request.set_jobs(2);
  grpc::ClientContext context;
  v1::OptimizeResponse response;
  const grpc::Status status = stub_->Optimize(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.plans_size(), 3);
  for (int i = 0; i < response.plans_size(); ++i) {
    const v1::RankedPlan& plan = response.plans(i);
    EXPECT_EQ(plan.rank(), i + 1);
    EXPECT_EQ(plan.objective_value(), plan.step_time_s());  // the step-time objective
    const v1::Parallelism& p = plan.parallelism();
    EXPECT_EQ(int64_t{p.tp()} * p.pp() * p.dp() * p.cp(), 64);
    EXPECT_FALSE(plan.label().empty());
    if (i > 0) {
      EXPECT_GE(plan.step_time_s(), response.plans(i - 1).step_time_s());
    }
  }
  EXPECT_EQ(response.scenario_plan().parallelism().tp(), 4);
  EXPECT_GE(response.scenario_plan().step_time_s(), response.plans(0).step_time_s());
  EXPECT_EQ(response.considered(),
            response.pruned() + response.infeasible() + response.simulated());
}

TEST_F(PlannerServiceTest, AnUnknownObjectiveIsInvalidArgumentListingTheValidOnes) {
  v1::OptimizeRequest request;
  request.mutable_scenario()->set_scenario_text(SmallScenario());
  request.set_objective("fastest");
  grpc::ClientContext context;
  v1::OptimizeResponse response;
  const grpc::Status status = stub_->Optimize(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("objective: "));
  EXPECT_THAT(status.error_message(), HasSubstr("step-time"));
}

TEST_F(PlannerServiceTest, CancellingASweepStopsIt) {
  v1::SweepRequest request;
  request.set_study_text(LargeStudy());
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::SweepRow>> reader = stub_->Sweep(&context, request);
  v1::SweepRow row;
  int rows = 0;
  int64_t points = 0;
  while (rows < 2 && reader->Read(&row)) {
    ++rows;
    points = row.points();
  }
  ASSERT_EQ(rows, 2);
  context.TryCancel();
  while (reader->Read(&row)) ++rows;
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(points, 2000);
  EXPECT_LT(rows, points);
  // The server stops simulating: its slots come back long before 2,000 points could finish.
  EXPECT_TRUE(BecomesIdle(*server_, std::chrono::seconds(20)));
}

TEST_F(PlannerServiceTest, ASweepPastItsDeadlineEndsDeadlineExceededAndStops) {
  v1::SweepRequest request;
  request.set_study_text(LargeStudy());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(50));
  std::unique_ptr<grpc::ClientReader<v1::SweepRow>> reader = stub_->Sweep(&context, request);
  v1::SweepRow row;
  int rows = 0;
  while (reader->Read(&row)) ++rows;
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(rows, 2000);
  EXPECT_TRUE(BecomesIdle(*server_, std::chrono::seconds(20)));
}

TEST(PlannerServiceLimits, CallsBeyondTheConcurrencyCapAreResourceExhausted) {
  std::unique_ptr<PlannerServer> server = StartServer(1);
  std::unique_ptr<v1::Planner::Stub> stub = v1::Planner::NewStub(server->InProcessChannel());
  // A long sweep holds the only slot.
  v1::SweepRequest sweep;
  sweep.set_study_text(LargeStudy());
  grpc::ClientContext sweep_context;
  std::unique_ptr<grpc::ClientReader<v1::SweepRow>> reader = stub->Sweep(&sweep_context, sweep);
  v1::SweepRow row;
  ASSERT_TRUE(reader->Read(&row));
  ASSERT_TRUE(BecomesBusy(*server, 1, std::chrono::seconds(10)));

  grpc::ClientContext context;
  v1::Report report;
  const grpc::Status status = stub->Simulate(&context, TextRequest(SmallScenario()), &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("at most 1 simulations at once"));

  sweep_context.TryCancel();
  while (reader->Read(&row)) {
  }
  (void)reader->Finish();
  ASSERT_TRUE(BecomesIdle(*server, std::chrono::seconds(20)));
  grpc::ClientContext again;
  EXPECT_TRUE(stub->Simulate(&again, TextRequest(SmallScenario()), &report).ok());
}

TEST(PlannerServiceLimits, AnOversizeRequestIsResourceExhausted) {
  std::unique_ptr<PlannerServer> server = StartServer(1, 4096);
  std::unique_ptr<v1::Planner::Stub> stub = v1::Planner::NewStub(
      grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
  const std::string padded = SmallScenario() + "# " + std::string(8192, 'x') + "\n";
  grpc::ClientContext context;
  v1::Report report;
  const grpc::Status status = stub->Simulate(&context, TextRequest(padded), &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  grpc::ClientContext small;
  EXPECT_TRUE(stub->Simulate(&small, TextRequest(SmallScenario()), &report).ok());
}

TEST(PlannerServiceLimits, BadServerOptionsNameTheOption) {
  StatusOr<std::unique_ptr<PlannerServer>> server =
      PlannerServer::Start({.listen = "localhost", .max_concurrent = 1});
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("--listen: \"localhost\""));
  server = PlannerServer::Start({.listen = "127.0.0.1:0", .max_concurrent = -3});
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("--max-concurrent: -3"));
}

}  // namespace
}  // namespace trainsim::service
