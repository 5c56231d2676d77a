#include "workloads/memory.h"

#include <cstdint>
#include <string>

#include "config/scenario_loader.h"
#include "config/scenario_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "workloads/parameters.h"

namespace trainsim::workloads {
namespace {

using ::testing::HasSubstr;
using namespace trainsim::literals;

StatusOr<config::ScenarioSpec> FromText(const std::string& text) {
  StatusOr<config::LoadedScenario> loaded = config::LoadScenarioText(text, "memory.yaml");
  if (!loaded.ok()) return loaded.status();
  return config::BuildScenarioSpec(*loaded);
}

// A scenario on `gpus` H100 (80 GB) GPUs of a DGX H100 SuperPOD.
StatusOr<config::ScenarioSpec> Scenario(const std::string& model, int gpus,
                                        const std::string& parallelism, const std::string& training,
                                        const std::string& precision = "{}") {
  return FromText("cluster: {preset: dgx-h100-superpod, gpus: " + std::to_string(gpus) +
                  "}\nmodel: " + model + "\nparallelism: " + parallelism +
                  "\ntraining: " + training + "\nprecision: " + precision + "\n");
}

StatusOr<MemoryEstimate> Estimate(const config::ScenarioSpec& spec) {
  return EstimateMemory(spec.model, spec.parallel, spec.training, spec.precision,
                        spec.cluster.node.gpu.hbm_capacity);
}

// GPT-3 175B (Korthikanti et al.'s running example): s = 2048, h = 12288, a = 96.
constexpr int64_t kS = 2048;
constexpr int64_t kH = 12288;
constexpr int64_t kA = 96;

class Gpt3LayerActivationMemory : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<config::ScenarioSpec> spec =
        Scenario("gpt3-175b", 64, "{tp: 8, pp: 8}", "{global_batch: 64, sequence_length: 2048}");
    ASSERT_TRUE(spec.ok()) << spec.status().message();
    model_ = spec->model;
    plan_ = spec->parallel;
  }

  int64_t PerLayer(int tp, bool sp, Recompute recompute, int microbatch = 1) {
    ParallelPlan plan = plan_;
    plan.tp = tp;
    plan.sequence_parallel = sp;
    plan.recompute = recompute;
    plan.microbatch_size = microbatch;
    return LayerActivationBytes(model_, plan, kS, 0).count();
  }

  ModelSpec model_;
  ParallelPlan plan_;
};

TEST_F(Gpt3LayerActivationMemory, NoParallelismIsSbhTimes34Plus5AsOverH) {
  // Korthikanti et al. Table 2, "no parallelism": sbh(34 + 5as/h) = 34sbh + 5as²b.
  for (int b : {1, 2}) {
    EXPECT_EQ(PerLayer(1, false, Recompute::kNone, b), 34 * kS * b * kH + 5 * kA * kS * kS * b);
    EXPECT_EQ(PerLayer(1, true, Recompute::kNone, b), 34 * kS * b * kH + 5 * kA * kS * kS * b);
  }
}

TEST_F(Gpt3LayerActivationMemory, TensorParallelWithoutSequenceParallelKeeps10SbhUnsplit) {
  const int64_t t = 8;
  // sbh(10 + 24/t + 5as/(ht)).
  EXPECT_EQ(PerLayer(8, false, Recompute::kNone),
            10 * kS * kH + 24 * kS * kH / t + 5 * kA * kS * kS / t);
  // Selective recompute: sbh(10 + 24/t).
  EXPECT_EQ(PerLayer(8, false, Recompute::kSelective), 10 * kS * kH + 24 * kS * kH / t);
  // Full recompute: the layer input, 2sbh.
  EXPECT_EQ(PerLayer(8, false, Recompute::kFull), 2 * kS * kH);
}

TEST_F(Gpt3LayerActivationMemory, SequenceParallelSplitsEverythingOverTp) {
  const int64_t t = 8;
  // sbh(34/t + 5as/(ht)); selective: 34sbh/t; full: 2sbh/t.
  EXPECT_EQ(PerLayer(8, true, Recompute::kNone), 34 * kS * kH / t + 5 * kA * kS * kS / t);
  EXPECT_EQ(PerLayer(8, true, Recompute::kSelective), 34 * kS * kH / t);
  EXPECT_EQ(PerLayer(8, true, Recompute::kFull), 2 * kS * kH / t);
}

