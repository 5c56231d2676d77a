#include "config/diagnostics.h"

#include "gtest/gtest.h"

namespace trainsim::config {
namespace {

TEST(Diagnostics, FormatsFileLineColumnPathAndMessage) {
  Diagnostics d;
  d.Add({"a.yaml", 3, 7}, "parallelism.tp", "3 does not divide model.heads = 128");
  d.Add({"a.yaml", 0, 0}, "", "the file is empty");
  EXPECT_EQ(d.Format(),
            "a.yaml:3:7: parallelism.tp: 3 does not divide model.heads = 128\n"
            "a.yaml: the file is empty");
  EXPECT_EQ(d.ToStatus().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Diagnostics().ToStatus().ok());
}

TEST(Diagnostics, SourceMapFallsBackToTheNearestAncestor) {
  SourceMap map;
  map.Set("cluster", {"a.yaml", 2, 1});
  map.Set("cluster.node", {"a.yaml", 5, 3});
  EXPECT_EQ(map.Find("cluster.node.gpu.tdp").line, 5);
  EXPECT_EQ(map.Find("cluster.gpus").line, 2);
  EXPECT_EQ(map.Find("model.layers").line, 0);
}

TEST(DidYouMean, SuggestsOnlyPlausibleTypos) {
  const std::vector<std::string> names = {"parallelism", "precision", "training"};
  EXPECT_EQ(ClosestMatch("paralelism", names), "parallelism");
  EXPECT_EQ(ClosestMatch("trainig", names), "training");
  EXPECT_EQ(ClosestMatch("zzz", names), "");
  EXPECT_EQ(ClosestMatch("h100", {"b200", "h100-sxm"}), "h100-sxm");  // a prefix beats distance
  EXPECT_EQ(DidYouMean("precison", names), ", did you mean \"precision\"?");
}

}  // namespace
}  // namespace trainsim::config
