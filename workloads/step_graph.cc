#include "workloads/step_graph.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <unordered_map>

#include "sim/check.h"
#include "sim/random.h"
#include "workloads/parameters.h"
#include "workloads/pipeline_schedule.h"

namespace trainsim::workloads {

using collectives::CollectiveOp;

namespace {

constexpr NodeId kNone = UINT32_MAX;

// Where a pass starts (its first stream node) and the PP send it ends with.
struct PassNodes {
  NodeId first = kNone;
  NodeId send = kNone;
};

// Communication nodes that several classes take part in: the first class to reach the list
// creates them, the others join the same nodes in the same order.
struct SharedList {
  int owner = -1;
  std::vector<NodeId> nodes;
};
// One stage's shared lists: DP collectives (every class), and with expansion the EP all-to-all
// and CP exchanges by EP or CP group (keyed by replica / group size).
struct StageShared {
  SharedList dp;
  std::unordered_map<int, SharedList> ep, cp;
};

class StageBuilder {
 public:
  StageBuilder(ExecutionGraph& g, const StepGraphInputs& in, int klass, const ReplicaClass& rc,
               int stage, StageShared& shared)
      : g_(g),
        in_(in),
        plan_(*in.plan),
        costs_(*in.costs),
        stage_(stage),
        class_(klass),
        stream_(klass * in.plan->pp + stage),
        replica_(rc.replica),
        efficiency_(rc.slowdown.empty() ? 1.0 : 1.0 / (1.0 + rc.slowdown[stage])),
        shared_(shared) {
    if (in.compute_jitter > 0) {
      const Placement placement(*in.plan);
      const int cp = in.plan->cp;
      for (int t = 0; t < in.plan->tp; ++t) {
        tp_ranks_.push_back(placement.Rank(
            {.tp = t, .cp = rc.replica % cp, .dp = rc.replica / cp, .pp = stage}));
      }
    }
  }

  // Emits the stage's whole step; `passes` receives each pass's nodes, indexed by PassIndex.
  void Build(std::vector<PassNodes>& passes);

 private:
  int PassIndex(bool backward, int mb, int chunk) const {
    return ((stream_ * 2 + (backward ? 1 : 0)) * in_.microbatches + mb) * plan_.virtual_stages +
           chunk;
  }

