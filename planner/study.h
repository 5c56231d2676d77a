// A what-if study: a base scenario and knobs to vary. Each knob is a field path of the scenario
// schema (trainsim.v1.Scenario, e.g. "cluster.fabric.sharp.enabled") with a list of values or a
// numeric range; knobs combine as a grid (cartesian product, the first knob varying slowest) or
// zipped (equal-length lists, element-wise). Point i of the study is the base scenario with each
// knob's value set at its path in the YAML tree (maps created as needed; a preset name standing
// for a section becomes {preset: NAME} so that one field can be overridden), loaded and checked
// by config/ like any scenario file.
//
// Loading checks the study itself, all problems at once, each naming the study file, line,
// field path and bad value (kInvalidArgument, exit 2 at the CLI): unknown fields, knob paths that
// are not fields of the schema (with a did-you-mean), empty value lists, zip lists of different
// lengths, bad ranges. A point whose scenario is invalid is not a study error: ScenarioAt says why
// for that point only. A Study is immutable after loading and safe to share between threads.
#ifndef TRAINSIM_PLANNER_STUDY_H_
#define TRAINSIM_PLANNER_STUDY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/scenario_loader.h"
#include "sim/status.h"

namespace trainsim::planner {

enum class Combine { kGrid, kZip };

// One knob at one point: the field path and the value as YAML text ("true", "2048", "400Gb/s";
// a mapping or list in flow style, "{preset: h200-sxm}").
struct KnobValue {
  std::string path;
  std::string value;
  friend bool operator==(const KnobValue&, const KnobValue&) = default;
};

struct Knob {
  std::string path;
  std::vector<std::string> values;  // YAML text of each value, in study order (ranges expanded)
};

struct Study {
  std::string file;  // the study file as named by the user
  std::string name;
  std::string description;
  // The base scenario: the YAML text it is read from, the file that text came from (for
  // diagnostics) and, when the scenario is written inline, the study file's key holding it.
  std::string base_text;
  std::string base_file;
  std::string base_key;  // "scenario" for an inline base, empty for `base: FILE`
  std::vector<Knob> knobs;
  Combine combine = Combine::kGrid;

  // Number of points: the product of the knobs' value counts (grid) or their common count (zip).
  int64_t points() const;
  // The knob values of point `i`, in knob order. REQUIRES: 0 <= i < points().
  std::vector<KnobValue> Point(int64_t i) const;
  // The base scenario with point `i`'s knob values applied, loaded with presets and defaults.
  // Errors are the loader's (file:line:col of the base for fields the knobs did not set, the
  // field path and value for those they did). REQUIRES: 0 <= i < points().
  StatusOr<config::LoadedScenario> ScenarioAt(int64_t i) const;
};

// Most points a study may have; larger grids are a study error (split them with knobs or
// shards of several studies).
inline constexpr int64_t kMaxStudyPoints = 1'000'000;

// Reads and checks a study file; an unreadable file is kInvalidArgument naming it.
StatusOr<Study> LoadStudyFile(const std::string& path);

// `file` names the text in diagnostics; a relative `base:` path is resolved against its directory.
StatusOr<Study> LoadStudyText(std::string_view text, const std::string& file);

}  // namespace trainsim::planner

#endif  // TRAINSIM_PLANNER_STUDY_H_
