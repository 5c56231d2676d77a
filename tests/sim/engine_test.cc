#include "sim/engine.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "sim/units.h"
#include "sim/random.h"

// Heap allocations made by this test binary, to check that the engine's steady state makes none.
// Replacing the global operator new is the only portable way to observe them. noinline keeps GCC
// from pairing the inlined free() with "new" and warning (-Wmismatched-new-delete).
namespace {
size_t g_allocations = 0;
}  // namespace

[[gnu::noinline]] void* operator new(size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(size_t n, std::align_val_t align) {
  ++g_allocations;
  const auto a = static_cast<size_t>(align);
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }

namespace trainsim {
namespace {

using ::trainsim::literals::operator""_ns;
using ::trainsim::literals::operator""_us;

// What ran, and when: (time in ps, label).
using Trace = std::vector<std::pair<int64_t, int>>;

using Rng = SplitMix64;

TEST(EventEngine, EventsRunInTimeOrder) {
  EventEngine engine;
  std::vector<int> order;
  engine.ScheduleAt(30_ns, [&] { order.push_back(3); });
  engine.ScheduleAt(10_ns, [&] { order.push_back(1); });
  engine.ScheduleAt(20_ns, [&] { order.push_back(2); });
  engine.Run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(engine.now(), 30_ns);
  EXPECT_EQ(engine.executed(), 3u);
  EXPECT_EQ(engine.pending(), 0u);
}

TEST(EventEngine, EqualTimesRunInSchedulingOrder) {
  EventEngine engine;
  std::vector<int> order;
  for (int i = 0; i < 100; ++i) engine.ScheduleAt(5_ns, [&order, i] { order.push_back(i); });
  engine.Run();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(EventEngine, NowIsTheTimeOfTheRunningEvent) {
  EventEngine engine;
  std::vector<Time> seen;
  for (Time t : {7_ns, 3_ns, 3_us}) engine.ScheduleAt(t, [&] { seen.push_back(engine.now()); });
  engine.Run();
  EXPECT_EQ(seen, (std::vector<Time>{3_ns, 7_ns, 3_us}));
}

TEST(EventEngine, ScheduleAfterIsRelativeToNow) {
  EventEngine engine;
  Time ran_at = Time::Zero();
  engine.ScheduleAt(10_ns, [&] { engine.ScheduleAfter(5_ns, [&] { ran_at = engine.now(); }); });
  engine.Run();
  EXPECT_EQ(ran_at, 15_ns);
}

TEST(EventEngine, CancelledEventNeverRunsAndIsNotPending) {
  EventEngine engine;
  bool ran = false;
  EventId id = engine.ScheduleAt(10_ns, [&] { ran = true; });
  engine.ScheduleAt(20_ns, [] {});
  EXPECT_EQ(engine.pending(), 2u);
  EXPECT_TRUE(engine.Cancel(id));
  EXPECT_EQ(engine.pending(), 1u);
  engine.Run();
  EXPECT_FALSE(ran);
  EXPECT_EQ(engine.executed(), 1u);
  EXPECT_EQ(engine.pending(), 0u);
}

TEST(EventEngine, CancellingTwiceReturnsFalse) {
  EventEngine engine;
  EventId id = engine.ScheduleAt(10_ns, [] {});
  EXPECT_TRUE(engine.Cancel(id));
  EXPECT_FALSE(engine.Cancel(id));
  EXPECT_EQ(engine.pending(), 0u);
}

TEST(EventEngine, CancellingAfterTheEventRanReturnsFalse) {
  EventEngine engine;
  EventId id = engine.ScheduleAt(10_ns, [] {});
  engine.Run();
  EXPECT_FALSE(engine.Cancel(id));
  EXPECT_EQ(engine.pending(), 0u);
}

TEST(EventEngine, StaleIdDoesNotCancelTheEventThatReusedItsSlot) {
  EventEngine engine;
  EventId first = engine.ScheduleAt(1_ns, [] {});
  engine.Run();
  bool ran = false;
  EventId second = engine.ScheduleAt(2_ns, [&] { ran = true; });
  EXPECT_NE(first, second);
  EXPECT_FALSE(engine.Cancel(first));
  engine.Run();
  EXPECT_TRUE(ran);
}

TEST(EventEngine, CancellingANonEventReturnsFalse) {
  EventEngine engine;
  EXPECT_FALSE(EventId().valid());
  EXPECT_FALSE(engine.Cancel(EventId()));
}

TEST(EventEngine, AnEventCannotCancelItself) {
  EventEngine engine;
  EventId self;
  bool cancelled = true;
  self = engine.ScheduleAt(1_ns, [&] { cancelled = engine.Cancel(self); });
  engine.Run();
  EXPECT_FALSE(cancelled);
  EXPECT_EQ(engine.executed(), 1u);
}

TEST(EventEngine, CancelReleasesTheCapturesAtOnce) {
  EventEngine engine;
  auto resource = std::make_shared<int>(0);
  EventId id = engine.ScheduleAt(1_us, [resource] {});
  EXPECT_EQ(resource.use_count(), 2);
  engine.Cancel(id);
  EXPECT_EQ(resource.use_count(), 1);
}

TEST(EventEngine, ACallbackCanCancelALaterEvent) {
  EventEngine engine;
  bool ran = false;
  EventId later = engine.ScheduleAt(20_ns, [&] { ran = true; });
  engine.ScheduleAt(10_ns, [&] { EXPECT_TRUE(engine.Cancel(later)); });
  engine.Run();
  EXPECT_FALSE(ran);
  EXPECT_EQ(engine.executed(), 1u);
}

TEST(EventEngine, EventsScheduledForNowRunAfterThoseAlreadyScheduledForNow) {
  EventEngine engine;
  std::vector<int> order;
  engine.ScheduleAt(10_ns, [&] {
    order.push_back(1);
    engine.ScheduleAt(engine.now(), [&] { order.push_back(3); });
    engine.ScheduleAfter(Time::Zero(), [&] { order.push_back(4); });
  });
  engine.ScheduleAt(10_ns, [&] { order.push_back(2); });
  engine.ScheduleAt(11_ns, [&] { order.push_back(5); });
  engine.Run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(EventEngine, RunUntilRunsEventsExactlyAtTheBoundAndLeavesLaterOnes) {
  EventEngine engine;
  std::vector<int> order;
  engine.ScheduleAt(10_ns, [&] { order.push_back(1); });
  engine.ScheduleAt(20_ns, [&] { order.push_back(2); });
  engine.ScheduleAt(20_ns + Time::Picoseconds(1), [&] { order.push_back(3); });
  engine.RunUntil(20_ns);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(engine.now(), 20_ns);
  EXPECT_EQ(engine.pending(), 1u);
  engine.Run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(EventEngine, RunUntilRunsEventsScheduledAtTheBoundDuringTheRun) {
  EventEngine engine;
  bool ran = false;
  engine.ScheduleAt(10_ns, [&] { engine.ScheduleAt(20_ns, [&] { ran = true; }); });
  engine.RunUntil(20_ns);
  EXPECT_TRUE(ran);
  EXPECT_EQ(engine.pending(), 0u);
}

TEST(EventEngine, RunUntilAdvancesNowToTheBoundPastTheLastEvent) {
  EventEngine engine;
  engine.ScheduleAt(10_ns, [] {});
  engine.RunUntil(1_us);
  EXPECT_EQ(engine.now(), 1_us);
  // Later scheduling is relative to the bound.
  Time ran_at = Time::Zero();
  engine.ScheduleAfter(1_ns, [&] { ran_at = engine.now(); });
  engine.Run();
  EXPECT_EQ(ran_at, 1_us + 1_ns);
}

TEST(EventEngine, RunUntilABoundInThePastKeepsNow) {
  EventEngine engine;
  engine.RunUntil(1_us);
  engine.RunUntil(10_ns);
  EXPECT_EQ(engine.now(), 1_us);
}

TEST(EventEngine, StopReturnsAfterTheCurrentEventAndRunResumes) {
  EventEngine engine;
  std::vector<int> order;
  engine.ScheduleAt(10_ns, [&] {
    order.push_back(1);
    engine.Stop();
  });
  engine.ScheduleAt(10_ns, [&] { order.push_back(2); });
  engine.ScheduleAt(20_ns, [&] { order.push_back(3); });
  engine.Run();
  EXPECT_EQ(order, (std::vector<int>{1}));
  EXPECT_EQ(engine.now(), 10_ns);
  EXPECT_EQ(engine.pending(), 2u);
  engine.Run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(EventEngine, StopInRunUntilLeavesNowAtTheStoppingEvent) {
  EventEngine engine;
  engine.ScheduleAt(10_ns, [&] { engine.Stop(); });
  engine.ScheduleAt(20_ns, [] {});
  engine.RunUntil(1_us);
  EXPECT_EQ(engine.now(), 10_ns);
  EXPECT_EQ(engine.pending(), 1u);
}

TEST(EventEngine, StopOutsideARunHasNoEffect) {
  EventEngine engine;
  engine.ScheduleAt(10_ns, [] {});
  engine.Stop();
  engine.Run();
  EXPECT_EQ(engine.executed(), 1u);
}

TEST(EventEngine, CallbacksMayCaptureMoveOnlyAndLargeState) {
  EventEngine engine;
  int sum = 0;
  auto owned = std::make_unique<int>(5);
  engine.ScheduleAt(1_ns, [&sum, p = std::move(owned)] { sum += *p; });
  struct Big {
    int64_t values[32];
  } big{};
  big.values[31] = 7;
  static_assert(sizeof(Big) > EventCallback::kInlineBytes);
  engine.ScheduleAt(2_ns, [&sum, big] { sum += static_cast<int>(big.values[31]); });
  auto shared = std::make_shared<int>(11);
  engine.ScheduleAt(3_ns, [&sum, shared] { sum += *shared; });
  engine.Run();
  EXPECT_EQ(sum, 5 + 7 + 11);
  EXPECT_EQ(shared.use_count(), 1);  // the engine destroyed its copy after running it
}

TEST(EventEngine, ASteadyStateRunDoesNotAllocate) {
  EventEngine engine;
  // A self-rescheduling event capturing three pointers: the size the inline storage promises.
  struct Tick {
    EventEngine* engine;
    int* remaining;
    int64_t* sum;
    void operator()() const {
      *sum += engine->now().picoseconds();
      if (--*remaining > 0) engine->ScheduleAfter(Time::Nanoseconds(1 + *remaining % 7), *this);
    }
  };
  static_assert(sizeof(Tick) == 3 * sizeof(void*));
  int remaining = 0;
  int64_t sum = 0;
  // Warm up: the heap, slot pool and free list grow to hold 100 pending events.
  for (int i = 0; i < 100; ++i) {
    engine.ScheduleAt(Time::Nanoseconds(i), Tick{&engine, &remaining, &sum});
  }
  remaining = 200;
  engine.Run();
  // The same 100 chains again, now 1000 times longer: nothing may grow.
  for (int i = 0; i < 100; ++i) {
    engine.ScheduleAfter(Time::Nanoseconds(i), Tick{&engine, &remaining, &sum});
  }
  remaining = 100'000;
  const size_t before = g_allocations;
  engine.Run();
  EXPECT_EQ(g_allocations, before);
  EXPECT_GT(engine.executed(), 100'000u);
}

TEST(EventEngine, DestroyingTheEngineDestroysPendingCallbacks) {
  auto resource = std::make_shared<int>(0);
  {
    EventEngine engine;
    engine.ScheduleAt(1_ns, [resource] {});
    EXPECT_EQ(resource.use_count(), 2);
  }
  EXPECT_EQ(resource.use_count(), 1);
}

TEST(EventEngineDeathTest, SchedulingInThePastFailsACheck) {
  EventEngine engine;
  engine.RunUntil(10_ns);
  EXPECT_DEATH(engine.ScheduleAt(9_ns, [] {}), "before now");
}

TEST(EventEngineDeathTest, ANegativeDelayFailsACheck) {
  EventEngine engine;
  EXPECT_DEATH(engine.ScheduleAfter(-1_ns, [] {}), "must not be negative");
}

TEST(EventEngineDeathTest, CancellingAnIdFromAnotherEngineFailsACheck) {
  EventEngine engine;
  EventEngine other;
  other.ScheduleAt(1_ns, [] {});
  const EventId foreign = other.ScheduleAt(1_ns, [] {});
  engine.ScheduleAt(1_ns, [] {});
  engine.ScheduleAt(1_ns, [] {});
  EXPECT_DEATH(engine.Cancel(foreign), "another EventEngine");
}

TEST(EventEngineDeathTest, RunningFromInsideACallbackFailsACheck) {
  EventEngine engine;
  engine.ScheduleAt(1_ns, [&] { engine.Run(); });
  EXPECT_DEATH(engine.Run(), "inside a callback");
}

// A random workload in which events spawn children (often at the current time) and cancel
// arbitrary earlier events, written against a scheduler S so the engine and a reference run the
// same decisions. Each event's decisions depend only on its label, so two schedulers that agree
// on the order also agree on everything else.
template <typename S>
Trace RunRandomWorkload(S& s, uint64_t seed, int initial_events) {
  Trace trace;
  Rng rng(seed);
  int next_label = 0;
  // Recursive through std::function: the workload, not the engine, is under test here.
  std::function<void(int)> on_run = [&](int label) {
    trace.emplace_back(s.now().picoseconds(), label);
    Rng decide(seed ^ (static_cast<uint64_t>(label) * 0x2545F4914F6CDD1D));
    if (decide.Uniform(2) == 0 && next_label < 4 * initial_events) {
      const int child = next_label++;
      s.Schedule(child, s.now() + Time::Picoseconds(decide.Uniform(4) * 1000),
                 [&on_run, child] { on_run(child); });
    }
    if (decide.Uniform(4) == 0) {
      const int victim = static_cast<int>(decide.Uniform(next_label));
      trace.emplace_back(s.Cancel(victim) ? -1 : -2, victim);
    }
  };
  for (int i = 0; i < initial_events; ++i) {
    const int label = next_label++;
    s.Schedule(label, Time::Picoseconds(rng.Uniform(initial_events / 4) * 1000),
               [&on_run, label] { on_run(label); });
  }
  // Cancel 60% of the initial events up front, so tombstones outnumber live events.
  for (int cancelled = 0; cancelled < initial_events * 3 / 5;) {
    const int victim = static_cast<int>(rng.Uniform(next_label));
    const bool ok = s.Cancel(victim);
    trace.emplace_back(ok ? -1 : -2, victim);
    cancelled += ok ? 1 : 0;
  }
  s.Run();
  return trace;
}

// Adapts EventEngine to the workload: labels map to EventIds.
class EngineScheduler {
 public:
  Time now() const { return engine_.now(); }
  void Schedule(int label, Time t, EventCallback cb) {
    if (ids_.size() <= static_cast<size_t>(label)) ids_.resize(label + 1);
    ids_[label] = engine_.ScheduleAt(t, std::move(cb));
  }
  bool Cancel(int label) { return engine_.Cancel(ids_[label]); }
  void Run() { engine_.Run(); }
  const EventEngine& engine() const { return engine_; }

 private:
  EventEngine engine_;
  std::vector<EventId> ids_;
};

// The obvious implementation: a multimap keyed by time keeps equal keys in insertion order.
class ReferenceScheduler {
 public:
  Time now() const { return now_; }
  void Schedule(int label, Time t, std::function<void()> cb) {
    if (where_.size() <= static_cast<size_t>(label)) where_.resize(label + 1);
    where_[label] = queue_.emplace(t, std::make_pair(label, std::move(cb)));
  }
  bool Cancel(int label) {
    if (!where_[label].has_value()) return false;
    queue_.erase(*where_[label]);
    where_[label].reset();
    return true;
  }
  void Run() {
    while (!queue_.empty()) {
      auto it = queue_.begin();
      now_ = it->first;
      where_[it->second.first].reset();
      std::function<void()> cb = std::move(it->second.second);
      queue_.erase(it);
      cb();
    }
  }

 private:
  using Queue = std::multimap<Time, std::pair<int, std::function<void()>>>;
  Queue queue_;
  std::vector<std::optional<Queue::iterator>> where_;
  Time now_ = Time::Zero();
};

TEST(EventEngine, MatchesAReferenceOrderingOnALargeRandomWorkload) {
  constexpr int kInitial = 3000;
  EngineScheduler engine;
  ReferenceScheduler reference;
  const Trace got = RunRandomWorkload(engine, 42, kInitial);
  const Trace want = RunRandomWorkload(reference, 42, kInitial);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << "at trace entry " << i;
  const auto runs =
      std::count_if(want.begin(), want.end(), [](const auto& e) { return e.first >= 0; });
  EXPECT_GT(runs, kInitial / 2);  // the workload is not trivially small
  EXPECT_EQ(engine.engine().executed(), static_cast<uint64_t>(runs));
  EXPECT_EQ(engine.engine().pending(), 0u);
}

TEST(EventEngine, SameRandomScheduleGivesIdenticalTraces) {
  EngineScheduler a;
  EngineScheduler b;
  const Trace trace_a = RunRandomWorkload(a, 7, 20000);
  const Trace trace_b = RunRandomWorkload(b, 7, 20000);
  ASSERT_EQ(trace_a.size(), trace_b.size());
  for (size_t i = 0; i < trace_a.size(); ++i) {
    ASSERT_EQ(trace_a[i], trace_b[i]) << "at trace entry " << i;
  }
  EXPECT_EQ(a.engine().executed(), b.engine().executed());
}

}  // namespace
}  // namespace trainsim
