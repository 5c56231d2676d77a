#include "config/scenario_spec.h"

#include <filesystem>
#include <string>

#include "config/catalogs.h"
#include "tests/compute/test_gpus.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trainsim::config {
namespace {

using ::testing::HasSubstr;
using namespace trainsim::literals;

std::string Scenario(const std::string& parallelism, const std::string& model = "gpt3-175b",
                     int gpus = 64, int global_batch = 16) {
  return "cluster: {preset: dgx-h100-superpod, gpus: " + std::to_string(gpus) + "}\n" +
         "model: " + model + "\n" + "parallelism: " + parallelism + "\n" +
         "training: {global_batch: " + std::to_string(global_batch) +
         ", sequence_length: 2048}\n";
}

StatusOr<ScenarioSpec> Build(const std::string& text) {
  StatusOr<LoadedScenario> loaded = LoadScenarioText(text, "s.yaml");
  if (!loaded.ok()) return loaded.status();
  return BuildScenarioSpec(*loaded);
}

std::string BuildErrorOf(const std::string& text) {
  StatusOr<ScenarioSpec> spec = Build(text);
  EXPECT_FALSE(spec.ok()) << text;
  return spec.ok() ? std::string() : spec.status().message();
}

TEST(ScenarioSpec, BuildsTypedSpecsWithUnitsParsed) {
  StatusOr<ScenarioSpec> spec = Build(Scenario("{tp: 8, pp: 8}"));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->cluster.gpus, 64);
  EXPECT_EQ(spec->cluster.nodes(), 8);
  EXPECT_EQ(spec->cluster.node.nic_bandwidth, 400_Gbps);
  EXPECT_EQ(spec->cluster.node.gpu.hbm_bandwidth, 3.35_TBps);
  EXPECT_EQ(spec->cluster.node.gpu.hbm_capacity, 80_GB);
  EXPECT_EQ(spec->cluster.fabric.hop_latency, Time::Nanoseconds(600));
  EXPECT_EQ(spec->model.ffn_hidden, 4 * 12288);  // GeLU default 4h
  EXPECT_EQ(spec->model.kv_heads, 96);           // 0 means multi-head
  EXPECT_EQ(spec->parallel.dp, 1);               // derived: 64 / (8*8)
  EXPECT_EQ(spec->training.microbatches(spec->parallel), 16);
}

TEST(ScenarioSpec, DataParallelDegreeIsDerivedFromTheGpuCount) {
  StatusOr<ScenarioSpec> spec = Build(Scenario("{tp: 8, pp: 2}", "gpt3-175b", 1024, 512));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->parallel.dp, 1024 / 16);
}

TEST(ScenarioSpec, ProductOfDegreesMustEqualTheGpuCount) {
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 8, pp: 4, dp: 3}")),
              HasSubstr("s.yaml:3:14: parallelism: tp*pp*dp*cp = 96 but the cluster has 64 GPUs"));
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 8, pp: 3}", "gpt3-175b")),
              HasSubstr("parallelism: tp*pp*cp = 24 does not divide cluster.gpus = 64"));
}

TEST(ScenarioSpec, TensorParallelMustDivideHeads) {
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 64}", "megatron-1.7b", 64, 64)),
              HasSubstr("parallelism.tp: 64 does not divide model.heads = 24"));
}

TEST(ScenarioSpec, RankOrderMustNameEachDimensionOnce) {
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 8, order: tp-dp-dp-pp}")),
              HasSubstr("parallelism.order: \"tp-dp-dp-pp\" is not an order of the four "
                        "dimensions"));
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 8, order: tp-cp-dp}")), HasSubstr("parallelism.order"));
  StatusOr<ScenarioSpec> spec = Build(Scenario("{tp: 8, order: dp-tp-cp-pp}"));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->parallel.order[0], workloads::ParallelDim::kDp);
}

