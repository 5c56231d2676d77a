#include "config/scenario_loader.h"

#include <algorithm>
#include <string>

#include "config/proto_yaml.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trainsim::config {
namespace {

using ::testing::HasSubstr;

// A small valid scenario; tests append or replace lines to break it one way at a time.
constexpr const char* kGood = R"(name: small
cluster:
  preset: dgx-h100-superpod
  gpus: 64
  node:
    gpu:
      preset: h100-sxm
      hbm_bandwidth: 4TB/s
model: gpt3-175b
parallelism:
  tp: 8
  pp: 8
training:
  global_batch: 16
  sequence_length: 2048
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

std::string ErrorOf(const std::string& text) {
  StatusOr<LoadedScenario> loaded = LoadScenarioText(text, "test.yaml");
  EXPECT_FALSE(loaded.ok()) << text;
  return loaded.ok() ? std::string() : loaded.status().message();
}

TEST(ScenarioLoader, PresetsExpandAndUserFieldsOverrideThem) {
  StatusOr<LoadedScenario> loaded = LoadScenarioText(kGood, "test.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const auto& gpu = loaded->scenario.cluster().node().gpu();
  EXPECT_EQ(gpu.preset(), "h100-sxm");
  EXPECT_EQ(gpu.hbm_bandwidth(), "4TB/s");  // the user's override
  EXPECT_EQ(gpu.sm_count(), 132);           // from the preset
  EXPECT_EQ(loaded->scenario.cluster().gpus(), 64);  // user's value over the cluster preset's
  EXPECT_EQ(loaded->scenario.cluster().node().nics_per_node(), 8);  // node preset via cluster
  EXPECT_EQ(loaded->scenario.model().layers(), 96);
}

TEST(ScenarioLoader, DefaultsFillUnsetFields) {
  StatusOr<LoadedScenario> loaded = LoadScenarioText(kGood, "test.yaml");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->scenario.parallelism().cp(), 1);
  EXPECT_EQ(loaded->scenario.parallelism().schedule(), trainsim::v1::Parallelism::SCHEDULE_1F1B);
  EXPECT_EQ(loaded->scenario.precision().compute(), "bf16");
  EXPECT_FALSE(loaded->scenario.model().has_moe());  // an opt-in section stays absent
}

TEST(ScenarioLoader, SyntaxErrorNamesLineAndColumn) {
  const std::string error = ErrorOf("cluster:\n  gpus: [1, 2\nmodel: x\n");
  EXPECT_THAT(error, HasSubstr("test.yaml:"));
  EXPECT_THAT(error, HasSubstr("syntax error"));
}

TEST(ScenarioLoader, TypeErrorNamesPositionPathAndValue) {
  const std::string error = ErrorOf(Replace(kGood, "tp: 8", "tp: eight"));
  EXPECT_THAT(error, HasSubstr("test.yaml:11:7: parallelism.tp: expected an integer, got \"eight\""));
}

TEST(ScenarioLoader, UnknownFieldSuggestsTheClosestName) {
  const std::string error = ErrorOf(Replace(kGood, "parallelism:", "paralelism:"));
  EXPECT_THAT(error, HasSubstr("test.yaml:10:1: paralelism: unknown field \"paralelism\""));
  EXPECT_THAT(error, HasSubstr("did you mean \"parallelism\"?"));
}

TEST(ScenarioLoader, UnknownPresetSuggestsAndListsPresets) {
  const std::string error = ErrorOf(Replace(kGood, "preset: h100-sxm", "preset: h100-sxn"));
  EXPECT_THAT(error, HasSubstr("test.yaml:7:15: cluster.node.gpu.preset: unknown gpu preset "
                               "\"h100-sxn\", did you mean \"h100-sxm\"?"));
  EXPECT_THAT(error, HasSubstr("a100-sxm-80gb"));
}

TEST(ScenarioLoader, ScalarShorthandNamesAPreset) {
  const std::string error = ErrorOf(Replace(kGood, "model: gpt3-175b", "model: gpt3-157b"));
  EXPECT_THAT(error, HasSubstr("test.yaml:9:8: model.preset: unknown model preset \"gpt3-157b\""));
  EXPECT_THAT(error, HasSubstr("did you mean \"gpt3-175b\"?"));
}

TEST(ScenarioLoader, MissingRequiredFieldIsNamed) {
  const std::string error =
      ErrorOf(Replace(kGood, "training:\n  global_batch: 16\n  sequence_length: 2048\n", ""));
  EXPECT_THAT(error, HasSubstr("training: is required but missing"));
  const std::string leaf = ErrorOf(Replace(kGood, "  global_batch: 16\n", ""));
  EXPECT_THAT(leaf, HasSubstr("training.global_batch: is required but missing; expected an integer"));
}

TEST(ScenarioLoader, OutOfRangeValueStatesTheBound) {
  const std::string error = ErrorOf(Replace(kGood, "tp: 8", "tp: 0"));
  EXPECT_THAT(error, HasSubstr("parallelism.tp: 0 is below the minimum 1"));
}

TEST(ScenarioLoader, BadUnitStringSaysWhatIsAccepted) {
  const std::string error = ErrorOf(Replace(kGood, "hbm_bandwidth: 4TB/s", "hbm_bandwidth: 12 parsecs"));
  EXPECT_THAT(error, HasSubstr("cluster.node.gpu.hbm_bandwidth: \"12 parsecs\" is not a valid "
                               "bandwidth: unknown unit \"parsecs\""));
  EXPECT_THAT(error, HasSubstr("e.g. \"400Gb/s\""));
}

TEST(ScenarioLoader, BadEnumValueListsTheValidOnes) {
  const std::string error = ErrorOf(Replace(kGood, "pp: 8", "pp: 8\n  schedule: interleaved-1fb1"));
  EXPECT_THAT(error, HasSubstr("parallelism.schedule: \"interleaved-1fb1\" is not one of gpipe, "
                               "1f1b, interleaved-1f1b, did you mean \"interleaved-1f1b\"?"));
}

TEST(ScenarioLoader, UnknownNumberFormatIsAnError) {
  const std::string error = ErrorOf(std::string(kGood) + "precision:\n  compute: fp7\n");
  EXPECT_THAT(error, HasSubstr("precision.compute:"));
  EXPECT_THAT(error, HasSubstr("fp8"));
}

TEST(ScenarioLoader, DuplicateKeyIsAnError) {
  const std::string error = ErrorOf(Replace(kGood, "pp: 8", "pp: 8\n  pp: 4"));
  EXPECT_THAT(error, HasSubstr("parallelism.pp: appears twice"));
}

TEST(ScenarioLoader, AllErrorsInAFileAreReportedAtOnce) {
  std::string text = Replace(kGood, "tp: 8", "tp: eight");
  text = Replace(text, "preset: h100-sxm", "preset: h100-sxn");
  text = Replace(text, "gpus: 64", "gpus: 64\n  colour: blue");
  const std::string error = ErrorOf(text);
  EXPECT_THAT(error, HasSubstr("parallelism.tp"));
  EXPECT_THAT(error, HasSubstr("cluster.node.gpu.preset"));
  EXPECT_THAT(error, HasSubstr("cluster.colour"));
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 2) << error;
}