TEST(LayerActivationMemory, AgreeWithMegatronTheoreticalMemoryForAnyGeluWidth) {
  // Megatron-LM's megatron/training/theoretical_memory_usage.py (SP + selective recompute):
  // sbh(18 + 4·ffn/h)/t per layer. A GPT with a 3h MLP: (18 + 12)·sbh/t.
  ModelSpec model{.name = "gpt-3h-mlp",
                  .layers = 4,
                  .hidden = 4096,
                  .ffn_hidden = 3 * 4096,
                  .heads = 32,
                  .kv_heads = 32,
                  .vocab = 51200};
  const ParallelPlan plan{.tp = 4, .sequence_parallel = true, .recompute = Recompute::kSelective};
  EXPECT_EQ(LayerActivationBytes(model, plan, 4096, 0).count(), (18 + 12) * 4096 * 4096 / 4);
}

TEST(LayerActivationMemory, GqaAndSwigluScaleTheirTerms) {
  StatusOr<config::ScenarioSpec> spec =
      Scenario("llama3-70b", 64, "{tp: 8, pp: 8}", "{global_batch: 64, sequence_length: 8192}");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  const int64_t s = 8192, h = 8192, d = 128, t = 8, ffn = 28672;
  // 10sbh/t (norms, QKV and MLP inputs, masks) + Q, attention output (2·(64/t)·d each) and K, V
  // (2·(8/t)·d each) + SwiGLU gate, up and product (2·ffn/t each).
  const int64_t expected =
      10 * s * h / t + s * (4 * (64 / t) * d + 4 * (8 / t) * d) + s * 6 * ffn / t;
  EXPECT_EQ(LayerActivationBytes(spec->model, spec->parallel, s, 0).count(), expected);
}

TEST(LayerActivationMemory, MoeExpertsSeeTopKTimesTheTokens) {
  StatusOr<config::ScenarioSpec> spec = Scenario("mixtral-8x7b", 64, "{tp: 8, pp: 4, ep: 2}",
                                                 "{global_batch: 64, sequence_length: 4096}");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  const int64_t s = 4096, h = 4096, d = 128, t = 8, ffn = 14336;
  const int64_t routed = 2 * s;  // top-2, dropless
  const int64_t expected = 10 * s * h / t + s * (4 * (32 / t) * d + 4 * (8 / t) * d) +
                           routed * 6 * ffn / t + routed * 2 * h;
  EXPECT_EQ(LayerActivationBytes(spec->model, spec->parallel, s, 0).count(), expected);
}

TEST(LayerActivationMemory, ContextParallelDividesTheSequence) {
  StatusOr<config::ScenarioSpec> spec = Scenario("gpt3-175b", 64, "{tp: 8, cp: 2, pp: 4}",
                                                 "{global_batch: 64, sequence_length: 4096}");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  ParallelPlan plan = spec->parallel;
  plan.recompute = Recompute::kNone;
  // Each CP rank holds s/2 tokens; its queries still see all s keys.
  EXPECT_EQ(LayerActivationBytes(spec->model, plan, 4096, 0).count(),
            34 * 2048 * kH / 8 + 5 * (kA / 8) * 2048 * 4096);
}

TEST(PipelineMemory, OneFOneBStageZeroHoldsPAndTheLastStageOne) {
  const ParallelPlan plan{.pp = 8, .schedule = PipelineSchedule::kOneFOneB};
  EXPECT_EQ(MicrobatchesInFlight(plan, 64, 0), 8);
  EXPECT_EQ(MicrobatchesInFlight(plan, 64, 3), 5);
  EXPECT_EQ(MicrobatchesInFlight(plan, 64, 7), 1);
  EXPECT_EQ(MicrobatchesInFlight(plan, 4, 0), 4);  // fewer micro-batches than stages
}

TEST(PipelineMemory, GpipeHoldsEveryMicrobatch) {
  const ParallelPlan plan{.pp = 8, .schedule = PipelineSchedule::kGpipe};
  EXPECT_EQ(MicrobatchesInFlight(plan, 64, 0), 64);
  EXPECT_EQ(MicrobatchesInFlight(plan, 64, 7), 64);
}

