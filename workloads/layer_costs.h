// Per-GPU compute cost of the blocks of one training step, for one micro-batch on one rank after
// tensor, sequence, context and expert parallelism have split the work, timed op by op with the
// roofline model of compute/ (tile waves, HBM traffic, power cap, launch overhead).
//
// Ops per transformer layer, forward (T = b·s/cp tokens per rank, t = TP, h hidden, f FFN):
//   attention block: norm (T/t rows with sequence parallelism, else T), QKV GEMM T×h×(h+2·kv·d)/t,
//                    fused attention (heads/t, causal, seq s/cp against s), output projection
//                    T×(h/t)×h, dropout + residual
//   MLP block:       norm, FC1 T×h×f/t (2f/t for SwiGLU's gate and up), activation, FC2
//                    T×(f/t)×h, dropout + residual
//   MoE layers:      the MLP block's norm, a router GEMM T×h×E and top-k, token permutation, then
//                    the experts: E/ep local experts as a grouped GEMM over T·k·c routed tokens
//                    (k = top-k, c = capacity factor, 1 when dropless; expert tensor parallel =
//                    t), shared experts as a dense MLP, un-permutation
//   first stage:     embedding lookup; last stage: final norm, logits T×h×V/t, FP32 cross-entropy
// Backward: each GEMM Y = X·W becomes dX = dY·Wᵀ and dW = Xᵀ·dY (2× the forward FLOPs);
// attention runs its backward kernel; memory-bound ops cost twice their forward (they read the
// saved input and the incoming gradient, and write a gradient).
// Recompute (Korthikanti et al. 2022): selective re-runs the fused attention forward before its
// backward; full re-runs each block's whole forward.
//
// training.software_efficiency (1 unless a scenario says otherwise) stretches every op's time.
//
// Formats: GEMMs in precision.compute (2:4-sparse weights in forward and data-gradient GEMMs
// when precision.sparse_2to4); fused attention in BF16 unless compute is FP16 (Transformer
// Engine keeps attention in 16-bit by default); activations and norms in 16-bit; the
// cross-entropy in FP32. Context parallelism (ring attention with load-balanced causal chunks)
// is modelled as 1/cp of the full-sequence attention's time and energy.
#ifndef TRAINSIM_WORKLOADS_LAYER_COSTS_H_
#define TRAINSIM_WORKLOADS_LAYER_COSTS_H_

#include <string>
#include <vector>

#include "compute/roofline.h"
#include "sim/status.h"
#include "sim/units.h"
#include "workloads/model_spec.h"
#include "workloads/parallel_plan.h"

namespace trainsim::workloads {

// Time, energy and useful FLOPs of a sequence of kernels on one GPU.
struct Cost {
  Time time;
  Joules energy;
  double flops = 0;

  void Add(const compute::RooflineResult& r);
  // The cost when software sustains `efficiency` of the kernel rate: time / efficiency, the
  // extra time at `static_power` (the GPU waits between kernels). FLOPs unchanged.
  Cost Stretched(double efficiency, Watts static_power) const;
  // Takes `factor` times as long (factor > 0; below 1 is faster); the static power of the
  // longer or shorter time is added or taken off the energy.
  Cost Scaled(double factor, Watts static_power) const;
};

// One kernel of one block, for the per-op table of a report: what it computes and moves, and how
// long the roofline says it takes (before software_efficiency).
struct OpRecord {
  std::string block;  // "attention", "mlp", "moe", "experts", "embedding", "logits"
  bool backward = false;
  std::string op;  // e.g. "QKV", "attention", "MLP", "norm"
  double flops = 0;
  double bytes = 0;  // HBM bytes read + written
  Time time;
  compute::Bound bound = compute::Bound::kMath;
};

struct BlockCost {
  Cost forward;
  Cost backward;
  Cost recompute;  // re-run before the backward (zero when the policy keeps the activations)
};

struct LayerCosts {
  BlockCost attention;
  BlockCost mlp;      // dense layers: norm, MLP, dropout and residual
  BlockCost moe;      // MoE layers: norm, router and top-k, shared experts, dropout and residual
  BlockCost experts;  // MoE layers: permutation, the routed experts, un-permutation
  BlockCost embedding;
  BlockCost logits;  // final norm, output GEMM, cross-entropy
  // Every kernel of the forward and backward blocks above, one micro-batch, one layer of each
  // kind (GEMM backward: data and weight gradients as two entries).
  std::vector<OpRecord> ops;
};

// Bytes each rank contributes to the step's collectives, for one micro-batch and one layer, in
// nccl-tests' convention (AllGather/ReduceScatter/AllToAll: the whole buffer of one rank).
struct CommSizes {
  Bytes tp_activation;  // the gathered T×h activation (sequence-parallel AG/RS; AR without SP)
  Bytes cp_kv;          // K and V of all cp chunks, gathered (ring attention)
  Bytes ep_dispatch;    // routed tokens a rank sends to its EP peers (T·k·c·h/t)
  Bytes ep_gather;      // the routed tokens gathered over TP (T·k·c·h) for tensor-parallel experts
  Bytes pp_activation;  // one micro-batch's activation between stages (scattered over TP)
};

// The activation element size in bytes (2: BF16 or FP16 activations).
inline constexpr int kActivationBytes = 2;

StatusOr<LayerCosts> ComputeLayerCosts(const ModelSpec& model, const ParallelPlan& plan,
                                       const TrainingSpec& training,
                                       const PrecisionSpec& precision,
                                       const compute::RooflineModel& roofline);

CommSizes ComputeCommSizes(const ModelSpec& model, const ParallelPlan& plan,
                           const TrainingSpec& training);

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_LAYER_COSTS_H_
