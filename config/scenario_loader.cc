#include "config/scenario_loader.h"

#include <fstream>
#include <sstream>

#include "config/catalogs.h"
#include "config/proto_yaml.h"
#include "fmt/format.h"

namespace trainsim::config {

StatusOr<LoadedScenario> LoadScenarioText(std::string_view text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    Diagnostics d;
    d.Add({file, e.mark.line + 1, e.mark.column + 1}, "", "syntax error: " + e.msg);
    return d.ToStatus();
  }
  if (!root.IsDefined() || root.IsNull()) {
    return InvalidArgumentError(fmt::format("{}: the file is empty; a scenario needs at least "
                                            "cluster, model and training",
                                            file));
  }
  const Catalogs& catalogs = BuiltinCatalogs();
  LoadedScenario loaded{.file = file};
  Diagnostics diagnostics;
  LoadContext context{.file = file,
                      .presets = &catalogs.presets,
                      .registries = &catalogs.registries,
                      .diagnostics = &diagnostics,
                      .sources = &loaded.sources};
  LoadMessage(root, "", loaded.scenario, context);
  if (!diagnostics.empty()) return diagnostics.ToStatus();  // defaults would only add noise
  ApplyDefaults(loaded.scenario, "", loaded.sources, diagnostics);
  if (!diagnostics.empty()) return diagnostics.ToStatus();
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
