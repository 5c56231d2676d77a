#include "service/catalog.h"

#include <algorithm>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trainsim::service {
namespace {

using ::testing::Contains;

const v1::Parameter* Find(const v1::ListParametersResponse& list, const std::string& path) {
  for (const v1::Parameter& p : list.parameters()) {
    if (p.path() == path) return &p;
  }
  return nullptr;
}

TEST(Catalog, GpuPresetsCarryTheirDatasheetFields) {
  StatusOr<v1::ListGpusResponse> list = ListGpuPresets();
  ASSERT_TRUE(list.ok()) << list.status().message();
  ASSERT_GE(list->gpus_size(), 4);
  const v1::GpuPreset& h100 = list->gpus(0);
  EXPECT_EQ(h100.preset(), "h100-sxm");
  EXPECT_EQ(h100.gpu().sm_count(), 132);  // H100 SXM5: 132 SMs
  EXPECT_EQ(h100.gpu().hbm_bandwidth(), "3.35TB/s");
}

TEST(Catalog, ModelAndClusterPresetsLoadWithDefaults) {
  StatusOr<v1::ListModelsResponse> models = ListModelPresets();
  ASSERT_TRUE(models.ok()) << models.status().message();
  std::vector<std::string> names;
  for (const v1::ModelPreset& m : models->models()) names.push_back(m.preset());
  EXPECT_THAT(names, Contains("gpt3-175b"));
  EXPECT_THAT(names, Contains("mixtral-8x7b"));
  StatusOr<v1::ListClusterPresetsResponse> clusters = ListClusterPresets();
  ASSERT_TRUE(clusters.ok()) << clusters.status().message();
  ASSERT_GE(clusters->clusters_size(), 3);
  EXPECT_EQ(clusters->clusters(0).cluster().node().gpus_per_node(), 8);  // DGX H100
}

TEST(Catalog, FormatsListEveryNumberFormatWithItsBits) {
  const v1::ListFormatsResponse list = ListNumberFormats();
  std::vector<std::string> names;
  for (const v1::NumberFormatInfo& f : list.formats()) {
    names.push_back(f.name());
    if (f.name() == "bf16") {
      EXPECT_EQ(f.element_bits(), 16);
    }
    if (f.block_scaled()) {
      EXPECT_GT(f.storage_bits_per_element(), f.element_bits()) << f.name();
    } else {
      EXPECT_EQ(f.storage_bits_per_element(), f.element_bits()) << f.name();
    }
  }
  EXPECT_THAT(names, Contains("bf16"));
  EXPECT_THAT(names, Contains("fp8-e4m3"));
}

TEST(Catalog, ParametersCarryUnitDefaultBoundsAndDoc) {
  const v1::ListParametersResponse list = ListScenarioParameters();
  const v1::Parameter* nic = Find(list, "cluster.node.nic_bandwidth");
  ASSERT_NE(nic, nullptr);
  EXPECT_EQ(nic->unit(), v1::UNIT_BANDWIDTH);
  EXPECT_EQ(nic->default_value(), "0B/s");
  EXPECT_FALSE(nic->doc().empty());
  const v1::Parameter* gpus = Find(list, "cluster.gpus");
  ASSERT_NE(gpus, nullptr);
  EXPECT_TRUE(gpus->required());
  EXPECT_EQ(gpus->min(), 1);
  EXPECT_EQ(gpus->type(), "int64");
  const v1::Parameter* schedule = Find(list, "parallelism.schedule");
  ASSERT_NE(schedule, nullptr);
  EXPECT_THAT(schedule->enum_values(), Contains("interleaved-1f1b"));
  EXPECT_THAT(schedule->enum_values(), ::testing::Not(Contains("unspecified")));
  const v1::Parameter* gpu = Find(list, "cluster.node.gpu");
  ASSERT_NE(gpu, nullptr);
  EXPECT_EQ(gpu->preset_kind(), "gpu");
  EXPECT_NE(Find(list, "cluster.node.gpu.tdp"), nullptr);  // a message's own fields follow it
}

}  // namespace
}  // namespace trainsim::service