TEST(ScenarioSpec, UnevenFirstAndLastStagesMustLeaveAnEvenMiddle) {
  // Llama 3 405B: 126 layers over 16 stages, 7 on the first and last, 8 on the others.
  StatusOr<ScenarioSpec> ok = Build(Scenario(
      "{tp: 8, pp: 16, first_stage_layers: 7, last_stage_layers: 7}", "llama3-405b", 16384, 2048));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(workloads::ChunkLayers(126, ok->parallel, 1, 0).count, 8);
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 8, pp: 16, first_stage_layers: 8, last_stage_layers: 7}",
                               "llama3-405b", 16384, 2048)),
              HasSubstr("parallelism.first_stage_layers: 8 first + 7 last leaves 111 of "
                        "model.layers = 126 for the 14 middle stages"));
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 8, pp: 2, first_stage_layers: 40}", "megatron-18.4b", 64,
                               64)),
              HasSubstr("need pp >= 3"));
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 8, pp: 16}", "llama3-405b", 16384, 2048)),
              HasSubstr("or set first_stage_layers / last_stage_layers"));
}

TEST(ScenarioSpec, JitterNeedsExpansionAndStepDetailIsRefused) {
  const std::string base = Scenario("{tp: 8}");
  EXPECT_THAT(BuildErrorOf(base + "simulation: {compute_jitter: 0.05}\n"),
              HasSubstr("simulation.compute_jitter: 0.05 needs simulation.expand: true"));
  EXPECT_THAT(BuildErrorOf(base + "simulation: {compute_jitter: 1.5, expand: true}\n"),
              HasSubstr("simulation.compute_jitter"));
  EXPECT_THAT(BuildErrorOf(base + "simulation: {collective_detail: step}\n"),
              HasSubstr("simulation.collective_detail: step is not available"));
  StatusOr<ScenarioSpec> ok = Build(base + "simulation: {compute_jitter: 0.05, expand: true}\n");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->simulation.compute_jitter, 0.05);
}

TEST(ScenarioSpec, StragglersNameOneGpuOrNodeOfTheCluster) {
  const std::string base = Scenario("{tp: 8}");
  EXPECT_THAT(BuildErrorOf(base + "simulation: {stragglers: [{gpu: 0, node: 1, slowdown: 0.2}]}\n"),
              HasSubstr("simulation.stragglers[0]: give exactly one of gpu and node"));
  EXPECT_THAT(BuildErrorOf(base + "simulation: {stragglers: [{gpu: 64, slowdown: 0.2}]}\n"),
              HasSubstr("simulation.stragglers[0].gpu: 64 is not a GPU of the cluster (0 .. 63)"));
  EXPECT_THAT(BuildErrorOf(base + "simulation: {stragglers: [{node: 8, slowdown: 0.2}]}\n"),
              HasSubstr("simulation.stragglers[0].node: 8 is not a node of the cluster (0 .. 7)"));
  StatusOr<ScenarioSpec> ok = Build(base + "simulation: {stragglers: [{node: 2, slowdown: 0.5}]}\n");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  ASSERT_EQ(ok->simulation.stragglers.size(), 1u);
  EXPECT_EQ(ok->simulation.stragglers[0].node, 2);
}

TEST(ScenarioSpec, PipelineStagesMustDivideLayers) {
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 1, pp: 64}", "megatron-1.7b", 64, 64)),
              HasSubstr("pp*virtual_stages = 64*1 = 64 does not divide model.layers = 24"));
}

TEST(ScenarioSpec, VirtualStagesNeedTheInterleavedSchedule) {
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 8, pp: 2, virtual_stages: 2}", "gpt3-175b", 64, 64)),
              HasSubstr("parallelism.virtual_stages: 2 needs schedule: interleaved-1f1b"));
}

