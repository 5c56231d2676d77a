// Memory per GPU of a training plan, for each pipeline stage: model state (weights, gradients,
// optimizer), activations held for the backward pass, and communication/runtime buffers. All
// GPUs of one stage hold the same amounts (TP, CP, EP and DP ranks are symmetric), so one
// StageMemory per stage describes the whole cluster. Byte counts are exact integers.
//   Model state: mixed-precision Adam (Micikevicius et al. 2018; Rajbhandari et al., ZeRO, 2020):
//   weights at precision.params, gradients at precision.grads, master weights at
//   precision.master_weights (only when it differs from params) plus Adam's m and v at
//   precision.optimizer_state. ZeRO-1 shards the optimizer over the data-parallel group (dp·cp
//   ranks, Megatron's data-parallel-with-CP group; dp·cp/ep for expert weights), ZeRO-2 also
//   the gradients, ZeRO-3 also the weights.
//   Activations: Korthikanti et al., "Reducing Activation Recomputation in Large Transformer
//   Models" (MLSys 2023, arXiv:2205.05198), Table 2 and §4.2.3/§4.3, per layer and micro-batch
//   at 16 bits, times the micro-batches the schedule keeps in flight (see the .cc for the
//   generalisation to GQA, SwiGLU, MoE and context parallelism).
#ifndef TRAINSIM_WORKLOADS_MEMORY_H_
#define TRAINSIM_WORKLOADS_MEMORY_H_

#include <cstdint>
#include <vector>

#include "sim/status.h"
#include "sim/units.h"
#include "workloads/model_spec.h"
#include "workloads/parallel_plan.h"

namespace trainsim::workloads {

struct StageMemory {
  int stage = 0;
  Bytes weights;  // this GPU's weight shard (+ FP8 copies of the GEMM weights, see .cc)
  Bytes gradients;
  Bytes optimizer;    // master weights + Adam m and v
  Bytes activations;  // peak stored activations of the in-flight micro-batches
  Bytes buffers;      // communication buffers, ZeRO-3 gather buffer, CUDA/NCCL runtime
  Bytes total;        // the sum of the above
};

struct MemoryEstimate {
  std::vector<StageMemory> stages;  // one per pipeline stage, in stage order
  Bytes capacity;                   // HBM per GPU
  int worst_stage = 0;              // the (first) stage with the largest total
  Bytes peak;                       // stages[worst_stage].total

  bool fits() const { return peak <= capacity; }
  // How much the worst stage is over capacity; zero when it fits.
  Bytes overflow() const { return fits() ? Bytes(0) : peak - capacity; }
};

// The estimate for every stage. Invalid input (a non-positive capacity or size, degrees that do
// not divide the model, unknown number formats, fewer than one micro-batch per pipeline, a
// result beyond 2^63 bytes) is an InvalidArgument error naming every problem at once.
StatusOr<MemoryEstimate> EstimateMemory(const ModelSpec& model, const ParallelPlan& plan,
                                        const TrainingSpec& training,
                                        const PrecisionSpec& precision, Bytes hbm_capacity);

// Parameters one GPU of pipeline stage `stage` holds (before any ZeRO sharding): the layers of
// its model chunks (interleaved: stage s holds chunks s, s + pp, s + 2·pp, ... of layers/(pp·v)
// consecutive layers each), the input embedding on stage 0, the final norm and the output
// projection on the last stage (a tied embedding has its copy there too when pp > 1, as
// Megatron-LM keeps one and all-reduces their gradients), split over tp as
// CountLayerParameters describes (vocabulary-parallel embeddings: ceil(V/tp)·h) and routed
// experts also over ep. REQUIRES: a valid plan for the model (EstimateMemory checks), 0 <= stage
// < pp.
int64_t ParametersOnStage(const ModelSpec& model, const ParallelPlan& plan, int stage);
// One model chunk's share of ParametersOnStage (chunk 0 .. virtual_stages − 1 of `stage`): the
// embedding comes with global chunk 0, the final norm and output layer with the last; `expert`
// is its routed-expert part. REQUIRES as ParametersOnStage, 0 <= chunk < virtual_stages.
struct ChunkParameters {
  int64_t dense = 0;   // gradients reduced over the DP×CP group
  int64_t expert = 0;  // gradients reduced over the expert-data-parallel group
};
ChunkParameters ParametersOfChunk(const ModelSpec& model, const ParallelPlan& plan, int stage,
                                  int chunk);

// Megatron-LM DDP's gradient bucket in parameters: max(kDpBucketMinParameters,
// kDpBucketParametersPerRank · dp·cp).
int64_t DpBucketParameters(const ParallelPlan& plan);

// The routed-expert part of ParametersOnStage (ZeRO shards it over dp·cp/ep ranks).
int64_t ExpertParametersOnStage(const ModelSpec& model, const ParallelPlan& plan, int stage);

// (micro-batch, model chunk) forward passes whose activations pipeline stage `stage` holds at its
// peak, with `microbatches` micro-batches per step:
//   GPipe: all of them, m;
//   1F1B: min(pp − stage, m) (Narayanan et al. 2021: stage 0 holds pp, the last stage 1);
//   interleaved 1F1B: Megatron-LM's warm-up forwards + 1 = min(2·(pp − stage − 1) +
//   (v − 1)·pp + 1, m·v), each of layers/(pp·v) layers. On stage 0 that is (pp·v + pp − 1)
//   chunks = layers/pp · pp · (1 + (pp − 1)/(pp·v)) layers' worth, Korthikanti et al. §4.2.3.
int64_t MicrobatchesInFlight(const ParallelPlan& plan, int64_t microbatches, int stage);

// Activation bytes one GPU stores for the backward pass of transformer layer `layer`, for one
// micro-batch of plan.microbatch_size sequences of `sequence_length` tokens, under plan.tp, cp,
// sequence_parallel and recompute. With t = tp, s, b, h, a as in Korthikanti et al. Table 2:
//   recompute none:      sbh(34 + 5as/h)/t with SP; sbh(10 + 24/t + 5as/(ht)) without;
//   recompute selective: 34·sbh/t with SP; sbh(10 + 24/t) without;
//   recompute full:      2·sbh/t with SP; 2·sbh without.
// REQUIRES: a valid plan for the model, 0 <= layer < model.layers, a result below 2^63.
Bytes LayerActivationBytes(const ModelSpec& model, const ParallelPlan& plan,
                           int64_t sequence_length, int layer);

// Buffer constants (see memory.cc for how each is used).
// CUDA context with lazy module loading, cuBLAS/cuBLASLt and cuDNN workspaces, allocator slack:
// an estimate (PyTorch on H100 typically shows 0.5–1 GiB in use before the model is built).
inline constexpr Bytes kRuntimeReserve = Bytes(int64_t{1} << 30);
// NCCL buffers per communicator in use: NCCL_BUFFSIZE defaults to 4 MiB (NCCL environment
// variable documentation) per channel and peer; 2 peers (ring send/receive) × 32 channels
// (NCCL's MAXCHANNELS, which it uses on NVLink/NVSwitch) = 256 MiB. An estimate: NCCL sizes
// channels per topology and allocates protocol buffers lazily.
inline constexpr Bytes kNcclBuffersPerCommunicator = Bytes(int64_t{256} << 20);
// Megatron-LM DDP's default gradient bucket: max(40,000,000, 1,000,000 · dp·cp) parameters
// (megatron/core/distributed/distributed_data_parallel_config.py, bucket_size).
inline constexpr int64_t kDpBucketMinParameters = 40'000'000;
inline constexpr int64_t kDpBucketParametersPerRank = 1'000'000;

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_MEMORY_H_
