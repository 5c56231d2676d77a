// EventEngine throughput. "events/s" counts callbacks run (or schedule+cancel pairs) per CPU
// second on one core. The steady states follow the classic "hold" model (Vaucher and
// Duval, CACM 1975): every event reschedules itself a random delay ahead, so the number of
// pending events, and so the heap depth, stays fixed at the benchmark's argument.
#include <cstdint>
#include <vector>

#include "benchmark/benchmark.h"
#include "sim/engine.h"
#include "sim/units.h"

namespace trainsim {
namespace {

// Marsaglia, "Xorshift RNGs", J. Stat. Softw. 8(14), 2003: the 64-bit (13, 7, 17) generator.
// Fixed seed, so every run executes the same schedule.
class XorShift64 {
 public:
  uint64_t Next() {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 7;
    x_ ^= x_ << 17;
    return x_;
  }

 private:
  uint64_t x_ = 0x2545F4914F6CDD1D;
};

// Delays uniform in [0, 1 us), at picosecond resolution, so ties are rare but possible.
Time RandomDelay(XorShift64& rng) {
  return Time::Picoseconds(static_cast<int64_t>(rng.Next() % 1'000'000));
}

// Delays of 0, 1, 2 or 3 ns: nearly every event shares its time with many others, as when a
// collective completes on every rank at once.
Time TiedDelay(XorShift64& rng) { return Time::Nanoseconds(static_cast<int64_t>(rng.Next() % 4)); }

struct HoldModel {
  EventEngine engine;
  XorShift64 rng;
  int64_t budget = 0;  // events left in this batch; the event that spends the last one stops
};

// The callback: 8 bytes of capture, stored inline in the engine's slot.
template <Time (*Delay)(XorShift64&)>
struct Hold {
  HoldModel* model;
  void operator()() const {
    model->engine.ScheduleAfter(Delay(model->rng), Hold{model});
    if (--model->budget == 0) model->engine.Stop();
  }
};

void RunBatch(HoldModel& model, int64_t events) {
  model.budget = events;
  model.engine.Run();
}

template <Time (*Delay)(XorShift64&)>
void SteadyState(benchmark::State& state) {
  const int64_t pending = state.range(0);
  constexpr int64_t kBatch = 1 << 16;
  HoldModel model;
  for (int64_t i = 0; i < pending; ++i) {
    model.engine.ScheduleAt(Delay(model.rng), Hold<Delay>{&model});
  }
  // Run each initial event once so event times are spread as in the steady state.
  RunBatch(model, pending);
  const uint64_t start = model.engine.executed();
  for (auto _ : state) RunBatch(model, kBatch);
  const auto events = static_cast<double>(model.engine.executed() - start);
  state.counters["events/s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["pending"] = static_cast<double>(model.engine.pending());
}
void BM_SteadyState(benchmark::State& state) { SteadyState<RandomDelay>(state); }
void BM_SteadyStateWithTies(benchmark::State& state) { SteadyState<TiedDelay>(state); }
BENCHMARK(BM_SteadyState)->Arg(1 << 10)->Arg(1 << 20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SteadyStateWithTies)->Arg(1 << 10)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

// Timers that are set and then cancelled before they fire (the common fate of a timeout): keeps
// `pending` live events in a ring, and per iteration cancels the oldest and schedules a new one.
void BM_ScheduleCancel(benchmark::State& state) {
  const auto pending = static_cast<size_t>(state.range(0));
  EventEngine engine;
  XorShift64 rng;
  std::vector<EventId> ring(pending);
  for (EventId& id : ring) id = engine.ScheduleAt(RandomDelay(rng), [] {});
  size_t oldest = 0;
  for (auto _ : state) {
    engine.Cancel(ring[oldest]);
    ring[oldest] = engine.ScheduleAt(RandomDelay(rng), [] {});
    if (++oldest == pending) oldest = 0;
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["pending"] = static_cast<double>(engine.pending());
}
BENCHMARK(BM_ScheduleCancel)->Arg(1 << 10)->Arg(1 << 20);

}  // namespace
}  // namespace trainsim

BENCHMARK_MAIN();
