#include "config/scenario_loader.h"

#include <fstream>
#include <sstream>

#include "config/catalogs.h"
#include "config/proto_yaml.h"
#include "fmt/format.h"

namespace trainsim::config {

StatusOr<YAML::Node> ParseYamlText(std::string_view text, const std::string& file) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    Diagnostics d;
    d.Add({file, e.mark.line + 1, e.mark.column + 1}, "", "syntax error: " + e.msg);
    return d.ToStatus();
  }
}

Status LoadWithCatalogs(const YAML::Node& root, const std::string& path, const std::string& file,
                        google::protobuf::Message& message, SourceMap& sources) {
  const Catalogs& catalogs = BuiltinCatalogs();
  Diagnostics diagnostics;
  LoadContext context{.file = file,
                      .presets = &catalogs.presets,
                      .registries = &catalogs.registries,
                      .diagnostics = &diagnostics,
                      .sources = &sources};
  LoadMessage(root, path, message, context);
  // Defaults after other errors would only add noise.
  if (diagnostics.empty()) ApplyDefaults(message, path, sources, diagnostics);
  return diagnostics.ToStatus();
}

StatusOr<LoadedScenario> LoadScenarioText(std::string_view text, const std::string& file) {
  StatusOr<YAML::Node> root = ParseYamlText(text, file);
  if (!root.ok()) return root.status();
  if (!root->IsDefined() || root->IsNull()) {
    return InvalidArgumentError(fmt::format("{}: the file is empty; a scenario needs at least "
                                            "cluster, model and training",
                                            file));
  }
  LoadedScenario loaded{.file = file};
  if (Status s = LoadWithCatalogs(*root, "", file, loaded.scenario, loaded.sources); !s.ok()) {
    return s;
  }
  return loaded;
}

StatusOr<LoadedScenario> LoadScenarioFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return InvalidArgumentError(fmt::format("{}: cannot open the scenario file", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return LoadScenarioText(text.str(), path);
}

StatusOr<LoadedScenario> LoadDefaultScenario() {
  return LoadScenarioText(EmbeddedText(kDefaultScenarioPath), std::string(kDefaultScenarioPath));
}

}  // namespace trainsim::config
