#include "workloads/layer_costs.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "compute/number_format.h"
#include "fmt/format.h"

namespace trainsim::workloads {

using compute::AttentionPass;
using compute::AttentionSpec;
using compute::Format;
using compute::GemmSpec;
using compute::MemoryOpSpec;
using compute::NumberFormat;
using compute::RooflineModel;
using compute::RooflineResult;

void Cost::Add(const RooflineResult& r) {
  time += r.time;
  energy += r.energy;
  flops += r.flops.value();
}

Cost Cost::Stretched(double efficiency, Watts static_power) const {
  if (efficiency >= 1.0) return *this;
  Cost c = *this;
  c.time = Time::Picoseconds(
      static_cast<int64_t>(std::llround(static_cast<double>(time.picoseconds()) / efficiency)));
  c.energy += static_power * (c.time - time);
  return c;
}

Cost Cost::Scaled(double factor, Watts static_power) const {
  Cost c = *this;
  c.time = Time::Picoseconds(
      static_cast<int64_t>(std::llround(static_cast<double>(time.picoseconds()) * factor)));
  c.energy += static_power * (c.time - time);
  return c;
}

namespace {

// Adds kernels to a Cost and keeps the first error (with the op that caused it).
class Kernels {
 public:
  Kernels(const RooflineModel& roofline, NumberFormat gemm_format, bool sparse,
          NumberFormat attention_format)
      : roofline_(roofline),
        gemm_format_(gemm_format),
        sparse_(sparse),
        attention_format_(attention_format) {}

  // Y[m×n] = X[m×k]·W[k×n] forward, or its two backward GEMMs.
  void Linear(Cost& cost, int64_t m, int64_t k, int64_t n, bool backward, int64_t batch = 1,
              const char* what = "linear") {
    if (m <= 0 || k <= 0 || n <= 0) return;
    if (!backward) {
      Take(cost, roofline_.Gemm({.m = m, .n = n, .k = k, .batch = batch, .format = gemm_format_,
                                 .sparse = sparse_}),
           what);
      return;
    }
    // dX = dY·Wᵀ (the 2:4 weights stay structured) and dW = Xᵀ·dY (dense).
    Take(cost, roofline_.Gemm({.m = m, .n = k, .k = n, .batch = batch, .format = gemm_format_,
                               .sparse = sparse_}),
         what, " dgrad");
    Take(cost, roofline_.Gemm({.m = k, .n = n, .k = m, .batch = batch, .format = gemm_format_}),
         what, " wgrad");
  }

  // An activation × activation GEMM (attention scores, A·V) in the attention format, dense.
  void Batched(Cost& cost, int64_t m, int64_t k, int64_t n, bool backward, int64_t batch,
               const char* what) {
    const GemmSpec fwd{.m = m, .n = n, .k = k, .batch = batch, .format = attention_format_};
    if (!backward) return Take(cost, roofline_.Gemm(fwd), what);
    Take(cost, roofline_.Gemm({.m = m, .n = k, .k = n, .batch = batch,
                               .format = attention_format_}), what, " dgrad");
    Take(cost, roofline_.Gemm({.m = k, .n = n, .k = m, .batch = batch,
                               .format = attention_format_}), what, " wgrad");
  }

  void Attention(Cost& cost, AttentionSpec spec, double scale, bool backward) {
    spec.format = attention_format_;
    spec.pass = backward ? AttentionPass::kBackward : AttentionPass::kForward;
    StatusOr<RooflineResult> r = roofline_.Attention(spec);
    if (!r.ok()) return Fail(r.status(), "attention");
    Record(*r, "attention", scale);
    Cost c;
    c.Add(*r);
    cost.time += Time::Picoseconds(static_cast<int64_t>(c.time.picoseconds() * scale));
    cost.energy += c.energy * scale;
    cost.flops += c.flops * scale;
  }

  // A memory-bound op; its backward costs twice the forward.
  void Memory(Cost& cost, const MemoryOpSpec& op, bool backward, const char* what) {
    StatusOr<RooflineResult> r = roofline_.Memory(op);
    if (!r.ok()) return Fail(r.status(), what);
    cost.Add(*r);
    if (backward) cost.Add(*r);
    Record(*r, what, backward ? 2.0 : 1.0);
  }

  const Status& status() const { return status_; }

  // Where the next kernels are recorded (nullptr: nowhere), and under which block and pass.
  void RecordInto(std::vector<OpRecord>* ops, const char* block, bool backward) {
    ops_ = ops;
    block_ = block;
    backward_ = backward;
  }

 private:
  void Record(const RooflineResult& r, const char* what, double scale = 1.0,
              const char* suffix = "") {
    if (ops_ == nullptr) return;
    ops_->push_back(OpRecord{
        .block = block_,
        .backward = backward_,
        .op = std::string(what) + suffix,
        .flops = r.flops.value() * scale,
        .bytes = static_cast<double>(r.bytes.count()) * scale,
        .time = Time::Picoseconds(
            static_cast<int64_t>(std::llround(static_cast<double>(r.time.picoseconds()) * scale))),
        .bound = r.bound});
  }
  void Take(Cost& cost, const StatusOr<RooflineResult>& r, const char* what,
            const char* suffix = "") {
    if (!r.ok()) return Fail(r.status(), what);
    cost.Add(*r);
    Record(*r, what, 1.0, suffix);
  }
  void Fail(const Status& s, const char* what) {
    if (status_.ok()) {
      status_ = Status(s.code(), fmt::format("timing the {} kernels: {}", what, s.message()));
    }
  }

