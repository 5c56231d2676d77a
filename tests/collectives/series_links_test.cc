#include "collectives/series_links.h"

#include <vector>

#include "collectives/runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/engine.h"
#include "sim/flow_network.h"
#include "sim/random.h"

namespace trainsim::collectives {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

std::vector<BytesPerSecond> Capacities(std::initializer_list<double> bytes_per_second) {
  std::vector<BytesPerSecond> out;
  for (double c : bytes_per_second) out.push_back(BytesPerSecond(c));
  return out;
}

FlowHop Hop(uint32_t link, uint32_t weight = 1) {
  return FlowHop{.link = LinkIndex{link}, .weight = weight};
}

std::vector<std::pair<uint32_t, uint32_t>> Path(const PlannedBundle& b) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (const FlowHop& h : b.path) out.emplace_back(h.link.value, h.weight);
  return out;
}

CollectivePlan OnePhase(std::vector<PlannedBundle> bundles) {
  CollectivePlan plan;
  plan.phases.push_back(PlanPhase{.bundles = std::move(bundles), .latency = Time::Microseconds(1)});
  return plan;
}

// Links 0 and 1 carry only A; 2 carries A and B; 3 only B; 4 and 5 only C, twice each; 6 and 7
// only D, with different weights. {0, 1} merge into 1, the narrower; {4, 5} into 4, the lower
// index of two equals; 2, 3, 6 and 7 stay as they are.
TEST(SeriesLinks, LinksWithTheSameUsersAndWeightsMergeIntoTheNarrowest) {
  std::vector<CollectivePlan> plans;
  plans.push_back(OnePhase(
      {PlannedBundle{.path = {Hop(0), Hop(1), Hop(2)}, .bytes = Bytes(10), .flow_ends = {1, 3}},
       PlannedBundle{.path = {Hop(2), Hop(3)}, .bytes = Bytes(10)}}));
  plans.push_back(OnePhase({PlannedBundle{.path = {Hop(5, 2), Hop(4, 2)}, .bytes = Bytes(10)},
                            PlannedBundle{.path = {Hop(6, 1), Hop(7, 2)}, .bytes = Bytes(10)}}));
  const std::vector<uint32_t> rep =
      MergeSeriesLinks(plans, Capacities({10, 5, 5, 7, 3, 3, 1, 1, 9}));
  EXPECT_THAT(rep, ElementsAre(1, 1, 2, 3, 4, 4, 6, 7, 8));
  // Each set once, by its representative, where its first link stood; weights kept.
  EXPECT_THAT(Path(plans[0].phases[0].bundles[0]),
              ElementsAre(std::pair{1u, 1u}, std::pair{2u, 1u}));
  EXPECT_THAT(Path(plans[0].phases[0].bundles[1]),
              ElementsAre(std::pair{2u, 1u}, std::pair{3u, 1u}));
  EXPECT_THAT(Path(plans[1].phases[0].bundles[0]), ElementsAre(std::pair{4u, 2u}));
  EXPECT_THAT(Path(plans[1].phases[0].bundles[1]),
              ElementsAre(std::pair{6u, 1u}, std::pair{7u, 2u}));
  EXPECT_TRUE(plans[0].phases[0].bundles[0].flow_ends.empty());
}

// Links 0 and 1 carry the same bundle, but 1 carries another too: they stay apart.
TEST(SeriesLinks, ALinkWithOneMoreUserStaysApart) {
  std::vector<CollectivePlan> plans;
  plans.push_back(OnePhase({PlannedBundle{.path = {Hop(0), Hop(1)}, .bytes = Bytes(10)}}));
  plans.push_back(OnePhase({PlannedBundle{.path = {Hop(1)}, .bytes = Bytes(10)}}));
  const std::vector<uint32_t> rep = MergeSeriesLinks(plans, Capacities({1, 1}));
  EXPECT_THAT(rep, ElementsAre(0, 1));
  EXPECT_THAT(Path(plans[0].phases[0].bundles[0]),
              ElementsAre(std::pair{0u, 1u}, std::pair{1u, 1u}));
}

TEST(SeriesLinksDeathTest, APathThatNamesALinkTwiceIsRejected) {
  std::vector<CollectivePlan> plans;
  plans.push_back(OnePhase({PlannedBundle{.path = {Hop(0), Hop(1), Hop(0)}, .bytes = Bytes(10)}}));
  EXPECT_DEATH(MergeSeriesLinks(plans, Capacities({1, 1})), "names link 0 twice");
}

