// FlowNetwork at the scale the collectives layer drives it, on synthetic link sets (sim/ only,
// so this does not wait for topology/). Each iteration starts the bundles on an idle network and
// runs the engine until all complete: the solves, the due-event heap and the engine together
// (steady state: the network's buffers are warm and nothing is allocated).
// Counters: "solves" per run, "hops" (Σ path lengths), "sim_ms" (simulated time of one run).
#include <cstdint>
#include <vector>

#include "benchmark/benchmark.h"
#include "sim/engine.h"
#include "sim/flow_network.h"
#include "sim/random.h"
#include "sim/units.h"

namespace trainsim {
namespace {

using ::trainsim::literals::operator""_GiB;
using ::trainsim::literals::operator""_MiB;
using ::trainsim::literals::operator""_us;

FlowHop Hop(uint32_t link) { return FlowHop{.link = LinkIndex{link}, .weight = 1}; }

struct Workload {
  std::vector<BytesPerSecond> capacities;
  std::vector<std::vector<FlowHop>> paths;
  std::vector<Bytes> bytes;  // per bundle
  int64_t multiplicity = 1;
  Time latency;
};

// Starts every bundle of the workload now.
void StartAll(FlowNetwork& network, const Workload& w) {
  for (size_t i = 0; i < w.paths.size(); ++i) {
    network.Start({.path = w.paths[i],
                   .bytes = w.bytes[i],
                   .multiplicity = w.multiplicity,
                   .latency = w.latency},
                  [] {});
  }
}

void RunWorkload(benchmark::State& state, const Workload& w) {
  EventEngine engine;
  FlowNetwork network(engine, w.capacities);
  size_t hops = 0;
  for (const auto& path : w.paths) hops += path.size();
  uint64_t solves = 0;
  Time sim_time;
  for (auto _ : state) {
    const uint64_t solves_before = network.solve_count();
    const Time start = engine.now();
    StartAll(network, w);
    engine.Run();
    solves = network.solve_count() - solves_before;
    sim_time = engine.now() - start;
  }
  state.counters["bundles"] = static_cast<double>(w.paths.size());
  state.counters["hops"] = static_cast<double>(hops);
  state.counters["links"] = static_cast<double>(w.capacities.size());
  state.counters["solves"] = static_cast<double>(solves);
  state.counters["sim_ms"] = sim_time.seconds() * 1e3;
}

// A 16,384-GPU cluster (2,048 DGX H100 nodes) and the data-parallel AllReduce NCCL runs on it:
// one ring per rail, 8 rings of 2,048 GPUs. Every ring edge leaves its GPU over PCIe to the
// rail's NIC, climbs to a spine over one of its leaf's 32 uplinks, descends over one of the
// destination leaf's 32 downlinks and ends over NIC and PCIe: 6 hops, 98,304 in all. A leaf
// serves 4 nodes (32 GPUs), and ECMP hashes flows onto uplinks, so some uplinks carry two or
// three rings' flows: the rings couple into one component and are paced by those collisions.
// Padding links (NVLink, unused ports) bring the table to 200,000, as a real topology would.
Workload RailRings() {
  constexpr uint32_t kGpus = 16'384, kRails = 8, kNodesPerLeaf = 4, kUplinks = 32;
  constexpr uint32_t kRing = kGpus / kRails;
  constexpr uint32_t kLeaves = kGpus / kRails / kNodesPerLeaf;
  const double nic = 50e9;   // ConnectX-7, 400 Gb/s
  const double pcie = 64e9;  // PCIe Gen5 x16, one direction
  // Link table: [pcie_up | nic_up | nic_down | pcie_down] per GPU, then leaf uplinks, spine
  // downlinks, then padding.
  const uint32_t pcie_up = 0, nic_up = kGpus, nic_down = 2 * kGpus, pcie_down = 3 * kGpus;
  const uint32_t leaf_up = 4 * kGpus, spine_down = leaf_up + kLeaves * kUplinks;
  const uint32_t used = spine_down + kLeaves * kUplinks;
  Workload w;
  for (uint32_t l = 0; l < 200'000; ++l) {
    const bool is_pcie = l < nic_up || (l >= pcie_down && l < leaf_up);
    w.capacities.emplace_back(l < used && is_pcie ? pcie : nic);
  }
  SplitMix64 ecmp(1);
  for (uint32_t rail = 0; rail < kRails; ++rail) {
    std::vector<FlowHop> path;
    for (uint32_t i = 0; i < kRing; ++i) {
      const uint32_t src = i * kRails + rail;
      const uint32_t dst = (i + 1) % kRing * kRails + rail;
      const uint32_t src_leaf = src / kRails / kNodesPerLeaf;
      const uint32_t dst_leaf = dst / kRails / kNodesPerLeaf;
      path.push_back(Hop(pcie_up + src));
      path.push_back(Hop(nic_up + src));
      path.push_back(Hop(leaf_up + src_leaf * kUplinks + ecmp.Uniform(kUplinks)));
      path.push_back(Hop(spine_down + dst_leaf * kUplinks + ecmp.Uniform(kUplinks)));
      path.push_back(Hop(nic_down + dst));
      path.push_back(Hop(pcie_down + dst));
    }
    w.paths.push_back(std::move(path));
  }
  // AllReduce of S = 1 GiB: each flow sends 2(n-1)/n·S (Patarasuk and Yuan, JPDC 2009) in
  // 2(n-1) steps; the α per step is NCCL's order of magnitude for an IB hop.
  w.bytes.assign(kRails, Bytes(2 * (kRing - 1) * (1_GiB).count() / kRing));
  w.multiplicity = kRing;
  w.latency = 2 * (kRing - 1) * 2_us;
  return w;
}

void BM_RailRingAllReduce16k(benchmark::State& state) { RunWorkload(state, RailRings()); }
BENCHMARK(BM_RailRingAllReduce16k)->Unit(benchmark::kMillisecond);

// The same, from a fresh network each time, as a caller that times one collective does: the
// link table is built and every link's list of bundles allocated anew.
void BM_RailRingAllReduce16kFreshNetwork(benchmark::State& state) {
  const Workload w = RailRings();
  for (auto _ : state) {
    EventEngine engine;
    FlowNetwork network(engine, w.capacities);
    StartAll(network, w);
    engine.Run();
    benchmark::DoNotOptimize(engine.now());
  }
}
BENCHMARK(BM_RailRingAllReduce16kFreshNetwork)->Unit(benchmark::kMillisecond);

// An all-to-all-like burst: 4,096 bundles of 4 hops over 20,000 links in four tiers of 5,000
// (think NIC up, leaf up, spine down, NIC down), each hop drawn at random within its tier, all
// started at one instant. With equal sizes (16 MiB) the rates fall on a few levels (capacity/k),
// so bundles end in waves that share solves. With skewed sizes (uniform in (0, 32 MiB], as
// uneven MoE token counts make them) every bundle ends at its own instant and re-solves: the
// case that needs solves to stay local to the change.
Workload RandomAllToAll(bool skewed) {
  constexpr uint32_t kTiers = 4, kPerTier = 5'000, kBundles = 4'096;
  Workload w;
  w.capacities.assign(kTiers * kPerTier, BytesPerSecond(50e9));
  SplitMix64 rng(2);
  for (uint32_t b = 0; b < kBundles; ++b) {
    std::vector<FlowHop> path;
    for (uint32_t t = 0; t < kTiers; ++t) path.push_back(Hop(t * kPerTier + rng.Uniform(kPerTier)));
    w.paths.push_back(std::move(path));
  }
  for (uint32_t b = 0; b < kBundles; ++b) {
    w.bytes.push_back(skewed ? Bytes(1 + rng.Uniform((32_MiB).count())) : 16_MiB);
  }
  w.latency = 5_us;
  return w;
}

void BM_RandomAllToAll4096(benchmark::State& state) { RunWorkload(state, RandomAllToAll(false)); }
BENCHMARK(BM_RandomAllToAll4096)->Unit(benchmark::kMillisecond);

void BM_SkewedAllToAll4096(benchmark::State& state) { RunWorkload(state, RandomAllToAll(true)); }
BENCHMARK(BM_SkewedAllToAll4096)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace trainsim

BENCHMARK_MAIN();