TEST(PipelineMemory, InterleavedStageZeroHoldsKorthikantisExtraFraction) {
  // Korthikanti et al. §4.2.3: L(1 + (p − 1)/(p·v)) layers' worth on the first stage, i.e.
  // p·v + p − 1 chunk passes of L/(p·v) layers.
  const int p = 8, v = 4;
  const ParallelPlan plan{
      .pp = p, .virtual_stages = v, .schedule = PipelineSchedule::kInterleavedOneFOneB};
  EXPECT_EQ(MicrobatchesInFlight(plan, 64, 0), p * v + p - 1);
  EXPECT_EQ(MicrobatchesInFlight(plan, 64, p - 1), (v - 1) * p + 1);
}

TEST(StageMemory, OneFOneBActivationsFollowTheInFlightCount) {
  StatusOr<config::ScenarioSpec> spec =
      Scenario("gpt3-175b", 1024, "{tp: 8, pp: 8}", "{global_batch: 1024, sequence_length: 2048}");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  StatusOr<MemoryEstimate> estimate = Estimate(*spec);
  ASSERT_TRUE(estimate.ok()) << estimate.status().message();
  const int64_t layer = 34 * kS * kH / 8;  // SP + selective recompute
  const int64_t stage_layers = 96 / 8;
  const int64_t embedding_mask = kS * kH / 8;
  const int64_t output = 4 * kS * kH / 8 + 4 * kS * 51200 / 8;
  ASSERT_EQ(estimate->stages.size(), 8u);
  EXPECT_EQ(estimate->stages[0].activations.count(), 8 * (stage_layers * layer + embedding_mask));
  EXPECT_EQ(estimate->stages[3].activations.count(), 5 * stage_layers * layer);
  EXPECT_EQ(estimate->stages[7].activations.count(), stage_layers * layer + output);
}

TEST(StageMemory, InterleavedFirstStageHoldsLTimesOnePlusPMinusOneOverPv) {
  StatusOr<config::ScenarioSpec> spec =
      Scenario("gpt3-175b", 1024, "{tp: 8, pp: 8, virtual_stages: 4, schedule: interleaved-1f1b}",
               "{global_batch: 1024, sequence_length: 2048}");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  StatusOr<MemoryEstimate> estimate = Estimate(*spec);
  ASSERT_TRUE(estimate.ok()) << estimate.status().message();
  const int64_t layer = 34 * kS * kH / 8;
  const int64_t p = 8, v = 4, l = 96;
  const int64_t layer_equivalents = l * (p * v + p - 1) / (p * v);  // 96 · (1 + 7/32) = 117
  ASSERT_EQ(layer_equivalents, 117);
  // The embedding's dropout mask rides with chunk 0: 15 of the 39 in-flight passes.
  const int64_t embedding_masks = 15 * kS * kH / 8;
  EXPECT_EQ(estimate->stages[0].activations.count(), layer_equivalents * layer + embedding_masks);
}

class ZeroMemory : public ::testing::Test {
 protected:
  MemoryEstimate WithZero(int stage) {
    StatusOr<config::ScenarioSpec> spec =
        Scenario("gpt3-175b", 1024, "{tp: 8, pp: 8, zero_stage: " + std::to_string(stage) + "}",
                 "{global_batch: 1024, sequence_length: 2048}");
    EXPECT_TRUE(spec.ok()) << spec.status().message();
    if (!spec.ok()) return MemoryEstimate{};
    plan_ = spec->parallel;
    model_ = spec->model;
    StatusOr<MemoryEstimate> estimate = Estimate(*spec);
    EXPECT_TRUE(estimate.ok()) << estimate.status().message();
    return estimate.ok() ? *estimate : MemoryEstimate{};
  }

  ParallelPlan plan_;
  ModelSpec model_;
};