  // An on-stream node: waits for the stream's previous node (by stream order) and for the
  // nodes queued in waiting_[0]; the queue then advances by one.
  NodeId Stream(const GraphNode& node) { return Queued(g_.Add(node)); }
  NodeId Queued(NodeId id) {
    for (NodeId w : waiting_[0]) g_.Depend(w, id);
    waiting_[0] = std::move(waiting_[1]);
    waiting_[1].clear();
    if (pass_first_ == kNone) pass_first_ = id;
    last_ = id;
    return id;
  }
  void Compute(Category category, const Cost& raw) {
    if (raw.time <= Time()) return;
    Cost cost = raw.Stretched(efficiency_, in_.static_power);
    if (in_.compute_jitter > 0) cost = cost.Scaled(Jitter(), in_.static_power);
    Stream(GraphNode{.category = category, .stream = stream_, .duration = cost.time,
                     .energy = cost.energy, .flops = cost.flops});
  }
  // The next compute op's time factor: the largest of the TP group's lognormal draws.
  double Jitter() {
    const double s2 = std::log1p(in_.compute_jitter * in_.compute_jitter);
    const double mu = -0.5 * s2;
    const double sigma = std::sqrt(s2);
    const uint64_t op = compute_ops_++;
    double worst = 0;
    for (const int64_t gpu : tp_ranks_) {
      SplitMix64 rng(in_.seed ^ (static_cast<uint64_t>(gpu) * 0x9e3779b97f4a7c15ULL) ^
                     (op * 0xc2b2ae3d27d4eb4fULL));
      rng.Next();
      // Box-Muller: u1 in (0, 1], u2 in [0, 1).
      const double u1 = static_cast<double>((rng.Next() >> 11) + 1) * 0x1.0p-53;
      const double u2 = static_cast<double>(rng.Next() >> 11) * 0x1.0p-53;
      const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
      worst = std::max(worst, std::exp(mu + sigma * z));
    }
    return worst;
  }
  CommOp Op(GroupKind group, CollectiveOp op, Bytes bytes, int peer = 0) const {
    return CommOp{.group = group, .op = op, .bytes = bytes, .stage = stage_, .peer_stage = peer,
                  .replica = replica_};
  }
  // The shared list `category` joins, or null when this class's node is its own.
  SharedList* Shared(Category category) {
    if (category == Category::kDpComm) return &shared_.dp;
    if (!in_.expand) return nullptr;
    if (category == Category::kEpComm) return &shared_.ep[replica_ / plan_.ep];
    if (category == Category::kCpComm) return &shared_.cp[replica_ / plan_.cp];
    return nullptr;
  }
  size_t& Cursor(Category category) {
    return category == Category::kDpComm ? dp_next_
           : category == Category::kEpComm ? ep_next_
                                           : cp_next_;
  }
  // The node of `op` this class runs: its own, or the next one of its shared list (created
  // here when this class owns the list). `created` tells which.
  NodeId SharedOrOwn(Category category, bool on_stream, const CommOp& op, bool& created) {
    SharedList* list = Shared(category);
    created = true;
    if (list == nullptr) return g_.AddComm(category, on_stream, stream_, op);
    if (list->owner < 0) list->owner = class_;
    if (list->owner == class_) {
      const NodeId id = g_.AddComm(category, false, stream_, op);
      list->nodes.push_back(id);
      return id;
    }
    created = false;
    size_t& next = Cursor(category);
    TRAINSIM_CHECK(next < list->nodes.size());
    return list->nodes[next++];
  }
  NodeId StreamComm(Category category, const CommOp& op) {
    if (Shared(category) == nullptr) return Queued(g_.AddComm(category, true, stream_, op));
    // A shared collective the stream waits for: off every member's stream, after each member's
    // last node and what that node's successor would have waited for; the next node waits
    // for it. Timed as an on-stream node would be.
    bool created = false;
    const NodeId id = SharedOrOwn(category, false, op, created);
    if (last_ != kNone) g_.Depend(last_, id);
    for (NodeId w : waiting_[0]) g_.Depend(w, id);
    waiting_[0] = std::move(waiting_[1]);
    waiting_[1].clear();
    waiting_[0].push_back(id);
    if (pass_first_ == kNone) pass_first_ = id;
    last_ = id;
    return id;
  }
  // Off the stream: starts once the stream's last node is done. DP collectives on one
  // communicator run one after another, as NCCL runs a communicator's operations in order;
  // the first class creates them and the others join the same nodes, in the same order.
  NodeId AsyncComm(Category category, const CommOp& op) {
    bool created = false;
    const NodeId id = SharedOrOwn(category, false, op, created);
    if (last_ != kNone) g_.Depend(last_, id);
    if (!created) return id;
    if (category == Category::kDpComm) {
      NodeId& previous = op.group == GroupKind::kData ? last_dp_ : last_edp_;
      if (previous != kNone) g_.Depend(previous, id);
      previous = id;
    }
    return id;
  }
  // Overlapped with the next stream node; the one after that waits for it.
  void Overlapped(Category category, const CommOp& op) {
    waiting_[1].push_back(AsyncComm(category, op));
  }

  void Tp(CollectiveOp op, Bytes bytes) {
    if (plan_.tp == 1) return;
    const CommOp c = Op(GroupKind::kTensor, op, bytes);
    if (plan_.tp_overlap) {
      Overlapped(Category::kTpComm, c);
    } else {
      StreamComm(Category::kTpComm, c);
    }
  }
  // Around a block, forward: AG before and RS after with sequence parallelism, AR after without.
  // Backward: the reverse (the gradient of an AG is an RS).
  void TpEnter() {
    if (plan_.sequence_parallel) Tp(CollectiveOp::kAllGather, in_.sizes.tp_activation);
  }
  void TpLeave() {
    Tp(plan_.sequence_parallel ? CollectiveOp::kReduceScatter : CollectiveOp::kAllReduce,
       in_.sizes.tp_activation);
  }
  void Ep() {
    if (plan_.ep > 1) {
      StreamComm(Category::kEpComm,
                 Op(GroupKind::kExpert, CollectiveOp::kAllToAll, in_.sizes.ep_dispatch));
    }
  }

