// SHARP AllReduce on InfiniBand (NCCL's CollNet): the switches reduce in the network, so each
// NIC sends S up and receives S down instead of the ring's 2(n-1)/n·S. A group with one rank per
// node is reduced directly; a group with g ranks per node first reduce-scatters inside each node
// (NVLink), reduces each 1/g slice over its rail with SHARP, then all-gathers inside the node.
#include "collectives/algorithms.h"
#include "collectives/nccl_model.h"
#include "collectives/plan_builder.h"
#include "fmt/format.h"

namespace trainsim::collectives {
namespace {

class Sharp final : public CollectiveAlgorithm {
 public:
  std::string_view name() const override { return "sharp"; }

  StatusOr<CollectivePlan> Plan(const CollectiveRequest& request,
                                const topology::Topology& topology,
                                Protocol protocol) const override {
    if (Status s = ValidateRequest(request, topology); !s.ok()) return s;
    if (request.op != CollectiveOp::kAllReduce) {
      return FailedPreconditionError(fmt::format("sharp runs allreduce only, not {}",
                                                 OpName(request.op)));
    }
    if (protocol != Protocol::kSimple) {
      return FailedPreconditionError("sharp runs with the Simple protocol only");
    }
    const GroupLayout layout = LayoutOf(request.ranks, topology);
    if (layout.nodes() < 2) return FailedPreconditionError("sharp needs a group spanning nodes");
    if (!layout.balanced()) {
      return FailedPreconditionError("sharp needs the same number of ranks on every node");
    }
    const int64_t g = static_cast<int64_t>(layout.by_node.front().size());
    const double s = request.bytes.value();
    PlanPhase inter{.latency = nccl::Microseconds(nccl::kCollNetDirectNvlinkUs +
                                                  nccl::kCollNetDirectNetUs)};
    for (int64_t j = 0; j < g; ++j) {  // one SHARP tree per local index (rail)
      std::vector<int64_t> rail;
      for (const auto& node : layout.by_node) rail.push_back(node[j]);
      StatusOr<std::vector<FlowHop>> tree = topology.SharpTree(rail);
      if (!tree.ok()) return FailedPreconditionError(tree.status().message());
      inter.bundles.push_back(
          PlannedBundle{.path = std::move(*tree),
                        .bytes = WireBytes(s / static_cast<double>(g), nccl::kCollNetEfficiency),
                        .multiplicity = layout.nodes()});
    }
    CollectivePlan plan{.algorithm = "sharp", .protocol = protocol};
    if (g > 1) plan.phases.push_back(LocalRingPhase(layout, topology, (g - 1.0) / g * s, g - 1, protocol));
    plan.phases.push_back(std::move(inter));
    if (g > 1) plan.phases.push_back(LocalRingPhase(layout, topology, (g - 1.0) / g * s, g - 1, protocol));
    return plan;
  }
};

}  // namespace

std::unique_ptr<CollectiveAlgorithm> MakeSharp() { return std::make_unique<Sharp>(); }

}  // namespace trainsim::collectives
