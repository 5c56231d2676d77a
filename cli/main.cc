// The `trainsim` command: subcommands run, sweep, optimize, collective, roofline, serve,
// validate and version. Exit codes: 0 ok, 2 bad input (the message names the file, field path
// and bad value), 1 internal error. Each subcommand lives in its own cli/*_command.cc.
#include <cstdio>
#include <exception>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "sim/huge_pages.h"

namespace trainsim::cli {
namespace {
char** arguments = nullptr;
}  // namespace

void RecordArguments(char** argv) { arguments = argv; }

void UseHugePageHeap() {
  if (arguments != nullptr) ReexecWithHugePageHeap(arguments);
}

}  // namespace trainsim::cli

int main(int argc, char** argv) {
  using namespace trainsim::cli;
  RecordArguments(argv);
  CLI::App app{
      "trainsim: simulate LLM training steps on DGX H100-class clusters.\n"
      "How long does one step of this model take on this cluster, where does the time go,\n"
      "and what happens if we change something?",
      "trainsim"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(kVersion));
  int exit_code = kExitOk;

  AddRunCommand(app, exit_code);
  AddRooflineCommand(app, exit_code);
  AddCollectiveCommand(app, exit_code);
  AddVersionCommand(app, exit_code);
  AddValidateCommand(app, exit_code);
  AddSweepCommand(app, exit_code);
  AddOptimizeCommand(app, exit_code);
  AddServeCommand(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trainsim: internal error: %s\n", e.what());
    return kExitInternal;
  }
  return exit_code;
}