  void AttentionBlock(Category category, const Cost& cost, bool backward) {
    TpEnter();
    if (plan_.cp > 1) {
      Overlapped(Category::kCpComm, Op(GroupKind::kContext, CollectiveOp::kAllGather,
                                       in_.sizes.cp_kv));
      if (backward) {
        Overlapped(Category::kCpComm, Op(GroupKind::kContext, CollectiveOp::kReduceScatter,
                                         in_.sizes.cp_kv));
      }
    }
    Compute(category, cost);
    TpLeave();
  }
  void MlpBlock(Category category, bool moe, const BlockCost& dense, const BlockCost& router,
                const BlockCost& experts, bool backward) {
    auto pick = [&](const BlockCost& b) -> const Cost& {
      if (category == Category::kRecompute) return b.recompute;
      return backward ? b.backward : b.forward;
    };
    TpEnter();
    if (!moe) {
      Compute(category, pick(dense));
    } else {
      if (!backward) Compute(category, pick(router));
      Ep();
      Tp(CollectiveOp::kAllGather, in_.sizes.ep_gather);
      Compute(category, pick(experts));
      Tp(CollectiveOp::kReduceScatter, in_.sizes.ep_gather);
      Ep();
      if (backward) Compute(category, pick(router));
    }
    TpLeave();
  }

  // Buckets of a chunk's gradients (or parameters): about bucket_bytes each, at most one per
  // layer.
  int Buckets(int chunk, bool params) const {
    const int layers_per_chunk = ChunkLayers(in_.model->layers, plan_, stage_, chunk).count;
    const ChunkShard& shard = in_.stages[stage_].chunks[chunk];
    const Bytes largest = params ? std::max(shard.dense_params, shard.expert_params)
                                 : std::max(shard.dense_grads, shard.expert_grads);
    const int64_t size = std::max<int64_t>(1, in_.bucket_bytes.count());
    return static_cast<int>(
        std::clamp<int64_t>((largest.count() + size - 1) / size, 1, layers_per_chunk));
  }
  void Forward(int chunk, PassNodes& pass);
  // `last`: the chunk's last backward, whose finished layers release gradient buckets.
  void Backward(int chunk, PassNodes& pass, bool last);
  // `fraction` of the chunk's gradients (a bucket), once the stream's last node is done.
  void GradientReduction(int chunk, double fraction = 1.0);

