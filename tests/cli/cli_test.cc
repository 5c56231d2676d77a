// Runs the `trainsim` binary as a user would and checks exit codes and messages.
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/run_trainsim.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::trainsim::cli::testing::Outcome;
using ::trainsim::cli::testing::Shell;
using ::trainsim::cli::testing::Trainsim;

std::string Scenario(const std::string& relative) {
  return std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/" + relative;
}

TEST(Cli, RunCheckOnTheDefaultScenarioPrintsResolvedSpecs) {
  const Outcome out = Trainsim("run --check");
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_THAT(out.output, HasSubstr("scenario gpt4-moe-16k-h100 (scenarios/default.yaml): valid"));
  EXPECT_THAT(out.output, HasSubstr("16384 x H100 SXM5 80GB"));
  EXPECT_THAT(out.output, HasSubstr("hbm_bandwidth: 3.35 TB/s"));  // preset expanded
}

TEST(Cli, RunCheckJsonPrintsTheResolvedScenario) {
  const Outcome out = Trainsim("run --check --json " + Scenario("gpt3-175b-h100.yaml"));
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_THAT(out.output, HasSubstr("\"global_batch\": \"1536\""));
}

TEST(Cli, BadScenarioExitsTwoWithPositionPathAndSuggestion) {
  const std::string file = Scenario("invalid/typos.yaml");
  const Outcome out = Trainsim("run --check " + file);
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.output, HasSubstr(file + ":7:10: cluster.node.gpu.preset: unknown gpu preset "
                                           "\"h100-sxn\", did you mean \"h100-sxm\"?"));
  EXPECT_THAT(out.output, HasSubstr(file + ":8:20: cluster.node.nic_bandwidth:"));
  EXPECT_THAT(out.output, HasSubstr(file + ":10:1: paralelism: unknown field \"paralelism\", "
                                           "did you mean \"parallelism\"?"));
}

TEST(Cli, InconsistentPlanExitsTwoNamingTheNumbers) {
  const Outcome out = Trainsim("run --check " + Scenario("invalid/plan-mismatch.yaml"));
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.output, HasSubstr("tp*pp*dp*cp = 1280 but the cluster has 1024 GPUs"));
  EXPECT_THAT(out.output, HasSubstr("does not divide model.layers = 96"));
}

TEST(Cli, MissingFileExitsTwo) {
  const Outcome out = Trainsim("run --check /nonexistent.yaml");
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.output, HasSubstr("/nonexistent.yaml: cannot open the scenario file"));
}

TEST(Cli, RunPrintsTheStepReport) {
  const Outcome out = Trainsim("run " + Scenario("gpt3-175b-h100.yaml"));
  EXPECT_EQ(out.exit_code, 0) << out.output;
  for (const char* s : {"step time", "MFU / HFU", "where the step goes", "pp-bubble",
                        "memory per GPU", "collectives on stage"}) {
    EXPECT_THAT(out.output, HasSubstr(s));
  }
}

TEST(Cli, RunJsonHasTheReportKeysAndOutWritesFiles) {
  const std::string dir = ::testing::TempDir() + "/trainsim_run_out";
  const Outcome out =
      Trainsim("run --json --out " + dir + " " + Scenario("gpt3-175b-h100.yaml"));
  EXPECT_EQ(out.exit_code, 0) << out.output;
  for (const char* key : {"\"step_time_s\"", "\"mfu\"", "\"hfu\"", "\"tflops_per_gpu\"",
                          "\"tokens_per_s\"", "\"peak_memory_gib\"", "\"energy_per_step_j\"",
                          "\"avg_power_w\"", "\"breakdown\": {"}) {
    EXPECT_THAT(out.output, HasSubstr(key));
  }
  for (const char* file : {"report.json", "report.txt", "scenario.yaml", "trace.json"}) {
    EXPECT_TRUE(std::ifstream(dir + "/" + file).good()) << file;
  }
}

TEST(Cli, OptimizePrintsTheTopPlansAndSearchStatistics) {
  const std::string path = ::testing::TempDir() + "/optimize.yaml";
  std::ofstream(path) << "cluster: {preset: dgx-h100-superpod, gpus: 64}\nmodel: megatron-1.7b\n"
                         "parallelism: {tp: 2, pp: 2}\n"
                         "training: {global_batch: 16, sequence_length: 2048}\n";
  const Outcome out = Trainsim("optimize " + path + " --top 3 --jobs 2");
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_THAT(out.output, HasSubstr("recompute"));
  EXPECT_THAT(out.output, HasSubstr("plans considered"));
  EXPECT_THAT(out.output, HasSubstr("simulations/s"));
  const Outcome json = Trainsim("optimize " + path + " --top 2 --json");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr("\"considered\""));
  EXPECT_THAT(json.output, HasSubstr("\"scenario_plan\""));
  const Outcome dollars = Trainsim("optimize " + path + " --objective tokens-per-dollar");
  EXPECT_EQ(dollars.exit_code, 2);
  EXPECT_THAT(dollars.output, HasSubstr("simulation.gpu_hour_usd"));
  EXPECT_EQ(Trainsim("optimize " + path + " --objective fastest").exit_code, 2);
}

