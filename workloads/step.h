// One training step, simulated: the answer `trainsim run` prints. SimulateStep times every op of
// a micro-batch with the roofline (layer_costs.h), builds the step's ExecutionGraph
// (step_graph.h), plans its collectives on the topology (executor.h), runs it on the native
// discrete-event executor and derives the figures planners compare:
//  * step time, and where it goes on the critical stage (the stage that finishes last): compute
//    by kind, exposed communication by kind, pipeline bubble. A gap on the stream before an op
//    is exposed communication of the kind that gated it, up to that transfer's own duration;
//    the rest of the gap is bubble (the transfer itself waited on another stage). The shares sum
//    to the step time.
//  * MFU and HFU: model FLOPs (PaLM: 6·N·tokens + attention, no recompute) and hardware FLOPs
//    (with recompute) per second, over GPUs × the dense peak of the compute format;
//    TFLOP/s per GPU the way Megatron-LM's paper counts it (Eq. 3, which assumes full
//    recompute), so figures compare with its tables; tokens per second.
//  * memory per GPU per stage (memory.h); a plan that does not fit is not simulated.
//  * energy: each op's energy from the roofline, plus static power while a GPU waits; average
//    power per GPU; the cluster's power adds each node's non-GPU budget (node_power − GPUs × TDP).
//  * per-tier link traffic and utilisation, and which algorithm each collective uses.
#ifndef TRAINSIM_WORKLOADS_STEP_H_
#define TRAINSIM_WORKLOADS_STEP_H_

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/simulation_options.h"
#include "sim/status.h"
#include "sim/units.h"
#include "topology/cluster_spec.h"
#include "workloads/execution_graph.h"
#include "workloads/executor.h"
#include "workloads/layer_costs.h"
#include "workloads/memory.h"
#include "workloads/model_spec.h"
#include "workloads/parallel_plan.h"

namespace trainsim::workloads {

// Runs a step's graph: ExecuteNative, or another engine's executor with the same contract
// (workloads/simgrid_executor.h).
using GraphExecutor = std::function<StatusOr<ExecutionTrace>(
    const ExecutionGraph&, std::span<const PlannedComm>, const topology::Topology&)>;

// A step's timeline, as plain data for traces and dashboards: every node of the graph with its
// times, the PP transfers as flows between nodes, and what a communication node moves per link
// tier.
struct TimelineSpan {
  int32_t stream = 0;  // class · pp + stage
  Category category = Category::kForward;
  bool on_stream = true;
  int32_t comm = -1;  // index into comm_labels; -1 for compute
  Time start;
  Time end;
  double watts = 0;  // compute: the op's energy over its duration, one GPU
};
struct TimelineFlow {
  uint32_t from = 0;  // a PP send
  uint32_t to = 0;    // the node on the next stage that waited for it
};
struct StepTimeline {
  int pp = 1;
  std::vector<std::string> stream_names;  // by stream, e.g. "stage 1" or "stage 1, replica 3"
  std::vector<TimelineSpan> spans;        // by graph node
  std::vector<std::string> comm_labels;   // by comm op, e.g. "tp allgather 48.0 MiB"
  std::vector<TimelineFlow> flows;
  std::vector<std::string> tiers;                    // link tiers the step's traffic crosses
  std::vector<std::vector<double>> comm_tier_bytes;  // [comm][tier]: bytes one run moves there,
                                                     // mirror groups included
  std::vector<double> tier_capacity;                 // B/s, the tier's links the step uses
  double static_watts = 0;                           // a GPU waiting
};

struct StepScenario {
  const topology::ClusterSpec* cluster = nullptr;
  const ModelSpec* model = nullptr;
  const ParallelPlan* plan = nullptr;
  const TrainingSpec* training = nullptr;
  const PrecisionSpec* precision = nullptr;
  const SimulationOptions* options = nullptr;
  GraphExecutor executor;  // empty: ExecuteNative
  bool record_timeline = false;  // fill StepResult::timeline
};

struct TimeShare {
  std::string name;  // "forward", "backward", "recompute", "optimizer", "tp-comm", ...,
                     // "pp-bubble", "idle"
  Time time;
};

struct TierLoad {
  std::string tier;
  Bytes bytes;                   // weighted by the mirror groups the representative stands for
  double mean_utilisation = 0;   // over the tier's links that carried traffic, busy/step
  double max_utilisation = 0;
  int links = 0;                 // links of the tier that carried traffic
};

struct CommUse {
  std::string what;       // e.g. "tp allgather 96 MiB, stage 0"
  std::string algorithm;  // e.g. "nvls/simple"
  Time idle_time;         // alone on an idle network
  int groups = 1;         // concurrent groups of that kind on the stage
  int count = 0;          // times per step on that stage
};

struct StepResult {
  bool simulated = false;  // false: out of memory, only `memory` is filled in
  MemoryEstimate memory;

  Time step_time;
  int critical_stage = 0;
  std::vector<TimeShare> breakdown;  // of the critical stage; sums to step_time
  std::vector<Time> stage_end;       // when each stage's last op ended
  // What bounds the step: the critical stage's largest breakdown share; the collective with the
  // most exposed time on it and the busiest link tier that collective crosses (empty when no
  // communication is exposed).
  std::string bound_by;
  std::string bottleneck_collective;
  Time bottleneck_collective_time;
  std::string bottleneck_tier;
  double bottleneck_tier_utilisation = 0;

  double model_flops = 0;     // per step, whole cluster
  double hardware_flops = 0;  // per step, whole cluster (from the simulated ops)
  double mfu = 0;
  double hfu = 0;
  double tflops_per_gpu = 0;           // hardware FLOP/s per GPU, in TFLOP/s
  double megatron_tflops_per_gpu = 0;  // Eq. (3) FLOPs / (step time · GPUs)
  double peak_tflops_per_gpu = 0;      // dense peak of the compute format
  double tokens_per_s = 0;

  Joules energy_per_step;   // all GPUs
  Watts avg_power_per_gpu;
  Watts cluster_power;      // GPUs + the rest of each node
  double time_to_train_s = 0;    // training.tokens or steps; 0 when neither is given
  double energy_to_train_j = 0;  // cluster energy over that time
  int64_t steps_to_train = 0;

  std::vector<TierLoad> links;
  std::vector<CommUse> comms;
  std::vector<OpRecord> ops;  // per-kernel roofline accounting of one micro-batch and layer
  size_t graph_nodes = 0;
  size_t planned_collectives = 0;
  std::shared_ptr<const StepTimeline> timeline;  // with StepScenario::record_timeline
};

// Errors: a GPU or format the roofline cannot time (InvalidArgument), a collective no algorithm
// can run on the cluster (FailedPrecondition), both naming what failed.
StatusOr<StepResult> SimulateStep(const StepScenario& scenario);

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_STEP_H_
