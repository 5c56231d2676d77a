// Runs a shell command, or the `trainsim` binary under test (TRAINSIM_BINARY, set by CMake), and
// collects its exit code and output, for the CLI tests.
#ifndef TRAINSIM_TESTS_CLI_RUN_TRAINSIM_H_
#define TRAINSIM_TESTS_CLI_RUN_TRAINSIM_H_

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace trainsim::cli::testing {

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` (a shell line) and collects its output.
inline Outcome Shell(const std::string& command) {
  Outcome outcome;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return outcome;
  std::array<char, 4096> buffer;
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    outcome.output.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

// Runs `trainsim` with `args`.
inline Outcome Trainsim(const std::string& args) {
  return Shell(std::string(TRAINSIM_BINARY) + " " + args);
}

}  // namespace trainsim::cli::testing

#endif  // TRAINSIM_TESTS_CLI_RUN_TRAINSIM_H_