  const RooflineModel& roofline_;
  NumberFormat gemm_format_;
  bool sparse_;
  NumberFormat attention_format_;
  Status status_;
  std::vector<OpRecord>* ops_ = nullptr;
  const char* block_ = "";
  bool backward_ = false;
};

struct Dims {
  int64_t tokens = 0;     // T = b·s/cp on this rank
  int64_t sp_tokens = 0;  // T/t with sequence parallelism, else T
  int64_t h = 0;
  int64_t t = 1;
  int64_t heads = 0;  // per rank
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
};

}  // namespace

StatusOr<LayerCosts> ComputeLayerCosts(const ModelSpec& model, const ParallelPlan& plan,
                                       const TrainingSpec& training,
                                       const PrecisionSpec& precision,
                                       const RooflineModel& roofline) {
  StatusOr<NumberFormat> gemm_format = compute::ParseNumberFormat(precision.compute);
  if (!gemm_format.ok()) return gemm_format.status();
  const NumberFormat act = NumberFormat::Of(
      gemm_format->format == Format::kFp16 ? Format::kFp16 : Format::kBf16);
  const NumberFormat fp32 = NumberFormat::Of(Format::kFp32);
  Kernels k(roofline, *gemm_format, precision.sparse_2to4, act);

  Dims d;
  d.t = plan.tp;
  d.tokens = int64_t{plan.microbatch_size} * training.sequence_length / plan.cp;
  d.sp_tokens = plan.sequence_parallel ? d.tokens / d.t : d.tokens;
  d.h = model.hidden;
  d.heads = model.heads / plan.tp;
  d.kv_heads = std::max<int64_t>(1, model.kv_heads / plan.tp);
  d.head_dim = model.head_dim();
  const bool swiglu = model.mlp == MlpKind::kSwiglu;
  auto norm = [&](int64_t rows) {
    return model.norm == NormKind::kRmsNorm ? compute::RmsNormOp(rows, d.h, act)
                                            : compute::LayerNormOp(rows, d.h, act);
  };
  const AttentionSpec attention{.batch = plan.microbatch_size,
                                .heads = d.heads,
                                .kv_heads = d.kv_heads,
                                .seq_q = training.sequence_length,
                                .seq_kv = training.sequence_length,
                                .head_dim = d.head_dim,
                                .causal = true};
  const double attention_share = 1.0 / plan.cp;
  // The attention core: fused, or Q·Kᵀ, scale-mask-softmax, dropout and A·V with the
  // b·heads·(s/cp)×s score matrix in HBM (causal masking does not skip work there).
  auto core = [&](Cost& c, bool bwd) {
    if (training.flash_attention) return k.Attention(c, attention, attention_share, bwd);
    const int64_t s = training.sequence_length;
    const int64_t q = s / plan.cp;
    const int64_t bh = int64_t{plan.microbatch_size} * d.heads;
    k.Batched(c, q, d.head_dim, s, bwd, bh, "attention scores");
    k.Memory(c, compute::SoftmaxOp(bh * q, s, act), bwd, "attention softmax");
    k.Memory(c, compute::ElementwiseOp(bh * q * s, act, 1, 1, 1.0), bwd, "attention dropout");
    k.Batched(c, q, s, d.head_dim, bwd, bh, "attention values");
  };

  LayerCosts costs;
  // A dense MLP with inner size `ffn` (full, before TP) over `tokens` tokens.
  auto mlp = [&](Cost& c, int64_t tokens, int64_t ffn, bool bwd, int64_t batch = 1) {
    const int64_t local = ffn / d.t;
    k.Linear(c, tokens, d.h, swiglu ? 2 * local : local, bwd, batch,
             swiglu ? "MLP gate+up" : "MLP up");
    k.Memory(c,
             compute::ElementwiseOp(tokens * batch * local, act, swiglu ? 2 : 1, 1,
                                    swiglu ? 6.0 : 8.0),
             bwd, "MLP activation");
    k.Linear(c, tokens, local, d.h, bwd, batch, "MLP down");
  };
  const MemoryOpSpec residual = compute::ElementwiseOp(d.sp_tokens * d.h, act, 2, 1, 2.0);

  const bool has_dense_layers = !model.moe || model.moe->layer_interval > 1;
  for (bool bwd : {false, true}) {
    Cost& a = bwd ? costs.attention.backward : costs.attention.forward;
    k.RecordInto(&costs.ops, "attention", bwd);
    k.Memory(a, norm(d.sp_tokens), bwd, "norm");
    k.Linear(a, d.tokens, d.h, (d.heads + 2 * d.kv_heads) * d.head_dim, bwd, 1, "QKV");
    core(a, bwd);
    k.Linear(a, d.tokens, d.heads * d.head_dim, d.h, bwd, 1, "attention projection");
    k.Memory(a, residual, bwd, "dropout and residual");

    Cost& m = bwd ? costs.mlp.backward : costs.mlp.forward;
    k.RecordInto(has_dense_layers ? &costs.ops : nullptr, "mlp", bwd);
    k.Memory(m, norm(d.sp_tokens), bwd, "norm");
    mlp(m, d.tokens, model.ffn_hidden, bwd);
    k.Memory(m, residual, bwd, "dropout and residual");

    if (model.moe) {
      const MoeSpec& moe = *model.moe;
      const double capacity = moe.capacity_factor > 0 ? moe.capacity_factor : 1.0;
      const auto routed = static_cast<int64_t>(static_cast<double>(d.tokens) * moe.top_k *
                                               capacity);
      Cost& r = bwd ? costs.moe.backward : costs.moe.forward;
      k.RecordInto(&costs.ops, "moe", bwd);
      k.Memory(r, norm(d.sp_tokens), bwd, "norm");
      k.Linear(r, d.tokens, d.h, moe.experts, bwd, 1, "router");
      k.Memory(r, compute::SoftmaxOp(d.tokens, moe.experts, fp32), bwd, "router top-k");
      if (moe.shared_experts > 0) {
        mlp(r, d.tokens, moe.expert_ffn_hidden * moe.shared_experts, bwd);
      }
      k.Memory(r, residual, bwd, "dropout and residual");
      Cost& e = bwd ? costs.experts.backward : costs.experts.forward;
      k.RecordInto(&costs.ops, "experts", bwd);
      k.Memory(e, compute::ElementwiseOp(routed * d.h, act, 1, 1, 0.0), bwd, "permutation");
      const int64_t local_experts = std::max(1, moe.experts / plan.ep);
      mlp(e, std::max<int64_t>(1, routed / local_experts), moe.expert_ffn_hidden, bwd,
          local_experts);
      k.Memory(e, compute::ElementwiseOp(routed * d.h, act, 1, 1, 1.0), bwd, "un-permutation");
    }

    Cost& emb = bwd ? costs.embedding.backward : costs.embedding.forward;
    k.RecordInto(&costs.ops, "embedding", bwd);
    k.Memory(emb, compute::ElementwiseOp(d.sp_tokens * d.h, act, 1, 1, 0.0), bwd, "embedding");

    Cost& lg = bwd ? costs.logits.backward : costs.logits.forward;
    k.RecordInto(&costs.ops, "logits", bwd);
    k.Memory(lg, norm(d.sp_tokens), bwd, "final norm");
    k.Linear(lg, d.tokens, d.h, model.vocab / d.t, bwd, 1, "logits");
    k.Memory(lg, compute::SoftmaxOp(d.tokens, model.vocab / d.t, fp32), bwd, "cross-entropy");
  }

  switch (plan.recompute) {
    case Recompute::kNone:
      break;
    case Recompute::kSelective:
      k.RecordInto(nullptr, "", false);
      core(costs.attention.recompute, false);
      break;
    case Recompute::kFull:
      costs.attention.recompute = costs.attention.forward;
      costs.mlp.recompute = costs.mlp.forward;
      costs.moe.recompute = costs.moe.forward;
      costs.experts.recompute = costs.experts.forward;
      break;
  }
  if (!k.status().ok()) return k.status();
  const double eff = training.software_efficiency;
  const Watts idle = roofline.gpu().static_power;
  for (BlockCost* b : {&costs.attention, &costs.mlp, &costs.moe, &costs.experts, &costs.embedding,
                       &costs.logits}) {
    for (Cost* c : {&b->forward, &b->backward, &b->recompute}) *c = c->Stretched(eff, idle);
  }
  return costs;
}

CommSizes ComputeCommSizes(const ModelSpec& model, const ParallelPlan& plan,
                           const TrainingSpec& training) {
  const int64_t tokens = int64_t{plan.microbatch_size} * training.sequence_length / plan.cp;
  CommSizes sizes;
  sizes.tp_activation = Bytes(tokens * model.hidden * kActivationBytes);
  const int64_t kv_local = std::max<int64_t>(1, model.kv_heads / plan.tp);
  sizes.cp_kv = Bytes(2 * int64_t{plan.microbatch_size} * training.sequence_length * kv_local *
                      model.head_dim() * kActivationBytes);
  if (model.moe) {
    const double capacity = model.moe->capacity_factor > 0 ? model.moe->capacity_factor : 1.0;
    const auto routed =
        static_cast<int64_t>(static_cast<double>(tokens) * model.moe->top_k * capacity);
    sizes.ep_gather = Bytes(routed * model.hidden * kActivationBytes);
    sizes.ep_dispatch = Bytes(routed * model.hidden * kActivationBytes / plan.tp);
  }
  // Megatron's scatter/gather optimisation sends 1/t of the activation per TP rank (SC'21 §4.1).
  sizes.pp_activation = Bytes(tokens * model.hidden * kActivationBytes / plan.tp);
  return sizes;
}

}  // namespace trainsim::workloads
