#include "service/catalog.h"

#include <string>

#include "compute/number_format.h"
#include "config/catalogs.h"
#include "config/proto_yaml.h"
#include "config/scenario_loader.h"
#include "fmt/format.h"
#include "trainsim/v1/options.pb.h"

namespace trainsim::service {
namespace {

namespace pb = google::protobuf;

// Loads preset `name` of `kind` into `message` as a scenario naming it would.
Status LoadPreset(const std::string& kind, const std::string& name, pb::Message& message) {
  config::SourceMap sources;
  Status s = config::LoadWithCatalogs(YAML::Node(name), kind, "catalog", message, sources);
  if (!s.ok()) {
    return InternalError(
        fmt::format("built-in {} preset \"{}\" does not load: {}", kind, name, s.message()));
  }
  return OkStatus();
}

const std::vector<std::string>& PresetNames(const std::string& kind) {
  return config::BuiltinCatalogs().presets.at(kind).names;
}

void AddParameters(const pb::Descriptor& message, const std::string& prefix,
                   v1::ListParametersResponse& out) {
  for (int i = 0; i < message.field_count(); ++i) {
    const pb::FieldDescriptor& field = *message.field(i);
    const v1::FieldInfo& info = field.options().GetExtension(v1::field);
    v1::Parameter& p = *out.add_parameters();
    const std::string path =
        (prefix.empty() ? "" : prefix + ".") + field.name() + (field.is_repeated() ? "[]" : "");
    p.set_path(path);
    p.set_type(field.type_name());
    p.set_repeated(field.is_repeated());
    p.set_unit(info.unit());
    p.set_default_value(info.default_value());
    p.set_required(info.required());
    if (info.has_min()) p.set_min(info.min());
    if (info.has_max()) p.set_max(info.max());
    p.set_doc(info.doc());
    p.set_names(info.names());
    if (const pb::EnumDescriptor* e = field.enum_type(); e != nullptr) {
      for (int v = 0; v < e->value_count(); ++v) {
        if (e->value(v)->number() == 0) continue;  // *_UNSPECIFIED: not a value users write
        p.add_enum_values(config::EnumValueName(*e->value(v)));
      }
    }
    if (const pb::Descriptor* sub = field.message_type(); sub != nullptr) {
      p.set_preset_kind(sub->options().GetExtension(v1::preset_kind));
      AddParameters(*sub, path, out);
    }
  }
}

}  // namespace

StatusOr<v1::ListGpusResponse> ListGpuPresets() {
  v1::ListGpusResponse out;
  for (const std::string& name : PresetNames("gpu")) {
    v1::GpuPreset& preset = *out.add_gpus();
    preset.set_preset(name);
    if (Status s = LoadPreset("gpu", name, *preset.mutable_gpu()); !s.ok()) return s;
  }
  return out;
}

StatusOr<v1::ListModelsResponse> ListModelPresets() {
  v1::ListModelsResponse out;
  for (const std::string& name : PresetNames("model")) {
    v1::ModelPreset& preset = *out.add_models();
    preset.set_preset(name);
    if (Status s = LoadPreset("model", name, *preset.mutable_model()); !s.ok()) return s;
  }
  return out;
}

StatusOr<v1::ListClusterPresetsResponse> ListClusterPresets() {
  v1::ListClusterPresetsResponse out;
  for (const std::string& name : PresetNames("cluster")) {
    v1::ClusterPreset& preset = *out.add_clusters();
    preset.set_preset(name);
    if (Status s = LoadPreset("cluster", name, *preset.mutable_cluster()); !s.ok()) return s;
  }
  return out;
}

v1::ListFormatsResponse ListNumberFormats() {
  v1::ListFormatsResponse out;
  for (compute::Format f : compute::AllFormats()) {
    const compute::NumberFormat format = compute::NumberFormat::Of(f);
    v1::NumberFormatInfo& info = *out.add_formats();
    info.set_name(std::string(compute::FormatName(f)));
    info.set_element_bits(compute::ElementBits(f));
    info.set_storage_bits_per_element(compute::StorageBitsPerElement(format));
    info.set_block_scaled(compute::IsBlockScaled(f));
  }
  return out;
}

v1::ListParametersResponse ListScenarioParameters() {
  v1::ListParametersResponse out;
  AddParameters(*v1::Scenario::descriptor(), "", out);
  return out;
}

}  // namespace trainsim::service
