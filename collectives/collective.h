// Collectives as flow schedules. A CollectiveRequest (op, group of ranks, size) is planned by a
// CollectiveAlgorithm into a CollectivePlan: phases that run one after another, each a set of
// flow bundles started together (sim/flow_network.h) with the phase's α latency. A ring's
// 2(n-1) steps are one bundle whose flows are the ring's edges, so the ring runs at the pace of
// its slowest edge; in-network reductions (NVLS, SHARP) are bundles through switch reduction
// engines.
//
// Sizes follow nccl-tests: `bytes` is the per-rank buffer (AllReduce, Broadcast, Reduce,
// SendRecv) or the whole gathered/scattered buffer (AllGather, ReduceScatter, AllToAll). Plans
// carry bytes on the wire: payload divided by the protocol's efficiency (LL sends a flag with
// every 4 data bytes, so twice the payload). Constants come from NCCL's tuning model
// (collectives/nccl_model.h), not from the measurements trainsim is checked against.
#ifndef TRAINSIM_COLLECTIVES_COLLECTIVE_H_
#define TRAINSIM_COLLECTIVES_COLLECTIVE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/flow_network.h"
#include "sim/status.h"
#include "sim/units.h"
#include "topology/topology.h"

namespace trainsim::collectives {

enum class CollectiveOp : uint8_t {
  kAllReduce,
  kReduceScatter,
  kAllGather,
  kBroadcast,
  kReduce,
  kAllToAll,
  kSendRecv,
};
std::string_view OpName(CollectiveOp op);  // "allreduce", "reducescatter", ...
StatusOr<CollectiveOp> ParseOp(std::string_view name);

// nccl-tests' bus-bandwidth factor: busbw = algbw × factor(n).
double BusBandwidthFactor(CollectiveOp op, int64_t ranks);

// NCCL's protocols: LL (8-byte stores carrying 4 data bytes and a flag), LL128 (128-byte lines
// with an 8-byte flag) and Simple (bulk copies with a fence per step).
enum class Protocol : uint8_t { kLL, kLL128, kSimple };
std::string_view ProtocolName(Protocol p);

struct CollectiveRequest {
  CollectiveOp op = CollectiveOp::kAllReduce;
  std::vector<int64_t> ranks;  // distinct, in ring order
  Bytes bytes;
  int root = 0;  // index into ranks (Broadcast, Reduce)
};

struct PlannedBundle {
  std::vector<FlowHop> path;
  Bytes bytes;  // per flow, on the wire
  int64_t multiplicity = 1;
  // Point-to-point bundles: where each flow's route ends in `path` (flow i is
  // path[flow_ends[i-1] .. flow_ends[i])), for backends that route flows one by one (SimGrid).
  // Empty for an in-network reduction tree, which such backends run as one parallel task.
  std::vector<uint32_t> flow_ends;
};

struct PlanPhase {
  std::vector<PlannedBundle> bundles;
  Time latency;  // α of the phase, added once its bytes are through
};

struct CollectivePlan {
  std::string algorithm;
  Protocol protocol = Protocol::kSimple;
  std::vector<PlanPhase> phases;
};

// One algorithm (ring, tree, NVLS, SHARP, hierarchical, direct). Implementations are small
// classes registered by name; callers never list them.
class CollectiveAlgorithm {
 public:
  virtual ~CollectiveAlgorithm() = default;
  virtual std::string_view name() const = 0;
  // A plan for `request` with `protocol`, or why this algorithm cannot run it on `topology`
  // (kFailedPrecondition; kInvalidArgument for a malformed request).
  virtual StatusOr<CollectivePlan> Plan(const CollectiveRequest& request,
                                        const topology::Topology& topology,
                                        Protocol protocol) const = 0;
};

// Every algorithm, in a fixed order: ring, tree, nvls, sharp, hier, direct.
const std::vector<std::unique_ptr<CollectiveAlgorithm>>& Algorithms();
// By name; "auto" is not an algorithm (see TuneCollective). Unknown names list the valid ones.
StatusOr<const CollectiveAlgorithm*> FindAlgorithm(std::string_view name);

// Checks ranks (non-empty, distinct, inside the topology) and sizes. Shared by all algorithms.
Status ValidateRequest(const CollectiveRequest& request, const topology::Topology& topology);

}  // namespace trainsim::collectives

#endif  // TRAINSIM_COLLECTIVES_COLLECTIVE_H_
