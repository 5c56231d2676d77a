#include "planner/study.h"

#include <string>
#include <vector>

#include "config/scenario_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trainsim::planner {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A small valid scenario, written inline: GPT 7.5B on 64 H100 GPUs.
constexpr const char* kInlineScenario = R"(scenario:
  cluster: {preset: dgx-h100-superpod, gpus: 64}
  model: megatron-7.5b
  parallelism: {tp: 8, pp: 2}
  training: {global_batch: 64, sequence_length: 2048}
)";

Study StudyOf(const std::string& text) {
  StatusOr<Study> study = LoadStudyText(text, "study.yaml");
  EXPECT_TRUE(study.ok()) << study.status().message();
  return study.ok() ? *study : Study{};
}

std::string LoadError(const std::string& text) {
  StatusOr<Study> study = LoadStudyText(text, "study.yaml");
  EXPECT_FALSE(study.ok());
  return study.ok() ? std::string() : study.status().message();
}

std::vector<std::string> Values(const std::vector<KnobValue>& point) {
  std::vector<std::string> out;
  for (const KnobValue& k : point) out.push_back(k.value);
  return out;
}

TEST(Study, AGridHasEveryCombinationWithTheLastKnobVaryingFastest) {
  const Study study = StudyOf(std::string(kInlineScenario) + R"(name: grid
combine: grid
knobs:
  - path: cluster.fabric.sharp.enabled
    values: [false, true]
  - path: cluster.gpus
    range: {from: 1024, to: 8192, factor: 2}
)");
  ASSERT_EQ(study.points(), 2 * 4);
  EXPECT_EQ(study.name, "grid");
  EXPECT_EQ(Values(study.Point(0)), (std::vector<std::string>{"false", "1024"}));
  EXPECT_EQ(Values(study.Point(1)), (std::vector<std::string>{"false", "2048"}));
  EXPECT_EQ(Values(study.Point(4)), (std::vector<std::string>{"true", "1024"}));
  EXPECT_EQ(Values(study.Point(7)), (std::vector<std::string>{"true", "8192"}));
  EXPECT_EQ(study.Point(7)[0].path, "cluster.fabric.sharp.enabled");
  EXPECT_EQ(study.Point(7)[1].path, "cluster.gpus");
}

TEST(Study, ZipPairsTheIthValueOfEveryKnob) {
  const Study study = StudyOf(std::string(kInlineScenario) + R"(combine: zip
knobs:
  - {path: cluster.gpus, values: [64, 128, 256]}
  - {path: training.global_batch, range: {from: 64, to: 256, factor: 2}}
)");
  ASSERT_EQ(study.points(), 3);
  EXPECT_EQ(study.name, "study");  // the file's stem when the study has no name
  for (int64_t i = 0; i < 3; ++i) {
    const std::string n = std::to_string(64 << i);
    EXPECT_EQ(Values(study.Point(i)), (std::vector<std::string>{n, n}));
  }
}

TEST(Study, RangesIncludeTheirEndAndKeepIntegersIntegral) {
  const Study study = StudyOf(std::string(kInlineScenario) + R"(knobs:
  - {path: parallelism.tp, range: {from: 1, to: 10, step: 3}}
  - {path: training.software_efficiency, range: {from: 0.5, to: 1.0, step: 0.25}}
  - {path: cluster.gpus, range: {from: 64, to: 200, factor: 2}}
  - {path: simulation.gpu_hour_usd, range: {from: 1, to: 5, factor: 1.5}}
)");
  EXPECT_EQ(study.knobs[0].values, (std::vector<std::string>{"1", "4", "7", "10"}));
  EXPECT_EQ(study.knobs[1].values, (std::vector<std::string>{"0.5", "0.75", "1"}));
  EXPECT_EQ(study.knobs[2].values, (std::vector<std::string>{"64", "128"}));
  EXPECT_EQ(study.knobs[3].values, (std::vector<std::string>{"1", "1.5", "2.25", "3.375"}));
  EXPECT_EQ(study.points(), 4 * 3 * 2 * 4);
}

