#include "config/catalogs.h"

#include "compute/number_format.h"
#include "config/embedded_files.h"
#include "sim/check.h"

namespace trainsim::config {
namespace {

// Which data file holds each preset kind (the kind is the message's (preset_kind) option).
struct CatalogFile {
  std::string_view kind;
  std::string_view path;
};
constexpr CatalogFile kCatalogFiles[] = {
    {"gpu", "compute/catalog/gpus.yaml"},
    {"node", "topology/catalog/nodes.yaml"},
    {"cluster", "topology/catalog/clusters.yaml"},
    {"model", "workloads/zoo/models.yaml"},
};

PresetCatalog ParseCatalog(std::string_view kind, std::string_view path) {
  PresetCatalog catalog{.kind = std::string(kind), .file = std::string(path)};
  try {
    catalog.entries = YAML::Load(std::string(EmbeddedText(path)));
  } catch (const YAML::Exception& e) {
    TRAINSIM_CHECK(false) << "embedded catalog " << path << " does not parse: " << e.what();
  }
  TRAINSIM_CHECK(catalog.entries.IsMap()) << path << " must map preset names to entries";
  for (const auto& entry : catalog.entries) catalog.names.push_back(entry.first.Scalar());
  return catalog;
}

// Number formats as compute/ names them; "fp8" is accepted for fp8-e4m3.
NameRegistry FormatRegistry() {
  NameRegistry registry;
  for (compute::Format f : compute::AllFormats()) {
    registry.names.emplace_back(compute::FormatName(f));
  }
  registry.check = [](const std::string& value) {
    StatusOr<compute::NumberFormat> format = compute::ParseNumberFormat(value);
    return format.ok() ? std::string() : format.status().message();
  };
  return registry;
}

Catalogs Build() {
  Catalogs catalogs;
  for (const CatalogFile& f : kCatalogFiles) {
    catalogs.presets.emplace(std::string(f.kind), ParseCatalog(f.kind, f.path));
  }
  catalogs.registries.emplace("format", FormatRegistry());
  return catalogs;
}

}  // namespace

std::string_view EmbeddedText(std::string_view path) {
  for (const EmbeddedFile& f : EmbeddedFiles()) {
    if (f.path == path) return f.content;
  }
  TRAINSIM_CHECK(false) << "no embedded file " << path;
  return {};
}

const Catalogs& BuiltinCatalogs() {
  static const Catalogs catalogs = Build();
  return catalogs;
}

}  // namespace trainsim::config
