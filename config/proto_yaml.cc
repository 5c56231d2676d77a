#include "config/proto_yaml.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "fmt/format.h"
#include "sim/units.h"
#include "trainsim/v1/options.pb.h"

namespace trainsim::config {
namespace {

namespace pb = google::protobuf;
using FD = pb::FieldDescriptor;

SourceLocation Where(const YAML::Node& node, const LoadContext& context) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {context.file, 0, 0};
  return {context.file, mark.line + 1, mark.column + 1};
}

void Report(const LoadContext& context, const YAML::Node& node, const std::string& path,
            std::string message) {
  context.diagnostics->Add(Where(node, context), path, std::move(message));
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

std::string ChildPath(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "." + name;
}

const trainsim::v1::FieldInfo& Info(const FD& field) {
  return field.options().GetExtension(trainsim::v1::field);
}

std::vector<std::string> FieldNames(const pb::Descriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.field_count(); ++i) names.push_back(type.field(i)->name());
  return names;
}

std::vector<std::string> EnumNames(const pb::EnumDescriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->number() != 0) names.push_back(EnumValueName(*type.value(i)));
  }
  return names;
}

std::string DescribeScalarKind(const FD& field) {
  const auto& info = Info(field);
  if (info.unit() != trainsim::v1::UNIT_NONE) {
    return fmt::format("a {} with a unit", trainsim::v1::Unit_Name(info.unit()));
  }
  switch (field.cpp_type()) {
    case FD::CPPTYPE_INT32:
    case FD::CPPTYPE_INT64:
    case FD::CPPTYPE_UINT32:
    case FD::CPPTYPE_UINT64:
      return "an integer";
    case FD::CPPTYPE_DOUBLE:
    case FD::CPPTYPE_FLOAT:
      return "a number";
    case FD::CPPTYPE_BOOL:
      return "true or false";
    case FD::CPPTYPE_ENUM:
      return "one of " + Join(EnumNames(*field.enum_type()));
    case FD::CPPTYPE_STRING:
      return "a string";
    case FD::CPPTYPE_MESSAGE:
      return "a mapping";
  }
  return "a value";
}

template <typename T>
bool ParseWhole(const std::string& text, T& out) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, end, out);
  return ec == std::errc() && ptr == end && begin != end;
}

std::string CheckUnit(trainsim::v1::Unit unit, const std::string& text) {
  auto message = [](const Status& s) { return s.ok() ? std::string() : s.message(); };
  switch (unit) {
    case trainsim::v1::UNIT_NONE:
      return "";
    case trainsim::v1::UNIT_TIME:
      return message(ParseTime(text).status());
    case trainsim::v1::UNIT_BYTES:
      return message(ParseBytes(text).status());
    case trainsim::v1::UNIT_BANDWIDTH:
      return message(ParseBandwidth(text).status());
    case trainsim::v1::UNIT_FLOPS:
      return message(ParseFlops(text).status());
    case trainsim::v1::UNIT_FLOP_RATE:
      return message(ParseFlopRate(text).status());
    case trainsim::v1::UNIT_POWER:
      return message(ParsePower(text).status());
    case trainsim::v1::UNIT_ENERGY:
      return message(ParseEnergy(text).status());
    case trainsim::v1::Unit_INT_MIN_SENTINEL_DO_NOT_USE_:
    case trainsim::v1::Unit_INT_MAX_SENTINEL_DO_NOT_USE_:
      break;
  }
  return "unknown unit kind";
}

// Bounds from (field).min/max; empty when within them.
std::string CheckBounds(const FD& field, double value, const std::string& text) {
  const auto& info = Info(field);
  if (info.has_min() && value < info.min()) {
    return fmt::format("{} is below the minimum {}", text, info.min());
  }
  if (info.has_max() && value > info.max()) {
    return fmt::format("{} is above the maximum {}", text, info.max());
  }
  return "";
}

