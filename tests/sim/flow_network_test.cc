#include "sim/flow_network.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "sim/engine.h"
#include "sim/units.h"
#include "sim/random.h"

namespace trainsim {
namespace {

using ::trainsim::literals::operator""_GiB;
using ::trainsim::literals::operator""_MB;
using ::trainsim::literals::operator""_ms;
using ::trainsim::literals::operator""_ns;
using ::trainsim::literals::operator""_us;

constexpr int64_t kPsPerSecond = 1'000'000'000'000;

// Picoseconds to send `bytes` at `rate` B/s, rounded up: the closed form that the network must
// reproduce to the picosecond (it rounds every finish up to the next picosecond).
Time SendTime(int64_t bytes, int64_t rate) {
  const __int128 ps = (static_cast<__int128>(bytes) * kPsPerSecond + rate - 1) / rate;
  return Time::Picoseconds(static_cast<int64_t>(ps));
}

std::vector<BytesPerSecond> Capacities(std::initializer_list<double> bytes_per_second) {
  std::vector<BytesPerSecond> out;
  for (double c : bytes_per_second) out.emplace_back(c);
  return out;
}

FlowHop Hop(uint32_t link, uint32_t weight = 1) {
  return FlowHop{.link = LinkIndex{link}, .weight = weight};
}

using Rng = SplitMix64;

TEST(FlowNetwork, OneBundleOnOneLinkTakesLatencyPlusBytesOverCapacity) {
  // 400 Gb/s sends 1 GiB in a whole number of picoseconds; 3 GB/s sends 1000 B in 333333.3 ps,
  // which must round up.
  for (const auto& [capacity, bytes] : {std::pair<int64_t, int64_t>{50'000'000'000, 1 << 30},
                                        std::pair<int64_t, int64_t>{3'000'000'000, 1000}}) {
    EventEngine engine;
    FlowNetwork network(engine, Capacities({static_cast<double>(capacity)}));
    const FlowHop path[] = {Hop(0)};
    Time done;
    network.Start({.path = path, .bytes = Bytes(bytes), .latency = 2_us},
                  [&] { done = engine.now(); });
    engine.Run();
    EXPECT_EQ(done, 2_us + SendTime(bytes, capacity)) << capacity << " B/s, " << bytes << " B";
    EXPECT_EQ(network.active_bundles(), 0u);
  }
}

TEST(FlowNetwork, TwoBundlesSharingALinkGetHalfEachAndTheLongerSpeedsUpWhenTheShorterEnds) {
  EventEngine engine;
  const int64_t c = 1'000'000'000;
  FlowNetwork network(engine, Capacities({static_cast<double>(c)}));
  const FlowHop path[] = {Hop(0)};
  const int64_t a = 1'000'000;
  const int64_t b = 3'000'000;
  Time a_done, b_done;
  const BundleId ida =
      network.Start({.path = path, .bytes = Bytes(a)}, [&] { a_done = engine.now(); });
  const BundleId idb =
      network.Start({.path = path, .bytes = Bytes(b)}, [&] { b_done = engine.now(); });
  engine.RunUntil(1_ms);
  EXPECT_EQ(network.rate(ida).value(), c / 2.0);
  EXPECT_EQ(network.rate(idb).value(), c / 2.0);
  engine.Run();
  // A sends a bytes at c/2: 2a/c. By then B has sent a too and sends its last b - a alone at c,
  // so it ends at 2a/c + (b - a)/c = (a + b)/c: the link never idles.
  EXPECT_EQ(a_done, SendTime(2 * a, c));
  EXPECT_EQ(b_done, SendTime(a + b, c));
  EXPECT_EQ(network.rate(ida).value(), 0.0);
}

TEST(FlowNetwork, AFlowOfWeightTwoGetsHalfTheRateOfAFlowOfWeightOne) {
  const double c = 100e9;
  EventEngine engine;
  FlowNetwork network(engine, Capacities({c, c, c}));
  const FlowHop single[] = {Hop(0, 1)};
  const FlowHop doubled[] = {Hop(1, 2)};
  const FlowHop repeated[] = {Hop(2), Hop(2)};  // a path through one link twice: weights add up
  const BundleId one = network.Start({.path = single, .bytes = 1_MB}, [] {});
  const BundleId two = network.Start({.path = doubled, .bytes = 1_MB}, [] {});
  const BundleId twice = network.Start({.path = repeated, .bytes = 1_MB}, [] {});
  engine.RunUntil(Time::Zero());
  EXPECT_EQ(network.rate(one).value(), c);
  EXPECT_EQ(network.rate(two).value(), c / 2);
  EXPECT_EQ(network.rate(twice).value(), c / 2);
  engine.Run();
  EXPECT_EQ(network.link_bytes(LinkIndex{2}), 2 * 1_MB);

  // Sharing one link: weight 2 and weight 1 at one per-flow rate λ fill it when 3λ = c.
  const FlowHop heavy[] = {Hop(0, 2)};
  const BundleId w2 = network.Start({.path = heavy, .bytes = 1_MB}, [] {});
  const BundleId w1 = network.Start({.path = single, .bytes = 1_MB}, [] {});
  engine.RunUntil(engine.now());
  EXPECT_DOUBLE_EQ(network.rate(w2).value(), c / 3);
  EXPECT_DOUBLE_EQ(network.rate(w1).value(), c / 3);
}

TEST(FlowNetwork, MaxMinSharesTwoLinksAsInTheClassicThreeFlowExample) {
  // Bertsekas and Gallager, "Data Networks", ch. 6 (max-min flow control): A crosses link 1, B
  // crosses links 1 and 2, C crosses link 2. Link 1 (the tighter) saturates first with A and B
  // at c1/2 each; C then takes what B leaves on link 2: c2 - c1/2.
  const double c1 = 10e9;
  const double c2 = 30e9;
  EventEngine engine;
  FlowNetwork network(engine, Capacities({c1, c2}));
  const FlowHop pa[] = {Hop(0)};
  const FlowHop pb[] = {Hop(0), Hop(1)};
  const FlowHop pc[] = {Hop(1)};
  const BundleId a = network.Start({.path = pa, .bytes = 1_GiB}, [] {});
  const BundleId b = network.Start({.path = pb, .bytes = 1_GiB}, [] {});
  const BundleId c = network.Start({.path = pc, .bytes = 1_GiB}, [] {});
  engine.RunUntil(Time::Zero());
  EXPECT_DOUBLE_EQ(network.rate(a).value(), c1 / 2);
  EXPECT_DOUBLE_EQ(network.rate(b).value(), c1 / 2);
  EXPECT_DOUBLE_EQ(network.rate(c).value(), c2 - c1 / 2);
}

TEST(FlowNetwork, ARingBundleIsPacedByItsSlowestLink) {
  // n flows, one per ring edge, each edge its own link at c, plus one slower link at c/4 that
  // one flow also crosses. All flows share one rate, so the ring moves at the slow link's pace.
  const int n = 8;
  const int64_t c = 50'000'000'000;
  const int64_t slow = c / 4;
  std::vector<BytesPerSecond> caps(n, BytesPerSecond(static_cast<double>(c)));
  caps.emplace_back(static_cast<double>(slow));
  EventEngine engine;
  FlowNetwork network(engine, caps);
  std::vector<FlowHop> ring;
  for (uint32_t i = 0; i <= n; ++i) ring.push_back(Hop(i));
  // An AllReduce of S bytes sends 2(n-1)/n·S per flow (Patarasuk and Yuan, JPDC 2009).
  const int64_t bytes = 2 * (n - 1) * (int64_t{1} << 30) / n;
  const Time alpha = 2 * (n - 1) * 5_us;
  Time done;
  const BundleId id =
      network.Start({.path = ring, .bytes = Bytes(bytes), .multiplicity = n, .latency = alpha},
                    [&] { done = engine.now(); });
  engine.RunUntil(Time::Zero());
  EXPECT_EQ(network.rate(id).value(), static_cast<double>(slow));
  engine.Run();
  EXPECT_EQ(done, alpha + SendTime(bytes, slow));
  for (uint32_t i = 0; i <= n; ++i) EXPECT_EQ(network.link_bytes(LinkIndex{i}), Bytes(bytes));
}

TEST(FlowNetwork, ARateCapHoldsAFlowBelowItsFairShareAndOthersTakeTheRest) {
  const int64_t c = 40'000'000'000;
  EventEngine engine;
  FlowNetwork network(engine, Capacities({static_cast<double>(c)}));
  const FlowHop path[] = {Hop(0)};
  const int64_t bytes = 1'000'000'000;
  Time capped_done, free_done;
  const BundleId capped =
      network.Start({.path = path, .bytes = Bytes(bytes), .rate_cap = BytesPerSecond(c / 4.0)},
                    [&] { capped_done = engine.now(); });
  const BundleId free =
      network.Start({.path = path, .bytes = Bytes(bytes)}, [&] { free_done = engine.now(); });
  engine.RunUntil(Time::Zero());
  EXPECT_EQ(network.rate(capped).value(), c / 4.0);
  EXPECT_EQ(network.rate(free).value(), 3 * c / 4.0);
  engine.Run();
  // The free flow sends at 3c/4 until done, then the capped one still sends at c/4.
  EXPECT_EQ(free_done, SendTime(4 * bytes, 3 * c));
  EXPECT_EQ(capped_done, SendTime(4 * bytes, c));

  // A cap above the fair share changes nothing.
  const BundleId loose = network.Start(
      {.path = path, .bytes = Bytes(bytes), .rate_cap = BytesPerSecond(0.9 * c)}, [] {});
  const BundleId other = network.Start({.path = path, .bytes = Bytes(bytes)}, [] {});
  engine.RunUntil(engine.now());
  EXPECT_EQ(network.rate(loose).value(), c / 2.0);
  EXPECT_EQ(network.rate(other).value(), c / 2.0);
}

TEST(FlowNetwork, ABundleWithAnEmptyPathIsLimitedOnlyByItsCap) {
  EventEngine engine;
  FlowNetwork network(engine, Capacities({1e9}));
  Time capped_done, free_done;
  network.Start({.bytes = Bytes(1000), .latency = 1_ns, .rate_cap = BytesPerSecond(1e9)},
                [&] { capped_done = engine.now(); });
  network.Start({.bytes = Bytes(1000), .latency = 1_ns}, [&] { free_done = engine.now(); });
  engine.Run();
  EXPECT_EQ(capped_done, 1_ns + SendTime(1000, 1'000'000'000));
  EXPECT_EQ(free_done, 1_ns);
  EXPECT_EQ(network.solve_count(), 0u);
}

TEST(FlowNetwork, AZeroByteBundleCompletesAfterItsLatencyWithoutUsingTheLink) {
  const int64_t c = 1'000'000'000;
  EventEngine engine;
  FlowNetwork network(engine, Capacities({static_cast<double>(c)}));
  const FlowHop path[] = {Hop(0)};
  Time empty_done = Time::Max(), instant_done = Time::Max(), real_done;
  network.Start({.path = path, .bytes = Bytes(0), .latency = 3_us},
                [&] { empty_done = engine.now(); });
  network.Start({.path = path, .bytes = Bytes(0)}, [&] { instant_done = engine.now(); });
  network.Start({.path = path, .bytes = 1_MB}, [&] { real_done = engine.now(); });
  engine.Run();
  EXPECT_EQ(instant_done, Time::Zero());
  EXPECT_EQ(empty_done, 3_us);
  EXPECT_EQ(real_done, SendTime(1'000'000, c));  // had the link to itself
  EXPECT_EQ(network.link_bytes(LinkIndex{0}), 1_MB);
  EXPECT_EQ(network.solve_count(), 1u);
}

TEST(FlowNetwork, BundlesStartedAtOneInstantShareOneSolve) {
  EventEngine engine;
  std::vector<BytesPerSecond> caps(64, BytesPerSecond(50e9));
  FlowNetwork network(engine, caps);
  Rng rng(7);
  std::vector<std::vector<FlowHop>> paths;
  for (int i = 0; i < 1000; ++i) paths.push_back({Hop(rng.Uniform(64)), Hop(rng.Uniform(64))});
  size_t done = 0;
  // Half from one event, half from another at the same instant: the solve event scheduled by
  // the first Start runs after both.
  for (int half = 0; half < 2; ++half) {
    engine.ScheduleAt(1_us, [&, half] {
      for (int i = half * 500; i < (half + 1) * 500; ++i) {
        network.Start({.path = paths[i], .bytes = 1_MB}, [&] { ++done; });
      }
    });
  }
  engine.RunUntil(1_us);
  EXPECT_EQ(network.solve_count(), 1u);
  EXPECT_EQ(network.active_bundles(), 1000u);
  engine.Run();
  EXPECT_EQ(done, 1000u);
}

TEST(FlowNetwork, BundlesEndingAtOneInstantShareOneSolve) {
  const int64_t c = 11'000'000'000;
  EventEngine engine;
  FlowNetwork network(engine, Capacities({static_cast<double>(c)}));
  const FlowHop path[] = {Hop(0)};
  const int64_t small = 1'000'000;
  Time long_done;
  for (int i = 0; i < 10; ++i) network.Start({.path = path, .bytes = Bytes(small)}, [] {});
  network.Start({.path = path, .bytes = Bytes(2 * small)}, [&] { long_done = engine.now(); });
  engine.Run();
  EXPECT_EQ(network.solve_count(), 2u);  // the start, then the ten ends together
  // All eleven at c/11 until the ten are done (11·small bytes through the link), then alone.
  EXPECT_EQ(long_done, SendTime(12 * small, c));
}

TEST(FlowNetwork, ABundleStopsTakingBandwidthOnceItsBytesAreSent) {
  const int64_t c = 1'000'000'000;
  EventEngine engine;
  FlowNetwork network(engine, Capacities({static_cast<double>(c)}));
  const FlowHop path[] = {Hop(0)};
  const int64_t a = 1'000'000;
  const int64_t b = 5'000'000;
  Time a_done, b_done;
  const BundleId ida = network.Start({.path = path, .bytes = Bytes(a), .latency = 1_ms},
                                     [&] { a_done = engine.now(); });
  network.Start({.path = path, .bytes = Bytes(b)}, [&] { b_done = engine.now(); });
  engine.RunUntil(SendTime(2 * a, c) + 1_ns);  // A's bytes are through; its latency is not
  EXPECT_EQ(network.rate(ida).value(), 0.0);
  EXPECT_EQ(network.active_bundles(), 2u);
  engine.Run();
  EXPECT_EQ(a_done, SendTime(2 * a, c) + 1_ms);
  EXPECT_EQ(b_done, SendTime(a + b, c));  // B had the whole link during A's latency
}

TEST(FlowNetwork, LinkCountersReportBytesCarriedAndBusyTime) {
  const int64_t c = 1'000'000'000;
  EventEngine engine;
  FlowNetwork network(engine, Capacities({static_cast<double>(c), static_cast<double>(c)}));
  const FlowHop doubled[] = {Hop(0, 2)};
  const FlowHop single[] = {Hop(0)};
  const int64_t s = 1'000'000;
  network.Start({.path = doubled, .bytes = Bytes(s), .latency = 1_ms}, [] {});
  // Weight 2 at c/2 per flow: the link moves 2s bytes in 2s/c.
  const Time first = SendTime(2 * s, c);
  engine.RunUntil(Time::Picoseconds(first.picoseconds() / 2));
  EXPECT_EQ(network.link_bytes(LinkIndex{0}), Bytes(s));
  EXPECT_EQ(network.link_busy_time(LinkIndex{0}), Time::Picoseconds(first.picoseconds() / 2));
  engine.Run();  // through the latency too: the link idles for 1 ms
  const Time gap_end = engine.now() + 1_ms;
  engine.ScheduleAt(gap_end, [&] { network.Start({.path = single, .bytes = Bytes(s)}, [] {}); });
  engine.Run();
  EXPECT_EQ(network.link_bytes(LinkIndex{0}), Bytes(3 * s));
  EXPECT_EQ(network.link_busy_time(LinkIndex{0}), first + SendTime(s, c));
  EXPECT_EQ(network.link_bytes(LinkIndex{1}), Bytes(0));
  EXPECT_EQ(network.link_busy_time(LinkIndex{1}), Time::Zero());
}

TEST(FlowNetwork, CompletionsAtOneInstantRunInBundleIdOrder) {
  // Two bundles due at the same instant by different routes (one waits out a latency, one sends
  // its last byte with no latency), started in both orders: callbacks follow Start order.
  for (const bool latency_first : {true, false}) {
    EventEngine engine;
    const int64_t c = 1'000'000'000;
    FlowNetwork network(engine, Capacities({static_cast<double>(c)}));
    const FlowHop path[] = {Hop(0)};
    const int64_t bytes = 1000;
    std::vector<int> order;
    auto start_latency = [&] {
      network.Start({.path = path, .bytes = Bytes(0), .latency = SendTime(bytes, c)},
                    [&] { order.push_back(0); });
    };
    auto start_bytes = [&] {
      network.Start({.path = path, .bytes = Bytes(bytes)}, [&] { order.push_back(1); });
    };
    if (latency_first) {
      start_latency();
      start_bytes();
    } else {
      start_bytes();
      start_latency();
    }
    engine.Run();
    EXPECT_EQ(order, latency_first ? (std::vector<int>{0, 1}) : (std::vector<int>{1, 0}));
    EXPECT_EQ(engine.now(), SendTime(bytes, c));
  }
}

TEST(FlowNetwork, ABundleStartedFromACompletionCallbackFollowsIt) {
  const int64_t c = 2'000'000'000;
  EventEngine engine;
  FlowNetwork network(engine, Capacities({static_cast<double>(c)}));
  const FlowHop path[] = {Hop(0)};
  const int64_t bytes = 1'000'000;
  Time second_done;
  network.Start({.path = path, .bytes = Bytes(bytes), .latency = 1_us}, [&] {
    network.Start({.path = path, .bytes = Bytes(bytes), .latency = 1_us},
                  [&] { second_done = engine.now(); });
  });
  engine.Run();
  EXPECT_EQ(second_done, 2 * (SendTime(bytes, c) + 1_us));
}

// ---------------------------------------------------------------------------------------------
// Against a reference: progressive filling written the obvious way (raise every unfrozen flow to
// the lowest link or cap level, freeze what saturates, repeat) and a fluid simulation built on it.

struct RefBundle {
  std::vector<FlowHop> path;
  double cap = 0;  // B/s, 0 = none
  int64_t bytes = 0;
  Time start;
  Time latency;
};

std::vector<double> ReferenceRates(const std::vector<double>& caps,
                                   const std::vector<RefBundle>& bundles,
                                   const std::vector<size_t>& sending) {
  const size_t n = sending.size();
  std::vector<std::vector<double>> w(n, std::vector<double>(caps.size(), 0.0));
  for (size_t i = 0; i < n; ++i) {
    for (const FlowHop& h : bundles[sending[i]].path) w[i][h.link.value] += h.weight;
  }
  std::vector<double> rate(n, 0.0);
  std::vector<bool> frozen(n, false);
  for (size_t left = n; left > 0;) {
    double level = std::numeric_limits<double>::infinity();
    std::vector<double> link_level(caps.size(), level);
    for (size_t l = 0; l < caps.size(); ++l) {
      double used = 0, unfrozen = 0;
      for (size_t i = 0; i < n; ++i) {
        if (frozen[i]) {
          used += w[i][l] * rate[i];
        } else {
          unfrozen += w[i][l];
        }
      }
      if (unfrozen > 0) link_level[l] = (caps[l] - used) / unfrozen;
      level = std::min(level, link_level[l]);
    }
    for (size_t i = 0; i < n; ++i) {
      const double cap = bundles[sending[i]].cap;
      if (!frozen[i] && cap > 0) level = std::min(level, cap);
    }
    const double tie = level * (1 + 1e-12);
    for (size_t i = 0; i < n; ++i) {
      if (frozen[i]) continue;
      bool freeze = bundles[sending[i]].cap > 0 && bundles[sending[i]].cap <= tie;
      for (size_t l = 0; l < caps.size(); ++l) freeze |= w[i][l] > 0 && link_level[l] <= tie;
      if (!freeze) continue;
      frozen[i] = true;
      rate[i] = level;
      --left;
    }
  }
  return rate;
}

// Completion times in picoseconds (as doubles), from a fluid simulation in double precision.
std::vector<double> ReferenceCompletions(const std::vector<double>& caps,
                                         const std::vector<RefBundle>& bundles) {
  const size_t n = bundles.size();
  std::vector<double> remaining(n), done(n, -1);
  std::vector<bool> started(n, false), sent(n, false);
  for (size_t i = 0; i < n; ++i) remaining[i] = static_cast<double>(bundles[i].bytes);
  double now = 0;  // ps
  for (;;) {
    std::vector<size_t> sending;
    for (size_t i = 0; i < n; ++i) {
      if (!started[i] && static_cast<double>(bundles[i].start.picoseconds()) <= now) {
        started[i] = true;
      }
      if (started[i] && !sent[i] && remaining[i] <= 1e-9 * static_cast<double>(bundles[i].bytes)) {
        sent[i] = true;
        done[i] = now + static_cast<double>(bundles[i].latency.picoseconds());
      }
      if (started[i] && !sent[i]) sending.push_back(i);
    }
    double next = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < n; ++i) {
      if (!started[i]) next = std::min(next, static_cast<double>(bundles[i].start.picoseconds()));
    }
    const std::vector<double> rate = ReferenceRates(caps, bundles, sending);
    for (size_t k = 0; k < sending.size(); ++k) {
      next = std::min(next, now + remaining[sending[k]] / rate[k] * 1e12);
    }
    if (std::isinf(next)) return done;
    for (size_t k = 0; k < sending.size(); ++k) {
      remaining[sending[k]] -= rate[k] * (next - now) / 1e12;
    }
    now = next;
  }
}

struct RandomCase {
  std::vector<double> caps;
  std::vector<RefBundle> bundles;
};

RandomCase MakeRandomCase(Rng& rng, bool all_at_zero) {
  RandomCase rc;
  const uint32_t links = 2 + rng.Uniform(5);
  for (uint32_t l = 0; l < links; ++l) rc.caps.push_back(1e9 * (1 + rng.Uniform(100)));
  const uint32_t bundles = 1 + rng.Uniform(8);
  for (uint32_t b = 0; b < bundles; ++b) {
    RefBundle rb;
    const uint32_t hops = 1 + rng.Uniform(4);
    for (uint32_t h = 0; h < hops; ++h)
      rb.path.push_back(Hop(rng.Uniform(links), 1 + rng.Uniform(3)));
    if (rng.Uniform(4) == 0) rb.cap = 1e9 * (1 + rng.Uniform(50));
    rb.bytes = rng.Uniform(10) == 0 ? 0 : 1'000 * (1 + rng.Uniform(1'000'000));
    rb.start = all_at_zero ? Time::Zero() : Time::Microseconds(rng.Uniform(100));
    rb.latency = Time::Nanoseconds(rng.Uniform(5'000));
    rc.bundles.push_back(std::move(rb));
  }
  return rc;
}

std::vector<BytesPerSecond> ToCapacities(const std::vector<double>& caps) {
  std::vector<BytesPerSecond> out;
  for (double c : caps) out.emplace_back(c);
  return out;
}

TEST(FlowNetwork, RatesMatchAReferenceProgressiveFillingOnRandomNetworks) {
  Rng rng(2024);
  for (int trial = 0; trial < 300; ++trial) {
    RandomCase rc = MakeRandomCase(rng, /*all_at_zero=*/true);
    for (RefBundle& b : rc.bundles) b.bytes = std::max<int64_t>(b.bytes, 1);
    EventEngine engine;
    FlowNetwork network(engine, ToCapacities(rc.caps));
    std::vector<BundleId> ids;
    std::vector<size_t> all;
    for (size_t i = 0; i < rc.bundles.size(); ++i) {
      const RefBundle& b = rc.bundles[i];
      ids.push_back(network.Start(
          {.path = b.path, .bytes = Bytes(b.bytes), .rate_cap = BytesPerSecond(b.cap)}, [] {}));
      all.push_back(i);
    }
    engine.RunUntil(Time::Zero());
    const std::vector<double> want = ReferenceRates(rc.caps, rc.bundles, all);
    for (size_t i = 0; i < ids.size(); ++i) {
      EXPECT_NEAR(network.rate(ids[i]).value(), want[i], want[i] * 1e-9)
          << "trial " << trial << ", bundle " << i;
    }
  }
}

TEST(FlowNetwork, CompletionTimesMatchAFluidReferenceSimulation) {
  Rng rng(99);
  for (int trial = 0; trial < 300; ++trial) {
    const RandomCase rc = MakeRandomCase(rng, /*all_at_zero=*/false);
    EventEngine engine;
    FlowNetwork network(engine, ToCapacities(rc.caps));
    std::vector<Time> done(rc.bundles.size(), Time::Max());
    for (size_t i = 0; i < rc.bundles.size(); ++i) {
      engine.ScheduleAt(rc.bundles[i].start, [&, i] {
        const RefBundle& b = rc.bundles[i];
        network.Start({.path = b.path,
                       .bytes = Bytes(b.bytes),
                       .latency = b.latency,
                       .rate_cap = BytesPerSecond(b.cap)},
                      [&, i] { done[i] = engine.now(); });
      });
    }
    engine.Run();
    const std::vector<double> want = ReferenceCompletions(rc.caps, rc.bundles);
    for (size_t i = 0; i < done.size(); ++i) {
      // Each finish rounds up by under a picosecond and later rates start from there.
      const double got = static_cast<double>(done[i].picoseconds());
      EXPECT_NEAR(got, want[i], 1e-9 * want[i] + 2.0 * static_cast<double>(done.size()))
          << "trial " << trial << ", bundle " << i;
      EXPECT_GE(got, want[i] * (1 - 1e-12) - 1) << "finished early: trial " << trial;
    }
  }
}

// Solves are incremental: this checks every bundle's rate, at many instants of a busy run, against
// progressive filling from scratch over the bundles sending at that instant.
TEST(FlowNetwork, RatesAfterManyStartsAndEndsMatchAFromScratchSolve) {
  Rng rng(31);
  for (int trial = 0; trial < 20; ++trial) {
    RandomCase rc;
    const uint32_t links = 8 + rng.Uniform(16);
    for (uint32_t l = 0; l < links; ++l) rc.caps.push_back(1e9 * (1 + rng.Uniform(100)));
    const uint32_t bundles = 30 + rng.Uniform(50);
    for (uint32_t b = 0; b < bundles; ++b) {
      RefBundle rb;
      for (uint32_t h = 0, hops = 1 + rng.Uniform(5); h < hops; ++h) {
        rb.path.push_back(Hop(rng.Uniform(links), 1 + rng.Uniform(3)));
      }
      if (rng.Uniform(5) == 0) rb.cap = 1e9 * (1 + rng.Uniform(30));
      rb.bytes = 1'000 * (1 + rng.Uniform(200'000));
      rb.start = Time::Nanoseconds(rng.Uniform(50'000));
      rc.bundles.push_back(std::move(rb));
    }
    EventEngine engine;
    FlowNetwork network(engine, ToCapacities(rc.caps));
    std::vector<BundleId> ids(bundles);
    std::vector<bool> started(bundles, false), done(bundles, false);
    for (uint32_t i = 0; i < bundles; ++i) {
      engine.ScheduleAt(rc.bundles[i].start, [&, i] {
        const RefBundle& b = rc.bundles[i];
        started[i] = true;
        // No latency: a bundle is done when its last byte is sent, so the test knows which send.
        ids[i] = network.Start(
            {.path = b.path, .bytes = Bytes(b.bytes), .rate_cap = BytesPerSecond(b.cap)},
            [&, i] { done[i] = true; });
      });
    }
    int probes_with_traffic = 0;
    for (Time t = Time::Zero(); t < 200_us; t += 997_ns) {
      engine.RunUntil(t);  // includes the solve of any start or end at t
      std::vector<size_t> sending;
      for (size_t i = 0; i < bundles; ++i) {
        if (started[i] && !done[i]) sending.push_back(i);
      }
      if (sending.empty()) continue;
      ++probes_with_traffic;
      const std::vector<double> want = ReferenceRates(rc.caps, rc.bundles, sending);
      for (size_t k = 0; k < sending.size(); ++k) {
        EXPECT_NEAR(network.rate(ids[sending[k]]).value(), want[k], want[k] * 1e-8)
            << "trial " << trial << ", bundle " << sending[k] << " at " << t.picoseconds() << " ps";
      }
    }
    EXPECT_GT(probes_with_traffic, 10);
  }
}

TEST(FlowNetwork, AStartOnAnotherLinkLeavesAFinishUntouched) {
  // 1000 B at 3 GB/s is 333333.3 ps: any re-rounding of the first bundle's progress would show.
  const int64_t c = 3'000'000'000;
  EventEngine engine;
  FlowNetwork network(engine, Capacities({static_cast<double>(c), static_cast<double>(c)}));
  const FlowHop first[] = {Hop(0)};
  const FlowHop second[] = {Hop(1)};
  Time done;
  network.Start({.path = first, .bytes = Bytes(1000)}, [&] { done = engine.now(); });
  for (int i = 1; i <= 3; ++i) {
    engine.ScheduleAt(Time::Nanoseconds(50 * i),
                      [&] { network.Start({.path = second, .bytes = Bytes(100)}, [] {}); });
  }
  engine.Run();
  EXPECT_EQ(done, SendTime(1000, c));
}

TEST(FlowNetwork, IdenticalRunsGiveIdenticalCompletionTimes) {
  auto run = [] {
    Rng rng(5);
    EventEngine engine;
    std::vector<BytesPerSecond> caps;
    for (int l = 0; l < 200; ++l) caps.emplace_back(1e9 * (1 + rng.Uniform(400)));
    FlowNetwork network(engine, caps);
    std::vector<std::pair<int64_t, size_t>> trace;  // (completion ps, bundle)
    std::vector<std::vector<FlowHop>> paths(300);
    for (size_t i = 0; i < paths.size(); ++i) {
      for (int h = 0; h < 5; ++h) paths[i].push_back(Hop(rng.Uniform(200), 1 + rng.Uniform(2)));
      const Time start = Time::Nanoseconds(rng.Uniform(100'000));
      const Bytes bytes(1 + rng.Uniform(100'000'000));
      engine.ScheduleAt(start, [&, i, bytes] {
        network.Start({.path = paths[i], .bytes = bytes, .latency = 250_ns},
                      [&, i] { trace.emplace_back(engine.now().picoseconds(), i); });
      });
    }
    engine.Run();
    return trace;
  };
  const auto first = run();
  EXPECT_EQ(first.size(), 300u);
  EXPECT_EQ(first, run());
}

}  // namespace
}  // namespace trainsim
