// The training-step simulation: pipeline schedules and their bubbles against closed forms, the
// breakdown's accounting, DP overlap, out-of-memory plans, determinism and the validation set.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <tuple>

#include "config/scenario_loader.h"
#include "config/scenario_spec.h"
#include "config/validation.h"
#include "gtest/gtest.h"
#include "tests/topology/test_clusters.h"
#include "compute/roofline.h"
#include "workloads/executor.h"
#include "workloads/layer_costs.h"
#include "workloads/memory.h"
#include "workloads/pipeline_schedule.h"
#include "workloads/placement.h"
#include "workloads/step.h"
#include "workloads/step_graph.h"

namespace trainsim::workloads {
namespace {

using namespace trainsim::literals;

TEST(PipelineScheduleTest, OneFOneBWarmsUpThenAlternates) {
  const std::vector<PipelinePass> s0 = StagePasses(PipelineSchedule::kOneFOneB, 4, 0, 8, 1);
  ASSERT_EQ(s0.size(), 16u);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(s0[i].backward) << i;  // p − s − 1 warm-up
  EXPECT_FALSE(s0[3].backward);
  EXPECT_TRUE(s0[4].backward);
  const std::vector<PipelinePass> last = StagePasses(PipelineSchedule::kOneFOneB, 4, 3, 8, 1);
  for (size_t i = 0; i < last.size(); ++i) EXPECT_EQ(last[i].backward, i % 2 == 1) << i;
}

TEST(PipelineScheduleTest, EveryPassOnceForwardBeforeBackward) {
  for (PipelineSchedule sched : {PipelineSchedule::kGpipe, PipelineSchedule::kOneFOneB,
                                 PipelineSchedule::kInterleavedOneFOneB}) {
    const int v = sched == PipelineSchedule::kInterleavedOneFOneB ? 3 : 1;
    for (int stage = 0; stage < 4; ++stage) {
      std::set<std::tuple<bool, int, int>> seen;
      for (const PipelinePass& p : StagePasses(sched, 4, stage, 8, v)) {
        EXPECT_TRUE(seen.insert({p.backward, p.microbatch, p.chunk}).second);
        if (p.backward) {
          EXPECT_TRUE(seen.count({false, p.microbatch, p.chunk}));
        }
      }
      EXPECT_EQ(seen.size(), 2u * 8 * v);
    }
  }
}

TEST(PlacementTest, MegatronOrderAndGroups) {
  const ParallelPlan plan{.tp = 8, .pp = 2, .dp = 4, .cp = 1, .ep = 2};
  const Placement place(plan);
  EXPECT_EQ(place.Rank({3, 0, 2, 1}), 3 + 8 * (2 + 4 * 1));
  EXPECT_EQ(place.Group(GroupKind::kTensor, 9), (std::vector<int64_t>{8, 9, 10, 11, 12, 13, 14,
                                                                      15}));
  EXPECT_EQ(place.Group(GroupKind::kData, 1), (std::vector<int64_t>{1, 9, 17, 25}));
  EXPECT_EQ(place.Group(GroupKind::kExpert, 17), (std::vector<int64_t>{17, 25}));
  EXPECT_EQ(place.Group(GroupKind::kExpertData, 17), (std::vector<int64_t>{1, 17}));
  EXPECT_EQ(place.GroupsOnStage(GroupKind::kData, 1).size(), 8u);
}

TEST(PlacementTest, OrderOverridePermutesTheDimensions) {
  ParallelPlan plan{.tp = 2, .pp = 2, .dp = 4, .cp = 1};
  plan.order = {ParallelDim::kDp, ParallelDim::kTp, ParallelDim::kCp, ParallelDim::kPp};
  const Placement place(plan);
  EXPECT_EQ(place.Group(GroupKind::kData, 0), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(place.Group(GroupKind::kTensor, 0), (std::vector<int64_t>{0, 4}));
  for (int64_t r = 0; r < place.ranks(); ++r) EXPECT_EQ(place.Rank(place.Coords(r)), r);
  EXPECT_EQ(place.GroupsOnStage(GroupKind::kTensor, 1).size(), 4u);
  EXPECT_EQ(place.GroupsOnStage(GroupKind::kPipelineNext, 0).size(), 8u);
}

// A pipeline of uniform stages and free communication: each chunk is one layer whose forward
// takes 1 ms and backward 2 ms.
Time PipelineStep(PipelineSchedule schedule, int pp, int m, int v) {
  ModelSpec model{.name = "uniform", .layers = pp * v, .hidden = 1024, .ffn_hidden = 4096,
                  .heads = 8, .kv_heads = 8, .vocab = 1024};
  ParallelPlan plan{.pp = pp, .virtual_stages = v, .schedule = schedule, .zero_stage = 0};
  LayerCosts costs;
  costs.attention.forward.time = 1_ms;
  costs.attention.backward.time = 2_ms;
  StepGraphInputs in{.model = &model, .plan = &plan, .microbatches = m, .costs = &costs};
  in.stages.assign(static_cast<size_t>(pp), StageWork{.chunks = std::vector<ChunkShard>(v)});
  const ExecutionGraph graph = BuildStepGraph(in);
  std::vector<PlannedComm> free(graph.comm_ops().size());  // no phases: instantaneous
  StatusOr<topology::Topology> topo =
      topology::Topology::Build(topology::testing::SuperPod(8));
  EXPECT_TRUE(topo.ok());
  StatusOr<ExecutionTrace> trace = ExecuteNative(graph, free, *topo);
  EXPECT_TRUE(trace.ok()) << trace.status().message();
  return trace->makespan;
}

TEST(ExecutionGraphTest, RenumberKeepsStreamsAndDependenciesInOrder) {
  ExecutionGraph g(2);
  const NodeId a = g.Add(GraphNode{.stream = 0, .duration = 1_ms});
  const NodeId b = g.Add(GraphNode{.stream = 0, .duration = 2_ms});
  const NodeId c = g.Add(GraphNode{.on_stream = false, .stream = 1, .duration = 3_ms});
  const NodeId d = g.Add(GraphNode{.stream = 1, .duration = 4_ms});
  g.Depend(a, d);
  g.Depend(a, c);
  g.Depend(c, d);
  g.Depend(b, d);
  const std::vector<NodeId> new_id = {3, 1, 0, 2};
  g.Renumber(new_id);
  g.Finalize();
  EXPECT_EQ(g.node(3).duration, 1_ms);
  EXPECT_EQ(g.node(0).duration, 3_ms);
  EXPECT_FALSE(g.node(0).on_stream);
  EXPECT_EQ(std::vector<NodeId>(g.stream_order(0).begin(), g.stream_order(0).end()),
            (std::vector<NodeId>{3, 1}));
  EXPECT_EQ(std::vector<NodeId>(g.stream_order(1).begin(), g.stream_order(1).end()),
            (std::vector<NodeId>{2}));
  EXPECT_EQ(std::vector<NodeId>(g.successors(3).begin(), g.successors(3).end()),
            (std::vector<NodeId>{2, 0}));  // in the order the dependencies were added
  EXPECT_EQ(std::vector<NodeId>(g.predecessors(2).begin(), g.predecessors(2).end()),
            (std::vector<NodeId>{3, 0, 1}));
}

// With expansion the replicas of a stage run the same stream node at about the same time; the
// graph numbers those nodes consecutively (a walk in time order then stays in a few cache
// lines), keeping each stream's own order.
TEST(StepGraphTest, ExpandedReplicasNodesAreInterleaved) {
  ModelSpec model{.name = "uniform", .layers = 4, .hidden = 1024, .ffn_hidden = 4096,
                  .heads = 8, .kv_heads = 8, .vocab = 1024};
  ParallelPlan plan{.pp = 2, .dp = 4, .zero_stage = 0};
  LayerCosts costs;
  costs.attention.forward.time = 1_ms;
  costs.attention.backward.time = 2_ms;
  StepGraphInputs in{.model = &model, .plan = &plan, .microbatches = 4, .costs = &costs,
                     .expand = true};
  in.stages.assign(2, StageWork{.chunks = std::vector<ChunkShard>(1)});
  for (int r = 0; r < 4; ++r) in.classes.push_back({.replica = r, .replicas = 1});
  const ExecutionGraph g = BuildStepGraph(in);
  ASSERT_EQ(g.streams(), 8);  // replica × 2 + stage
  for (int stage = 0; stage < 2; ++stage) {
    const size_t length = g.stream_order(stage).size();
    for (size_t i = 0; i < length; ++i) {
      for (int r = 1; r < 4; ++r) {
        ASSERT_EQ(g.stream_order(r * 2 + stage).size(), length);
        EXPECT_EQ(g.stream_order(r * 2 + stage)[i], g.stream_order((r - 1) * 2 + stage)[i] + 1)
            << "stage " << stage << ", node " << i << ", replica " << r;
      }
    }
  }
}

TEST(StepGraphTest, OneFOneBBubbleIsPMinusOneOverMPlusPMinusOne) {
  for (auto [p, m] : {std::pair{4, 8}, {8, 16}, {2, 1}}) {
    const Time step = PipelineStep(PipelineSchedule::kOneFOneB, p, m, 1);
    EXPECT_EQ(step, (m + p - 1) * 3_ms) << p << " " << m;  // bubble (p−1)/(m+p−1)
    EXPECT_EQ(PipelineStep(PipelineSchedule::kGpipe, p, m, 1), step);
  }
}

TEST(StepGraphTest, InterleavingShrinksTheBubbleByV) {
  const int p = 4, m = 8;
  for (int v : {2, 4}) {
    const Time ideal = m * v * 3_ms;  // every pass of every chunk, no bubble
    const Time plain = PipelineStep(PipelineSchedule::kOneFOneB, p, m, 1) * v;  // v layers/stage
    const Time interleaved = PipelineStep(PipelineSchedule::kInterleavedOneFOneB, p, m, v);
    EXPECT_EQ(plain - ideal, (p - 1) * v * 3_ms);
    EXPECT_EQ((interleaved - ideal) * v, plain - ideal) << v;
  }
}


config::ScenarioSpec Spec(const std::string& yaml) {
  StatusOr<config::LoadedScenario> loaded = config::LoadScenarioText(yaml, "test.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  StatusOr<config::ScenarioSpec> spec = config::BuildScenarioSpec(*loaded);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return *spec;
}

StepResult Simulate(const config::ScenarioSpec& s) {
  StatusOr<StepResult> r =
      SimulateStep({.cluster = &s.cluster, .model = &s.model, .plan = &s.parallel,
                    .training = &s.training, .precision = &s.precision,
                    .options = &s.simulation});
  EXPECT_TRUE(r.ok()) << r.status().message();
  return *r;
}

std::string Gpt(const std::string& extra_plan, int64_t global_batch = 256) {
  return std::string(
             "cluster: {preset: dgx-h100-superpod, gpus: 64}\n"
             "model: megatron-7.5b\n"
             "parallelism: {tp: 4, pp: 2") +
         extra_plan +
         "}\n"
         "training: {global_batch: " + std::to_string(global_batch) +
         ", sequence_length: 2048}\n";
}

double Share(const StepResult& r, const std::string& name) {
  for (const TimeShare& t : r.breakdown) {
    if (t.name == name) return t.time.seconds();
  }
  return -1;
}

TEST(StepTest, BreakdownSumsToStepTime) {
  const StepResult r = Simulate(Spec(Gpt(", microbatch_size: 2")));
  ASSERT_TRUE(r.simulated);
  Time sum;
  for (const TimeShare& t : r.breakdown) {
    EXPECT_GE(t.time, Time()) << t.name;
    sum += t.time;
  }
  EXPECT_EQ(sum, r.step_time);
  EXPECT_GT(r.mfu, 0.2);
  EXPECT_LT(r.mfu, r.hfu + 1e-12);
  EXPECT_LE(r.hfu, 1.0);
  EXPECT_NEAR(r.tokens_per_s, 256.0 * 2048 / r.step_time.seconds(), 1e-6);
}

// Megatron overlaps a bucket's reduction with the rest of the last micro-batch's backward, so
// it hides it when that backward is long: here one micro-batch of 8 sequences per pipeline.
TEST(StepTest, DpOverlapHidesGradientReductionBehindALongBackward) {
  const StepResult overlapped = Simulate(Spec(Gpt(", microbatch_size: 8, dp_overlap: true", 64)));
  const StepResult exposed = Simulate(Spec(Gpt(", microbatch_size: 8, dp_overlap: false", 64)));
  EXPECT_LT(Share(overlapped, "dp-comm"), 0.5 * Share(exposed, "dp-comm"));
  EXPECT_LT(overlapped.step_time, exposed.step_time);
}

TEST(StepTest, MoreMicrobatchesShrinkTheBubbleShare) {
  auto bubble_share = [](int64_t batch) {
    config::ScenarioSpec s = Spec(Gpt(", microbatch_size: 2"));
    s.training.global_batch = batch;
    const StepResult r = Simulate(s);
    return Share(r, "pp-bubble") / r.step_time.seconds();
  };
  EXPECT_GT(bubble_share(64), bubble_share(512));
}

TEST(StepTest, OutOfMemoryIsReportedNotSimulated) {
  const config::ScenarioSpec s =
      Spec("cluster: {preset: dgx-h100-superpod, gpus: 64}\nmodel: gpt3-175b\n"
           "parallelism: {tp: 1, pp: 1, zero_stage: 0}\n"
           "training: {global_batch: 64, sequence_length: 2048}\n");
  const StepResult r = Simulate(s);
  EXPECT_FALSE(r.simulated);
  EXPECT_FALSE(r.memory.fits());
  EXPECT_GT(r.memory.overflow(), Bytes(100'000'000'000));
}

TEST(StepTest, SameInputSameOutput) {
  const config::ScenarioSpec s = Spec(Gpt(", microbatch_size: 2, tp_overlap: true"));
  const StepResult a = Simulate(s);
  const StepResult b = Simulate(s);
  EXPECT_EQ(a.step_time, b.step_time);
  EXPECT_EQ(a.energy_per_step.value(), b.energy_per_step.value());
}

TEST(StepTest, MoeStepRunsExpertAllToAll) {
  const config::ScenarioSpec s =
      Spec("cluster: {preset: dgx-h100-superpod, gpus: 64}\nmodel: mixtral-8x7b\n"
           "parallelism: {tp: 2, pp: 1, ep: 8}\n"
           "training: {global_batch: 64, sequence_length: 4096}\n");
  const StepResult r = Simulate(s);
  ASSERT_TRUE(r.simulated);
  EXPECT_GT(Share(r, "ep-comm"), 0);
  bool a2a = false;
  for (const CommUse& c : r.comms) a2a |= c.what.starts_with("ep alltoall");
  EXPECT_TRUE(a2a);
}

// The calibration set: one software efficiency fitted to all ten rows, then every row within
// ±10% (the target). The rows above 1,024 GPUs run in `trainsim validate` (CLI test).
TEST(ValidationTest, MegatronTable1WithinTenPercent) {
  StatusOr<std::vector<config::ValidationCase>> cases = config::LoadMegatronSc21();
  ASSERT_TRUE(cases.ok()) << cases.status().message();
  ASSERT_EQ(cases->size(), 10u);
  for (const config::ValidationCase& c : *cases) {
    if (c.spec.cluster.gpus > 1024) continue;
    const StepResult r = Simulate(c.spec);
    ASSERT_TRUE(r.simulated) << c.name;
    const double error = r.megatron_tflops_per_gpu / c.published_tflops_per_gpu - 1;
    EXPECT_LT(std::abs(error), 0.10) << c.name << ": " << r.megatron_tflops_per_gpu;
  }
}

// The per-kernel records add up to the block costs the step runs on.
TEST(LayerCostsTest, OpRecordsSumToTheBlockCosts) {
  const config::ScenarioSpec s = Spec(Gpt(", microbatch_size: 2"));
  StatusOr<compute::RooflineModel> roofline = compute::RooflineModel::Create(s.cluster.node.gpu);
  ASSERT_TRUE(roofline.ok());
  StatusOr<LayerCosts> costs =
      ComputeLayerCosts(s.model, s.parallel, s.training, s.precision, *roofline);
  ASSERT_TRUE(costs.ok()) << costs.status().message();
  std::map<std::pair<std::string, bool>, Time> sums;
  for (const OpRecord& op : costs->ops) sums[{op.block, op.backward}] += op.time;
  EXPECT_EQ((sums[{"attention", false}]), costs->attention.forward.time);
  EXPECT_EQ((sums[{"attention", true}]), costs->attention.backward.time);
  EXPECT_EQ((sums[{"mlp", false}]), costs->mlp.forward.time);
  EXPECT_EQ((sums[{"logits", true}]), costs->logits.backward.time);
  // Backward GEMMs: data and weight gradients, each the forward's FLOPs.
  double qkv_forward = 0, qkv_backward = 0;
  for (const OpRecord& op : costs->ops) {
    if (op.op.starts_with("QKV")) (op.backward ? qkv_backward : qkv_forward) += op.flops;
  }
  EXPECT_DOUBLE_EQ(qkv_backward, 2 * qkv_forward);
}

// TP groups spread over nodes (dp fastest) must cross InfiniBand: slower than TP in the node.
TEST(StepTest, TensorParallelAcrossNodesIsSlower) {
  const StepResult inside = Simulate(Spec(Gpt(", microbatch_size: 2")));
  const StepResult across = Simulate(Spec(Gpt(", microbatch_size: 2, order: dp-tp-cp-pp")));
  EXPECT_GT(Share(across, "tp-comm"), 3 * Share(inside, "tp-comm"));
  EXPECT_GT(across.step_time, inside.step_time);
  // The report names what bounds it: TP collectives, over the InfiniBand side of the path.
  EXPECT_TRUE(across.bottleneck_collective.starts_with("tp ")) << across.bottleneck_collective;
  EXPECT_NE(across.bottleneck_tier, "nvlink");
  EXPECT_GT(across.bottleneck_collective_time, Time());
}

// The per-chunk shards the gradient buckets use add up to the stage's parameters.
TEST(StepGraphTest, ChunkParametersSumToTheStage) {
  config::ScenarioSpec s = Spec(
      "cluster: {preset: dgx-h100-superpod, gpus: 64}\nmodel: mixtral-8x7b\n"
      "parallelism: {tp: 2, pp: 2, ep: 4, virtual_stages: 2, schedule: interleaved-1f1b}\n"
      "training: {global_batch: 64, sequence_length: 4096}\n");
  for (int stage = 0; stage < 2; ++stage) {
    int64_t dense = 0, expert = 0;
    for (int c = 0; c < 2; ++c) {
      const ChunkParameters p = ParametersOfChunk(s.model, s.parallel, stage, c);
      dense += p.dense;
      expert += p.expert;
    }
    EXPECT_EQ(dense + expert, ParametersOnStage(s.model, s.parallel, stage)) << stage;
    EXPECT_EQ(expert, ExpertParametersOnStage(s.model, s.parallel, stage)) << stage;
  }
}

TEST(StepGraphTest, ChunkLayersCoverTheModelOnce) {
  ParallelPlan even{.pp = 4, .virtual_stages = 3, .schedule = PipelineSchedule::kInterleavedOneFOneB};
  ParallelPlan uneven{.pp = 16, .first_stage_layers = 7, .last_stage_layers = 7};
  for (auto [plan, layers] : {std::pair{even, 24}, {uneven, 126}}) {
    std::vector<int> owner(static_cast<size_t>(layers), 0);
    for (int s = 0; s < plan.pp; ++s) {
      for (int c = 0; c < plan.virtual_stages; ++c) {
        const LayerRange r = ChunkLayers(layers, plan, s, c);
        for (int l = r.first; l < r.first + r.count; ++l) ++owner[l];
      }
    }
    for (int n : owner) EXPECT_EQ(n, 1);
  }
  EXPECT_EQ(ChunkLayers(126, uneven, 15, 0).first, 119);
  EXPECT_EQ(ChunkLayers(24, even, 1, 2).first, (2 * 4 + 1) * 2);
}

// Stragglers split only the classes they touch. A slow GPU on stage 1 (rank 40 of 64: tp 4,
// pp 2, so ranks 32..63 are stage 1) slows the step by about that stage's compute times the
// slowdown, since in 1F1B the slowest stage paces the pipeline; the other replicas wait for it
// at the gradient reduction.
TEST(StepTest, AStragglerSlowsTheStepByAboutItsStagesShare) {
  const std::string base_text = Gpt(", microbatch_size: 2");
  const StepResult base = Simulate(Spec(base_text));
  const StepResult slow =
      Simulate(Spec(base_text + "simulation: {stragglers: [{gpu: 40, slowdown: 0.2}]}\n"));
  const double compute =
      Share(base, "forward") + Share(base, "backward") + Share(base, "recompute");
  const double delta = slow.step_time.seconds() - base.step_time.seconds();
  EXPECT_GT(delta, 0.5 * 0.2 * compute);
  EXPECT_LT(delta, 1.3 * 0.2 * compute);
  // A node straggler (all of one stage-0 TP group's node) slows it too.
  const StepResult node =
      Simulate(Spec(base_text + "simulation: {stragglers: [{node: 0, slowdown: 0.2}]}\n"));
  EXPECT_GT(node.step_time, base.step_time);
}

TEST(StepTest, AStragglerWithoutSlowdownChangesNothing) {
  const std::string base_text = Gpt(", microbatch_size: 2");
  const StepResult base = Simulate(Spec(base_text));
  const StepResult split =
      Simulate(Spec(base_text + "simulation: {stragglers: [{gpu: 40, slowdown: 0}]}\n"));
  EXPECT_EQ(split.step_time, base.step_time);
}

// --expand: every replica simulated with every group's flows explicit. With D-mod-k routing
// the groups of one kind are exact mirror images, so the classes' weighted representatives
// give the same step time.
std::string Expanded(const std::string& yaml) {
  return yaml + "simulation: {expand: true}\n";
}

std::string DModK(const std::string& cluster) {
  return "cluster: {" + cluster + ", fabric: {routing: d-mod-k}}\n";
}

TEST(ExpandTest, SameStepTimeAsClassesOnSeveralPlans) {
  const std::vector<std::string> plans = {
      // 7.5B, TP 4 × PP 2 × DP 8 on 64 GPUs.
      DModK("preset: dgx-h100-superpod, gpus: 64") +
          "model: megatron-7.5b\n"
          "parallelism: {tp: 4, pp: 2, microbatch_size: 2}\n"
          "training: {global_batch: 128, sequence_length: 2048}\n",
      // Interleaved, context parallel, ZeRO-1 with overlapped DP, 128 GPUs.
      DModK("preset: dgx-h100-superpod, gpus: 128") +
          "model: megatron-7.5b\n"
          "parallelism: {tp: 8, pp: 2, cp: 2, virtual_stages: 2, schedule: interleaved-1f1b,\n"
          "              zero_stage: 1, dp_overlap: true, microbatch_size: 1}\n"
          "training: {global_batch: 64, sequence_length: 4096}\n",
      // Mixtral 8x7B with expert parallelism (shared all-to-all nodes), 256 GPUs.
      DModK("preset: dgx-h100-superpod, gpus: 256") +
          "model: mixtral-8x7b\n"
          "parallelism: {tp: 8, pp: 2, ep: 8, microbatch_size: 1, recompute: full}\n"
          "training: {global_batch: 128, sequence_length: 4096}\n",
      // 2,048 GPUs: 1.7B, TP 8, DP 256 over a leaf-spine fabric.
      DModK("preset: dgx-h100-superpod, gpus: 2048") +
          "model: megatron-1.7b\n"
          "parallelism: {tp: 8, pp: 1, microbatch_size: 1}\n"
          "training: {global_batch: 512, sequence_length: 2048}\n",
  };
  for (const std::string& yaml : plans) {
    const StepResult classes = Simulate(Spec(yaml));
    const StepResult expanded = Simulate(Spec(Expanded(yaml)));
    ASSERT_TRUE(classes.simulated && expanded.simulated) << yaml;
    EXPECT_GT(expanded.graph_nodes, classes.graph_nodes) << yaml;
    EXPECT_NEAR(expanded.step_time.seconds() / classes.step_time.seconds(), 1.0, 1e-9) << yaml;
    EXPECT_NEAR(expanded.energy_per_step.value() / classes.energy_per_step.value(), 1.0, 1e-9)
        << yaml;
  }
}

// With TP 2, four replicas share a node and the two TP peers' EP groups use different rails of
// the same NICs: the groups are not exact mirror images on the representative's links, and the
// classes' census weights (rounded to whole flows) differ slightly from the explicit flows.
TEST(ExpandTest, GroupsSharingNodesDifferOnlySlightly) {
  const std::string yaml = DModK("preset: dgx-h100-superpod, gpus: 256") +
                           "model: mixtral-8x7b\n"
                           "parallelism: {tp: 2, pp: 2, ep: 8, microbatch_size: 1, "
                           "recompute: full}\n"
                           "training: {global_batch: 128, sequence_length: 4096}\n";
  const double classes = Simulate(Spec(yaml)).step_time.seconds();
  const double expanded = Simulate(Spec(Expanded(yaml))).step_time.seconds();
  EXPECT_NEAR(expanded / classes, 1.0, 1e-3);
}

// With ECMP hashing the mirror groups' flows collide unevenly on the spine uplinks: classes see
// the representative's collisions, expansion every group's, and the step waits for the worst.
TEST(ExpandTest, EcmpCollisionsCostExpansionALittleMore) {
  const std::string yaml =
      "cluster: {preset: dgx-h100-superpod, gpus: 512}\n"
      "model: gpt3-175b\n"
      "parallelism: {tp: 8, pp: 8, microbatch_size: 1, recompute: selective}\n"
      "training: {global_batch: 256, sequence_length: 2048}\n";
  const double classes = Simulate(Spec(yaml)).step_time.seconds();
  const double expanded = Simulate(Spec(Expanded(yaml))).step_time.seconds();
  EXPECT_GE(expanded, classes);
  EXPECT_LT(expanded, classes * 1.01);
}

// A straggler slows only its own replica's stream when expanded; with exact mirrors the step
// time is the classes' (whose slow class is the straggler's whole EP group, here one replica).
TEST(ExpandTest, StragglerAgreesWithClasses) {
  const std::string yaml = DModK("preset: dgx-h100-superpod, gpus: 64") +
                           "model: megatron-7.5b\n"
                           "parallelism: {tp: 4, pp: 2, microbatch_size: 2}\n"
                           "training: {global_batch: 128, sequence_length: 2048}\n";
  const std::string slow = "simulation: {stragglers: [{gpu: 40, slowdown: 0.2}]";
  const StepResult classes = Simulate(Spec(yaml + slow + "}\n"));
  const StepResult expanded = Simulate(Spec(yaml + slow + ", expand: true}\n"));
  const StepResult base = Simulate(Spec(yaml));
  EXPECT_GT(classes.step_time, base.step_time);
  EXPECT_NEAR(expanded.step_time.seconds() / classes.step_time.seconds(), 1.0, 1e-9);
}


// Jitter: each replica draws its own compute times, and a synchronous step waits for the slowest
// replica at every collective that joins them, so jitter of mean 1 makes the step longer; by
// less than the compute time's 3σ spread. The same seed gives the same step, another seed
// another one; zero jitter changes nothing.
TEST(JitterTest, SlowsTheStepDeterministicallyBySeed) {
  const std::string yaml = "cluster: {preset: dgx-h100-superpod, gpus: 64}\n"
                           "model: megatron-7.5b\n"
                           "parallelism: {tp: 4, pp: 2, microbatch_size: 2}\n"
                           "training: {global_batch: 128, sequence_length: 2048}\n";
  auto with = [&](const std::string& sim) {
    return Simulate(Spec(yaml + "simulation: {expand: true" + sim + "}\n"));
  };
  const StepResult base = with("");
  const StepResult none = with(", compute_jitter: 0");
  const StepResult a = with(", compute_jitter: 0.05, seed: 7");
  const StepResult again = with(", compute_jitter: 0.05, seed: 7");
  const StepResult other = with(", compute_jitter: 0.05, seed: 8");
  EXPECT_EQ(none.step_time, base.step_time);
  EXPECT_EQ(a.step_time, again.step_time);
  EXPECT_NE(a.step_time, other.step_time);
  const double compute =
      Share(base, "forward") + Share(base, "backward") + Share(base, "recompute");
  for (const StepResult* r : {&a, &other}) {
    const double delta = r->step_time.seconds() - base.step_time.seconds();
    EXPECT_GT(delta, 0);
    EXPECT_LT(delta, 3 * 0.05 * compute);
  }
}

}  // namespace
}  // namespace trainsim::workloads