// Sets one scalar (singular or one element of a repeated field) from a YAML scalar. Returns an
// error message, or empty on success.
std::string SetScalar(const YAML::Node& node, const FD& field, pb::Message& message,
                      const LoadContext& context) {
  const pb::Reflection& r = *message.GetReflection();
  const bool repeated = field.is_repeated();
  const std::string text = node.Scalar();
  const std::string bad = fmt::format("expected {}, got \"{}\"", DescribeScalarKind(field), text);
  switch (field.cpp_type()) {
    case FD::CPPTYPE_INT32:
    case FD::CPPTYPE_INT64: {
      int64_t v = 0;
      if (!ParseWhole(text, v)) return bad;
      if (std::string e = CheckBounds(field, static_cast<double>(v), text); !e.empty()) return e;
      if (field.cpp_type() == FD::CPPTYPE_INT32) {
        if (v < INT32_MIN || v > INT32_MAX) return text + " does not fit in 32 bits";
        repeated ? r.AddInt32(&message, &field, static_cast<int32_t>(v))
                 : r.SetInt32(&message, &field, static_cast<int32_t>(v));
      } else {
        repeated ? r.AddInt64(&message, &field, v) : r.SetInt64(&message, &field, v);
      }
      return "";
    }
    case FD::CPPTYPE_UINT32:
    case FD::CPPTYPE_UINT64: {
      uint64_t v = 0;
      if (!text.empty() && text.front() == '-') return bad + " (must not be negative)";
      if (!ParseWhole(text, v)) return bad;
      if (std::string e = CheckBounds(field, static_cast<double>(v), text); !e.empty()) return e;
      if (field.cpp_type() == FD::CPPTYPE_UINT32) {
        if (v > UINT32_MAX) return text + " does not fit in 32 bits";
        repeated ? r.AddUInt32(&message, &field, static_cast<uint32_t>(v))
                 : r.SetUInt32(&message, &field, static_cast<uint32_t>(v));
      } else {
        repeated ? r.AddUInt64(&message, &field, v) : r.SetUInt64(&message, &field, v);
      }
      return "";
    }
    case FD::CPPTYPE_DOUBLE:
    case FD::CPPTYPE_FLOAT: {
      double v = 0;
      if (!ParseWhole(text, v) || !std::isfinite(v)) return bad;
      if (std::string e = CheckBounds(field, v, text); !e.empty()) return e;
      if (field.cpp_type() == FD::CPPTYPE_FLOAT) {
        repeated ? r.AddFloat(&message, &field, static_cast<float>(v))
                 : r.SetFloat(&message, &field, static_cast<float>(v));
      } else {
        repeated ? r.AddDouble(&message, &field, v) : r.SetDouble(&message, &field, v);
      }
      return "";
    }
    case FD::CPPTYPE_BOOL: {
      if (text != "true" && text != "false") return bad;
      repeated ? r.AddBool(&message, &field, text == "true")
               : r.SetBool(&message, &field, text == "true");
      return "";
    }
    case FD::CPPTYPE_ENUM: {
      std::string wanted = text;
      std::transform(wanted.begin(), wanted.end(), wanted.begin(), [](unsigned char c) {
        return c == '_' ? '-' : static_cast<char>(std::tolower(c));
      });
      const pb::EnumDescriptor& type = *field.enum_type();
      for (int i = 0; i < type.value_count(); ++i) {
        const pb::EnumValueDescriptor& value = *type.value(i);
        if (value.number() == 0 || EnumValueName(value) != wanted) continue;
        repeated ? r.AddEnum(&message, &field, &value) : r.SetEnum(&message, &field, &value);
        return "";
      }
      const std::vector<std::string> names = EnumNames(type);
      return fmt::format("\"{}\" is not one of {}{}", text, Join(names), DidYouMean(wanted, names));
    }
    case FD::CPPTYPE_STRING: {
      const auto& info = Info(field);
      if (std::string e = CheckUnit(info.unit(), text); !e.empty()) return e;
      if (!info.names().empty() && context.registries != nullptr) {
        auto it = context.registries->find(info.names());
        if (it != context.registries->end()) {
          if (std::string e = it->second.check(text); !e.empty()) {
            return fmt::format("{}{}", e, DidYouMean(text, it->second.names));
          }
        }
      }
      repeated ? r.AddString(&message, &field, text) : r.SetString(&message, &field, text);
      return "";
    }
    case FD::CPPTYPE_MESSAGE:
      break;
  }
  return bad;
}

bool IsPresetCapable(const pb::Descriptor& type) {
  return !type.options().GetExtension(trainsim::v1::preset_kind).empty() &&
         type.FindFieldByName("preset") != nullptr;
}

void LoadPreset(const YAML::Node& name_node, const std::string& path, pb::Message& message,
                LoadContext& context) {
  const pb::Descriptor& type = *message.GetDescriptor();
  const std::string& kind = type.options().GetExtension(trainsim::v1::preset_kind);
  const std::string name = name_node.Scalar();
  auto catalog = context.presets->find(kind);
  if (catalog == context.presets->end() || !catalog->second.entries[name]) {
    const std::vector<std::string> names =
        catalog == context.presets->end() ? std::vector<std::string>() : catalog->second.names;
    Report(context, name_node, ChildPath(path, "preset"),
           fmt::format("unknown {} preset \"{}\"{}; presets: {}", kind, name,
                       DidYouMean(name, names), Join(names)));
    return;
  }
  if (context.preset_depth > 8) {
    Report(context, name_node, path, "presets nest more than 8 deep (a preset cycle?)");
    return;
  }
  // The preset's own diagnostics point into the catalog file.
  LoadContext inner = context;
  inner.file = catalog->second.file;
  inner.preset_depth = context.preset_depth + 1;
  LoadMessage(catalog->second.entries[name], path, message, inner);
  message.GetReflection()->SetString(&message, type.FindFieldByName("preset"), name);
}

