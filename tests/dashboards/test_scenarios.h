// Scenarios the dashboards' tests share.
#ifndef TRAINSIM_TESTS_DASHBOARDS_TEST_SCENARIOS_H_
#define TRAINSIM_TESTS_DASHBOARDS_TEST_SCENARIOS_H_

namespace trainsim::dashboards::testing {

// 7.5B, TP 4 × PP 2 × DP 8 on 64 GPUs, 1F1B with 8 micro-batches, DP overlapped with backward:
// small enough for tests, with a bubble, DP buckets under backward and PP sends. The name is on
// line 1, so an added field lands on line 6.
inline constexpr const char* kSmallScenario =
    "name: small\n"
    "cluster: {preset: dgx-h100-superpod, gpus: 64}\n"
    "model: megatron-7.5b\n"
    "parallelism: {tp: 4, pp: 2, microbatch_size: 2}\n"
    "training: {global_batch: 128, sequence_length: 2048}\n";

}  // namespace trainsim::dashboards::testing

#endif  // TRAINSIM_TESTS_DASHBOARDS_TEST_SCENARIOS_H_
