// Runs `trainsim sweep` as a user would: a small study, its table, CSV and JSON lines, exit codes
// for bad studies and for an interrupted run.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/run_trainsim.h"

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::trainsim::cli::testing::Outcome;
using ::trainsim::cli::testing::Shell;
using ::trainsim::cli::testing::Trainsim;

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// GPT 7.5B on 64 H100 GPUs (tens of milliseconds a point).
constexpr const char* kSmallScenario = R"(scenario:
  cluster: {preset: dgx-h100-superpod, gpus: 64}
  model: megatron-7.5b
  parallelism: {tp: 8, pp: 2}
  training: {global_batch: 64, sequence_length: 2048}
)";

TEST(SweepCli, RunsAStudyAndWritesOneCsvRowPerPoint) {
  const std::string study =
      Write("cli-study.yaml", std::string("name: tp-what-if\n") + kSmallScenario + R"(knobs:
  - {path: parallelism.tp, values: [3, 4, 8]}
)");
  const std::string csv = ::testing::TempDir() + "/cli-sweep/rows.csv";
  const std::string jsonl = ::testing::TempDir() + "/cli-sweep/rows.jsonl";
  const Outcome out = Trainsim("sweep " + study + " --jobs 2 --csv " + csv + " --jsonl " + jsonl);
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_THAT(out.output, HasSubstr("study tp-what-if (" + study + "): 3 points, 2 jobs"));
  EXPECT_THAT(out.output, HasSubstr("step s"));
  EXPECT_THAT(out.output, HasSubstr("done: 3 of 3 points finished, 1 failed"));

  std::vector<std::string> lines = Lines(csv);
  ASSERT_EQ(lines.size(), 4u) << out.output;
  EXPECT_THAT(lines[0], StartsWith("point,parallelism.tp,ok,step_time_s,mfu,tokens_per_s,"));
  std::sort(lines.begin() + 1, lines.end());  // rows come in completion order
  EXPECT_THAT(lines[1], StartsWith("0,3,false,,"));
  EXPECT_THAT(lines[1], HasSubstr("parallelism.tp"));
  EXPECT_THAT(lines[2], StartsWith("1,4,true,"));
  EXPECT_THAT(lines[3], StartsWith("2,8,true,"));
  EXPECT_EQ(Lines(jsonl).size(), 3u);
}

TEST(SweepCli, ShardsWriteTheirOwnPointsUnderOut) {
  const std::string study = Write("cli-shard.yaml", std::string(kSmallScenario) + R"(knobs:
  - {path: training.global_batch, values: [64, 128, 256]}
)");
  const std::string dir = ::testing::TempDir() + "/cli-shards";
  for (int shard = 0; shard < 2; ++shard) {
    const Outcome out =
        Trainsim("sweep " + study + " --shard " + std::to_string(shard) + "/2 --out " + dir);
    EXPECT_EQ(out.exit_code, 0) << out.output;
  }
  const std::vector<std::string> zero = Lines(dir + "/sweep-0.csv");
  const std::vector<std::string> one = Lines(dir + "/sweep-1.csv");
  ASSERT_EQ(zero.size(), 3u);  // header, points 0 and 2
  ASSERT_EQ(one.size(), 2u);   // header, point 1
  EXPECT_EQ(zero[0], one[0]);
  EXPECT_THAT(one[1], StartsWith("1,128,true,"));
  EXPECT_TRUE(std::ifstream(dir + "/sweep-1.jsonl").good());
}

TEST(SweepCli, ABadStudyExitsTwoNamingFileLineAndField) {
  const std::string study = Write("cli-bad.yaml", std::string(kSmallScenario) + R"(knobs:
  - {path: cluster.fabirc.sharp.enabled, values: [false, true]}
)");
  const Outcome out = Trainsim("sweep " + study);
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.output, HasSubstr(study + ":7:12: knobs[0].path: "
                                            "\"cluster.fabirc.sharp.enabled\" is not a field"));
  EXPECT_THAT(out.output, HasSubstr("did you mean \"fabric\"?"));

  EXPECT_EQ(Trainsim("sweep /nonexistent/study.yaml").exit_code, 2);
  const Outcome shard = Trainsim("sweep " + study + " --shard 2/2");
  EXPECT_EQ(shard.exit_code, 2);
  EXPECT_THAT(shard.output, HasSubstr("--shard 2/2: expected i/N"));
}

TEST(SweepCli, AnInterruptedSweepKeepsItsFinishedRowsAndExits130) {
  // 2,000 points take far longer than the two seconds before SIGINT arrives.
  const std::string study = Write("cli-long.yaml", std::string(kSmallScenario) + R"(knobs:
  - {path: training.global_batch, range: {from: 64, to: 128000, step: 64}}
)");
  const std::string csv = ::testing::TempDir() + "/cli-long.csv";
  const Outcome out = Shell("timeout --preserve-status -s INT 2 " + std::string(TRAINSIM_BINARY) +
                            " sweep " + study + " --csv " + csv);
  EXPECT_EQ(out.exit_code, 130) << out.output;
  EXPECT_THAT(out.output, HasSubstr("interrupted: "));
  const std::vector<std::string> lines = Lines(csv);
  ASSERT_GE(lines.size(), 1u);
  EXPECT_LT(lines.size(), 2001u);
  // Every row the table reported is in the file, whole.
  for (size_t i = 1; i < lines.size(); ++i) {
    EXPECT_THAT(lines[i], HasSubstr(",true,")) << lines[i];
  }
  std::ostringstream finished;
  finished << "interrupted: " << lines.size() - 1 << " of 2000 points finished";
  EXPECT_THAT(out.output, HasSubstr(finished.str()));
}

}  // namespace