TEST_F(ZeroMemory, EachStageShardsOneMoreTermByExactlyDp) {
  const MemoryEstimate z0 = WithZero(0), z1 = WithZero(1), z2 = WithZero(2), z3 = WithZero(3);
  ASSERT_EQ(plan_.dp, 16);
  ASSERT_EQ(z0.stages.size(), 8u);
  ASSERT_EQ(z3.stages.size(), 8u);
  for (int stage = 0; stage < 8; ++stage) {
    SCOPED_TRACE(stage);
    const int64_t params = ParametersOnStage(model_, plan_, stage);
    // bf16 weights and gradients; fp32 master weights, m and v.
    EXPECT_EQ(z0.stages[stage].weights.count(), 2 * params);
    EXPECT_EQ(z0.stages[stage].gradients.count(), 2 * params);
    EXPECT_EQ(z0.stages[stage].optimizer.count(), 12 * params);

    EXPECT_EQ(z1.stages[stage].optimizer * 16, z0.stages[stage].optimizer);
    EXPECT_EQ(z1.stages[stage].gradients, z0.stages[stage].gradients);
    EXPECT_EQ(z2.stages[stage].gradients * 16, z0.stages[stage].gradients);
    EXPECT_EQ(z2.stages[stage].weights, z0.stages[stage].weights);
    EXPECT_EQ(z3.stages[stage].weights * 16, z0.stages[stage].weights);
    EXPECT_EQ(z3.stages[stage].optimizer, z1.stages[stage].optimizer);
    // ZeRO-3 gathers one layer at a time into a buffer.
    EXPECT_GT(z3.stages[stage].buffers, z2.stages[stage].buffers);
  }
}

TEST(StageMemory, MatchesMegatronBytesPerParameter) {
  // Megatron-LM's theoretical_memory_usage.py: 18 bytes per parameter (bf16 weights, fp32
  // gradients, fp32 master weights, m, v), 6 + 12/dp with the distributed optimizer.
  for (int zero : {0, 1}) {
    SCOPED_TRACE(zero);
    StatusOr<config::ScenarioSpec> spec =
        Scenario("gpt3-175b", 1024, "{tp: 8, pp: 8, zero_stage: " + std::to_string(zero) + "}",
                 "{global_batch: 1024, sequence_length: 2048}", "{grads: fp32}");
    ASSERT_TRUE(spec.ok()) << spec.status().message();
    StatusOr<MemoryEstimate> estimate = Estimate(*spec);
    ASSERT_TRUE(estimate.ok()) << estimate.status().message();
    const StageMemory& stage = estimate->stages[0];
    const int64_t params = ParametersOnStage(spec->model, spec->parallel, 0);
    const int64_t model_state = (stage.weights + stage.gradients + stage.optimizer).count();
    EXPECT_EQ(model_state, zero == 0 ? 18 * params : 6 * params + 12 * params / 16);
  }
}

TEST(StageMemory, ExpertOptimizerStateIsShardedOverTheExpertDataParallelRanks) {
  // 64 GPUs, tp 8: dp 8, ep 4 → each expert lives on dp/ep = 2 data-parallel ranks.
  StatusOr<config::ScenarioSpec> spec =
      Scenario("mixtral-8x7b", 64, "{tp: 8, ep: 4}", "{global_batch: 64, sequence_length: 4096}");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  StatusOr<MemoryEstimate> estimate = Estimate(*spec);
  ASSERT_TRUE(estimate.ok()) << estimate.status().message();
  const int64_t params = ParametersOnStage(spec->model, spec->parallel, 0);
  const int64_t experts = ExpertParametersOnStage(spec->model, spec->parallel, 0);
  EXPECT_EQ(experts, 32 * 2 * ExpertParameters(spec->model, 8));  // 8 experts / ep 4 = 2
  const int64_t dense = params - experts;
  auto ceil_div = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  EXPECT_EQ(estimate->stages[0].optimizer.count(),
            12 * (ceil_div(dense, 8) + ceil_div(experts, 2)));
}