TEST(Study, ScenarioAtSetsEachKnobAndKeepsTheRestOfTheBase) {
  const Study study = StudyOf(std::string(kInlineScenario) + R"(knobs:
  - {path: cluster.fabric.sharp.enabled, values: [false, true]}
  - {path: model.layers, values: [24]}
  - {path: cluster.node.nic_bandwidth, values: [800Gb/s]}
)");
  StatusOr<config::LoadedScenario> point = study.ScenarioAt(1);
  ASSERT_TRUE(point.ok()) << point.status().message();
  const v1::Scenario& s = point->scenario;
  EXPECT_TRUE(s.cluster().fabric().sharp().enabled());
  EXPECT_EQ(s.cluster().gpus(), 64);
  EXPECT_EQ(s.cluster().node().nic_bandwidth(), "800Gb/s");
  // `model: megatron-7.5b` became {preset: megatron-7.5b, layers: 24}.
  EXPECT_EQ(s.model().layers(), 24);
  EXPECT_EQ(s.model().hidden(), 4096);
  EXPECT_EQ(s.parallelism().tp(), 8);
  StatusOr<config::LoadedScenario> first = study.ScenarioAt(0);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->scenario.cluster().fabric().sharp().enabled());
}

TEST(Study, ABaseFileIsReadRelativeToTheStudyFile) {
  const std::string file = std::string(TRAINSIM_SOURCE_DIR) + "/studies/relative.yaml";
  StatusOr<Study> study = LoadStudyText(R"(base: ../scenarios/gpt3-175b-h100.yaml
knobs:
  - {path: precision.compute, values: [bf16, fp8]}
)",
                                        file);
  ASSERT_TRUE(study.ok()) << study.status().message();
  EXPECT_EQ(study->base_file, std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/gpt3-175b-h100.yaml");
  StatusOr<config::LoadedScenario> point = study->ScenarioAt(1);
  ASSERT_TRUE(point.ok()) << point.status().message();
  EXPECT_EQ(point->scenario.name(), "gpt3-175b-1024-h100");
  EXPECT_EQ(point->scenario.precision().compute(), "fp8");
  EXPECT_EQ(point->scenario.cluster().gpus(), 1024);
}

// Every point of every study in studies/ is a valid scenario (simulating them is `trainsim sweep`).
TEST(Study, EveryPointOfEveryStudyInTheRepositoryIsValid) {
  for (const char* name :
       {"weak-scaling", "sharp", "precision", "nvlink-domain", "nic-bandwidth"}) {
    const std::string file = std::string(TRAINSIM_SOURCE_DIR) + "/studies/" + name + ".yaml";
    StatusOr<Study> study = LoadStudyFile(file);
    ASSERT_TRUE(study.ok()) << study.status().message();
    EXPECT_GE(study->points(), 2) << name;
    for (int64_t i = 0; i < study->points(); ++i) {
      StatusOr<config::LoadedScenario> point = study->ScenarioAt(i);
      ASSERT_TRUE(point.ok()) << name << " point " << i << ": " << point.status().message();
      StatusOr<config::ScenarioSpec> spec = config::BuildScenarioSpec(*point);
      EXPECT_TRUE(spec.ok()) << name << " point " << i << ": " << spec.status().message();
    }
  }
}

TEST(Study, AnInvalidPointNamesTheFieldAndValueButIsNotAStudyError) {
  const Study study = StudyOf(std::string(kInlineScenario) + R"(knobs:
  - {path: cluster.node.nic_bandwidth, values: [400Gb/s, 400 parsecs]}
)");
  EXPECT_TRUE(study.ScenarioAt(0).ok());
  StatusOr<config::LoadedScenario> bad = study.ScenarioAt(1);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("study.yaml: cluster.node.nic_bandwidth: \"400 parsecs\""));
}

TEST(Study, UnknownStudyFieldsAreErrorsWithASuggestion) {
  const std::string error = LoadError(std::string(kInlineScenario) + R"(knbos:
  - {path: cluster.gpus, values: [64]}
)");
  EXPECT_THAT(error, HasSubstr("study.yaml:6:1: knbos: unknown field \"knbos\", did you mean "
                               "\"knobs\"?"));
  EXPECT_THAT(error, HasSubstr("study.yaml:1:1: knobs: a study needs a list of knobs"));
  EXPECT_THAT(LoadError(std::string(kInlineScenario) + R"(knobs:
  - {path: cluster.gpus, value: [64]}
)"),
              HasSubstr("study.yaml:7:26: knobs[0].value: unknown field \"value\", did you mean "
                        "\"values\"?"));
}

TEST(Study, AKnobPathMustBeAFieldOfTheSchema) {
  const std::string error = LoadError(std::string(kInlineScenario) + R"(knobs:
  - path: cluster.fabirc.sharp.enabled
    values: [false, true]
  - path: cluster.gpus.count
    values: [1]
  - path: simulation.stragglers.slowdown
    values: [1]
)");
  EXPECT_THAT(error, HasSubstr("study.yaml:7:11: knobs[0].path: \"cluster.fabirc.sharp.enabled\" "
                               "is not a field of the scenario: cluster has no field \"fabirc\", "
                               "did you mean \"fabric\"?"));
  EXPECT_THAT(error, HasSubstr("knobs[1].path: \"cluster.gpus.count\" is not a field of the "
                               "scenario: cluster.gpus is a value and has no fields"));
  EXPECT_THAT(error, HasSubstr("knobs[2].path: \"simulation.stragglers.slowdown\" is not a field "
                               "of the scenario: simulation.stragglers is a list"));
}

