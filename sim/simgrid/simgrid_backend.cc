#include "sim/simgrid/simgrid_backend.h"

#include <poll.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "fmt/format.h"
#include "sim/simgrid/program.h"
#include "sim/simgrid/simgrid_engine.h"

namespace trainsim::simgrid {
namespace {

// The child's answer: a tag, then the run or an error message. Plain bytes: both ends are the
// same binary.
enum class Answer : uint8_t { kRun = 1, kError = 2 };

template <typename T>
void Put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  template <typename T>
  bool Get(T& value) {
    if (data_.size() < sizeof(T)) return false;
    std::memcpy(&value, data_.data(), sizeof(T));
    data_.remove_prefix(sizeof(T));
    return true;
  }
  std::string_view rest() const { return data_; }

 private:
  std::string_view data_;
};

std::string Encode(const Program& program, bool flows_as_tasks, const EngineRun& run) {
  std::string out;
  Put(out, Answer::kRun);
  Put(out, static_cast<uint64_t>(run.phase_ends.size()));
  for (const std::vector<double>& ends : run.phase_ends) {
    Put(out, static_cast<uint64_t>(ends.size()));
    for (double t : ends) Put(out, t);
  }
  const SimGridStats stats{.links = static_cast<int64_t>(program.links.size()),
                           .hosts = static_cast<int64_t>(program.hosts.size()),
                           .flows = program.flows,
                           .tasks = program.tasks,
                           .tree_tasks = program.tree_tasks,
                           .actors = run.actors,
                           .flows_as_tasks = flows_as_tasks,
                           .build_seconds = run.build_seconds,
                           .run_seconds = run.run_seconds};
  Put(out, stats);
  return out;
}

StatusOr<SimGridRun> Decode(std::string_view data) {
  Reader in(data);
  Answer answer{};
  if (!in.Get(answer)) return InternalError("the SimGrid process gave no answer");
  if (answer == Answer::kError) {
    return InternalError(fmt::format("SimGrid failed: {}", in.rest()));
  }
  SimGridRun run;
  uint64_t plans = 0;
  bool ok = answer == Answer::kRun && in.Get(plans);
  for (uint64_t p = 0; ok && p < plans; ++p) {
    uint64_t phases = 0;
    ok = in.Get(phases);
    std::vector<Time>& ends = run.phase_ends.emplace_back();
    for (uint64_t i = 0; ok && i < phases; ++i) {
      double seconds = 0;
      ok = in.Get(seconds);
      if (ok) ends.push_back(Time::FromSeconds(seconds));
    }
    run.finish.push_back(ends.empty() ? Time::Zero() : ends.back());
  }
  if (!ok || !in.Get(run.stats)) return InternalError("the SimGrid process's answer is cut short");
  return run;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// In the child: run, answer, exit without running the parent's atexit handlers or destructors.
[[noreturn]] void RunChild(const Program& program, bool flows_as_tasks, int fd) {
  std::string answer;
  try {
    const EngineRun run = RunInSimGrid(program, flows_as_tasks);
    answer = Encode(program, flows_as_tasks, run);
  } catch (const std::exception& e) {
    answer.clear();
    Put(answer, Answer::kError);
    answer += e.what();
  }
  _exit(WriteAll(fd, answer) ? 0 : 3);
}

std::string DescribeExit(int status) {
  if (WIFSIGNALED(status)) {
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status),
                       strsignal(WTERMSIG(status)));
  }
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

// Reads the child's answer until it closes the pipe, or until `timeout_seconds` (0: none) have
// passed; false on timeout.
bool ReadAnswer(int fd, double timeout_seconds, std::string& answer) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  char buffer[4096];
  for (;;) {
    if (timeout_seconds > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
      const int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
      if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
    }
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    answer.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

StatusOr<SimGridRun> SimulatePlansWithSimGrid(std::span<const collectives::CollectivePlan> plans,
                                              const topology::Topology& topology,
                                              const SimGridOptions& options) {
  StatusOr<Program> program = LowerPlans(plans, topology);
  if (!program.ok()) return program.status();
  bool flows_as_tasks = false;
  switch (options.flows) {
    case FlowModel::kAuto:
      flows_as_tasks = program->needs_parallel_tasks() || program->flows > kMaxComms;
      break;
    case FlowModel::kComms:
      break;
    case FlowModel::kParallelTasks:
      flows_as_tasks = true;
      break;
  }
  int fds[2];
  if (pipe(fds) != 0) {
    return InternalError(fmt::format("cannot create a pipe for SimGrid: {}", strerror(errno)));
  }
  std::fflush(nullptr);  // or the child would print what the parent has buffered a second time
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return InternalError(fmt::format("cannot fork a SimGrid process: {}", strerror(errno)));
  }
  if (pid == 0) {
    close(fds[0]);
    RunChild(*program, flows_as_tasks, fds[1]);
  }
  close(fds[1]);
  std::string answer;
  const bool finished = ReadAnswer(fds[0], options.timeout_seconds, answer);
  close(fds[0]);
  if (!finished) kill(pid, SIGKILL);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  if (!finished) {
    return Status(
        StatusCode::kResourceExhausted,
        fmt::format("SimGrid did not finish within {} s; stopped it", options.timeout_seconds));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return InternalError(
        fmt::format("the SimGrid process {} (SimGrid's messages are above)", DescribeExit(status)));
  }
  StatusOr<SimGridRun> run = Decode(answer);
  if (run.ok()) run->stats.peak_rss_bytes = int64_t{usage.ru_maxrss} * 1024;  // Linux: KiB
  return run;
}

StatusOr<Time> SimulatePlanWithSimGrid(const collectives::CollectivePlan& plan,
                                       const topology::Topology& topology) {
  StatusOr<SimGridRun> run = SimulatePlansWithSimGrid(std::span(&plan, 1), topology);
  if (!run.ok()) return run.status();
  return run->finish.front();
}

StatusOr<collectives::CollectiveTiming> TimeCollectiveSimGrid(
    const collectives::CollectiveRequest& request, const topology::Topology& topology,
    const collectives::CollectiveAlgorithm& algorithm, collectives::Protocol protocol) {
  StatusOr<collectives::CollectivePlan> plan = algorithm.Plan(request, topology, protocol);
  if (!plan.ok()) return plan.status();
  StatusOr<Time> time = SimulatePlanWithSimGrid(*plan, topology);
  if (!time.ok()) return time.status();
  return collectives::CollectiveTiming{
      .time = *time, .algorithm = plan->algorithm, .protocol = protocol};
}

}  // namespace trainsim::simgrid
