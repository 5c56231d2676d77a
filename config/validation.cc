#include "config/validation.h"

#include "config/catalogs.h"
#include "config/scenario_loader.h"
#include "fmt/format.h"
#include "yaml-cpp/yaml.h"

namespace trainsim::config {

StatusOr<std::vector<ValidationCase>> LoadMegatronSc21() {
  const std::string file(kMegatronSc21Path);
  StatusOr<YAML::Node> root = ParseYamlText(EmbeddedText(kMegatronSc21Path), file);
  if (!root.ok()) return root.status();
  std::vector<ValidationCase> cases;
  for (const YAML::Node& row : *root) {
    ValidationCase c;
    c.name = row["name"].as<std::string>();
    c.published_tflops_per_gpu = row["published_tflops_per_gpu"].as<double>();
    const std::string where = fmt::format("{} ({})", file, c.name);
    StatusOr<LoadedScenario> loaded = LoadScenarioText(YAML::Dump(row["scenario"]), where);
    if (!loaded.ok()) return loaded.status();
    StatusOr<ScenarioSpec> spec = BuildScenarioSpec(*loaded);
    if (!spec.ok()) return spec.status();
    c.spec = *std::move(spec);
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace trainsim::config
