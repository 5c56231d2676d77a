// `trainsim serve` as a separate process, called over loopback as a planning tool would call it:
// it picks a free port with --listen 127.0.0.1:0, says where it listens, answers, and on SIGTERM
// shuts down cleanly with exit code 0.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/service_test_util.h"
#include "trainsim/v1/planner.grpc.pb.h"

namespace trainsim::service {
namespace {

using ::testing::HasSubstr;
using namespace ::trainsim::service::testing;

// A `trainsim serve` child with its stdout and stderr on a pipe.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      dup2(fds[1], STDERR_FILENO);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv{const_cast<char*>(TRAINSIM_BINARY), const_cast<char*>("serve")};
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(TRAINSIM_BINARY, argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~ServeProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) fclose(out_);
  }

  // The next line of output, "" at the end.
  std::string ReadLine() {
    char buffer[4096];
    if (out_ == nullptr || fgets(buffer, sizeof buffer, out_) == nullptr) return "";
    return buffer;
  }
  std::string ReadRest() {
    std::string all, line;
    while (!(line = ReadLine()).empty()) all += line;
    return all;
  }
  // Sends `signal` and returns the exit code (-1 when killed by a signal).
  int Stop(int signal) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  FILE* out_ = nullptr;
};

// "... listening on 127.0.0.1:41234 (..." → "127.0.0.1:41234".
std::string ListeningAddress(const std::string& line) {
  const std::string marker = "listening on ";
  const size_t at = line.find(marker);
  if (at == std::string::npos) return "";
  const size_t begin = at + marker.size();
  return line.substr(begin, line.find(' ', begin) - begin);
}

TEST(Serve, AnswersOverLoopbackAndStopsCleanlyOnSigterm) {
  ServeProcess serve({"--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--max-concurrent", "2"});
  const std::string first = serve.ReadLine();
  const std::string address = ListeningAddress(first);
  ASSERT_THAT(address, ::testing::StartsWith("127.0.0.1:")) << first;
  EXPECT_THAT(first, HasSubstr("at most 2 simulations at once"));

  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  std::unique_ptr<v1::Planner::Stub> stub = v1::Planner::NewStub(channel);
  v1::SimulateRequest request;
  request.mutable_scenario()->set_scenario_text(SmallScenario());
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::Report report;
    const grpc::Status status = stub->Simulate(&context, request, &report);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(report.simulated());
    EXPECT_GT(report.tokens_per_s(), 0);
  }
  {
    request.mutable_scenario()->set_scenario_text(SmallScenario("{tp: 4, pp: 2, schedule: 2f2b}"));
    grpc::ClientContext context;
    v1::Report report;
    const grpc::Status status = stub->Simulate(&context, request, &report);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("request:4:"));
    EXPECT_THAT(status.error_message(), HasSubstr("parallelism.schedule"));
  }
  EXPECT_EQ(HealthCheck(channel, ""), kServing);
  const std::optional<std::string> services = ReflectionListServices(channel);
  ASSERT_TRUE(services.has_value());
  EXPECT_THAT(*services, HasSubstr("trainsim.v1.Planner"));

  EXPECT_EQ(serve.Stop(SIGTERM), 0);
  const std::string rest = serve.ReadRest();
  EXPECT_THAT(rest, HasSubstr("SIGTERM received, shutting down"));
  EXPECT_THAT(rest, HasSubstr("stopped"));
}

TEST(Serve, SigintDuringASweepStopsTheServerPromptly) {
  ServeProcess serve({"--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--shutdown-grace", "0.1"});
  const std::string address = ListeningAddress(serve.ReadLine());
  ASSERT_FALSE(address.empty());
  std::unique_ptr<v1::Planner::Stub> stub =
      v1::Planner::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::SweepRequest request;
  request.set_study_text(LargeStudy());
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::SweepRow>> reader = stub->Sweep(&context, request);
  v1::SweepRow row;
  ASSERT_TRUE(reader->Read(&row));
  // The server gives running simulations 0.1 s, then cancels them: the sweep stops and the
  // server exits 0 without simulating the study's 2,000 points.
  EXPECT_EQ(serve.Stop(SIGINT), 0);
  int rows = 1;
  while (reader->Read(&row)) ++rows;
  EXPECT_FALSE(reader->Finish().ok());
  EXPECT_LT(rows, 2000);
}

TEST(Serve, AnAddressThatIsNotHostPortExitsTwoNamingIt) {
  ServeProcess serve({"--listen", "127.0.0.1"});
  const std::string out = serve.ReadRest();
  EXPECT_EQ(serve.Wait(), 2);
  EXPECT_THAT(out, HasSubstr("--listen: \"127.0.0.1\" is not an address to listen on"));
}

}  // namespace
}  // namespace trainsim::service
