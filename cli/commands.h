// The subcommands of the `trainsim` binary. Each Add*Command registers a CLI11 subcommand whose
// callback stores the process exit code in `exit_code`.
#ifndef TRAINSIM_CLI_COMMANDS_H_
#define TRAINSIM_CLI_COMMANDS_H_

#include <string_view>

#include "CLI/CLI.hpp"

namespace trainsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitBadInput = 2;

inline constexpr std::string_view kVersion = TRAINSIM_VERSION;

// Re-executes trainsim with glibc's huge-page heap (sim/huge_pages.h) for a command about to hold
// gigabytes in its heap: an expanded step, a sweep, a plan search, the service. Small commands
// skip it, since starting the binary twice costs ~70 ms (dynamic linking of gRPC and its
// libraries). The process starts over from main with the same arguments, so call it before
// writing anything or starting threads. main records the arguments first.
void UseHugePageHeap();
void RecordArguments(char** argv);

void AddRunCommand(CLI::App& app, int& exit_code);
void AddRooflineCommand(CLI::App& app, int& exit_code);
void AddCollectiveCommand(CLI::App& app, int& exit_code);
void AddVersionCommand(CLI::App& app, int& exit_code);
void AddValidateCommand(CLI::App& app, int& exit_code);
void AddOptimizeCommand(CLI::App& app, int& exit_code);
void AddSweepCommand(CLI::App& app, int& exit_code);
void AddServeCommand(CLI::App& app, int& exit_code);

}  // namespace trainsim::cli

#endif  // TRAINSIM_CLI_COMMANDS_H_
