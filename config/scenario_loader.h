// Loading a scenario file: YAML or JSON text → trainsim.v1.Scenario with presets expanded and
// defaults filled in, plus where every field came from. All problems in a file are reported at
// once, each as "file:line:col: field.path: message" (exit code 2 at the CLI).
#ifndef TRAINSIM_CONFIG_SCENARIO_LOADER_H_
#define TRAINSIM_CONFIG_SCENARIO_LOADER_H_

#include <string>
#include <string_view>

#include "config/diagnostics.h"
#include "sim/status.h"
#include "trainsim/v1/scenario.pb.h"

namespace trainsim::config {

struct LoadedScenario {
  std::string file;  // as named by the user, or "scenarios/default.yaml" for the built-in one
  trainsim::v1::Scenario scenario;
  SourceMap sources;
};

// `file` names the text in diagnostics. JSON is read as YAML flow style.
StatusOr<LoadedScenario> LoadScenarioText(std::string_view text, const std::string& file);

// Reads `path`; an unreadable file is kInvalidArgument naming it.
StatusOr<LoadedScenario> LoadScenarioFile(const std::string& path);

// The built-in default scenario (a GPT-4-scale MoE on 16,384 H100 GPUs).
StatusOr<LoadedScenario> LoadDefaultScenario();

}  // namespace trainsim::config

#endif  // TRAINSIM_CONFIG_SCENARIO_LOADER_H_