TEST(Study, EmptyListsAndZipListsOfDifferentLengthsAreErrors) {
  EXPECT_THAT(LoadError(std::string(kInlineScenario) + R"(knobs:
  - {path: cluster.gpus, values: []}
)"),
              HasSubstr("study.yaml:7:34: knobs[0].values: an empty list for knob cluster.gpus"));
  EXPECT_THAT(LoadError(std::string(kInlineScenario) + R"(combine: zip
knobs:
  - {path: cluster.gpus, values: [64, 128]}
  - {path: training.global_batch, values: [64, 128, 256]}
)"),
              HasSubstr("study.yaml:9:5: knobs[1]: combine: zip needs lists of one length, but "
                        "training.global_batch has 3 values and cluster.gpus (knobs[0]) has 2"));
  EXPECT_THAT(LoadError(std::string(kInlineScenario) + R"(combine: cartesian
knobs:
  - {path: cluster.gpus, values: [64]}
)"),
              HasSubstr("study.yaml:6:10: combine: unknown way to combine knobs \"cartesian\""));
}

TEST(Study, BadRangesAreErrorsNamingTheValue) {
  auto range_error = [](const std::string& range) {
    return LoadError(std::string(kInlineScenario) +
                     "knobs:\n  - path: cluster.gpus\n    range: " + range + "\n");
  };
  EXPECT_THAT(range_error("{from: 64, to: 512, factor: 1}"),
              HasSubstr("study.yaml:8:40: knobs[0].range.factor: factor = 1 must be above 1"));
  EXPECT_THAT(range_error("{from: 512, to: 64, step: 64}"),
              HasSubstr("knobs[0].range.to: to = 64 is below from = 512"));
  EXPECT_THAT(range_error("{from: 64, to: 512, step: 0}"),
              HasSubstr("knobs[0].range.step: step = 0 must be above 0"));
  EXPECT_THAT(range_error("{from: 64, to: lots, step: 64}"),
              HasSubstr("knobs[0].range.to: \"lots\" is not a number"));
  EXPECT_THAT(range_error("{from: 64, step: 64}"),
              HasSubstr("knobs[0].range.to: a range needs to"));
  EXPECT_THAT(range_error("{from: 64, to: 512, step: 64, factor: 2}"),
              HasSubstr("knobs[0].range: a range needs exactly one of step"));
  EXPECT_THAT(range_error("{from: 0, to: 512, factor: 2}"),
              HasSubstr("knobs[0].range.from: from = 0 must be above 0 for a range with factor"));
  EXPECT_THAT(range_error("{from: 1, to: 1e9, step: 1}"),
              HasSubstr("gives more than 10000 values"));
  EXPECT_THAT(range_error("{from: 1, to: 8, stpe: 1}"),
              HasSubstr("knobs[0].range.stpe: unknown field \"stpe\", did you mean \"step\"?"));
}

TEST(Study, BaseProblemsAndOverlappingKnobsAreErrors) {
  EXPECT_THAT(
      LoadError("base: no-such-scenario.yaml\nknobs:\n  - {path: cluster.gpus, values: [8]}\n"),
      HasSubstr("study.yaml:1:7: base: cannot open the scenario file "
                "\"no-such-scenario.yaml\""));
  EXPECT_THAT(LoadError("knobs:\n  - {path: cluster.gpus, values: [8]}\n"),
              HasSubstr("study.yaml:1:1: base: a study needs a base scenario"));
  EXPECT_THAT(LoadError(std::string(kInlineScenario) + R"(knobs:
  - {path: cluster.node, values: [dgx-h100]}
  - {path: cluster.node.nic_bandwidth, values: [800Gb/s]}
)"),
              HasSubstr("knobs[1].path: \"cluster.node.nic_bandwidth\" overlaps knobs[0] "
                        "(\"cluster.node\")"));
}

TEST(Study, AMissingStudyFileIsAnError) {
  StatusOr<Study> study = LoadStudyFile("/nonexistent/study.yaml");
  ASSERT_FALSE(study.ok());
  EXPECT_EQ(study.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(study.status().message(),
              HasSubstr("/nonexistent/study.yaml: cannot open the study file"));
  EXPECT_THAT(study.status().message(), Not(HasSubstr("knobs")));
}

}  // namespace
}  // namespace trainsim::planner
