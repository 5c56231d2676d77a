// Parameter counts and FLOPs of a decoder-only transformer (ModelSpec): what the model has and
// what one training step computes, before any parallel split.
//   Parameters: embedding V·h, output projection V·h unless tied, per layer the attention
//   (QKV with grouped-query heads and the output projection), two norms and a dense MLP or an
//   MoE block (routed experts, shared experts, router), and a final norm.
//   Closed forms of Narayanan et al., "Efficient Large-Scale Language Model Training on GPU
//   Clusters Using Megatron-LM" (SC'21, arXiv:2104.04473): Eq. (2) parameters, Eq. (3) FLOPs.
//   Model FLOPs the PaLM way (Chowdhery et al. 2022, arXiv:2204.02311, Appendix B):
//   6·N + 12·l·H·Q·T per token; hardware FLOPs add the recomputed forward work.
// Counts are exact int64 numbers of elements; FLOPs are doubles (Flops, sim/units.h).
// REQUIRES everywhere: a ModelSpec as config/ builds it (positive sizes, heads divisible by
// kv_heads, hidden divisible by heads); violations are bugs and fail a TRAINSIM_CHECK.
#ifndef TRAINSIM_WORKLOADS_PARAMETERS_H_
#define TRAINSIM_WORKLOADS_PARAMETERS_H_

#include <cstdint>

#include "sim/units.h"
#include "workloads/model_spec.h"
#include "workloads/parallel_plan.h"

namespace trainsim::workloads {

// MoE placement. Layer i (0-based) is an MoE layer when (i + 1) % moe.layer_interval == 0: with
// interval 1 every layer, with interval 2 layers 1, 3, 5, ... (GShard's "every other layer",
// the first layer dense). Megatron-LM's integer --moe-layer-freq k puts them at i % k == 0
// instead; both give layers / k MoE layers whenever k divides the layer count. Dense models have
// no MoE layers.
bool IsMoeLayer(const ModelSpec& model, int layer);
int MoeLayerCount(const ModelSpec& model);

// Whether linear layers carry biases. GPT-style models (GeLU MLP and LayerNorm, as GPT-2/3 and
// Megatron-LM's GPT with its default add_bias_linear) have a bias on every linear layer;
// Llama-style models (SwiGLU or RMSNorm; Megatron's Llama recipes use --disable-bias-linear) have
// none. The router never has one.
bool HasLinearBiases(const ModelSpec& model);

// Parameters of one norm layer: LayerNorm has a scale and a shift (2h), RMSNorm a scale (h).
int64_t NormParameters(const ModelSpec& model);

// One transformer layer. With tp > 1, the share of one tensor-parallel rank as Megatron-LM lays
// it out: column-parallel weights and biases (QKV, MLP up/gate, experts' first matrix) and
// row-parallel weights (attention output, MLP down) are split over tp, row-parallel biases and
// norms are replicated, KV heads are replicated when kv_heads < tp, and routed experts are
// tensor-parallel with the same tp (Megatron's default expert-tensor-parallel size). The
// router (h × experts) is replicated. `experts` counts every routed expert of the layer (divide
// by ep for one expert-parallel rank).
struct LayerParameters {
  int64_t attention = 0;       // QKV and output projections with their biases
  int64_t norms = 0;           // the two pre-norms
  int64_t mlp = 0;             // dense MLP, or the shared experts of an MoE layer
  int64_t router = 0;          // MoE layers: h × experts
  int64_t experts = 0;         // MoE layers: all routed experts
  int64_t active_experts = 0;  // MoE layers: the top_k routed experts one token uses