TEST(StageMemory, ParametersOnStagesAddUpToTheModel) {
  // Untied Llama: every parameter on exactly one stage (tp 1).
  const ModelSpec llama{.name = "llama-ish",
                        .layers = 8,
                        .hidden = 512,
                        .ffn_hidden = 1536,
                        .heads = 8,
                        .kv_heads = 2,
                        .vocab = 1000,
                        .mlp = MlpKind::kSwiglu,
                        .norm = NormKind::kRmsNorm,
                        .tied_embeddings = false};
  const ParallelPlan interleaved{
      .pp = 2, .virtual_stages = 2, .schedule = PipelineSchedule::kInterleavedOneFOneB};
  EXPECT_EQ(ParametersOnStage(llama, interleaved, 0) + ParametersOnStage(llama, interleaved, 1),
            CountParameters(llama).total);
  // Stage 0 holds chunks 0 and 2 (layers 0-1 and 4-5) and the embedding.
  const int64_t layer = CountLayerParameters(llama, 0).total();
  EXPECT_EQ(ParametersOnStage(llama, interleaved, 0), 4 * layer + 1000 * 512);
  // A tied embedding has a second copy on the last stage when pp > 1, none extra when pp = 1.
  ModelSpec tied = llama;
  tied.tied_embeddings = true;
  EXPECT_EQ(ParametersOnStage(tied, interleaved, 0) + ParametersOnStage(tied, interleaved, 1),
            CountParameters(tied).total + 1000 * 512);
  EXPECT_EQ(ParametersOnStage(tied, ParallelPlan{}, 0), CountParameters(tied).total);
}

TEST(StageMemory, Fp8KeepsTwoFp8CopiesOfTheGemmWeights) {
  const std::string parallelism = "{tp: 8, pp: 8, zero_stage: 0}";
  const std::string training = "{global_batch: 64, sequence_length: 8192}";
  StatusOr<config::ScenarioSpec> bf16 = Scenario("llama3-70b", 64, parallelism, training);
  StatusOr<config::ScenarioSpec> fp8 =
      Scenario("llama3-70b", 64, parallelism, training, "{compute: fp8}");
  ASSERT_TRUE(bf16.ok() && fp8.ok());
  StatusOr<MemoryEstimate> a = Estimate(*bf16), b = Estimate(*fp8);
  ASSERT_TRUE(a.ok() && b.ok());
  // Stage 1 has 10 layers and no embedding or output projection.
  const int64_t linear = 10 * CountLayerParameters(bf16->model, 0, 8).linear();
  EXPECT_EQ((b->stages[1].weights - a->stages[1].weights).count(), 2 * linear);
  EXPECT_EQ(b->stages[1].optimizer, a->stages[1].optimizer);
}

TEST(MemoryEstimate, Gpt3OnOneGpuPerReplicaDoesNotFit) {
  StatusOr<config::ScenarioSpec> spec =
      Scenario("gpt3-175b", 8, "{tp: 1, pp: 1}", "{global_batch: 8, sequence_length: 2048}");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  StatusOr<MemoryEstimate> estimate = Estimate(*spec);
  ASSERT_TRUE(estimate.ok()) << estimate.status().message();
  EXPECT_FALSE(estimate->fits());
  EXPECT_EQ(estimate->capacity, 80_GB);
  EXPECT_GT(estimate->overflow(), 250_GB);  // 2 bytes × 175B of weights alone is 350 GB
  EXPECT_EQ(estimate->overflow(), estimate->peak - 80_GB);
  EXPECT_EQ(estimate->worst_stage, 0);
}

TEST(MemoryEstimate, GpipeLastStageIsWorstForItsLogits) {
  // Every GPipe stage holds all micro-batches; the last adds their fp32 logits.
  StatusOr<config::ScenarioSpec> spec = Scenario("llama3-8b", 8, "{tp: 2, pp: 4, schedule: gpipe}",
                                                 "{global_batch: 32, sequence_length: 8192}");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  StatusOr<MemoryEstimate> estimate = Estimate(*spec);
  ASSERT_TRUE(estimate.ok()) << estimate.status().message();
  EXPECT_EQ(estimate->worst_stage, 3);
  EXPECT_EQ(estimate->peak, estimate->stages[3].total);
  EXPECT_FALSE(estimate->fits());
  EXPECT_EQ(estimate->overflow(), estimate->stages[3].total - 80_GB);
}

