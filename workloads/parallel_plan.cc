#include "workloads/parallel_plan.h"

#include "sim/check.h"

namespace trainsim::workloads {

LayerRange ChunkLayers(int layers, const ParallelPlan& plan, int stage, int chunk) {
  TRAINSIM_CHECK(stage >= 0 && stage < plan.pp && chunk >= 0 && chunk < plan.virtual_stages);
  if (plan.first_stage_layers == 0 && plan.last_stage_layers == 0) {
    const int per_chunk = layers / (plan.pp * plan.virtual_stages);
    return {.first = (chunk * plan.pp + stage) * per_chunk, .count = per_chunk};
  }
  TRAINSIM_CHECK(plan.virtual_stages == 1 && plan.pp >= 2);
  const int first = plan.first_stage_layers > 0 ? plan.first_stage_layers : layers / plan.pp;
  const int last = plan.last_stage_layers > 0 ? plan.last_stage_layers : layers / plan.pp;
  if (stage == 0) return {.first = 0, .count = first};
  if (stage == plan.pp - 1) return {.first = layers - last, .count = last};
  const int middle = (layers - first - last) / (plan.pp - 2);
  return {.first = first + (stage - 1) * middle, .count = middle};
}

}  // namespace trainsim::workloads
