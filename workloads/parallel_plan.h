// ParallelPlan: how one training step is split over the GPUs, and TrainingSpec/PrecisionSpec:
// what one step processes and in which number formats. config/ builds and validates them
// (products equal the GPU count, divisibility of layers, heads, experts and batch).
#ifndef TRAINSIM_WORKLOADS_PARALLEL_PLAN_H_
#define TRAINSIM_WORKLOADS_PARALLEL_PLAN_H_

#include <array>
#include <cstdint>
#include <string>

namespace trainsim::workloads {

enum class PipelineSchedule { kGpipe, kOneFOneB, kInterleavedOneFOneB };
enum class Recompute { kNone, kSelective, kFull };
enum class ParallelDim : uint8_t { kTp, kCp, kDp, kPp };

struct ParallelPlan {
  int tp = 1;
  int pp = 1;
  int dp = 1;
  int cp = 1;
  int ep = 1;  // carved out of dp·cp: expert layers shard experts over ep ranks
  int virtual_stages = 1;
  bool sequence_parallel = true;
  PipelineSchedule schedule = PipelineSchedule::kOneFOneB;
  int microbatch_size = 1;
  int zero_stage = 1;
  Recompute recompute = Recompute::kSelective;
  bool dp_overlap = true;
  bool tp_overlap = false;
  bool pp_overlap = true;
  // Layers of the first and last pipeline stage when they differ from the others (0: an even
  // split); the middle stages share the rest evenly. Only without virtual stages.
  int first_stage_layers = 0;
  int last_stage_layers = 0;
  // Rank order, fastest-varying first: a permutation of kTp, kCp, kDp, kPp (Megatron: tp, cp,
  // dp, pp). Ranks are GPUs node-major, so the first dimensions stay inside a node.
  std::array<ParallelDim, 4> order = {ParallelDim::kTp, ParallelDim::kCp, ParallelDim::kDp,
                                      ParallelDim::kPp};

  int64_t gpus() const { return int64_t{tp} * pp * dp * cp; }
};

// The transformer layers [first, first + count) of model chunk `chunk` (0 .. v − 1) on pipeline
// stage `stage`: global chunk chunk·pp + stage of an even split, or the plan's uneven first and
// last stages. REQUIRES: a plan config/ has validated for a model of `layers` layers.
struct LayerRange {
  int first = 0;
  int count = 0;
};
LayerRange ChunkLayers(int layers, const ParallelPlan& plan, int stage, int chunk);

struct TrainingSpec {
  int64_t global_batch = 0;  // sequences per optimizer step
  int64_t sequence_length = 0;
  int64_t steps = 0;   // of the whole run; 0 when given as tokens
  double tokens = 0;   // of the whole run; 0 when given as steps
  // Fused (FlashAttention) or unfused attention: the latter writes the b·heads·s² score matrix
  // to HBM and reads it back through softmax, dropout and A·V (Megatron-LM before 2022).
  bool flash_attention = true;
  // Fraction of the roofline's kernel rate the software sustains end to end (kernel gaps,
  // framework overhead): compute times are divided by it, the extra time at static power.
  double software_efficiency = 1.0;

  int64_t tokens_per_step() const { return global_batch * sequence_length; }
  // Micro-batches each pipeline processes per step.
  int64_t microbatches(const ParallelPlan& plan) const {
    return global_batch / (int64_t{plan.dp} * plan.microbatch_size);
  }
};

// Number formats by name as compute/ spells them ("bf16", "fp8", "int4-vsq"); the loader has
// checked each name against compute's format registry.
struct PrecisionSpec {
  std::string compute = "bf16";
  bool sparse_2to4 = false;
  std::string params = "bf16";
  std::string grads = "bf16";
  std::string master_weights = "fp32";
  std::string optimizer_state = "fp32";
};

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_PARALLEL_PLAN_H_
