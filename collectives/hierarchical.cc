// Hierarchical AllReduce: reduce-scatter inside each node over NVLink, all-reduce each 1/g slice
// across nodes with a ring per rail (so inter-node traffic stays on rails), then all-gather
// inside the node. Moves 2(N-1)/N·S/g per rank across the fabric for N nodes.
#include "collectives/algorithms.h"
#include "collectives/nccl_model.h"
#include "collectives/plan_builder.h"
#include "fmt/format.h"

namespace trainsim::collectives {
namespace {

class Hierarchical final : public CollectiveAlgorithm {
 public:
  std::string_view name() const override { return "hier"; }

  StatusOr<CollectivePlan> Plan(const CollectiveRequest& request,
                                const topology::Topology& topology,
                                Protocol protocol) const override {
    if (Status s = ValidateRequest(request, topology); !s.ok()) return s;
    if (request.op != CollectiveOp::kAllReduce) {
      return FailedPreconditionError(fmt::format("hier runs allreduce only, not {}",
                                                 OpName(request.op)));
    }
    const GroupLayout layout = LayoutOf(request.ranks, topology);
    if (layout.nodes() < 2) return FailedPreconditionError("hier needs a group spanning nodes");
    if (!layout.balanced()) {
      return FailedPreconditionError("hier needs the same number of ranks on every node");
    }
    const int64_t g = static_cast<int64_t>(layout.by_node.front().size());
    const int64_t nodes = layout.nodes();
    const double s = request.bytes.value();
    const double slice = s / static_cast<double>(g);
    PlanPhase inter;
    const Bytes wire = WireBytes(2.0 * (nodes - 1) / nodes * slice,
                                 nccl::RingWireEfficiency(protocol));
    for (int64_t j = 0; j < g; ++j) {
      std::vector<int64_t> rail;
      for (const auto& node : layout.by_node) rail.push_back(node[j]);
      inter.bundles.push_back(EdgesBundle(topology, rail, /*closed=*/true, wire, j));
    }
    inter.latency = nccl::Microseconds(nccl::kRingBase.of(protocol) +
                                       2 * (nodes - 1) * nccl::kRingNetStep.of(protocol));
    CollectivePlan plan{.algorithm = "hier", .protocol = protocol};
    if (g > 1) plan.phases.push_back(LocalRingPhase(layout, topology, (g - 1.0) / g * s, g - 1, protocol));
    plan.phases.push_back(std::move(inter));
    if (g > 1) plan.phases.push_back(LocalRingPhase(layout, topology, (g - 1.0) / g * s, g - 1, protocol));
    return plan;
  }
};

}  // namespace

std::unique_ptr<CollectiveAlgorithm> MakeHierarchical() {
  return std::make_unique<Hierarchical>();
}

}  // namespace trainsim::collectives
