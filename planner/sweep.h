// Running a study: every point of a shard simulated (workloads/step.h), in parallel on a
// Boost.Asio thread pool of `jobs` threads, each finished point handed to a callback as a row.
//
// Rows stream in completion order: on_row is called once per finished point, one call at a time
// (never concurrently), from the pool's threads; each row carries its point index, and its
// values depend only on the point (the same study gives the same row for point i whatever
// `jobs` is). A point whose scenario is invalid, does not fit in memory or cannot be simulated
// is a row with ok = false and the reason in `error`; the other points go on.
//
// Sharding: point i belongs to shard i mod shard_count, so shards 0..N-1 of one study cover
// every point exactly once (one shard per job of a Slurm array, say).
//
// Points whose scenario uses the SimGrid executor (simulation.executor: simgrid) run SimGrid in a
// forked child process, which is not safe from several threads at once: those points run one at
// a time (native points keep running beside them).
//
// Cancellation: once *cancel is true no further point starts; points already running finish and
// are reported. The summary says how many points finished and whether some never started.
#ifndef TRAINSIM_PLANNER_SWEEP_H_
#define TRAINSIM_PLANNER_SWEEP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "planner/study.h"
#include "sim/status.h"

namespace trainsim::planner {

// One point's result. Figures are those of `trainsim run`'s report; they are 0 when the point
// failed, except peak_memory_gib, which an out-of-memory point also reports.
struct SweepRow {
  int64_t point = 0;
  std::vector<KnobValue> knobs;
  bool ok = false;
  std::string error;  // why the point failed, on one line; empty when ok

  double step_time_s = 0;
  double mfu = 0;
  double tokens_per_s = 0;
  double peak_memory_gib = 0;
  double energy_per_step_j = 0;
  double avg_power_w = 0;
  double cost_per_step_usd = 0;  // step time × GPUs × simulation.gpu_hour_usd; 0 if unpriced
  double time_to_train_s = 0;    // 0 when training.tokens and training.steps are unset
  std::string bound_by;
};

struct SweepOptions {
  int jobs = 1;         // threads simulating points at once (>= 1)
  int shard_index = 0;  // this run's shard, 0 <= shard_index < shard_count
  int shard_count = 1;
  const std::atomic<bool>* cancel = nullptr;  // when it turns true, stop starting points
};

struct SweepSummary {
  int64_t points = 0;      // points of this shard
  int64_t finished = 0;    // rows reported (ok or failed)
  int64_t failed = 0;      // rows with ok = false
  bool cancelled = false;  // some points of the shard never started
  double wall_s = 0;
};

// Simulates one point (what RunSweep does for each point of its shard).
SweepRow RunPoint(const Study& study, int64_t point);

// Errors: bad options (jobs < 1, a shard outside 0..shard_count-1), kInvalidArgument.
StatusOr<SweepSummary> RunSweep(const Study& study, const SweepOptions& options,
                                const std::function<void(const SweepRow&)>& on_row);

// CSV: point, one column per knob (its path), ok, the figures, bound_by, error. Numbers are
// printed to round-trip; figures of a failed point are empty (peak memory kept when known).
// Every line ends with a newline; an error is one line.
std::string CsvHeader(const Study& study);
std::string CsvLine(const Study& study, const SweepRow& row);

// One JSON object on one line, newline-terminated: {"point", "knobs": {path: value}, "ok",
// figures..., "bound_by", "error"}. Knob values that read as numbers or booleans are JSON
// numbers or booleans, others strings.
std::string JsonLine(const SweepRow& row);

}  // namespace trainsim::planner

#endif  // TRAINSIM_PLANNER_SWEEP_H_
