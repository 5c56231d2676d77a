// ModelSpec: a decoder-only transformer, dense or mixture-of-experts, as config/ builds it from
// a scenario (presets in workloads/zoo/models.yaml). Derived sizes (ffn_hidden when the file says
// 0, kv_heads when 0) are resolved before a ModelSpec exists, so every field here is final.
#ifndef TRAINSIM_WORKLOADS_MODEL_SPEC_H_
#define TRAINSIM_WORKLOADS_MODEL_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>

namespace trainsim::workloads {

enum class MlpKind { kGelu, kSwiglu };
enum class NormKind { kLayerNorm, kRmsNorm };

struct MoeSpec {
  int experts = 0;
  int top_k = 0;
  double capacity_factor = 1.0;  // 0: dropless
  int shared_experts = 0;
  int64_t expert_ffn_hidden = 0;
  int layer_interval = 1;  // every k-th layer is MoE
};

struct ModelSpec {
  std::string name;
  int layers = 0;
  int64_t hidden = 0;
  int64_t ffn_hidden = 0;
  int heads = 0;
  int kv_heads = 0;
  int64_t vocab = 0;
  MlpKind mlp = MlpKind::kGelu;
  NormKind norm = NormKind::kLayerNorm;
  bool tied_embeddings = true;
  std::optional<MoeSpec> moe;  // absent: dense

  int64_t head_dim() const { return hidden / heads; }
};

// The MLP inner size when a scenario leaves it 0: 4h for GeLU; for SwiGLU 2/3 of 4h (three
// matrices instead of two at equal parameter count, Shazeer 2020), rounded up to a multiple of
// 256 as LLaMA does.
int64_t DefaultFfnHidden(int64_t hidden, MlpKind mlp);

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_MODEL_SPEC_H_
