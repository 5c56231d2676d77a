// The published figures `trainsim validate` compares with (workloads/validation/*.yaml, embedded
// in the binary): each case is a scenario and the TFLOP/s per GPU its authors measured.
#ifndef TRAINSIM_CONFIG_VALIDATION_H_
#define TRAINSIM_CONFIG_VALIDATION_H_

#include <string>
#include <vector>

#include "config/scenario_spec.h"
#include "sim/status.h"

namespace trainsim::config {

struct ValidationCase {
  std::string name;
  double published_tflops_per_gpu = 0;
  ScenarioSpec spec;
};

inline constexpr std::string_view kMegatronSc21Path = "workloads/validation/megatron_sc21.yaml";

// Megatron-LM SC'21 Table 1, all ten rows.
StatusOr<std::vector<ValidationCase>> LoadMegatronSc21();

}  // namespace trainsim::config

#endif  // TRAINSIM_CONFIG_VALIDATION_H_
