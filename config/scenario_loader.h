// Loading a scenario file: YAML or JSON text → trainsim.v1.Scenario with presets expanded and
// defaults filled in, plus where every field came from. All problems in a file are reported at
// once, each as "file:line:col: field.path: message" (exit code 2 at the CLI).
#ifndef TRAINSIM_CONFIG_SCENARIO_LOADER_H_
#define TRAINSIM_CONFIG_SCENARIO_LOADER_H_

#include <string>
#include <string_view>

#include "config/diagnostics.h"
#include "google/protobuf/message.h"
#include "sim/status.h"
#include "trainsim/v1/scenario.pb.h"
#include "yaml-cpp/yaml.h"

namespace trainsim::config {

struct LoadedScenario {
  std::string file;  // as named by the user, or "scenarios/default.yaml" for the built-in one
  trainsim::v1::Scenario scenario;
  SourceMap sources;
};

// Parses YAML or JSON text; a syntax error becomes a diagnostic at its file:line:col.
StatusOr<YAML::Node> ParseYamlText(std::string_view text, const std::string& file);

// Loads `root` into `message` (field path `path`) with the built-in presets and registries, then
// fills defaults; every problem is reported at once.
Status LoadWithCatalogs(const YAML::Node& root, const std::string& path, const std::string& file,
                        google::protobuf::Message& message, SourceMap& sources);

// `file` names the text in diagnostics. JSON is read as YAML flow style.
StatusOr<LoadedScenario> LoadScenarioText(std::string_view text, const std::string& file);

// Reads `path`; an unreadable file is kInvalidArgument naming it.
StatusOr<LoadedScenario> LoadScenarioFile(const std::string& path);

// The built-in default scenario (a GPT-4-scale MoE on 16,384 H100 GPUs).
StatusOr<LoadedScenario> LoadDefaultScenario();

}  // namespace trainsim::config

#endif  // TRAINSIM_CONFIG_SCENARIO_LOADER_H_