TEST(ScenarioSpec, ExpertParallelNeedsExperts) {
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 8, pp: 1, ep: 2}", "gpt3-175b", 64, 64)),
              HasSubstr("parallelism.ep: 2 > 1 but the model has no experts"));
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 8, ep: 3}", "mixtral-8x7b", 48, 48)),
              HasSubstr("parallelism.ep: 3 does not divide model.moe.experts = 8"));
}

TEST(ScenarioSpec, GlobalBatchMustSplitIntoMicroBatches) {
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 8, pp: 1, microbatch_size: 3}", "gpt3-175b", 64, 16)),
              HasSubstr("training.global_batch: 16 is not a multiple of dp*microbatch_size = "
                        "8*3 = 24"));
}

TEST(ScenarioSpec, GpuCountMustFillWholeNodes) {
  EXPECT_THAT(BuildErrorOf(Scenario("{tp: 4}", "gpt3-175b", 12, 12)),
              HasSubstr("cluster.gpus: 12 is not a multiple of cluster.node.gpus_per_node = 8"));
}

TEST(ScenarioSpec, SparsityNeedsSparseTensorCores) {
  const std::string sparse = Scenario("{tp: 8, pp: 8}") + "precision: {sparse_2to4: true}\n";
  StatusOr<ScenarioSpec> h100 = Build(sparse);
  EXPECT_TRUE(h100.ok()) << h100.status().message();
  std::string no_sparse = sparse;
  no_sparse.replace(no_sparse.find("gpus: 64}"), 9,
                    "gpus: 64, node: {gpu: {preset: h100-sxm, sparsity_2_4: false}}}");
  EXPECT_THAT(BuildErrorOf(no_sparse),
              HasSubstr("precision.sparse_2to4: the GPU (H100 SXM5 80GB) has "
                        "no 2:4 sparse tensor cores"));
}

TEST(ScenarioSpec, ResolvedYamlGivesTheSameSpec) {
  StatusOr<LoadedScenario> loaded = LoadDefaultScenario();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  StatusOr<ScenarioSpec> spec = BuildScenarioSpec(*loaded);
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  const std::string resolved = ResolvedYaml(*loaded, *spec);
  StatusOr<LoadedScenario> again = LoadScenarioText(resolved, "resolved.yaml");
  ASSERT_TRUE(again.ok()) << again.status().message();
  StatusOr<ScenarioSpec> spec2 = BuildScenarioSpec(*again);
  ASSERT_TRUE(spec2.ok()) << spec2.status().message();
  EXPECT_EQ(ResolvedYaml(*again, *spec2), resolved);
}

TEST(ScenarioSpec, GpuSpecRoundTripsThroughProto) {
  StatusOr<ScenarioSpec> spec = Build(Scenario("{tp: 8, pp: 8}"));
  ASSERT_TRUE(spec.ok());
  const compute::GpuSpec& gpu = spec->cluster.node.gpu;
  const compute::GpuSpec back = GpuSpecFromProto(GpuSpecToProto(gpu));
  EXPECT_EQ(back.hbm_bandwidth, gpu.hbm_bandwidth);
  EXPECT_EQ(back.peak_bf16, gpu.peak_bf16);
  EXPECT_EQ(back.kernel_launch_overhead, gpu.kernel_launch_overhead);
  EXPECT_EQ(back.mac_energy_fp8.value(), gpu.mac_energy_fp8.value());
  EXPECT_EQ(back.sm_count, gpu.sm_count);
}