void LoadField(const YAML::Node& value, const std::string& path, const FD& field,
               pb::Message& message, LoadContext& context) {
  const pb::Reflection& r = *message.GetReflection();
  context.sources->Set(path, Where(value, context));
  if (!value.IsDefined() || value.IsNull()) {
    Report(context, value, path, fmt::format("has no value; expected {}", DescribeScalarKind(field)));
    return;
  }
  if (field.is_map()) {
    Report(context, value, path, "map fields are not supported in scenario files");
    return;
  }
  if (field.is_repeated()) {
    if (!value.IsSequence()) {
      Report(context, value, path, "expected a list");
      return;
    }
    r.ClearField(&message, &field);  // the user's list replaces a preset's
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string item_path = fmt::format("{}[{}]", path, i);
      const YAML::Node item = value[i];
      context.sources->Set(item_path, Where(item, context));
      if (field.cpp_type() == FD::CPPTYPE_MESSAGE) {
        LoadMessage(item, item_path, *r.AddMessage(&message, &field), context);
      } else if (!item.IsScalar()) {
        Report(context, item, item_path, fmt::format("expected {}", DescribeScalarKind(field)));
      } else if (std::string e = SetScalar(item, field, message, context); !e.empty()) {
        Report(context, item, item_path, e);
      }
    }
    return;
  }
  if (field.cpp_type() == FD::CPPTYPE_MESSAGE) {
    LoadMessage(value, path, *r.MutableMessage(&message, &field), context);
    return;
  }
  if (!value.IsScalar()) {
    Report(context, value, path, fmt::format("expected {}, got a {}", DescribeScalarKind(field),
                                             value.IsSequence() ? "list" : "mapping"));
    return;
  }
  if (std::string e = SetScalar(value, field, message, context); !e.empty()) {
    Report(context, value, path, e);
  }
}

}  // namespace

std::string EnumValueName(const pb::EnumValueDescriptor& value) {
  // Strip the enum's UPPER_SNAKE prefix ("Schedule" → "SCHEDULE_").
  std::string prefix;
  for (char c : value.type()->name()) {
    if (std::isupper(static_cast<unsigned char>(c)) && !prefix.empty()) prefix += '_';
    prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  prefix += '_';
  std::string name = value.name();
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return c == '_' ? '-' : static_cast<char>(std::tolower(c));
  });
  return name;
}

void LoadMessage(const YAML::Node& node, const std::string& path, pb::Message& message,
                 LoadContext& context) {
  const pb::Descriptor& type = *message.GetDescriptor();
  context.sources->Set(path, Where(node, context));
  if (node.IsScalar() && IsPresetCapable(type)) {
    LoadPreset(node, path, message, context);
    return;
  }
  if (!node.IsMap()) {
    Report(context, node, path,
           IsPresetCapable(type) ? "expected a mapping or the name of a preset"
                                 : "expected a mapping");
    return;
  }
  if (IsPresetCapable(type)) {
    if (const YAML::Node preset = node["preset"]; preset && preset.IsScalar()) {
      LoadPreset(preset, path, message, context);
    }
  }
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    const std::string name = key.IsScalar() ? key.Scalar() : std::string();
    const std::string field_path = ChildPath(path, name);
    if (!seen.insert(name).second) {
      Report(context, key, field_path, "appears twice");
      continue;
    }
    const FD* field = type.FindFieldByName(name);
    if (field == nullptr) {
      const std::vector<std::string> names = FieldNames(type);
      Report(context, key, field_path,
             fmt::format("unknown field \"{}\"{}; fields here: {}", name, DidYouMean(name, names),
                         Join(names)));
      continue;
    }
    if (name == "preset" && IsPresetCapable(type)) continue;  // already applied
    LoadField(entry.second, field_path, *field, message, context);
  }
}

