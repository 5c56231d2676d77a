// The goodput what-if: how much of a training run's wall time is useful work once GPUs, nodes and
// links fail, the job checkpoints to survive it, and every failure costs a restart and the work
// since the last checkpoint. Failures are independent with constant rates (exponential times), so
// the cluster's MTBF is M = 1 / Σ rates (GPUs, nodes, links, each count / MTBF).
//   Checkpoint write time δ = checkpoint bytes / storage write bandwidth.
//   Checkpoint interval (compute time between checkpoints): Young, "A first order approximation
//   to the optimum checkpoint interval" (CACM 1974): τ = sqrt(2·δ·M); Daly, "A higher order
//   estimate of the optimum checkpoint interval for restart dumps" (FGCS 22(3), 2006):
//   τ = sqrt(2δM)·[1 + 1/3·sqrt(δ/(2M)) + (δ/(2M))/9] − δ for δ < 2M, else M.
//   Goodput (first order, as Young's derivation): each interval of τ useful seconds takes τ + δ;
//   a failure, on average every M seconds of wall time, costs the restart R and half an interval
//   of lost work, (τ + δ)/2:  goodput = τ/(τ + δ) · max(0, 1 − (R + (τ + δ)/2) / M).
//   Expected time to train = ideal time / goodput.
// Durations are doubles in seconds: MTBFs of single parts (tens of thousands of hours) exceed the
// range of sim/units.h's picosecond Time.
#ifndef TRAINSIM_PLANNER_GOODPUT_H_
#define TRAINSIM_PLANNER_GOODPUT_H_

#include <cstdint>

#include "sim/status.h"
#include "sim/units.h"

namespace trainsim::planner {

// What the scenario's `goodput` section says, resolved (config/ fills checkpoint_bytes with the
// model's weights and optimizer state when the file leaves it out). An MTBF of 0 means that kind
// of part is not counted; at least one is positive.
struct GoodputSpec {
  double gpu_mtbf_h = 0;
  double node_mtbf_h = 0;
  double link_mtbf_h = 0;
  Bytes checkpoint_bytes;
  BytesPerSecond storage_bandwidth;  // aggregate write bandwidth of the checkpoint storage
  Time restart_time;                 // failure to training again, checkpoint loaded
};

// The parts that fail: GPUs, nodes, and scale-out links (one per NIC, its cable to the leaf).
struct FailingParts {
  int64_t gpus = 0;
  int64_t nodes = 0;
  int64_t links = 0;
};

struct GoodputEstimate {
  double cluster_mtbf_s = 0;
  double checkpoint_write_s = 0;     // δ
  double young_interval_s = 0;       // sqrt(2δM)
  double checkpoint_interval_s = 0;  // Daly's, used for the goodput
  double goodput = 0;                // useful time / wall time, in [0, 1]
  double ideal_time_to_train_s = 0;  // without failures or checkpoints; 0 when unknown
  // ideal / goodput; 0 when the ideal time is unknown or the goodput is 0 (failures come faster
  // than a checkpoint interval and a restart).
  double expected_time_to_train_s = 0;
  double expected_failures = 0;  // over the expected time to train
};

// 1 / Σ count/MTBF over the kinds with an MTBF > 0, in seconds. REQUIRES: at least one rate.
double ClusterMtbfSeconds(const GoodputSpec& spec, const FailingParts& parts);
// REQUIRES: delta >= 0, mtbf > 0.
double YoungInterval(double delta_s, double mtbf_s);
double DalyInterval(double delta_s, double mtbf_s);
// REQUIRES: interval > 0, delta >= 0, mtbf > 0, restart >= 0.
double GoodputFraction(double interval_s, double delta_s, double mtbf_s, double restart_s);

// InvalidArgument when no failure rate is positive, a count is negative, or the bandwidth is not
// positive.
StatusOr<GoodputEstimate> EstimateGoodput(const GoodputSpec& spec, const FailingParts& parts,
                                          double ideal_time_to_train_s);

}  // namespace trainsim::planner

#endif  // TRAINSIM_PLANNER_GOODPUT_H_