// What the merge promises: every plan finishes at the same picosecond on the merged network,
// and every link reports the bytes it carried, its representative's. Random plans over chains
// of links that are always crossed together (some of equal capacity, some not), started at
// random times so that they overlap and contend.
TEST(SeriesLinks, MergedPlansRunAsTheOriginalsDo) {
  SplitMix64 rng(7);
  constexpr uint32_t kChains = 12;
  std::vector<std::vector<uint32_t>> chains(kChains);
  std::vector<BytesPerSecond> capacities;
  for (auto& chain : chains) {
    const uint32_t length = 1 + rng.Uniform(3u);
    for (uint32_t i = 0; i < length; ++i) {
      chain.push_back(static_cast<uint32_t>(capacities.size()));
      capacities.push_back(BytesPerSecond(1e9 * static_cast<double>(1 + rng.Uniform(3u))));
    }
  }
  std::vector<CollectivePlan> plans(40);
  for (CollectivePlan& plan : plans) {
    const uint32_t phases = 1 + rng.Uniform(3u);
    for (uint32_t p = 0; p < phases; ++p) {
      PlanPhase& phase = plan.phases.emplace_back();
      phase.latency = Time::Nanoseconds(static_cast<int64_t>(rng.Uniform(2000u)));
      const uint32_t bundles = 1 + rng.Uniform(2u);
      for (uint32_t b = 0; b < bundles; ++b) {
        PlannedBundle& bundle = phase.bundles.emplace_back();
        bundle.bytes = Bytes(1'000'000 + static_cast<int64_t>(rng.Uniform(9'000'000u)));
        // Chains in a random order, each with one weight on all its links.
        const uint32_t first = rng.Uniform(kChains);
        const uint32_t count = 1 + rng.Uniform(4u);
        for (uint32_t c = 0; c < count; ++c) {
          const uint32_t weight = 1 + rng.Uniform(2u);
          for (uint32_t l : chains[(first + 3 * c) % kChains])
            bundle.path.push_back(Hop(l, weight));
        }
      }
    }
  }
  std::vector<Time> starts;
  for (size_t i = 0; i < plans.size(); ++i) {
    starts.push_back(Time::Microseconds(static_cast<int64_t>(rng.Uniform(20'000u))));
  }

  struct Outcome {
    std::vector<Time> ends;
    std::vector<Bytes> bytes;  // by link of the original network
  };
  auto run = [&](const std::vector<CollectivePlan>& to_run, const std::vector<uint32_t>& rep) {
    EventEngine engine;
    FlowNetwork network(engine, capacities);
    PlanRunner runner(engine, network);
    Outcome out{.ends = std::vector<Time>(to_run.size())};
    for (size_t i = 0; i < to_run.size(); ++i) {
      engine.ScheduleAt(starts[i],
                        [&, i] { runner.Run(to_run[i], [&, i] { out.ends[i] = engine.now(); }); });
    }
    engine.Run();
    for (uint32_t l = 0; l < capacities.size(); ++l) {
      out.bytes.push_back(network.link_bytes(LinkIndex{rep[l]}));
    }
    return out;
  };
  std::vector<uint32_t> identity(capacities.size());
  for (uint32_t l = 0; l < identity.size(); ++l) identity[l] = l;
  const Outcome original = run(plans, identity);

  std::vector<CollectivePlan> merged = plans;
  const std::vector<uint32_t> rep = MergeSeriesLinks(merged, capacities);
  size_t hops_before = 0, hops_after = 0;
  for (size_t i = 0; i < plans.size(); ++i) {
    for (size_t p = 0; p < plans[i].phases.size(); ++p) {
      for (size_t b = 0; b < plans[i].phases[p].bundles.size(); ++b) {
        hops_before += plans[i].phases[p].bundles[b].path.size();
        hops_after += merged[i].phases[p].bundles[b].path.size();
      }
    }
  }
  ASSERT_LT(hops_after, hops_before) << "the plans should have links to merge";
  const Outcome after = run(merged, rep);
  EXPECT_THAT(after.ends, ElementsAreArray(original.ends));
  EXPECT_THAT(after.bytes, ElementsAreArray(original.bytes));
}

}  // namespace
}  // namespace trainsim::collectives
