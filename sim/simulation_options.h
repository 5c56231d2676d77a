// SimulationOptions: how a step is simulated, independent of what is simulated.
#ifndef TRAINSIM_SIM_SIMULATION_OPTIONS_H_
#define TRAINSIM_SIM_SIMULATION_OPTIONS_H_

#include <cstdint>
#include <vector>

namespace trainsim {

enum class ExecutorKind { kNative, kSimGrid };
enum class CollectiveDetail { kBundle, kStep };

// A slow GPU or node: its compute ops take (1 + slowdown) times as long.
struct Straggler {
  int64_t gpu = -1;   // a rank, or -1
  int64_t node = -1;  // a node (all its GPUs), or -1
  double slowdown = 0;
};

struct SimulationOptions {
  ExecutorKind executor = ExecutorKind::kNative;
  bool expand = false;  // one simulated rank per GPU instead of per equivalence class
  uint64_t seed = 1;
  // Relative standard deviation of each compute op's time per GPU (lognormal, mean 1); 0: none.
  // Only with expand: every replica draws its own times.
  double compute_jitter = 0;
  CollectiveDetail collective_detail = CollectiveDetail::kBundle;
  double gpu_hour_usd = 0;  // price of one GPU-hour for the cost figure; 0: not priced
  std::vector<Straggler> stragglers;
};

}  // namespace trainsim

#endif  // TRAINSIM_SIM_SIMULATION_OPTIONS_H_
