#include "planner/study.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/diagnostics.h"
#include "fmt/format.h"
#include "google/protobuf/descriptor.h"
#include "trainsim/v1/options.pb.h"
#include "trainsim/v1/scenario.pb.h"
#include "yaml-cpp/yaml.h"

namespace trainsim::planner {
namespace {

namespace pb = google::protobuf;
using config::Diagnostics;
using config::SourceLocation;

// A range may not expand to more values than this (a typo such as step 1 over 1..1e9).
constexpr int64_t kMaxRangeValues = 10'000;

const std::vector<std::string> kStudyFields = {"name",     "description", "base",
                                               "scenario", "combine",     "knobs"};
const std::vector<std::string> kKnobFields = {"path", "values", "range"};
const std::vector<std::string> kRangeFields = {"from", "to", "step", "factor"};
const std::vector<std::string> kCombineValues = {"grid", "zip"};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Reads a whole file; false when it cannot be opened.
bool ReadFile(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  text = s.str();
  return true;
}

bool IsPresetCapable(const pb::Descriptor& type) {
  return !type.options().GetExtension(v1::preset_kind).empty() &&
         type.FindFieldByName("preset") != nullptr;
}

std::vector<std::string> FieldNames(const pb::Descriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.field_count(); ++i) names.push_back(type.field(i)->name());
  return names;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    parts.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

// Empty when `path` names a field of trainsim.v1.Scenario (through singular message fields),
// else why not, with a did-you-mean for the first segment that is not a field.
std::string CheckSchemaPath(const std::string& path) {
  const pb::Descriptor* type = v1::Scenario::descriptor();
  const std::vector<std::string> parts = SplitPath(path);
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    const std::string where = prefix.empty() ? "the scenario" : prefix;
    if (part.empty()) {
      return fmt::format(
          "\"{}\" is not a field path: it has an empty segment; write fields "
          "joined by dots, e.g. cluster.fabric.sharp.enabled",
          path);
    }
    const pb::FieldDescriptor* field = type->FindFieldByName(part);
    if (field == nullptr) {
      const std::vector<std::string> names = FieldNames(*type);
      return fmt::format(
          "\"{}\" is not a field of the scenario: {} has no field \"{}\"{}; "
          "fields of {}: {}",
          path, where, part, config::DidYouMean(part, names), where, Join(names));
    }
    prefix = prefix.empty() ? part : prefix + "." + part;
    if (i + 1 == parts.size()) break;
    if (field->is_repeated() || field->message_type() == nullptr) {
      return fmt::format(
          "\"{}\" is not a field of the scenario: {} is {} and has no fields; a "
          "knob sets it whole (path {})",
          path, prefix, field->is_repeated() ? "a list" : "a value", prefix);
    }
    type = field->message_type();
  }
  return {};
}

// The YAML text of a knob value: a scalar as written (without quotes), anything else in flow
// style.
std::string ValueText(const YAML::Node& value) {
  if (value.IsScalar()) return value.Scalar();
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << value;
  return out.c_str();
}

// A copy of `node` built from fresh nodes, so that it carries no position: the loader then names
// such a field by its path and value only, not by a line of some other file.
YAML::Node Unpositioned(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      YAML::Node out(YAML::NodeType::Map);
      for (const auto& entry : node) out[entry.first.Scalar()] = Unpositioned(entry.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const auto& item : node) out.push_back(Unpositioned(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      return YAML::Node(node.Scalar());
    default:
      return YAML::Node(YAML::NodeType::Null);
  }
}

// The node a knob's value text stands for: "{...}" and "[...]" are flow collections, anything
// else a scalar.
YAML::Node ValueNode(const std::string& text) {
  if (!text.empty() && (text.front() == '{' || text.front() == '[')) {
    return Unpositioned(YAML::Load(text));
  }
  return YAML::Node(text);
}

// Sets `value` at parts[k..] below `node` (a mapping for a message of type `type`), creating
// mappings as needed; a preset name in place of a section becomes {preset: NAME}.
void SetAt(YAML::Node node, const pb::Descriptor& type, const std::vector<std::string>& parts,
           size_t k, const YAML::Node& value) {
  const std::string& key = parts[k];
  if (k + 1 == parts.size()) {
    node[key] = value;
    return;
  }
  const pb::FieldDescriptor* field = type.FindFieldByName(key);
  TRAINSIM_CHECK(field != nullptr && field->message_type() != nullptr)
      << "knob path checked at load: " << key;
  const pb::Descriptor& sub = *field->message_type();
  const YAML::Node child = node[key];
  if (!child.IsMap()) {
    YAML::Node section(YAML::NodeType::Map);
    if (child.IsScalar() && IsPresetCapable(sub)) section["preset"] = child.Scalar();
    node[key] = section;
  }
  SetAt(node[key], sub, parts, k + 1, value);
}

bool ParseInt(const std::string& s, int64_t& out) {
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end;
}

bool ParseDouble(const std::string& s, double& out) {
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

// Loads a study: collects every problem in `diagnostics` and fills `study` as far as it can.
class StudyReader {
 public:
  StudyReader(const std::string& file, Diagnostics& diagnostics)
      : file_(file), diagnostics_(diagnostics) {}

  void Read(const YAML::Node& root, std::string_view text, Study& study);

 private:
  SourceLocation Where(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return {file_, 0, 0};
    return {file_, mark.line + 1, mark.column + 1};
  }
  void Error(const YAML::Node& node, const std::string& path, std::string message) {
    diagnostics_.Add(Where(node), path, std::move(message));
  }
  // Reports keys of `map` that are not in `fields`; true when there were none.
  bool CheckFields(const YAML::Node& map, const std::string& path,
                   const std::vector<std::string>& fields);
  std::string Scalar(const YAML::Node& node, const std::string& path);
  void ReadBase(const YAML::Node& root, std::string_view text, Study& study);
  void ReadKnob(const YAML::Node& node, const std::string& path, Study& study);
  void ReadRange(const YAML::Node& range, const std::string& path, Knob& knob);
  void CheckCombination(const YAML::Node& knobs, Study& study);

  std::string file_;
  Diagnostics& diagnostics_;
};

bool StudyReader::CheckFields(const YAML::Node& map, const std::string& path,
                              const std::vector<std::string>& fields) {
  bool ok = true;
  for (const auto& entry : map) {
    const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
    if (std::find(fields.begin(), fields.end(), name) != fields.end()) continue;
    Error(entry.first, path.empty() ? name : path + "." + name,
          fmt::format("unknown field \"{}\"{}; fields here: {}", name,
                      config::DidYouMean(name, fields), Join(fields)));
    ok = false;
  }
  return ok;
}

std::string StudyReader::Scalar(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) return node.Scalar();
  Error(node, path, "expected a single value (text or number)");
  return {};
}

void StudyReader::Read(const YAML::Node& root, std::string_view text, Study& study) {
  if (!root.IsMap()) {
    Error(root, "", "a study is a mapping with base (or scenario), combine and knobs");
    return;
  }
  CheckFields(root, "", kStudyFields);
  study.name = std::filesystem::path(file_).stem().string();
  if (const YAML::Node n = root["name"]) study.name = Scalar(n, "name");
  if (const YAML::Node d = root["description"]) study.description = Scalar(d, "description");
  ReadBase(root, text, study);
  if (const YAML::Node c = root["combine"]) {
    const std::string combine = Scalar(c, "combine");
    if (combine == "zip") {
      study.combine = Combine::kZip;
    } else if (combine != "grid" && c.IsScalar()) {
      Error(c, "combine",
            fmt::format("unknown way to combine knobs \"{}\"{}; valid: grid (every combination), "
                        "zip (the i-th value of every knob together)",
                        combine, config::DidYouMean(combine, kCombineValues)));
    }
  }
  const YAML::Node knobs = root["knobs"];
  if (!knobs || !knobs.IsSequence() || knobs.size() == 0) {
    Error(knobs ? knobs : root, "knobs",
          "a study needs a list of knobs, each {path: FIELD.PATH, values: [...]} or "
          "{path: FIELD.PATH, range: {from, to, step or factor}}");
    return;
  }
  for (size_t i = 0; i < knobs.size(); ++i) {
    ReadKnob(knobs[i], fmt::format("knobs[{}]", i), study);
  }
  CheckCombination(knobs, study);
}

void StudyReader::ReadBase(const YAML::Node& root, std::string_view text, Study& study) {
  const YAML::Node base = root["base"];
  const YAML::Node inline_scenario = root["scenario"];
  if (base && inline_scenario) {
    Error(inline_scenario, "scenario",
          "give either base (a scenario file) or scenario (written inline), not both");
    return;
  }
  if (inline_scenario) {
    if (!inline_scenario.IsMap()) {
      Error(inline_scenario, "scenario", "expected a mapping: the scenario, written inline");
      return;
    }
    study.base_text = std::string(text);
    study.base_file = file_;
    study.base_key = "scenario";
    return;
  }
  if (!base) {
    Error(root, "base",
          "a study needs a base scenario: base: FILE (relative to the study file) or "
          "scenario: {...} inline");
    return;
  }
  const std::string name = Scalar(base, "base");
  if (name.empty()) return;
  std::filesystem::path path(name);
  if (path.is_relative()) path = std::filesystem::path(file_).parent_path() / path;
  const std::string resolved = path.lexically_normal().string();
  std::string base_text;
  if (!ReadFile(resolved, base_text)) {
    Error(base, "base",
          fmt::format("cannot open the scenario file \"{}\" (read as {})", name, resolved));
    return;
  }
  StatusOr<YAML::Node> parsed = config::ParseYamlText(base_text, resolved);
  if (!parsed.ok()) {
    Error(base, "base", fmt::format("\"{}\" is not YAML: {}", name, parsed.status().message()));
    return;
  }
  if (!parsed->IsMap()) {
    Error(base, "base",
          fmt::format("\"{}\" is not a scenario: expected a mapping with cluster, model and "
                      "training",
                      name));
    return;
  }
  study.base_text = std::move(base_text);
  study.base_file = resolved;
}

void StudyReader::ReadKnob(const YAML::Node& node, const std::string& path, Study& study) {
  if (!node.IsMap()) {
    Error(node, path, "a knob is {path: FIELD.PATH, values: [...]} or {path, range}");
    return;
  }
  CheckFields(node, path, kKnobFields);
  Knob knob;
  const YAML::Node field = node["path"];
  if (!field) {
    Error(node, path + ".path", "a knob needs the field path it sets, e.g. cluster.gpus");
  } else if (!field.IsScalar()) {
    Error(field, path + ".path", "expected a field path such as cluster.gpus");
  } else {
    knob.path = field.Scalar();
    if (const std::string why = CheckSchemaPath(knob.path); !why.empty()) {
      Error(field, path + ".path", why);
    }
  }
  const YAML::Node values = node["values"];
  const YAML::Node range = node["range"];
  if (values && range) {
    Error(range, path + ".range", "give either values or range, not both");
  } else if (values) {
    if (!values.IsSequence() || values.size() == 0) {
      Error(values, path + ".values",
            fmt::format("{} for knob {}: expected a non-empty list of values, e.g. [false, true]",
                        values.IsSequence() ? "an empty list" : ValueText(values), knob.path));
    } else {
      for (size_t i = 0; i < values.size(); ++i) {
        const YAML::Node v = values[i];
        if (!v.IsDefined() || v.IsNull()) {
          Error(v, fmt::format("{}.values[{}]", path, i),
                "an empty value (null); write the value the field should take");
          continue;
        }
        knob.values.push_back(ValueText(v));
      }
    }
  } else if (range) {
    ReadRange(range, path + ".range", knob);
  } else {
    Error(node, path,
          fmt::format("knob {} has no values: add values: [...] or range: {{from, to, step or "
                      "factor}}",
                      knob.path));
  }
  study.knobs.push_back(std::move(knob));
}

void StudyReader::ReadRange(const YAML::Node& range, const std::string& path, Knob& knob) {
  if (!range.IsMap()) {
    Error(range, path, "a range is {from: A, to: B, step: S} or {from: A, to: B, factor: F}");
    return;
  }
  if (!CheckFields(range, path, kRangeFields)) return;
  struct Bound {
    const char* name;
    YAML::Node node;
    std::string text;
    double value = 0;
    int64_t integer = 0;
    bool is_integer = false;
  };
  Bound from{"from", range["from"]}, to{"to", range["to"]}, step{"step", range["step"]},
      factor{"factor", range["factor"]};
  bool ok = true;
  for (Bound* b : {&from, &to}) {
    if (!b->node) {
      Error(range, fmt::format("{}.{}", path, b->name), fmt::format("a range needs {}", b->name));
      ok = false;
    }
  }
  if (static_cast<bool>(step.node) == static_cast<bool>(factor.node)) {
    Error(range, path,
          "a range needs exactly one of step (from, from+step, ...) and factor (from, "
          "from*factor, ...)");
    ok = false;
  }
  Bound& by = step.node ? step : factor;
  for (Bound* b : {&from, &to, &by}) {
    if (!b->node) continue;
    const std::string field = fmt::format("{}.{}", path, b->name);
    b->text = b->node.IsScalar() ? b->node.Scalar() : ValueText(b->node);
    b->is_integer = b->node.IsScalar() && ParseInt(b->text, b->integer);
    if (b->is_integer) {
      b->value = static_cast<double>(b->integer);
    } else if (!b->node.IsScalar() || !ParseDouble(b->text, b->value)) {
      Error(b->node, field,
            fmt::format("\"{}\" is not a number; ranges take plain numbers (list quantities "
                        "with units under values:)",
                        b->text));
      ok = false;
    }
  }
  if (!ok) return;
  if (from.value > to.value) {
    Error(to.node, path + ".to",
          fmt::format("to = {} is below from = {}; a range counts upward", to.text, from.text));
    return;
  }
  if (step.node && step.value <= 0) {
    Error(step.node, path + ".step", fmt::format("step = {} must be above 0", step.text));
    return;
  }
  if (factor.node && factor.value <= 1) {
    Error(factor.node, path + ".factor", fmt::format("factor = {} must be above 1", factor.text));
    return;
  }
  if (factor.node && from.value <= 0) {
    Error(from.node, path + ".from",
          fmt::format("from = {} must be above 0 for a range with factor", from.text));
    return;
  }
  const bool integers = from.is_integer && to.is_integer && by.is_integer;
  // The end is included when reached, up to rounding in the last places.
  const double end = step.node ? to.value + 1e-9 * step.value : to.value * (1 + 1e-9);
  int64_t n = from.integer;  // the integer value, exact where doubles would round
  for (int64_t i = 0;; ++i) {
    const double v = step.node ? from.value + static_cast<double>(i) * step.value
                               : from.value * std::pow(factor.value, static_cast<double>(i));
    if (v > end) break;
    if (i >= kMaxRangeValues) {
      Error(range, path,
            fmt::format("from {} to {} by {} {} gives more than {} values; use a larger {}",
                        from.text, to.text, by.name, by.text, kMaxRangeValues, by.name));
      knob.values.clear();
      return;
    }
    knob.values.push_back(integers ? std::to_string(n) : fmt::format("{:.12g}", v));
    if (integers) n = step.node ? n + step.integer : n * factor.integer;
  }
}

void StudyReader::CheckCombination(const YAML::Node& knobs, Study& study) {
  // Two knobs on one field, or on a section and a field inside it, would overwrite each other.
  for (size_t i = 0; i < study.knobs.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const std::string& a = study.knobs[j].path;
      const std::string& b = study.knobs[i].path;
      if (a.empty() || b.empty()) continue;
      if (a == b || b.starts_with(a + ".") || a.starts_with(b + ".")) {
        Error(knobs[i]["path"], fmt::format("knobs[{}].path", i),
              fmt::format("\"{}\" overlaps knobs[{}] (\"{}\"); each field can be set by one knob",
                          b, j, a));
      }
    }
  }
  if (study.combine == Combine::kZip) {
    const size_t n = study.knobs.front().values.size();
    for (size_t i = 1; i < study.knobs.size(); ++i) {
      const Knob& k = study.knobs[i];
      if (k.values.size() == n || k.values.empty() || n == 0) continue;
      Error(knobs[i], fmt::format("knobs[{}]", i),
            fmt::format("combine: zip needs lists of one length, but {} has {} values and {} "
                        "(knobs[0]) has {}",
                        k.path, k.values.size(), study.knobs.front().path, n));
    }
    return;
  }
  int64_t points = 1;
  for (const Knob& k : study.knobs) {
    if (k.values.empty()) return;
    if (points > kMaxStudyPoints / static_cast<int64_t>(k.values.size())) {
      Error(knobs, "knobs",
            fmt::format("the grid has more than {} points; split the study or use fewer values",
                        kMaxStudyPoints));
      return;
    }
    points *= static_cast<int64_t>(k.values.size());
  }
}

}  // namespace