// Every preset in every catalog must load and validate on its own.
TEST(Catalogs, EveryPresetIsValid) {
  const Catalogs& catalogs = BuiltinCatalogs();
  for (const std::string& gpu : catalogs.presets.at("gpu").names) {
    const std::string text = "cluster: {gpus: 8, node: {gpus_per_node: 8, gpu: " + gpu +
                             "}, fabric: {kind: none}}\nmodel: megatron-1.7b\n"
                             "training: {global_batch: 8, sequence_length: 2048}\n";
    StatusOr<ScenarioSpec> spec = Build(text);
    EXPECT_TRUE(spec.ok()) << gpu << ": " << spec.status().message();
  }
  for (const std::string& node : catalogs.presets.at("node").names) {
    StatusOr<ScenarioSpec> spec = Build("cluster: {gpus: 8, node: " + node +
                                        ", fabric: {kind: none}}\nmodel: megatron-1.7b\n"
                                        "training: {global_batch: 8, sequence_length: 2048}\n");
    EXPECT_TRUE(spec.ok()) << node << ": " << spec.status().message();
  }
  for (const std::string& cluster : catalogs.presets.at("cluster").names) {
    StatusOr<ScenarioSpec> spec = Build("cluster: " + cluster +
                                        "\nmodel: megatron-1.7b\n"
                                        "training: {global_batch: 3072, sequence_length: 2048}\n");
    EXPECT_TRUE(spec.ok()) << cluster << ": " << spec.status().message();
  }
  for (const std::string& model : catalogs.presets.at("model").names) {
    StatusOr<ScenarioSpec> spec = Build("cluster: {preset: dgx-h100-superpod, gpus: 8}\nmodel: " +
                                        model +
                                        "\ntraining: {global_batch: 8, sequence_length: 2048}\n");
    EXPECT_TRUE(spec.ok()) << model << ": " << spec.status().message();
  }
}

// compute/'s tests build GPUs by hand (compute/ parses no files); they must stay equal to the
// catalog entries users get by name.
TEST(Catalogs, ComputeTestFixturesMatchTheGpuCatalog) {
  const std::pair<const char*, compute::GpuSpec> fixtures[] = {
      {"h100-sxm", compute::testing::H100Sxm()},
      {"h200-sxm", compute::testing::H200Sxm()},
      {"a100-sxm-80gb", compute::testing::A100Sxm80()},
  };
  for (const auto& [preset, fixture] : fixtures) {
    StatusOr<compute::GpuSpec> catalog = GpuFromPreset(preset);
    ASSERT_TRUE(catalog.ok()) << catalog.status().message();
    trainsim::v1::Gpu want = GpuSpecToProto(fixture);
    trainsim::v1::Gpu got = GpuSpecToProto(*catalog);
    want.clear_name();
    got.clear_name();
    EXPECT_EQ(ToYaml(got), ToYaml(want)) << preset;
  }
}

TEST(Catalogs, UnknownGpuPresetListsTheCatalog) {
  StatusOr<compute::GpuSpec> gpu = GpuFromPreset("h100-pcie");
  ASSERT_FALSE(gpu.ok());
  EXPECT_THAT(gpu.status().message(), HasSubstr("unknown gpu preset \"h100-pcie\""));
  EXPECT_THAT(gpu.status().message(), HasSubstr("h100-sxm, h200-sxm, a100-sxm-80gb"));
}

// The example scenarios in scenarios/ are valid; those in scenarios/invalid/ are not, and say
// where.
TEST(Scenarios, ExamplesLoadAndInvalidOnesFailWithPositions) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(TRAINSIM_SOURCE_DIR) / "scenarios";
  int valid = 0;
  int invalid = 0;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const std::string ext = e.path().extension().string();
    if (ext != ".yaml" && ext != ".json") continue;
    StatusOr<LoadedScenario> loaded = LoadScenarioFile(e.path().string());
    Status status = loaded.ok() ? BuildScenarioSpec(*loaded).status() : loaded.status();
    if (e.path().parent_path().filename() == "invalid") {
      ++invalid;
      EXPECT_FALSE(status.ok()) << e.path();
      EXPECT_THAT(status.message(), HasSubstr(e.path().string() + ":")) << e.path();
    } else {
      ++valid;
      EXPECT_TRUE(status.ok()) << e.path() << ": " << status.message();
    }
  }
  EXPECT_GE(valid, 3);
  EXPECT_GE(invalid, 2);
}

}  // namespace
}  // namespace trainsim::config
