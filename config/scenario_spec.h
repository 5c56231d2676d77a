// ScenarioSpec: a scenario after validation, as typed domain specs (STYLE.md point 5). Below
// this point no code sees protobuf messages or unit strings. BuildScenarioSpec checks every
// cross-field rule (GPU counts, divisibility of layers, heads, experts and batch) and reports all
// violations at once, each at the file position of the field it names.
#ifndef TRAINSIM_CONFIG_SCENARIO_SPEC_H_
#define TRAINSIM_CONFIG_SCENARIO_SPEC_H_

#include <optional>
#include <string>

#include "compute/gpu_spec.h"
#include "config/scenario_loader.h"
#include "planner/goodput.h"
#include "sim/simulation_options.h"
#include "sim/status.h"
#include "topology/cluster_spec.h"
#include "trainsim/v1/gpu.pb.h"
#include "workloads/model_spec.h"
#include "workloads/parallel_plan.h"

namespace trainsim::config {

struct ScenarioSpec {
  std::string name;
  std::string description;
  topology::ClusterSpec cluster;
  workloads::ModelSpec model;
  workloads::ParallelPlan parallel;
  workloads::TrainingSpec training;
  workloads::PrecisionSpec precision;
  SimulationOptions simulation;
  // The goodput what-if, when the scenario asks for it (checkpoint size resolved).
  std::optional<planner::GoodputSpec> goodput;
};

StatusOr<ScenarioSpec> BuildScenarioSpec(const LoadedScenario& loaded);

// GpuSpec ⇄ trainsim.v1.Gpu, member by member (unset proto fields keep GpuSpec's defaults).
compute::GpuSpec GpuSpecFromProto(const trainsim::v1::Gpu& gpu);
trainsim::v1::Gpu GpuSpecToProto(const compute::GpuSpec& gpu);

// A cluster on its own, from the YAML text of a trainsim.v1.Cluster (presets allowed), for tools
// that need no model (`trainsim collective`). `file` names the text in diagnostics.
StatusOr<topology::ClusterSpec> LoadClusterText(std::string_view text, const std::string& file);

// A GPU preset by name (e.g. "h100-sxm"), validated. Unknown names list the presets.
StatusOr<compute::GpuSpec> GpuFromPreset(const std::string& name);

// The scenario as it will be simulated: presets expanded, defaults filled in, and the GPU's
// model parameters shown with the values in effect. Loads back into the same ScenarioSpec.
std::string ResolvedYaml(const LoadedScenario& loaded, const ScenarioSpec& spec);

}  // namespace trainsim::config

#endif  // TRAINSIM_CONFIG_SCENARIO_SPEC_H_
