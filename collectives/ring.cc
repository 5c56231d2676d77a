// Ring: NCCL's bandwidth-optimal algorithm. AllReduce sends 2(n-1)/n of the buffer per rank in
// 2(n-1) steps; ReduceScatter and AllGather (n-1)/n in n-1 steps; Broadcast and Reduce pipeline
// the buffer down a chain from the root. One bundle per channel (ring), whose flows are its edges.
#include <algorithm>

#include "collectives/algorithms.h"
#include "collectives/nccl_model.h"
#include "collectives/plan_builder.h"
#include "fmt/format.h"

namespace trainsim::collectives {
namespace {

class Ring final : public CollectiveAlgorithm {
 public:
  std::string_view name() const override { return "ring"; }

  StatusOr<CollectivePlan> Plan(const CollectiveRequest& request,
                                const topology::Topology& topology,
                                Protocol protocol) const override {
    if (Status s = ValidateRequest(request, topology); !s.ok()) return s;
    const CollectiveOp op = request.op;
    if (op == CollectiveOp::kAllToAll || op == CollectiveOp::kSendRecv) {
      return FailedPreconditionError(
          fmt::format("ring does not run {}; use direct", OpName(op)));
    }
    const GroupLayout layout = LayoutOf(request.ranks, topology);
    std::vector<std::vector<int64_t>> orders = RingOrders(layout);
    const double n = static_cast<double>(layout.ranks);
    const double channels = static_cast<double>(orders.size());
    const double s = request.bytes.value();
    const bool all_reduce = op == CollectiveOp::kAllReduce;
    const bool chain = op == CollectiveOp::kBroadcast || op == CollectiveOp::kReduce;
    const double per_rank = all_reduce ? 2 * (n - 1) / n * s : chain ? s : (n - 1) / n * s;
    const Bytes wire = WireBytes(per_rank / channels, nccl::RingWireEfficiency(protocol));

    PlanPhase phase;
    for (size_t c = 0; c < orders.size(); ++c) {
      std::vector<int64_t>& order = orders[c];
      if (chain) {  // start the chain at the root
        auto root = std::find(order.begin(), order.end(), request.ranks[request.root]);
        std::rotate(order.begin(), root, order.end());
      }
      phase.bundles.push_back(EdgesBundle(topology, order, !chain, wire, c * 0x9E3779B97F4A7C15u));
    }
    // tuning.cc: latency = base + (nsteps - nInterSteps)·intraLat + nInterSteps·interLat.
    const int64_t steps = all_reduce ? 2 * (layout.ranks - 1) : layout.ranks - 1;
    const int64_t inter = all_reduce ? 2 * (layout.nodes() - 1) : layout.nodes() - 1;
    phase.latency = nccl::Microseconds(nccl::kRingBase.of(protocol) +
                                       (steps - inter) * nccl::kRingNvlinkStep.of(protocol) +
                                       inter * nccl::kRingNetStep.of(protocol));
    return CollectivePlan{.algorithm = "ring", .protocol = protocol, .phases = {std::move(phase)}};
  }
};

}  // namespace

std::unique_ptr<CollectiveAlgorithm> MakeRing() { return std::make_unique<Ring>(); }

}  // namespace trainsim::collectives