int64_t Study::points() const {
  if (knobs.empty()) return 0;
  if (combine == Combine::kZip) return static_cast<int64_t>(knobs.front().values.size());
  int64_t n = 1;
  for (const Knob& k : knobs) n *= static_cast<int64_t>(k.values.size());
  return n;
}

std::vector<KnobValue> Study::Point(int64_t i) const {
  TRAINSIM_CHECK(i >= 0 && i < points()) << "point " << i << " of " << points();
  std::vector<KnobValue> out(knobs.size());
  // Grid: the last knob varies fastest, as nested loops in the order the knobs are written.
  int64_t rest = i;
  for (size_t k = knobs.size(); k-- > 0;) {
    const int64_t n = static_cast<int64_t>(knobs[k].values.size());
    const int64_t at = combine == Combine::kZip ? i : rest % n;
    if (combine == Combine::kGrid) rest /= n;
    out[k] = KnobValue{.path = knobs[k].path, .value = knobs[k].values[static_cast<size_t>(at)]};
  }
  return out;
}

StatusOr<config::LoadedScenario> Study::ScenarioAt(int64_t i) const {
  StatusOr<YAML::Node> parsed = config::ParseYamlText(base_text, base_file);
  if (!parsed.ok()) return parsed.status();
  YAML::Node root = base_key.empty() ? *parsed : (*parsed)[base_key];
  for (const KnobValue& k : Point(i)) {
    SetAt(root, *v1::Scenario::descriptor(), SplitPath(k.path), 0, ValueNode(k.value));
  }
  config::LoadedScenario loaded{.file = base_file};
  if (Status s = config::LoadWithCatalogs(root, "", base_file, loaded.scenario, loaded.sources);
      !s.ok()) {
    return s;
  }
  return loaded;
}

StatusOr<Study> LoadStudyText(std::string_view text, const std::string& file) {
  StatusOr<YAML::Node> root = config::ParseYamlText(text, file);
  if (!root.ok()) return root.status();
  if (!root->IsDefined() || root->IsNull()) {
    return InvalidArgumentError(
        fmt::format("{}: the study is empty; a study needs base (or scenario) and knobs", file));
  }
  Study study{.file = file};
  Diagnostics diagnostics;
  StudyReader(file, diagnostics).Read(*root, text, study);
  if (!diagnostics.empty()) return diagnostics.ToStatus();
  return study;
}

StatusOr<Study> LoadStudyFile(const std::string& path) {
  std::string text;
  if (!ReadFile(path, text)) {
    return InvalidArgumentError(fmt::format("{}: cannot open the study file", path));
  }
  return LoadStudyText(text, path);
}

}  // namespace trainsim::planner