  ExecutionGraph& g_;
  const StepGraphInputs& in_;
  const ParallelPlan& plan_;
  const LayerCosts& costs_;
  const int stage_;
  const int class_;
  const int stream_;
  const int replica_;
  const double efficiency_;  // 1 / (1 + the stage's straggler slowdown)
  StageShared& shared_;
  std::vector<int64_t> tp_ranks_;  // the GPUs of the class's TP group here (jitter only)
  uint64_t compute_ops_ = 0;       // compute ops emitted so far (jitter keys)
  size_t dp_next_ = 0, ep_next_ = 0, cp_next_ = 0;  // this class's place in the shared lists
  NodeId last_ = kNone;
  std::array<std::vector<NodeId>, 2> waiting_;
  NodeId pass_first_ = kNone;  // the current pass's first stream node
  bool first_forward_ = false;  // the pass being built is its chunk's first forward
  NodeId last_dp_ = kNone;      // the last DP×CP collective issued (one communicator)
  NodeId last_edp_ = kNone;     // the last expert-data-parallel collective
  std::vector<std::vector<std::vector<NodeId>>> bucket_gather_;  // [chunk][bucket]
  std::vector<NodeId> gradient_nodes_;  // the optimizer waits for these
};

void StageBuilder::Forward(int chunk, PassNodes& pass) {
  const LayerRange layers = ChunkLayers(in_.model->layers, plan_, stage_, chunk);
  const int layers_per_chunk = layers.count;
  const int global_chunk = chunk * plan_.pp + stage_;
  const int last_chunk = plan_.pp * plan_.virtual_stages - 1;
  pass_first_ = kNone;
  const std::vector<std::vector<NodeId>>& gathers = bucket_gather_[chunk];
  size_t waited = 0;
  if (global_chunk == 0) Compute(Category::kForward, costs_.embedding.forward);
  for (int j = 0; j < layers_per_chunk; ++j) {
    // The first forward of the chunk waits for the parameter bucket holding layer j.
    const size_t needed =
        gathers.empty() ? 0 : static_cast<size_t>(j) * gathers.size() / layers_per_chunk + 1;
    for (; first_forward_ && waited < needed; ++waited) {
      for (NodeId n : gathers[waited]) waiting_[0].push_back(n);
    }
    const bool moe = IsMoeLayer(*in_.model, layers.first + j);
    AttentionBlock(Category::kForward, costs_.attention.forward, false);
    MlpBlock(Category::kForward, moe, costs_.mlp, costs_.moe, costs_.experts, false);
  }
  if (global_chunk == last_chunk) Compute(Category::kForward, costs_.logits.forward);
  pass.first = pass_first_;
  if (global_chunk != last_chunk) {
    const CommOp send = Op(GroupKind::kPipelineNext, CollectiveOp::kSendRecv,
                           in_.sizes.pp_activation, (stage_ + 1) % plan_.pp);
    pass.send = plan_.pp_overlap ? AsyncComm(Category::kPpComm, send)
                                 : StreamComm(Category::kPpComm, send);
  }
}

void StageBuilder::Backward(int chunk, PassNodes& pass, bool last) {
  const LayerRange layers = ChunkLayers(in_.model->layers, plan_, stage_, chunk);
  const int layers_per_chunk = layers.count;
  const int global_chunk = chunk * plan_.pp + stage_;
  const int last_chunk = plan_.pp * plan_.virtual_stages - 1;
  const bool buckets_now = last && plan_.dp_overlap && plan_.zero_stage < 3;
  const int buckets = Buckets(chunk, /*params=*/false);
  int released = 0;
  pass_first_ = kNone;
  if (global_chunk == last_chunk) Compute(Category::kBackward, costs_.logits.backward);
  for (int j = layers_per_chunk - 1; j >= 0; --j) {
    const bool moe = IsMoeLayer(*in_.model, layers.first + j);
    if (plan_.recompute == Recompute::kFull) {
      AttentionBlock(Category::kRecompute, costs_.attention.recompute, false);
      MlpBlock(Category::kRecompute, moe, costs_.mlp, costs_.moe, costs_.experts, false);
    }
    MlpBlock(Category::kBackward, moe, costs_.mlp, costs_.moe, costs_.experts, true);
    if (plan_.recompute == Recompute::kSelective) {
      TpEnter();
      Compute(Category::kRecompute, costs_.attention.recompute);
      if (plan_.cp > 1) {
        Overlapped(Category::kCpComm, Op(GroupKind::kContext, CollectiveOp::kAllGather,
                                         in_.sizes.cp_kv));
        Overlapped(Category::kCpComm, Op(GroupKind::kContext, CollectiveOp::kReduceScatter,
                                         in_.sizes.cp_kv));
      }
      Compute(Category::kBackward, costs_.attention.backward);
      TpLeave();
    } else {
      AttentionBlock(Category::kBackward, costs_.attention.backward, true);
    }
    // Layers done so far release the buckets they fill (the last one waits for the embedding).
    const int done = layers_per_chunk - j;
    while (buckets_now && released + 1 < buckets &&
           (released + 1) * layers_per_chunk <= done * buckets) {
      GradientReduction(chunk, 1.0 / buckets);
      ++released;
    }
  }
  if (global_chunk == 0) Compute(Category::kBackward, costs_.embedding.backward);
  if (buckets_now) GradientReduction(chunk, static_cast<double>(buckets - released) / buckets);
  pass.first = pass_first_;
  if (global_chunk != 0) {
    const CommOp send = Op(GroupKind::kPipelineNext, CollectiveOp::kSendRecv,
                           in_.sizes.pp_activation, (stage_ + plan_.pp - 1) % plan_.pp);
    pass.send = plan_.pp_overlap ? AsyncComm(Category::kPpComm, send)
                                 : StreamComm(Category::kPpComm, send);
  }
}

void StageBuilder::GradientReduction(int chunk, double fraction) {
  ChunkShard shard = in_.stages[stage_].chunks[chunk];
  auto part = [fraction](Bytes b) {
    return Bytes(static_cast<int64_t>(std::llround(static_cast<double>(b.count()) * fraction)));
  };
  shard.dense_grads = part(shard.dense_grads);
  shard.expert_grads = part(shard.expert_grads);
  const CollectiveOp op =
      plan_.zero_stage >= 1 ? CollectiveOp::kReduceScatter : CollectiveOp::kAllReduce;
  const int dense_group = plan_.dp * plan_.cp;
  const int expert_group = dense_group / plan_.ep;
  if (dense_group > 1 && shard.dense_grads > Bytes()) {
    gradient_nodes_.push_back(
        AsyncComm(Category::kDpComm, Op(GroupKind::kData, op, shard.dense_grads)));
  }
  if (expert_group > 1 && shard.expert_grads > Bytes()) {
    gradient_nodes_.push_back(
        AsyncComm(Category::kDpComm, Op(GroupKind::kExpertData, op, shard.expert_grads)));
  }
}

void StageBuilder::Build(std::vector<PassNodes>& passes) {
  const std::vector<PipelinePass> order = StagePasses(
      plan_.schedule, plan_.pp, stage_, in_.microbatches,
      plan_.schedule == PipelineSchedule::kInterleavedOneFOneB ? plan_.virtual_stages : 1);
  const int v = plan_.virtual_stages;
  const int dense_group = plan_.dp * plan_.cp;
  const int expert_group = dense_group / plan_.ep;
  const bool gathers = plan_.zero_stage >= 1 && dense_group > 1;
  const StageWork& work = in_.stages[stage_];

  auto gather = [&](int chunk, double fraction = 1.0) {
    const ChunkShard& shard = work.chunks[chunk];
    auto part = [fraction](Bytes b) {
      return Bytes(static_cast<int64_t>(std::llround(static_cast<double>(b.count()) * fraction)));
    };
    std::vector<NodeId> nodes;
    if (shard.dense_params > Bytes()) {
      nodes.push_back(AsyncComm(Category::kDpComm, Op(GroupKind::kData, CollectiveOp::kAllGather,
                                                      part(shard.dense_params))));
    }
    if (expert_group > 1 && shard.expert_params > Bytes()) {
      nodes.push_back(AsyncComm(Category::kDpComm, Op(GroupKind::kExpertData,
                                                      CollectiveOp::kAllGather,
                                                      part(shard.expert_params))));
    }
    return nodes;
  };

  // The previous step's parameter all-gather, overlapped with this step's first forwards: in
  // buckets, each waited for by the first forward of the layers it holds.
  bucket_gather_.assign(static_cast<size_t>(v), {});
  if (gathers && plan_.dp_overlap && plan_.zero_stage < 3) {
    for (int c = 0; c < v; ++c) {
      const int buckets = Buckets(c, /*params=*/true);
      for (int b = 0; b < buckets; ++b) bucket_gather_[c].push_back(gather(c, 1.0 / buckets));
    }
  }
  std::vector<int> backwards_left(static_cast<size_t>(v), in_.microbatches);
  std::vector<bool> forwarded(static_cast<size_t>(v), false);
  NodeId pass_anchor = kNone;  // the stream's last node when the previous pass began
  for (const PipelinePass& p : order) {
    if (plan_.zero_stage >= 3 && gathers) {
      // Prefetched one pass ahead: issued when the previous pass began.
      const NodeId saved = last_;
      last_ = pass_anchor;
      for (NodeId n : gather(p.chunk)) waiting_[0].push_back(n);
      last_ = saved;
    }
    first_forward_ = !p.backward && !forwarded[p.chunk];
    if (first_forward_) forwarded[p.chunk] = true;
    pass_anchor = last_;
    PassNodes& nodes = passes[PassIndex(p.backward, p.microbatch, p.chunk)];
    if (p.backward) {
      const bool last_of_chunk = --backwards_left[p.chunk] == 0;
      Backward(p.chunk, nodes, last_of_chunk);
      if (plan_.zero_stage >= 3) GradientReduction(p.chunk);
    } else {
      Forward(p.chunk, nodes);
    }
  }
  if (!plan_.dp_overlap && plan_.zero_stage < 3) {
    for (int c = v - 1; c >= 0; --c) GradientReduction(c);
  }
  for (NodeId n : gradient_nodes_) waiting_[0].push_back(n);
  for (NodeId n : waiting_[1]) waiting_[0].push_back(n);
  waiting_[1].clear();
  const Cost optimizer = work.optimizer.Stretched(efficiency_, in_.static_power);
  Stream(GraphNode{.category = Category::kOptimizer, .stream = stream_,
                   .duration = optimizer.time, .energy = optimizer.energy,
                   .flops = optimizer.flops});
  if (gathers && !plan_.dp_overlap && plan_.zero_stage < 3) {
    for (int c = 0; c < v; ++c) gather(c);
  }
}

// With every replica expanded, the replicas of a stage run the same nodes at nearly the same
// simulated times, but each stage builder emitted its replica's nodes as one block: a walk in
// time order would touch a node in each of thousands of blocks far apart in memory, missing the
// cache at every step. Numbered by (stage, position on its stream when the node was added,
// replica), the nodes that run together lie together. Within a stream the order is unchanged.
// (Streams are numbered class × stages + stage.)
std::vector<NodeId> InterleavedNumbers(const ExecutionGraph& g, int stages) {
  const size_t n = g.size();
  // The position: 2i + 1 for a stream's node i, 2i for the off-stream nodes added after its
  // node i − 1 (so the replicas' stream nodes are adjacent, and so are their transfers).
  std::vector<NodeId> key(n);  // the position, then the new number
  std::vector<uint32_t> added(static_cast<size_t>(g.streams()), 0);
  for (NodeId id = 0; id < n; ++id) {
    const GraphNode node = g.node(id);
    uint32_t& count = added[static_cast<size_t>(node.stream)];
    key[id] = 2 * count + (node.on_stream ? 1 : 0);
    if (node.on_stream) ++count;
  }
  const size_t positions =
      2 * static_cast<size_t>(*std::max_element(added.begin(), added.end())) + 1;
  // Counting sort on (stage, position); ids within a bucket stay in order, which is replica
  // order.
  std::vector<NodeId> next(static_cast<size_t>(stages) * positions + 1, 0);
  auto bucket = [&](NodeId id) {
    return static_cast<size_t>(g.node(id).stream % stages) * positions + key[id];
  };
  for (NodeId id = 0; id < n; ++id) ++next[bucket(id) + 1];
  for (size_t b = 1; b < next.size(); ++b) next[b] += next[b - 1];
  for (NodeId id = 0; id < n; ++id) key[id] = next[bucket(id)]++;
  return key;
}

}  // namespace

ExecutionGraph BuildStepGraph(const StepGraphInputs& in) {
  const ParallelPlan& plan = *in.plan;
  TRAINSIM_CHECK(in.model && in.plan && in.costs && in.microbatches >= 1);
  TRAINSIM_CHECK(static_cast<int>(in.stages.size()) == plan.pp);
  std::vector<ReplicaClass> classes = in.classes;
  if (classes.empty()) {
    classes.push_back({.replica = 0, .replicas = int64_t{plan.dp} * plan.cp});
  }
  const int k = static_cast<int>(classes.size());
  ExecutionGraph g(k * plan.pp);
  const int v = plan.virtual_stages;
  const int m = in.microbatches;
  std::vector<PassNodes> passes(static_cast<size_t>(k) * plan.pp * 2 * m * v);
  std::vector<StageShared> shared(static_cast<size_t>(plan.pp));
  for (int c = 0; c < k; ++c) {
    for (int s = 0; s < plan.pp; ++s) {
      StageBuilder(g, in, c, classes[c], s, shared[s]).Build(passes);
    }
  }
  for (int c = 0; c < k; ++c) {
    auto pass = [&](int stage, bool backward, int mb, int chunk) -> const PassNodes& {
      const int stream = c * plan.pp + stage;
      return passes[((stream * 2 + (backward ? 1 : 0)) * m + mb) * v + chunk];
    };
    // Each pass's first node waits for the send of the chunk before it (forward) or after it
    // (backward) in the model's layer order, within the class's own pipelines.
    for (int s = 0; s < plan.pp; ++s) {
      for (int mb = 0; mb < m; ++mb) {
        for (int ch = 0; ch < v; ++ch) {
          const PassNodes& f = pass(s, false, mb, ch);
          if (s > 0) {
            g.Depend(pass(s - 1, false, mb, ch).send, f.first);
          } else if (ch > 0) {
            g.Depend(pass(plan.pp - 1, false, mb, ch - 1).send, f.first);
          }
          const PassNodes& b = pass(s, true, mb, ch);
          if (s < plan.pp - 1) {
            g.Depend(pass(s + 1, true, mb, ch).send, b.first);
          } else if (ch < v - 1) {
            g.Depend(pass(0, true, mb, ch + 1).send, b.first);
          }
        }
      }
    }
  }
  if (in.expand && k > 1) g.Renumber(InterleavedNumbers(g, plan.pp));
  g.Finalize();
  return g;
}

}  // namespace trainsim::workloads
