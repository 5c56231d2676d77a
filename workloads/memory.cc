// How each term is sized, and the choices where the sources leave one open.
//
// Activations per layer and micro-batch (16-bit activations, 1-byte dropout masks), with T the
// tokens of one micro-batch on one context-parallel rank (s/cp · b), t = tp, a_t = heads/t and
// kv_t = max(1, kv_heads/t) the heads of one TP rank, d the head dimension:
//   unsplit by TP, split by SP:  10·T·h  (two norm inputs 4, QKV input 2, MLP input 2, two
//                                          dropout masks 2; Korthikanti's "10")
//   split by TP:  T·(4·a_t·d + 4·kv_t·d)  (Q and K for QK^T, V for AV, the attention output
//                                          feeding the output projection; "8h/t" for MHA)
//              + T·mlp(ffn/t)              (GeLU: its input and output, 4 bytes per inner unit,
//                                          "16h/t" at 4h; SwiGLU: gate, up and their product, 6)
//   attention core, split by TP:  5·a_t·(s/cp)·s·b  (softmax output 2, dropout mask 1, dropout
//                                          output 2 per score; with CP a rank's s/cp queries
//                                          against all s keys)
// For MHA, GeLU and ffn = 4h this is exactly Korthikanti et al. Table 2 (34 = 10 + 24). Selective
// recompute drops the attention core; full recompute keeps only the layer input, 2·T·h (split by
// SP). MoE layers replace the dense MLP by the shared experts (T tokens each) and the routed
// experts, which see top_k·T tokens (× capacity_factor when it is set: the padded capacity;
// dropless: the balanced load) and store per routed token the expert input, 2·h bytes (not split
// by SP: Megatron's alltoall dispatcher all-gathers the tokens over the TP group when experts are
// tensor-parallel) plus mlp(expert_ffn/t). With EP, a balanced router sends each rank as many
// tokens as it receives, so the per-GPU count is the same. Router logits (T·experts) are
// negligible and not counted. FP8 GEMMs: Transformer Engine also saves FP8 casts of some GEMM
// inputs; not modelled (the 16-bit figures are an upper bound).
//
// Per stage: the in-flight (micro-batch, chunk) passes of MicrobatchesInFlight, each holding its
// chunk's layers; Megatron's interleaved warm-up runs forward k on chunk (k / pp) % v. The first
// chunk of stage 0 adds the embedding's dropout mask, T·h bytes per micro-batch (split by SP);
// the last chunk of the last stage adds the final norm's and output projection's inputs, 4·T·h
// (split by SP), and the fp32 logits of the cross-entropy, 4·T·ceil(V/t) (Korthikanti §4.3).
//
// Weights: FP8 (or any compute format narrower than params) keeps the params-format weights as
// Transformer Engine does on Hopper, plus an FP8 copy of every GEMM weight and its transpose,
// cached across micro-batches: 2 copies of the linear layers' parameters at the compute format.
// Embedding, output projection, norms and router stay in the params format only.
//
// Buffers: kRuntimeReserve; kNcclBuffersPerCommunicator for each process group with more than
// one rank (tp, pp, cp, dp·cp, ep, expert dp·cp/ep); one DP gradient bucket at the grads format
// (Megatron's bucket is a view into the gradient buffer; the copy stands for the in-flight
// reduction's staging: an estimate); with TP and SP the all-gathered input of one layer, 2·s·b·h
// (Megatron's global memory buffer); with PP a send and a receive buffer of one micro-batch's
// boundary activation, 2·T·h each (split by SP: Megatron's scatter/gather optimisation); with EP
// the all-to-all receive buffer of one MoE layer, 2·h per routed token; with ZeRO-3 the gathered
// weights of the largest layer on the stage.
#include "workloads/memory.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "compute/number_format.h"
#include "fmt/format.h"
#include "sim/check.h"
#include "workloads/parameters.h"