TEST(Cli, RunPrintsTheGoodputWhatIfWhenTheScenarioAsksForIt) {
  const std::string path = ::testing::TempDir() + "/goodput.yaml";
  std::ofstream(path) << "cluster: {preset: dgx-h100-superpod, gpus: 64}\nmodel: megatron-1.7b\n"
                         "parallelism: {tp: 2, pp: 2}\n"
                         "training: {global_batch: 16, sequence_length: 2048, steps: 100000}\n"
                         "goodput: {gpu_mtbf_hours: 50000, storage_bandwidth: 100GB/s, "
                         "restart_time: 10min}\n";
  const Outcome out = Trainsim("run " + path);
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_THAT(out.output, HasSubstr("goodput"));
  EXPECT_THAT(out.output, HasSubstr("failures)"));
  std::ofstream(path) << "cluster: {preset: dgx-h100-superpod, gpus: 64}\nmodel: megatron-1.7b\n"
                         "training: {global_batch: 16, sequence_length: 2048}\n"
                         "goodput: {gpu_mtbf_hours: 0, storage_bandwidth: 100GB/s, "
                         "restart_time: 10min}\n";
  const Outcome bad = Trainsim("run " + path);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("goodput.gpu_mtbf_hours"));
}

TEST(Cli, RunOutOfMemoryIsReportedAndExitsTwo) {
  const std::string path = ::testing::TempDir() + "/oom.yaml";
  std::ofstream(path) << "cluster: {preset: dgx-h100-superpod, gpus: 64}\nmodel: gpt3-175b\n"
                         "parallelism: {tp: 1, pp: 1, zero_stage: 0}\n"
                         "training: {global_batch: 64, sequence_length: 2048}\n";
  const Outcome out = Trainsim("run " + path);
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.output, HasSubstr("out of memory: pipeline stage 0 needs"));
  EXPECT_THAT(out.output, Not(HasSubstr("step time")));
}

double StepTimeOf(const std::string& json) {
  const std::string key = "\"step_time_s\": ";
  const size_t at = json.find(key);
  return at == std::string::npos ? -1 : std::stod(json.substr(at + key.size()));
}

// The same step, three ways: classes on the native engine, every replica expanded (the same to
// 1e-9 with D-mod-k routing's exact mirrors), and the graph run inside SimGrid.
TEST(Cli, RunExpandedAndOnSimGridGiveTheSameStep) {
  const std::string path = ::testing::TempDir() + "/small.yaml";
  std::ofstream(path) << "cluster: {preset: dgx-h100-superpod, gpus: 64, "
                         "fabric: {routing: d-mod-k}}\nmodel: megatron-7.5b\n"
                         "parallelism: {tp: 4, pp: 2, microbatch_size: 2}\n"
                         "training: {global_batch: 128, sequence_length: 2048}\n";
  const Outcome classes = Trainsim("run --json " + path);
  const Outcome expanded = Trainsim("run --json --expand " + path);
  const Outcome simgrid = Trainsim("run --json --executor simgrid " + path);
  for (const Outcome* o : {&classes, &expanded, &simgrid}) {
    ASSERT_EQ(o->exit_code, 0) << o->output;
  }
  const double t = StepTimeOf(classes.output);
  EXPECT_GT(t, 0);
  EXPECT_NEAR(StepTimeOf(expanded.output) / t, 1.0, 1e-9);
  // SimGrid shares contended links per flow, the native model per bundle: within 2%.
  EXPECT_NEAR(StepTimeOf(simgrid.output) / t, 1.0, 0.02);
  const Outcome text = Trainsim("run --expand --executor simgrid " + path);
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_THAT(text.output, HasSubstr("SimGrid executor, every replica expanded"));
  const Outcome bad = Trainsim("run --executor ns3 " + path);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("--executor"));
}

// The binary re-executes itself with glibc's huge-page heap where the kernel hands out huge
// pages on request (sim/huge_pages.h); a user's own GLIBC_TUNABLES setting turns that off.
// Either way the step is the same to the last digit.
TEST(Cli, HugePageHeapChangesNoResult) {
  const std::string path = ::testing::TempDir() + "/huge_pages.yaml";
  std::ofstream(path) << "cluster: {preset: dgx-h100-superpod, gpus: 64}\nmodel: megatron-7.5b\n"
                         "parallelism: {tp: 4, pp: 2, microbatch_size: 2}\n"
                         "training: {global_batch: 128, sequence_length: 2048}\n";
  const Outcome plain = Trainsim("run --json --expand " + path);
  const std::string off = "env GLIBC_TUNABLES=glibc.malloc.hugetlb=0 ";
  const std::string on = "env GLIBC_TUNABLES=glibc.malloc.hugetlb=1 ";
  const Outcome without = Shell(off + TRAINSIM_BINARY + " run --json --expand " + path);
  const Outcome with = Shell(on + TRAINSIM_BINARY + " run --json --expand " + path);
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_EQ(without.output, plain.output);
  EXPECT_EQ(with.output, plain.output);
}