  int64_t total() const { return attention + norms + mlp + router + experts; }
  int64_t active() const { return attention + norms + mlp + router + active_experts; }
  // Parameters of linear layers (GEMM weights and their biases): all but norms and router.
  int64_t linear() const { return attention + mlp + experts; }
};

// REQUIRES: 0 <= layer < model.layers, tp >= 1 dividing heads.
LayerParameters CountLayerParameters(const ModelSpec& model, int layer, int tp = 1);

// Parameters of one expert MLP (routed or shared), per tensor-parallel rank when tp > 1.
int64_t ExpertParameters(const ModelSpec& model, int tp = 1);

struct ParameterCounts {
  int64_t embedding = 0;   // input token embedding, vocab × hidden
  int64_t output = 0;      // output projection vocab × hidden; 0 when tied to the embedding
  int64_t attention = 0;   // all layers
  int64_t norms = 0;       // per-layer norms and the final norm
  int64_t final_norm = 0;  // the final norm alone (included in norms)
  int64_t mlp = 0;         // dense MLPs and shared experts
  int64_t router = 0;
  int64_t experts = 0;         // all routed experts of all layers
  int64_t active_experts = 0;  // the top_k routed experts of every MoE layer
  int64_t total = 0;           // everything, each tensor once
  int64_t active = 0;          // what one token uses: routed experts replaced by active_experts

  // N of the FLOP formulas: the active parameters that do a matrix multiply per token, i.e.
  // all but the input embedding (a lookup), with the output projection counted whether or not
  // it is tied (it costs 2·V·h FLOPs per token either way). PaLM's "non-embedding" N of a tied
  // model would drop that head; torchtitan's get_num_flop_per_token (N − input embedding) and
  // Megatron's Eq. (3) (its V/(16·l·h) term) keep it.
  int64_t flop_parameters() const;
  // The active parameters of the transformer layers only (what activation recomputation runs
  // again): flop_parameters() without the output projection and the final norm.
  int64_t layer_active() const { return active - embedding - output - final_norm; }
};

// Learned position embeddings (Megatron's GPT has s·h of them; Eq. (2)'s "+ s" term) are not
// modelled: ModelSpec has no field for them and they are at most 0.3% of a model (the 1.7B row
// of Megatron Table 1: 2048 · 2304 = 4.7M of 1.65B; under 0.1% from the 18.4B row up).
ParameterCounts CountParameters(const ModelSpec& model);

// Narayanan et al. SC'21 Eq. (2): P = 12·l·h²·(1 + 13/(12h) + (V + s)/(12·l·h)), a GPT with
// 4h GeLU MLP, biases, LayerNorm, tied embeddings and learned position embeddings (no final
// norm).
double MegatronEq2Parameters(int layers, int64_t hidden, int64_t vocab, int64_t sequence_length);

// Narayanan et al. SC'21 Eq. (3): FLOPs of one iteration with full activation recomputation
// (forward, recompute forward, backward = 4 forward passes of the layers' GEMMs, 3 of the logit
// GEMM): F = 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h)), B the global batch in sequences.
Flops MegatronEq3Flops(int64_t global_batch, int64_t sequence_length, int layers, int64_t hidden,
                       int64_t vocab);

// Model FLOPs per token (PaLM, Appendix B): 6·N + 12·l·(a·d)·s, N = flop_parameters() (active
// parameters for MoE), a·d the query width (= h), s the sequence length. The attention term is
// the full (non-causal) QK^T and AV cost: PaLM does not halve it for the causal mask, and
// neither do we, so MFUs compare with PaLM's and Megatron's.
Flops ModelFlopsPerToken(const ModelSpec& model, int64_t sequence_length);
// × training.tokens_per_step().
Flops ModelFlopsPerStep(const ModelSpec& model, const TrainingSpec& training);

// FLOPs the GPUs execute per token (HFU numerator):
//   kNone:      model FLOPs;
//   kFull:      + one forward of every transformer layer, 2·N_layers + 4·l·(a·d)·s (Megatron's
//               full recompute reruns the layers, not the output layer or the loss);
//   kSelective: + the forward of the attention core, QK^T and AV, 4·l·(a·d)·s (Korthikanti et
//               al. 2022 §5 recompute softmax, dropout, QK^T and AV; softmax FLOPs not counted).
Flops HardwareFlopsPerToken(const ModelSpec& model, int64_t sequence_length, Recompute recompute);
Flops HardwareFlopsPerStep(const ModelSpec& model, const TrainingSpec& training,
                           Recompute recompute);

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_PARAMETERS_H_