TEST(MemoryEstimate, TotalsAreTheSumOfTheTerms) {
  StatusOr<config::ScenarioSpec> spec = Scenario("mixtral-8x7b", 64, "{tp: 4, pp: 2, ep: 8}",
                                                 "{global_batch: 64, sequence_length: 4096}");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  StatusOr<MemoryEstimate> estimate = Estimate(*spec);
  ASSERT_TRUE(estimate.ok()) << estimate.status().message();
  for (const StageMemory& s : estimate->stages) {
    EXPECT_EQ(s.total, s.weights + s.gradients + s.optimizer + s.activations + s.buffers);
    EXPECT_GE(s.buffers, kRuntimeReserve);
  }
}

TEST(MemoryEstimate, ShippedScenariosFit) {
  for (const char* file :
       {"gpt3-175b-h100.yaml", "megatron-145b-selene.yaml", "llama3-70b-nvl256.json"}) {
    SCOPED_TRACE(file);
    StatusOr<config::LoadedScenario> loaded =
        config::LoadScenarioFile(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/" + file);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    StatusOr<config::ScenarioSpec> spec = config::BuildScenarioSpec(*loaded);
    ASSERT_TRUE(spec.ok()) << spec.status().message();
    StatusOr<MemoryEstimate> estimate = Estimate(*spec);
    ASSERT_TRUE(estimate.ok()) << estimate.status().message();
    EXPECT_TRUE(estimate->fits()) << "peak " << ToString(estimate->peak) << " on stage "
                                  << estimate->worst_stage;
    EXPECT_EQ(estimate->overflow(), 0_B);
  }
}

TEST(MemoryEstimate, BadInputIsAnErrorNamingEveryProblem) {
  StatusOr<config::ScenarioSpec> spec =
      Scenario("gpt3-175b", 64, "{tp: 8, pp: 8}", "{global_batch: 64, sequence_length: 2048}");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  const config::ScenarioSpec& s = *spec;

  StatusOr<MemoryEstimate> zero = EstimateMemory(s.model, s.parallel, s.training, s.precision, 0_B);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(zero.status().message(), HasSubstr("hbm_capacity must be positive"));

  ParallelPlan plan = s.parallel;
  plan.tp = 5;
  plan.pp = 0;
  PrecisionSpec precision = s.precision;
  precision.grads = "fp7";
  StatusOr<MemoryEstimate> bad = EstimateMemory(s.model, plan, s.training, precision, 80_GB);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("parallelism.pp must be >= 1, got 0"));
  EXPECT_THAT(bad.status().message(), HasSubstr("precision.grads"));

  plan = s.parallel;
  plan.tp = 5;
  plan.ep = 2;
  TrainingSpec training = s.training;
  training.global_batch = 0;
  bad = EstimateMemory(s.model, plan, training, s.precision, 80_GB);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("parallelism.tp = 5 does not divide"));
  EXPECT_THAT(bad.status().message(), HasSubstr("the model has no experts"));
  EXPECT_THAT(bad.status().message(), HasSubstr("training.global_batch must be >= 1"));

  ModelSpec model = s.model;
  model.layers = 0;
  model.heads = -1;
  bad = EstimateMemory(model, s.parallel, s.training, s.precision, 80_GB);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("model.layers must be >= 1"));

  training = s.training;
  plan = s.parallel;
  plan.dp = 8;
  training.global_batch = 4;  // below dp · microbatch_size = 8
  bad = EstimateMemory(s.model, plan, training, s.precision, 80_GB);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("gives no micro-batch"));
}

TEST(MemoryEstimate, AbsurdSizesAreAnErrorNotAnOverflow) {
  StatusOr<config::ScenarioSpec> spec =
      Scenario("gpt3-175b", 64, "{tp: 8, pp: 8}", "{global_batch: 64, sequence_length: 2048}");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  TrainingSpec training = spec->training;
  training.sequence_length = 16'777'216;
  ParallelPlan plan = spec->parallel;
  plan.recompute = Recompute::kNone;
  plan.microbatch_size = 65536;
  training.global_batch = 65536;
  StatusOr<MemoryEstimate> estimate =
      EstimateMemory(spec->model, plan, training, spec->precision, 80_GB);
  ASSERT_FALSE(estimate.ok());
  EXPECT_THAT(estimate.status().message(), HasSubstr("more than 2^63 bytes"));
}

}  // namespace
}  // namespace trainsim::workloads
