// Loading YAML (and JSON, which yaml-cpp reads as YAML flow style) into trainsim.v1 protobuf
// messages by reflection, driven by the schema's own options (proto/trainsim/v1/options.proto):
// units are checked with sim/units.h, enum values are written in lower case with dashes
// ("interleaved-1f1b"), bounds and required fields come from (field) options, and a scalar where
// a preset-capable message is expected names a preset. Every problem becomes a Diagnostic with
// file:line:col and the field path; loading goes on so that all problems are reported at once.
//
// Merging: a preset is loaded first, then the user's keys on top, field by field, recursively.
// A list given by the user replaces the preset's list.
#ifndef TRAINSIM_CONFIG_PROTO_YAML_H_
#define TRAINSIM_CONFIG_PROTO_YAML_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "google/protobuf/message.h"
#include "yaml-cpp/yaml.h"

namespace trainsim::config {

// The entries of one preset catalog ("gpu", "node", "cluster", "model"), each a YAML mapping in
// the same shape as the message it fills.
struct PresetCatalog {
  std::string kind;
  std::string file;  // repo-relative source of the data, for diagnostics inside presets
  YAML::Node entries;
  std::vector<std::string> names;  // in file order
};

// A registry of named things a string field may refer to via (field).names, e.g. "format".
struct NameRegistry {
  std::vector<std::string> names;  // for listing and did-you-mean
  // Returns an empty string when `value` is acceptable, else why not.
  std::function<std::string(const std::string& value)> check;
};

struct LoadContext {
  std::string file;  // the file being read, as the user named it
  const std::map<std::string, PresetCatalog>* presets = nullptr;  // by kind
  const std::map<std::string, NameRegistry>* registries = nullptr;
  Diagnostics* diagnostics = nullptr;
  SourceMap* sources = nullptr;
  int preset_depth = 0;
};

// Loads `node` into `message` (merging over what it already holds). `path` is the field path of
// `message` ("" for the root).
void LoadMessage(const YAML::Node& node, const std::string& path,
                 google::protobuf::Message& message, LoadContext& context);

// Fills every unset field that has a (field).default_value and reports unset required fields,
// recursively. An absent message field is created with its defaults (so the resolved scenario
// shows them) unless its type has required fields: then it is a section the user opts into
// (e.g. `model.moe`, absent for a dense model), or an error if the field itself is required.
void ApplyDefaults(google::protobuf::Message& message, const std::string& path,
                   const SourceMap& sources, Diagnostics& diagnostics);

// Writes `message` as YAML in the schema's own syntax (units strings, lower-case enums), so that
// the output loads back into the same message.
std::string ToYaml(const google::protobuf::Message& message);

// The lower-case dashed spelling of an enum value ("SCHEDULE_INTERLEAVED_1F1B" → "interleaved-1f1b").
std::string EnumValueName(const google::protobuf::EnumValueDescriptor& value);

}  // namespace trainsim::config

#endif  // TRAINSIM_CONFIG_PROTO_YAML_H_
