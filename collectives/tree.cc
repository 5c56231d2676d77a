// Double binary tree AllReduce (NCCL's Tree): two complementary binary trees each reduce half
// of the buffer up to a root and broadcast it back down, pipelined, so every tree edge carries
// S/2 each way at the same time. Latency grows with log2 of the node count instead of n.
#include <cmath>

#include "collectives/algorithms.h"
#include "collectives/nccl_model.h"
#include "collectives/plan_builder.h"
#include "fmt/format.h"

namespace trainsim::collectives {
namespace {

class Tree final : public CollectiveAlgorithm {
 public:
  std::string_view name() const override { return "tree"; }

  StatusOr<CollectivePlan> Plan(const CollectiveRequest& request,
                                const topology::Topology& topology,
                                Protocol protocol) const override {
    if (Status s = ValidateRequest(request, topology); !s.ok()) return s;
    if (request.op != CollectiveOp::kAllReduce) {
      return FailedPreconditionError(fmt::format("tree runs allreduce only, not {}",
                                                 OpName(request.op)));
    }
    const GroupLayout layout = LayoutOf(request.ranks, topology);
    const size_t n = request.ranks.size();
    const Bytes wire = WireBytes(request.bytes.value() / 2, nccl::TreeWireEfficiency(protocol));
    PlanPhase phase;
    // Tree t places rank position (i + t) mod n at heap slot i, so the two trees have different
    // interior ranks: each rank is interior in at most one of them for most group sizes.
    for (size_t t = 0; t < 2; ++t) {
      PlannedBundle bundle{.bytes = wire, .multiplicity = 2 * static_cast<int64_t>(n - 1)};
      for (size_t i = 1; i < n; ++i) {
        const int64_t child = request.ranks[(i + t) % n];
        const int64_t parent = request.ranks[((i - 1) / 2 + t) % n];
        AppendRoute(topology, child, parent, 2 * i + t, bundle.path);
        bundle.flow_ends.push_back(static_cast<uint32_t>(bundle.path.size()));
        AppendRoute(topology, parent, child, 2 * i + t + 1, bundle.path);
        bundle.flow_ends.push_back(static_cast<uint32_t>(bundle.path.size()));
      }
      phase.bundles.push_back(std::move(bundle));
    }
    // tuning.cc: base + 2·((ranks per node - 1)·intraLat + log2(nNodes)·interLat).
    const double per_node = static_cast<double>(n) / static_cast<double>(layout.nodes());
    phase.latency = nccl::Microseconds(
        nccl::kTreeBase.of(protocol) +
        2 * ((per_node - 1) * nccl::kTreeNvlinkStep.of(protocol) +
             std::log2(static_cast<double>(layout.nodes())) * nccl::kTreeNetStep.of(protocol)));
    return CollectivePlan{.algorithm = "tree", .protocol = protocol, .phases = {std::move(phase)}};
  }
};

}  // namespace

std::unique_ptr<CollectiveAlgorithm> MakeTree() { return std::make_unique<Tree>(); }

}  // namespace trainsim::collectives
