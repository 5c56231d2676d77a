// Constants of NCCL's own performance model, which trainsim's collectives follow "in spirit":
// per-protocol base latencies, per-step hardware latencies, protocol bandwidth factors and the
// achievable fraction of each link type. Sources: NVIDIA/nccl src/graph/tuning.cc and
// src/graph/topo.h (commit 5067397c, 2026-06-11), transcribed in shared/data/collectives.md §7.4;
// link-level framing from the InfiniBand and PCIe specifications. None of these is fitted to the
// nccl-tests measurements that trainsim's collectives are checked against.
#ifndef TRAINSIM_COLLECTIVES_NCCL_MODEL_H_
#define TRAINSIM_COLLECTIVES_NCCL_MODEL_H_

#include "collectives/collective.h"
#include "sim/units.h"
#include "topology/topology.h"

namespace trainsim::collectives::nccl {

// Microseconds for [LL, LL128, Simple].
struct ProtocolTimes {
  double ll;
  double ll128;
  double simple;
  double of(Protocol p) const {
    switch (p) {
      case Protocol::kLL:
        return ll;
      case Protocol::kLL128:
        return ll128;
      case Protocol::kSimple:
        return simple;
    }
    return simple;
  }
};

// tuning.cc baseLat.
inline constexpr ProtocolTimes kRingBase{6.6, 14.0, 8.4};
inline constexpr ProtocolTimes kTreeBase{6.8, 14.0, 8.4};
// tuning.cc hwLat, per step: NVLink and NET rows.
inline constexpr ProtocolTimes kRingNvlinkStep{0.6, 1.9, 3.4};
inline constexpr ProtocolTimes kRingNetStep{2.7, 4.0, 14.0};
inline constexpr ProtocolTimes kTreeNvlinkStep{0.6, 1.25, 4.0};
inline constexpr ProtocolTimes kTreeNetStep{5.0, 8.5, 14.0};
inline constexpr double kNvlsNvlinkUs = 25.0;        // NVLS, Simple only
inline constexpr double kNvlsNetUs = 18.0;
inline constexpr double kCollNetDirectNvlinkUs = 3.7;  // SHARP (CollNetDirect), Simple only
inline constexpr double kCollNetDirectNetUs = 31.0;

// Protocol bandwidth factors: the payload share of what crosses the wire. Ring: LL 0.5 (a flag
// per 4 data bytes), LL128 0.92, Simple 1. Tree AllReduce: 0.92 for LL128 and Simple, LL 1/3.8.
inline double RingWireEfficiency(Protocol p) { return ProtocolTimes{0.5, 0.92, 1.0}.of(p); }
inline double TreeWireEfficiency(Protocol p) { return ProtocolTimes{1 / 3.8, 0.92, 0.92}.of(p); }
// nvlsEfficiency[Hopper] and the CollNetDirect factor on Hopper.
inline constexpr double kNvlsEfficiency = 0.85;
inline constexpr double kCollNetEfficiency = 0.85;

// Achievable fraction of a link's line rate.
//  NVLink: topo.h models an SM90 NVLink4 link at 20.6 GB/s of its 25 GB/s line rate (18 links:
//    370.8 GB/s per H100).
//  InfiniBand: 4096-byte MTU payload per packet of 4096 + 26 bytes (LRH 8, BTH 12, ICRC 4, VCRC 2).
//  PCIe Gen5: 256-byte max payload per TLP with about 24 bytes of TLP/DLLP framing.
double LinkEfficiency(topology::LinkTier tier);

inline Time Microseconds(double us) { return Time::FromSeconds(us * 1e-6); }

}  // namespace trainsim::collectives::nccl

#endif  // TRAINSIM_COLLECTIVES_NCCL_MODEL_H_
