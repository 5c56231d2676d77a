#include "workloads/parameters.h"

#include "sim/check.h"

namespace trainsim::workloads {
namespace {

int64_t DivideRoundingUp(int64_t a, int64_t b) { return (a + b - 1) / b; }

void CheckModel(const ModelSpec& model) {
  TRAINSIM_CHECK(model.layers > 0 && model.hidden > 0 && model.heads > 0 && model.kv_heads > 0 &&
                 model.ffn_hidden > 0 && model.vocab > 0)
      << "model " << model.name << " has a non-positive size";
  TRAINSIM_CHECK(model.hidden % model.heads == 0 && model.heads % model.kv_heads == 0)
      << "model " << model.name << ": hidden, heads and kv_heads do not divide";
  if (model.moe) {
    TRAINSIM_CHECK(model.moe->experts > 0 && model.moe->top_k > 0 &&
                   model.moe->top_k <= model.moe->experts && model.moe->layer_interval > 0 &&
                   model.moe->expert_ffn_hidden > 0 && model.moe->shared_experts >= 0)
        << "model " << model.name << " has an invalid moe block";
  }
}

// One MLP of inner size `ffn` on one of `tp` ranks: GeLU has up (h × ffn) and down (ffn × h);
// SwiGLU has gate and up (h × ffn each) and down. Column-parallel biases (up, gate) are split,
// the row-parallel down bias is replicated.
int64_t MlpParameters(const ModelSpec& model, int64_t ffn, int tp) {
  const int64_t f = DivideRoundingUp(ffn, tp);
  const int64_t h = model.hidden;
  const bool biases = HasLinearBiases(model);
  switch (model.mlp) {
    case MlpKind::kGelu:
      return 2 * h * f + (biases ? f + h : 0);
    case MlpKind::kSwiglu:
      return 3 * h * f + (biases ? 2 * f + h : 0);
  }
  return 0;
}

}  // namespace

bool IsMoeLayer(const ModelSpec& model, int layer) {
  return model.moe.has_value() && (layer + 1) % model.moe->layer_interval == 0;
}

int MoeLayerCount(const ModelSpec& model) {
  return model.moe ? model.layers / model.moe->layer_interval : 0;
}

bool HasLinearBiases(const ModelSpec& model) {
  return model.mlp == MlpKind::kGelu && model.norm == NormKind::kLayerNorm;
}

int64_t NormParameters(const ModelSpec& model) {
  switch (model.norm) {
    case NormKind::kLayerNorm:
      return 2 * model.hidden;
    case NormKind::kRmsNorm:
      return model.hidden;
  }
  return 0;
}

int64_t ExpertParameters(const ModelSpec& model, int tp) {
  TRAINSIM_CHECK(model.moe.has_value()) << "model " << model.name << " has no experts";
  return MlpParameters(model, model.moe->expert_ffn_hidden, tp);
}

LayerParameters CountLayerParameters(const ModelSpec& model, int layer, int tp) {
  CheckModel(model);
  TRAINSIM_CHECK(layer >= 0 && layer < model.layers) << "layer " << layer << " out of range";
  TRAINSIM_CHECK(tp >= 1 && model.heads % tp == 0) << "tp " << tp << " does not divide heads";
  const int64_t h = model.hidden;
  const int64_t d = model.head_dim();
  const int64_t q_heads = model.heads / tp;
  // KV heads are split over TP when there are at least tp of them, else replicated (one each).
  const int64_t kv_heads = DivideRoundingUp(model.kv_heads, tp);
  const int64_t qkv_width = (q_heads + 2 * kv_heads) * d;
  const bool biases = HasLinearBiases(model);

  LayerParameters p;
  p.attention = h * qkv_width + q_heads * d * h + (biases ? qkv_width + h : 0);
  p.norms = 2 * NormParameters(model);
  if (IsMoeLayer(model, layer)) {
    const MoeSpec& moe = *model.moe;
    const int64_t expert = ExpertParameters(model, tp);
    p.mlp = moe.shared_experts * expert;
    p.router = h * moe.experts;
    p.experts = moe.experts * expert;
    p.active_experts = moe.top_k * expert;
  } else {
    p.mlp = MlpParameters(model, model.ffn_hidden, tp);
  }
  return p;
}

int64_t ParameterCounts::flop_parameters() const {
  // The output projection is V·h whether it is its own tensor or the tied embedding.
  return layer_active() + final_norm + embedding;
}

ParameterCounts CountParameters(const ModelSpec& model) {
  CheckModel(model);
  ParameterCounts c;
  for (int layer = 0; layer < model.layers; ++layer) {
    const LayerParameters p = CountLayerParameters(model, layer);
    c.attention += p.attention;
    c.norms += p.norms;
    c.mlp += p.mlp;
    c.router += p.router;
    c.experts += p.experts;
    c.active_experts += p.active_experts;
  }
  c.embedding = model.vocab * model.hidden;
  c.output = model.tied_embeddings ? 0 : model.vocab * model.hidden;
  c.final_norm = NormParameters(model);
  c.norms += c.final_norm;
  const int64_t shared = c.embedding + c.output + c.attention + c.norms + c.mlp + c.router;
  c.total = shared + c.experts;
  c.active = shared + c.active_experts;
  return c;
}

double MegatronEq2Parameters(int layers, int64_t hidden, int64_t vocab, int64_t sequence_length) {
  const double l = layers;
  const double h = static_cast<double>(hidden);
  const double v = static_cast<double>(vocab);
  const double s = static_cast<double>(sequence_length);
  return 12 * l * h * h * (1 + 13 / (12 * h) + (v + s) / (12 * l * h));
}

Flops MegatronEq3Flops(int64_t global_batch, int64_t sequence_length, int layers, int64_t hidden,
                       int64_t vocab) {
  const double b = static_cast<double>(global_batch);
  const double s = static_cast<double>(sequence_length);
  const double l = layers;
  const double h = static_cast<double>(hidden);
  const double v = static_cast<double>(vocab);
  return Flops(96 * b * s * l * h * h * (1 + s / (6 * h) + v / (16 * l * h)));
}

namespace {

// QK^T and AV of one token against `sequence_length` keys in every layer, forward only:
// 2 GEMMs × 2 FLOPs per multiply-add × (a·d) × s.
double AttentionCoreForwardFlopsPerToken(const ModelSpec& model, int64_t sequence_length) {
  const double query_width = static_cast<double>(int64_t{model.heads} * model.head_dim());
  return 4.0 * model.layers * query_width * static_cast<double>(sequence_length);
}

}  // namespace

Flops ModelFlopsPerToken(const ModelSpec& model, int64_t sequence_length) {
  TRAINSIM_CHECK(sequence_length > 0) << "sequence length " << sequence_length;
  const double n = static_cast<double>(CountParameters(model).flop_parameters());
  // Forward 2N + backward 4N; attention forward 4·l·(a·d)·s plus twice that backward.
  return Flops(6 * n + 3 * AttentionCoreForwardFlopsPerToken(model, sequence_length));
}

Flops ModelFlopsPerStep(const ModelSpec& model, const TrainingSpec& training) {
  return ModelFlopsPerToken(model, training.sequence_length) *
         static_cast<double>(training.tokens_per_step());
}

Flops HardwareFlopsPerToken(const ModelSpec& model, int64_t sequence_length, Recompute recompute) {
  const Flops model_flops = ModelFlopsPerToken(model, sequence_length);
  const double attention_core = AttentionCoreForwardFlopsPerToken(model, sequence_length);
  switch (recompute) {
    case Recompute::kNone:
      return model_flops;
    case Recompute::kSelective:
      return model_flops + Flops(attention_core);
    case Recompute::kFull: {
      const double layers = static_cast<double>(CountParameters(model).layer_active());
      return model_flops + Flops(2 * layers + attention_core);
    }
  }
  return model_flops;
}

Flops HardwareFlopsPerStep(const ModelSpec& model, const TrainingSpec& training,
                           Recompute recompute) {
  return HardwareFlopsPerToken(model, training.sequence_length, recompute) *
         static_cast<double>(training.tokens_per_step());
}

}  // namespace trainsim::workloads