TEST(ScenarioLoader, JsonLoadsLikeYaml) {
  const std::string json = R"({
  "name": "small",
  "cluster": {"preset": "dgx-h100-superpod", "gpus": 64,
              "node": {"gpu": {"preset": "h100-sxm", "hbm_bandwidth": "4TB/s"}}},
  "model": "gpt3-175b",
  "parallelism": {"tp": 8, "pp": 8},
  "training": {"global_batch": 16, "sequence_length": 2048}
})";
  StatusOr<LoadedScenario> from_json = LoadScenarioText(json, "test.json");
  StatusOr<LoadedScenario> from_yaml = LoadScenarioText(kGood, "test.yaml");
  ASSERT_TRUE(from_json.ok()) << from_json.status().message();
  ASSERT_TRUE(from_yaml.ok());
  EXPECT_EQ(from_json->scenario.SerializeAsString(), from_yaml->scenario.SerializeAsString());
}

TEST(ScenarioLoader, JsonErrorsNameLineAndColumn) {
  const std::string error = ErrorOf("{\n  \"model\": \"gpt3-175b\",\n  \"trainig\": {}\n}");
  EXPECT_THAT(error, HasSubstr("test.yaml:3:3: trainig: unknown field \"trainig\", did you mean "
                               "\"training\"?"));
}

TEST(ScenarioLoader, EmptyFileIsAnError) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("the file is empty"));
}

TEST(ScenarioLoader, UnreadableFileIsAnError) {
  StatusOr<LoadedScenario> loaded = LoadScenarioFile("/nonexistent/scenario.yaml");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr("/nonexistent/scenario.yaml: cannot open"));
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
}

TEST(ScenarioLoader, ResolvedYamlLoadsBackToTheSameMessage) {
  StatusOr<LoadedScenario> loaded = LoadScenarioText(kGood, "test.yaml");
  ASSERT_TRUE(loaded.ok());
  StatusOr<LoadedScenario> again = LoadScenarioText(ToYaml(loaded->scenario), "resolved.yaml");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->scenario.SerializeAsString(), loaded->scenario.SerializeAsString());
}

TEST(ScenarioLoader, TheBuiltInDefaultScenarioLoads) {
  StatusOr<LoadedScenario> loaded = LoadDefaultScenario();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->scenario.cluster().gpus(), 16384);
  EXPECT_TRUE(loaded->scenario.model().has_moe());
}

}  // namespace
}  // namespace trainsim::config
