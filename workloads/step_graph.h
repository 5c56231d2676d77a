// Builds the ExecutionGraph of one training step from the plan, the per-micro-batch block costs
// (layer_costs.h) and the per-stage parameter shards:
//  * each stage's passes in its pipeline schedule's order (pipeline_schedule.h), each pass the
//    layers of one model chunk: TP all-gather / reduce-scatter around the attention and MLP
//    blocks with sequence parallelism (all-reduce without), CP key/value exchange overlapped
//    with attention, EP all-to-all dispatch and combine around the experts, recompute before a
//    backward where the policy asks for it;
//  * PP sends of activations (forward) and gradients (backward) between consecutive model
//    chunks, off the stream (Megatron's batched p2p overlaps them with compute);
//  * DP gradient reduction in buckets: with dp_overlap, during a chunk's last micro-batch
//    backward a bucket starts as soon as its layers are done (Megatron's overlap-grad-reduce),
//    else every chunk's gradients after the stage's last backward; reduce-scatter with a distributed optimizer (ZeRO >= 1) or all-reduce; dense
//    gradients over the DP×CP group, expert gradients over the expert-data-parallel group;
//  * the optimizer step on the stream after the stage's buckets, then the parameter all-gather
//    (ZeRO >= 1): with dp_overlap it is the previous step's, overlapped with this step's first
//    forwards (Megatron's overlap-param-gather); ZeRO-3 also gathers each chunk's parameters
//    before every pass, prefetched one pass ahead, and reduce-scatters every backward.
#ifndef TRAINSIM_WORKLOADS_STEP_GRAPH_H_
#define TRAINSIM_WORKLOADS_STEP_GRAPH_H_

#include <vector>

#include "workloads/execution_graph.h"
#include "workloads/layer_costs.h"
#include "workloads/model_spec.h"
#include "workloads/parallel_plan.h"

namespace trainsim::workloads {

// One model chunk's parameters on one rank, in bytes as the plan's formats store them.
struct ChunkShard {
  Bytes dense_grads;  // reduced over the DP×CP group
  Bytes expert_grads;  // reduced over the expert-data-parallel group
  Bytes dense_params;  // gathered after the optimizer step (ZeRO >= 1)
  Bytes expert_params;
};

struct StageWork {
  std::vector<ChunkShard> chunks;  // virtual_stages of them
  Cost optimizer;
};

// Replicas (indices d = cp + CP·dp of the DP×CP group) that behave alike: a representative
// replica, how many replicas the class stands for, and how much slower each stage's compute is
// on it (stragglers; 0 for none).
struct ReplicaClass {
  int replica = 0;
  int64_t replicas = 1;
  std::vector<double> slowdown;  // per stage; empty: none
};

struct StepGraphInputs {
  const ModelSpec* model = nullptr;
  const ParallelPlan* plan = nullptr;
  int microbatches = 0;
  const LayerCosts* costs = nullptr;
  CommSizes sizes;
  std::vector<StageWork> stages;  // plan.pp of them
  // Gradient bucket size: with dp_overlap a chunk's gradients go out in buckets of about this
  // many bytes as the layers of its last backward finish (Megatron-LM's DDP buckets).
  Bytes bucket_bytes = Bytes(80'000'000);
  // The classes of replicas; empty: one class of all of them. Streams are numbered
  // class · pp + stage. DP collectives are shared: every class's ranks take part in each.
  std::vector<ReplicaClass> classes;
  // Every replica is its own class (`classes` lists them all, in replica order): the EP
  // all-to-all and the CP exchanges become nodes shared by the classes of one EP or CP group,
  // as the DP collectives are shared by all, and each class's TP and PP transfers are its own.
  bool expand = false;
  // Jitter (with expand): each compute op's time on each GPU is multiplied by a lognormal draw
  // of mean 1 and this relative standard deviation, keyed by (seed, GPU, op), so the same seed
  // gives the same step. A TP group's op takes its slowest member's time (its kernels meet at
  // every TP collective).
  double compute_jitter = 0;
  uint64_t seed = 1;
  Watts static_power;  // what a GPU draws while a straggler's extra time passes
};

ExecutionGraph BuildStepGraph(const StepGraphInputs& in);

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_STEP_GRAPH_H_