namespace trainsim::workloads {
namespace {

// Exact intermediate arithmetic: products such as 5·a·s²·b or in-flight × per-layer bytes can
// pass 2^63 for extreme (invalid) inputs before the result is range-checked.
using Wide = __int128;

constexpr Wide kMaxBytes = std::numeric_limits<int64_t>::max();

Wide CeilDiv(Wide a, Wide b) { return (a + b - 1) / b; }

// Storage sizes in 1/64 bit per element: every format's amortised scale bits are a multiple of
// 1/64 (VSQ vectors of 16..64 with integer-bit scales, MX 8/32, NVFP4 8/16).
int64_t SixtyFourthBits(const compute::NumberFormat& format) {
  return std::llround(compute::StorageBitsPerElement(format) * 64);
}

Wide BytesOf(Wide elements, int64_t sixty_fourth_bits) {
  return CeilDiv(elements * sixty_fourth_bits, 8 * 64);
}

struct Formats {
  int64_t params = 0;  // 1/64 bits per element, as SixtyFourthBits
  int64_t grads = 0;
  int64_t master = 0;  // 0 when the master weights are the params themselves
  int64_t state = 0;
  int64_t compute = 0;
};

bool Interleaved(const ParallelPlan& plan) {
  return plan.schedule == PipelineSchedule::kInterleavedOneFOneB;
}

// Every problem at once, each naming the field, the value and the rule.
Status Validate(const ModelSpec& model, const ParallelPlan& plan, const TrainingSpec& training,
                const PrecisionSpec& precision, Bytes hbm_capacity, Formats& formats) {
  std::vector<std::string> errors;
  auto fail = [&errors](std::string message) { errors.push_back(std::move(message)); };
  // Combined with `&`, not `&&`, so that every bad field is reported.
  auto positive = [&fail](const char* field, int64_t value) {
    if (value < 1) fail(fmt::format("{} must be >= 1, got {}", field, value));
    return value >= 1;
  };

  if (hbm_capacity.count() <= 0) {
    fail(fmt::format("hbm_capacity must be positive, got {} bytes", hbm_capacity.count()));
  }
  const bool sizes_ok =
      positive("model.layers", model.layers) & positive("model.hidden", model.hidden) &
      positive("model.heads", model.heads) & positive("model.kv_heads", model.kv_heads) &
      positive("model.ffn_hidden", model.ffn_hidden) & positive("model.vocab", model.vocab);
  if (sizes_ok && model.hidden % model.heads != 0) {
    fail(fmt::format("model.heads = {} does not divide model.hidden = {}", model.heads,
                     model.hidden));
  }
  if (sizes_ok && model.heads % model.kv_heads != 0) {
    fail(fmt::format("model.kv_heads = {} does not divide model.heads = {}", model.kv_heads,
                     model.heads));
  }
  if (model.moe) {
    const MoeSpec& moe = *model.moe;
    positive("model.moe.experts", moe.experts);
    positive("model.moe.layer_interval", moe.layer_interval);
    positive("model.moe.expert_ffn_hidden", moe.expert_ffn_hidden);
    if (moe.top_k < 1 || moe.top_k > moe.experts) {
      fail(fmt::format("model.moe.top_k must be in [1, experts = {}], got {}", moe.experts,
                       moe.top_k));
    }
    if (!(moe.capacity_factor >= 0) || !std::isfinite(moe.capacity_factor)) {
      fail(fmt::format("model.moe.capacity_factor must be >= 0 (0 = dropless), got {}",
                       moe.capacity_factor));
    }
    if (moe.shared_experts < 0) {
      fail(fmt::format("model.moe.shared_experts must be >= 0, got {}", moe.shared_experts));
    }
  }

  const bool degrees_ok =
      positive("parallelism.tp", plan.tp) & positive("parallelism.pp", plan.pp) &
      positive("parallelism.dp", plan.dp) & positive("parallelism.cp", plan.cp) &
      positive("parallelism.ep", plan.ep) &
      positive("parallelism.virtual_stages", plan.virtual_stages) &
      positive("parallelism.microbatch_size", plan.microbatch_size);
  if (plan.zero_stage < 0 || plan.zero_stage > 3) {
    fail(fmt::format("parallelism.zero_stage must be 0, 1, 2 or 3, got {}", plan.zero_stage));
  }
  if (plan.virtual_stages > 1 && !Interleaved(plan)) {
    fail(fmt::format("parallelism.virtual_stages = {} needs the interleaved 1F1B schedule",
                     plan.virtual_stages));
  }
  if (sizes_ok && degrees_ok) {
    if (model.heads % plan.tp != 0) {
      fail(fmt::format("parallelism.tp = {} does not divide model.heads = {}", plan.tp,
                       model.heads));
    }
    if (model.kv_heads % plan.tp != 0 && plan.tp % model.kv_heads != 0) {
      fail(fmt::format("parallelism.tp = {} and model.kv_heads = {}: one must divide the other",
                       plan.tp, model.kv_heads));
    }
    const int64_t chunks = int64_t{plan.pp} * plan.virtual_stages;
    const bool uneven = plan.first_stage_layers > 0 || plan.last_stage_layers > 0;
    if (!uneven && model.layers % chunks != 0) {
      fail(fmt::format("pp*virtual_stages = {} does not divide model.layers = {}", chunks,
                       model.layers));
    }
    if (plan.ep > 1 && !model.moe) {
      fail(fmt::format("parallelism.ep = {} > 1 but the model has no experts", plan.ep));
    }
    if (model.moe && model.moe->experts >= 1 && model.moe->experts % plan.ep != 0) {
      fail(fmt::format("parallelism.ep = {} does not divide model.moe.experts = {}", plan.ep,
                       model.moe->experts));
    }
    if ((int64_t{plan.dp} * plan.cp) % plan.ep != 0) {
      fail(fmt::format("parallelism.ep = {} does not divide dp*cp = {}", plan.ep,
                       int64_t{plan.dp} * plan.cp));
    }
  }

  positive("training.sequence_length", training.sequence_length);
  if (positive("training.global_batch", training.global_batch) && degrees_ok &&
      training.microbatches(plan) < 1) {
    fail(
        fmt::format("training.global_batch = {} gives no micro-batch: it is below "
                    "dp*microbatch_size = {}",
                    training.global_batch, int64_t{plan.dp} * plan.microbatch_size));
  }

  auto format = [&fail](const char* field, const std::string& name) {
    StatusOr<compute::NumberFormat> parsed = compute::ParseNumberFormat(name);
    if (!parsed.ok()) fail(fmt::format("precision.{}: {}", field, parsed.status().message()));
    return parsed;
  };
  using Parsed = StatusOr<compute::NumberFormat>;
  const Parsed params = format("params", precision.params);
  const Parsed grads = format("grads", precision.grads);
  const Parsed master = format("master_weights", precision.master_weights);
  const Parsed state = format("optimizer_state", precision.optimizer_state);
  const Parsed gemm = format("compute", precision.compute);
  if (params.ok() && grads.ok() && master.ok() && state.ok() && gemm.ok()) {
    formats.params = SixtyFourthBits(*params);
    formats.grads = SixtyFourthBits(*grads);
    // Master weights in the params format are the weights themselves (pure 16-bit training).
    formats.master = *master == *params ? 0 : SixtyFourthBits(*master);
    formats.state = SixtyFourthBits(*state);
    formats.compute = SixtyFourthBits(*gemm);
  }

  if (errors.empty()) return OkStatus();
  std::string message = "memory estimate: ";
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) message += "; ";
    message += errors[i];
  }
  return InvalidArgumentError(std::move(message));
}