void ApplyDefaults(pb::Message& message, const std::string& path, const SourceMap& sources,
                   Diagnostics& diagnostics) {
  const pb::Descriptor& type = *message.GetDescriptor();
  const pb::Reflection& r = *message.GetReflection();
  for (int i = 0; i < type.field_count(); ++i) {
    const FD& field = *type.field(i);
    const auto& info = Info(field);
    const std::string field_path = ChildPath(path, field.name());
    if (field.is_repeated()) {
      if (field.cpp_type() == FD::CPPTYPE_MESSAGE) {
        for (int k = 0; k < r.FieldSize(message, &field); ++k) {
          ApplyDefaults(*r.MutableRepeatedMessage(&message, &field, k),
                        fmt::format("{}[{}]", field_path, k), sources, diagnostics);
        }
      }
      continue;
    }
    if (r.HasField(message, &field)) {
      if (field.cpp_type() == FD::CPPTYPE_MESSAGE) {
        ApplyDefaults(*r.MutableMessage(&message, &field), field_path, sources, diagnostics);
      }
      continue;
    }
    if (field.cpp_type() == FD::CPPTYPE_MESSAGE) {
      bool has_required = false;
      for (int k = 0; k < field.message_type()->field_count(); ++k) {
        has_required |= Info(*field.message_type()->field(k)).required();
      }
      if (info.required()) {
        diagnostics.Add(sources.Find(path), field_path, "is required but missing");
      } else if (!has_required) {
        ApplyDefaults(*r.MutableMessage(&message, &field), field_path, sources, diagnostics);
      }
      continue;
    }
    if (!info.default_value().empty()) {
      Diagnostics ignored;  // defaults are part of the schema; a bad one is a bug
      SourceMap scratch;
      LoadContext context{.file = "(default)", .diagnostics = &ignored, .sources = &scratch};
      const std::string e = SetScalar(YAML::Node(info.default_value()), field, message, context);
      TRAINSIM_CHECK(e.empty()) << "bad default for " << field.full_name() << ": " << e;
    } else if (info.required()) {
      diagnostics.Add(sources.Find(path), field_path,
                      fmt::format("is required but missing; expected {}", DescribeScalarKind(field)));
    }
  }
}

namespace {

void EmitScalar(YAML::Emitter& out, const pb::Message& message, const FD& field, int index) {
  const pb::Reflection& r = *message.GetReflection();
  const bool rep = index >= 0;
  switch (field.cpp_type()) {
    case FD::CPPTYPE_INT32:
      out << (rep ? r.GetRepeatedInt32(message, &field, index) : r.GetInt32(message, &field));
      return;
    case FD::CPPTYPE_INT64:
      out << (rep ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field));
      return;
    case FD::CPPTYPE_UINT32:
      out << (rep ? r.GetRepeatedUInt32(message, &field, index) : r.GetUInt32(message, &field));
      return;
    case FD::CPPTYPE_UINT64:
      out << (rep ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field));
      return;
    case FD::CPPTYPE_DOUBLE:
      out << fmt::format("{}", rep ? r.GetRepeatedDouble(message, &field, index)
                                   : r.GetDouble(message, &field));
      return;
    case FD::CPPTYPE_FLOAT:
      out << fmt::format("{}", rep ? r.GetRepeatedFloat(message, &field, index)
                                   : r.GetFloat(message, &field));
      return;
    case FD::CPPTYPE_BOOL:
      out << ((rep ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field))
                  ? "true"
                  : "false");
      return;
    case FD::CPPTYPE_ENUM:
      out << EnumValueName(rep ? *r.GetRepeatedEnum(message, &field, index)
                               : *r.GetEnum(message, &field));
      return;
    case FD::CPPTYPE_STRING:
      out << (rep ? r.GetRepeatedString(message, &field, index) : r.GetString(message, &field));
      return;
    case FD::CPPTYPE_MESSAGE:
      break;
  }
  TRAINSIM_CHECK(false) << "EmitScalar on a message field";
}

void Emit(YAML::Emitter& out, const pb::Message& message) {
  const pb::Reflection& r = *message.GetReflection();
  std::vector<const FD*> fields;
  r.ListFields(message, &fields);
  out << YAML::BeginMap;
  for (const FD* field : fields) {
    out << YAML::Key << field->name() << YAML::Value;
    if (field->is_repeated()) {
      out << YAML::BeginSeq;
      for (int k = 0; k < r.FieldSize(message, field); ++k) {
        if (field->cpp_type() == FD::CPPTYPE_MESSAGE) {
          Emit(out, r.GetRepeatedMessage(message, field, k));
        } else {
          EmitScalar(out, message, *field, k);
        }
      }
      out << YAML::EndSeq;
    } else if (field->cpp_type() == FD::CPPTYPE_MESSAGE) {
      Emit(out, r.GetMessage(message, field));
    } else {
      EmitScalar(out, message, *field, -1);
    }
  }
  out << YAML::EndMap;
}

}  // namespace

std::string ToYaml(const pb::Message& message) {
  YAML::Emitter out;
  Emit(out, message);
  return std::string(out.c_str()) + "\n";
}

}  // namespace trainsim::config
