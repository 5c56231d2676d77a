// The built-in catalogs: presets by kind (gpu, node, cluster, model), parsed once from the data
// files compiled into the binary, and the registries of names a string field may refer to
// (number formats). Thread-safe after first use (a function-local static).
#ifndef TRAINSIM_CONFIG_CATALOGS_H_
#define TRAINSIM_CONFIG_CATALOGS_H_

#include <map>
#include <string>
#include <string_view>

#include "config/proto_yaml.h"

namespace trainsim::config {

struct Catalogs {
  std::map<std::string, PresetCatalog> presets;     // by kind
  std::map<std::string, NameRegistry> registries;   // by (field).names
};

const Catalogs& BuiltinCatalogs();

// The text of an embedded data file by repo-relative path. REQUIRES: it is embedded.
std::string_view EmbeddedText(std::string_view path);

// Where the built-in default scenario comes from.
inline constexpr std::string_view kDefaultScenarioPath = "scenarios/default.yaml";

}  // namespace trainsim::config

#endif  // TRAINSIM_CONFIG_CATALOGS_H_
