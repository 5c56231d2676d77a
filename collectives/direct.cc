// Direct point-to-point patterns: AllToAll (every rank sends S/n to every other rank at once, as
// one bundle: the exchange ends with its slowest pair, and under the symmetric load of an
// all-to-all every pair goes at that pace anyway) and SendRecv (every rank sends S to
// the next rank). Cross-rail transfers take NCCL's PXN route (NVLink to the peer's rail first).
#include "collectives/algorithms.h"
#include "collectives/nccl_model.h"
#include "collectives/plan_builder.h"
#include "fmt/format.h"

namespace trainsim::collectives {
namespace {

class Direct final : public CollectiveAlgorithm {
 public:
  std::string_view name() const override { return "direct"; }

  StatusOr<CollectivePlan> Plan(const CollectiveRequest& request,
                                const topology::Topology& topology,
                                Protocol protocol) const override {
    if (Status s = ValidateRequest(request, topology); !s.ok()) return s;
    const CollectiveOp op = request.op;
    if (op != CollectiveOp::kAllToAll && op != CollectiveOp::kSendRecv) {
      return FailedPreconditionError(
          fmt::format("direct runs alltoall and sendrecv, not {}", OpName(op)));
    }
    const GroupLayout layout = LayoutOf(request.ranks, topology);
    const size_t n = request.ranks.size();
    const double eff = nccl::RingWireEfficiency(protocol);
    PlanPhase phase;
    if (op == CollectiveOp::kSendRecv) {
      phase.bundles.push_back(EdgesBundle(topology, request.ranks, /*closed=*/true,
                                          WireBytes(request.bytes.value(), eff), 0));
    } else {
      const Bytes wire = WireBytes(request.bytes.value() / static_cast<double>(n), eff);
      PlannedBundle bundle{.bytes = wire, .multiplicity = static_cast<int64_t>(n * (n - 1))};
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) {
          if (j == i) continue;
          AppendRoute(topology, request.ranks[i], request.ranks[j], i * n + j, bundle.path);
          bundle.flow_ends.push_back(static_cast<uint32_t>(bundle.path.size()));
        }
      }
      phase.bundles.push_back(std::move(bundle));
    }
    const double step = layout.nodes() > 1 ? nccl::kRingNetStep.of(protocol)
                                           : nccl::kRingNvlinkStep.of(protocol);
    phase.latency = nccl::Microseconds(nccl::kRingBase.of(protocol) + step);
    return CollectivePlan{.algorithm = "direct", .protocol = protocol, .phases = {std::move(phase)}};
  }
};

}  // namespace

std::unique_ptr<CollectiveAlgorithm> MakeDirect() { return std::make_unique<Direct>(); }

}  // namespace trainsim::collectives