// ---------------------------------------------------------------------------------------------
// Parameters

struct StageParameters {
  Wide dense = 0;          // everything but routed experts
  Wide expert = 0;         // routed experts of this EP rank
  Wide linear_dense = 0;   // GEMM weights (and biases) among `dense`
  Wide largest_layer = 0;  // the largest single layer of the stage (ZeRO-3 gather)
  bool has_moe_layer = false;
};

template <typename Fn>
void ForEachLayerOnStage(const ModelSpec& model, const ParallelPlan& plan, int stage, Fn fn) {
  TRAINSIM_CHECK(stage >= 0 && stage < plan.pp) << "stage " << stage << " of " << plan.pp;
  TRAINSIM_CHECK(plan.virtual_stages >= 1) << "virtual_stages " << plan.virtual_stages;
  for (int chunk = 0; chunk < plan.virtual_stages; ++chunk) {
    const LayerRange r = ChunkLayers(model.layers, plan, stage, chunk);
    for (int layer = r.first; layer < r.first + r.count; ++layer) fn(chunk, layer);
  }
}

StageParameters CountStageParameters(const ModelSpec& model, const ParallelPlan& plan, int stage) {
  StageParameters p;
  ForEachLayerOnStage(model, plan, stage, [&](int, int layer) {
    const LayerParameters lp = CountLayerParameters(model, layer, plan.tp);
    const Wide expert = lp.experts / plan.ep;
    p.dense += lp.total() - lp.experts;
    p.expert += expert;
    p.linear_dense += lp.attention + lp.mlp;
    p.largest_layer = std::max(p.largest_layer, Wide{lp.total() - lp.experts} + expert);
    p.has_moe_layer = p.has_moe_layer || IsMoeLayer(model, layer);
  });
  const Wide vocab_shard = CeilDiv(model.vocab, plan.tp) * model.hidden;
  if (stage == 0) p.dense += vocab_shard;
  if (stage == plan.pp - 1) {
    p.dense += NormParameters(model);
    if (!model.tied_embeddings || plan.pp > 1) p.dense += vocab_shard;
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Activations

Wide MlpActivationBytesPerToken(const ModelSpec& model, Wide inner) {
  switch (model.mlp) {
    case MlpKind::kGelu:
      return 4 * inner;
    case MlpKind::kSwiglu:
      return 6 * inner;
  }
  return 4 * inner;
}

Wide Tokens(const ParallelPlan& plan, int64_t sequence_length) {
  return CeilDiv(sequence_length, plan.cp) * plan.microbatch_size;
}

// Tokens the routed experts of one MoE layer process for `tokens` input tokens.
Wide RoutedTokens(const MoeSpec& moe, Wide tokens) {
  const Wide assignments = tokens * moe.top_k;
  if (moe.capacity_factor <= 0) return assignments;
  return static_cast<Wide>(std::ceil(static_cast<double>(assignments) * moe.capacity_factor));
}

// Bytes split over the TP group by sequence parallelism.
Wide SequenceShard(const ParallelPlan& plan, Wide bytes) {
  return plan.sequence_parallel ? CeilDiv(bytes, plan.tp) : bytes;
}

Wide LayerActivations(const ModelSpec& model, const ParallelPlan& plan, int64_t sequence_length,
                      int layer) {
  TRAINSIM_CHECK(plan.tp >= 1 && plan.cp >= 1 && plan.microbatch_size >= 1 &&
                 sequence_length >= 1 && model.heads % plan.tp == 0)
      << "invalid plan for activations: tp " << plan.tp << ", cp " << plan.cp;
  const Wide tokens = Tokens(plan, sequence_length);
  const Wide h = model.hidden;
  if (plan.recompute == Recompute::kFull) return SequenceShard(plan, 2 * tokens * h);

  const Wide d = model.head_dim();
  const Wide q_heads = model.heads / plan.tp;
  const Wide kv_heads = CeilDiv(model.kv_heads, plan.tp);
  const Wide replicated = 10 * tokens * h;
  Wide split = tokens * (4 * q_heads * d + 4 * kv_heads * d);
  Wide unsplit = 0;
  if (IsMoeLayer(model, layer)) {
    const MoeSpec& moe = *model.moe;
    const Wide routed = RoutedTokens(moe, tokens);
    const Wide per_token =
        MlpActivationBytesPerToken(model, CeilDiv(moe.expert_ffn_hidden, plan.tp));
    split += (routed + tokens * moe.shared_experts) * per_token;
    unsplit += routed * 2 * h;
  } else {
    split += tokens * MlpActivationBytesPerToken(model, CeilDiv(model.ffn_hidden, plan.tp));
  }
  if (plan.recompute == Recompute::kNone) {
    split +=
        5 * q_heads * CeilDiv(sequence_length, plan.cp) * sequence_length * plan.microbatch_size;
  }
  return SequenceShard(plan, replicated) + split + unsplit;
}

// Of the first `passes` forward passes of Megatron's interleaved order (pass k on chunk
// (k / pp) % v), how many run chunk `chunk`.
Wide PassesOnChunk(const ParallelPlan& plan, Wide passes, int chunk) {
  const Wide group = Wide{plan.pp} * plan.virtual_stages;
  const Wide rest = passes % group - Wide{chunk} * plan.pp;
  return passes / group * plan.pp + std::clamp<Wide>(rest, 0, plan.pp);
}

Wide StageActivations(const ModelSpec& model, const ParallelPlan& plan,
                      const TrainingSpec& training, int stage) {
  const int64_t s = training.sequence_length;
  const Wide tokens = Tokens(plan, s);
  std::vector<Wide> chunk_bytes(plan.virtual_stages, 0);
  ForEachLayerOnStage(model, plan, stage, [&](int chunk, int layer) {
    chunk_bytes[chunk] += LayerActivations(model, plan, s, layer);
  });
  const int last_chunk = plan.virtual_stages - 1;
  if (stage == 0) chunk_bytes[0] += SequenceShard(plan, tokens * model.hidden);
  if (stage == plan.pp - 1) {
    chunk_bytes[last_chunk] +=
        SequenceShard(plan, 4 * tokens * model.hidden) + 4 * tokens * CeilDiv(model.vocab, plan.tp);
  }
  const Wide in_flight = MicrobatchesInFlight(plan, training.microbatches(plan), stage);
  Wide total = 0;
  for (int chunk = 0; chunk < plan.virtual_stages; ++chunk) {
    total += PassesOnChunk(plan, in_flight, chunk) * chunk_bytes[chunk];
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Buffers

int Communicators(const ModelSpec& model, const ParallelPlan& plan) {
  const int64_t dp_cp = int64_t{plan.dp} * plan.cp;
  return (plan.tp > 1) + (plan.pp > 1) + (plan.cp > 1) + (dp_cp > 1) + (plan.ep > 1) +
         (model.moe.has_value() && dp_cp / plan.ep > 1);
}

Wide StageBuffers(const ModelSpec& model, const ParallelPlan& plan, const TrainingSpec& training,
                  const Formats& formats, const StageParameters& params) {
  const Wide tokens = Tokens(plan, training.sequence_length);
  const Wide h = model.hidden;
  Wide bytes = kRuntimeReserve.count() +
               Wide{Communicators(model, plan)} * kNcclBuffersPerCommunicator.count();
  const int64_t dp_cp = int64_t{plan.dp} * plan.cp;
  if (dp_cp > 1) {
    const Wide bucket = DpBucketParameters(plan);
    bytes += BytesOf(std::min(bucket, params.dense + params.expert), formats.grads);
  }
  if (plan.tp > 1 && plan.sequence_parallel) bytes += 2 * tokens * h;
  if (plan.pp > 1) bytes += 2 * SequenceShard(plan, 2 * tokens * h);
  if (plan.ep > 1 && params.has_moe_layer) bytes += RoutedTokens(*model.moe, tokens) * 2 * h;
  if (plan.zero_stage >= 3) bytes += BytesOf(params.largest_layer, formats.params);
  return bytes;
}

int64_t Narrow(Wide value) {
  TRAINSIM_CHECK(value >= 0 && value <= kMaxBytes) << "value beyond int64";
  return static_cast<int64_t>(value);
}

}  // namespace

int64_t ParametersOnStage(const ModelSpec& model, const ParallelPlan& plan, int stage) {
  const StageParameters p = CountStageParameters(model, plan, stage);
  return Narrow(p.dense + p.expert);
}

ChunkParameters ParametersOfChunk(const ModelSpec& model, const ParallelPlan& plan, int stage,
                                  int chunk) {
  TRAINSIM_CHECK(chunk >= 0 && chunk < plan.virtual_stages) << "chunk " << chunk;
  Wide dense = 0, expert = 0;
  ForEachLayerOnStage(model, plan, stage, [&](int c, int layer) {
    if (c != chunk) return;
    const LayerParameters lp = CountLayerParameters(model, layer, plan.tp);
    dense += lp.total() - lp.experts;
    expert += lp.experts / plan.ep;
  });
  const Wide vocab_shard = CeilDiv(model.vocab, plan.tp) * model.hidden;
  const bool first = stage == 0 && chunk == 0;
  const bool last = stage == plan.pp - 1 && chunk == plan.virtual_stages - 1;
  if (first) dense += vocab_shard;
  if (last) {
    dense += NormParameters(model);
    if (!model.tied_embeddings || plan.pp > 1) dense += vocab_shard;
  }
  return ChunkParameters{.dense = Narrow(dense), .expert = Narrow(expert)};
}

int64_t DpBucketParameters(const ParallelPlan& plan) {
  return std::max(kDpBucketMinParameters,
                  kDpBucketParametersPerRank * int64_t{plan.dp} * plan.cp);
}

int64_t ExpertParametersOnStage(const ModelSpec& model, const ParallelPlan& plan, int stage) {
  return Narrow(CountStageParameters(model, plan, stage).expert);
}

int64_t MicrobatchesInFlight(const ParallelPlan& plan, int64_t microbatches, int stage) {
  TRAINSIM_CHECK(stage >= 0 && stage < plan.pp) << "stage " << stage << " of " << plan.pp;
  const int64_t p = plan.pp;
  switch (plan.schedule) {
    case PipelineSchedule::kGpipe:
      return microbatches;
    case PipelineSchedule::kOneFOneB:
      return std::min(p - stage, microbatches);
    case PipelineSchedule::kInterleavedOneFOneB: {
      const int64_t v = plan.virtual_stages;
      return std::min(2 * (p - stage - 1) + (v - 1) * p + 1, microbatches * v);
    }
  }
  return microbatches;
}

Bytes LayerActivationBytes(const ModelSpec& model, const ParallelPlan& plan,
                           int64_t sequence_length, int layer) {
  TRAINSIM_CHECK(layer >= 0 && layer < model.layers) << "layer " << layer << " out of range";
  return Bytes(Narrow(LayerActivations(model, plan, sequence_length, layer)));
}

StatusOr<MemoryEstimate> EstimateMemory(const ModelSpec& model, const ParallelPlan& plan,
                                        const TrainingSpec& training,
                                        const PrecisionSpec& precision, Bytes hbm_capacity) {
  Formats formats;
  if (Status s = Validate(model, plan, training, precision, hbm_capacity, formats); !s.ok()) {
    return s;
  }
  const Wide dense_shards = Wide{plan.dp} * plan.cp;  // Megatron's data-parallel-with-CP group
  const Wide expert_shards = dense_shards / plan.ep;  // ranks holding the same experts
  auto shard = [&](const StageParameters& p, bool sharded) {
    return sharded ? CeilDiv(p.dense, dense_shards) + CeilDiv(p.expert, expert_shards)
                   : p.dense + p.expert;
  };

  MemoryEstimate estimate;
  estimate.capacity = hbm_capacity;
  for (int stage = 0; stage < plan.pp; ++stage) {
    const StageParameters p = CountStageParameters(model, plan, stage);
    const Wide weight_elements = shard(p, plan.zero_stage >= 3);
    const Wide grad_elements = shard(p, plan.zero_stage >= 2);
    const Wide optimizer_elements = shard(p, plan.zero_stage >= 1);

    Wide weights = BytesOf(weight_elements, formats.params);
    if (formats.compute < formats.params) {
      StageParameters linear{.dense = p.linear_dense, .expert = p.expert};
      weights += 2 * BytesOf(shard(linear, plan.zero_stage >= 3), formats.compute);
    }
    const Wide gradients = BytesOf(grad_elements, formats.grads);
    const Wide optimizer = BytesOf(optimizer_elements, formats.master) +
                           2 * BytesOf(optimizer_elements, formats.state);
    const Wide activations = StageActivations(model, plan, training, stage);
    const Wide buffers = StageBuffers(model, plan, training, formats, p);
    const Wide total = weights + gradients + optimizer + activations + buffers;
    if (total > kMaxBytes) {
      return InvalidArgumentError(fmt::format(
          "memory estimate: stage {} would need more than 2^63 bytes (sequence_length = {}, "
          "microbatch_size = {}); the plan is far beyond any GPU",
          stage, training.sequence_length, plan.microbatch_size));
    }
    estimate.stages.push_back(StageMemory{.stage = stage,
                                          .weights = Bytes(Narrow(weights)),
                                          .gradients = Bytes(Narrow(gradients)),
                                          .optimizer = Bytes(Narrow(optimizer)),
                                          .activations = Bytes(Narrow(activations)),
                                          .buffers = Bytes(Narrow(buffers)),
                                          .total = Bytes(Narrow(total))});
    if (estimate.stages.back().total > estimate.peak) {
      estimate.peak = estimate.stages.back().total;
      estimate.worst_stage = stage;
    }
  }
  return estimate;
}

}  // namespace trainsim::workloads