TEST(Cli, AFailedLeafIsAnErrorNamingTheGpusItCutsOff) {
  const std::string path = ::testing::TempDir() + "/failed_leaf.yaml";
  std::ofstream(path) << "cluster: {preset: dgx-h100-superpod, gpus: 512, "
                         "fabric: {tiers: 2, faults: [{leaf: 1}]}}\nmodel: megatron-7.5b\n"
                         "parallelism: {tp: 8, pp: 1}\n"
                         "training: {global_batch: 512, sequence_length: 2048}\n";
  const Outcome out = Trainsim("run " + path);
  EXPECT_EQ(out.exit_code, 2) << out.output;
  EXPECT_THAT(out.output, HasSubstr("leaf 1 failed whole, which disconnects 32 GPUs"));
}

TEST(Cli, ValidatePrintsEveryRow) {
  const Outcome out = Trainsim("validate --json");
  EXPECT_EQ(out.exit_code, 0) << out.output;  // every row within ±10%
  int rows = 0;
  for (size_t at = out.output.find("\"published\""); at != std::string::npos;
       at = out.output.find("\"published\"", at + 1)) {
    ++rows;
  }
  EXPECT_EQ(rows, 10);
  EXPECT_THAT(out.output, HasSubstr("\"predicted\""));
  EXPECT_THAT(out.output, HasSubstr("\"error\""));
}

TEST(Cli, CollectivePrintsAnNcclTestsTable) {
  const Outcome out = Trainsim("collective --cluster dgx-h100 --nodes 1 --op allreduce --min 1MiB "
                               "--max 4MiB --algo ring");
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_THAT(out.output, HasSubstr("busbw"));
  EXPECT_THAT(out.output, HasSubstr("1048576"));
  EXPECT_THAT(out.output, HasSubstr("4194304"));
  const Outcome json = Trainsim("collective --nodes 2 --min 8B --max 8B --json");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr("\"busbw_gbps\""));
  EXPECT_THAT(json.output, HasSubstr("\"algo\""));
}

TEST(Cli, CollectiveBadInputExitsTwo) {
  const Outcome sharp = Trainsim("collective --nodes 2 --algo sharp --min 1MiB --max 1MiB");
  EXPECT_EQ(sharp.exit_code, 2);
  EXPECT_THAT(sharp.output, HasSubstr("sharp.enabled is false"));
  const Outcome big = Trainsim("collective --nodes 1 --gpus 16");
  EXPECT_EQ(big.exit_code, 2);
  EXPECT_THAT(big.output, HasSubstr("only 8 GPUs"));
  EXPECT_EQ(Trainsim("collective --cluster dgx-h200").exit_code, 2);
  EXPECT_EQ(Trainsim("collective --op allredcue").exit_code, 2);
}

TEST(Cli, CollectiveRunsOnTheSimGridBackend) {
  const Outcome out = Trainsim("collective --nodes 2 --min 1MiB --max 4MiB --backend simgrid");
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_THAT(out.output, HasSubstr("times from SimGrid 3.32 (algorithm and protocol tuned"));
  EXPECT_THAT(out.output, HasSubstr("4194304"));
  const Outcome json = Trainsim("collective --nodes 1 --algo nvls --min 1MiB --max 1MiB --json "
                                "--backend simgrid");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr("\"backend\": \"simgrid\""));
  const Outcome bad = Trainsim("collective --backend ns3");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("--backend ns3: expected native or simgrid"));
  const Outcome cannot = Trainsim("collective --nodes 2 --algo sharp --backend simgrid");
  EXPECT_EQ(cannot.exit_code, 2);
  EXPECT_THAT(cannot.output, HasSubstr("sharp.enabled is false"));
}

TEST(Cli, UnknownSubcommandOrFlagExitsTwo) {
  EXPECT_EQ(Trainsim("frobnicate").exit_code, 2);
  EXPECT_EQ(Trainsim("run --frobnicate").exit_code, 2);
  EXPECT_EQ(Trainsim("").exit_code, 2);
}

TEST(Cli, HelpAndVersionExitZero) {
  const Outcome help = Trainsim("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("roofline"));
  const Outcome run_help = Trainsim("run --help");
  EXPECT_EQ(run_help.exit_code, 0);
  EXPECT_THAT(run_help.output, HasSubstr("--check"));
  const Outcome version = Trainsim("version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.output, HasSubstr("trainsim "));
}

}  // namespace
