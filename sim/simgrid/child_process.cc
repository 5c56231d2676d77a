#include "sim/simgrid/child_process.h"

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
#include <exception>
#include <utility>

#include "fmt/format.h"

namespace trainsim::simgrid {
namespace {

// The child's answer starts with a tag: the work's bytes follow, or the exception's message.
enum class Answer : uint8_t { kDone = 1, kError = 2 };

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

[[noreturn]] void RunChild(const std::function<std::string()>& work, int fd) {
  std::string answer;
  try {
    std::string bytes = work();
    Put(answer, Answer::kDone);
    answer += bytes;
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
  char buffer[1 << 16];
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

StatusOr<ChildAnswer> RunInChildProcess(const std::function<std::string()>& work,
                                        double timeout_seconds) {
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
    RunChild(work, fds[1]);
  }
  close(fds[1]);
  std::string answer;
  const bool finished = ReadAnswer(fds[0], timeout_seconds, answer);
  close(fds[0]);
  if (!finished) kill(pid, SIGKILL);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  if (!finished) {
    return Status(StatusCode::kResourceExhausted,
                  fmt::format("SimGrid did not finish within {} s; stopped it", timeout_seconds));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return InternalError(
        fmt::format("the SimGrid process {} (SimGrid's messages are above)", DescribeExit(status)));
  }
  WireReader in(answer);
  Answer tag{};
  if (!in.Get(tag)) return InternalError("the SimGrid process gave no answer");
  if (tag == Answer::kError) return InternalError(fmt::format("SimGrid failed: {}", in.rest()));
  if (tag != Answer::kDone) return InternalError("the SimGrid process's answer is garbled");
  return ChildAnswer{.bytes = std::string(in.rest()),
                     .peak_rss_bytes = int64_t{usage.ru_maxrss} * 1024};  // Linux: KiB
}

}  // namespace trainsim::simgrid
