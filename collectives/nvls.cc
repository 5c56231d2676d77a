// NVLS (NVLink SHARP) AllReduce inside an NVLink domain. Each rank reduces its 1/n slice in the
// switch (multimem.ld_reduce: it sends S in all, receives S/n) and multicasts the reduced slice
// (multimem.st: sends S/n, receives S), so each GPU link carries S(1 + 1/n) each way instead of
// the ring's 2(n-1)/n·S: about half for large groups, the in-network doubling of Hot Chips 2023.
#include "collectives/algorithms.h"
#include "collectives/nccl_model.h"
#include "collectives/plan_builder.h"
#include "fmt/format.h"

namespace trainsim::collectives {
namespace {

class Nvls final : public CollectiveAlgorithm {
 public:
  std::string_view name() const override { return "nvls"; }

  StatusOr<CollectivePlan> Plan(const CollectiveRequest& request,
                                const topology::Topology& topology,
                                Protocol protocol) const override {
    if (Status s = ValidateRequest(request, topology); !s.ok()) return s;
    if (request.op != CollectiveOp::kAllReduce) {
      return FailedPreconditionError(fmt::format("nvls runs allreduce only, not {}",
                                                 OpName(request.op)));
    }
    if (protocol != Protocol::kSimple) {
      return FailedPreconditionError("nvls runs with the Simple protocol only");
    }
    StatusOr<std::vector<FlowHop>> tree = topology.NvlsTree(request.ranks);
    if (!tree.ok()) return FailedPreconditionError(tree.status().message());
    const double n = static_cast<double>(request.ranks.size());
    PlannedBundle bundle{
        .path = std::move(*tree),
        .bytes = WireBytes(request.bytes.value() * (1 + 1 / n), nccl::kNvlsEfficiency),
        .multiplicity = static_cast<int64_t>(request.ranks.size())};
    PlanPhase phase{.latency = nccl::Microseconds(nccl::kNvlsNvlinkUs)};
    phase.bundles.push_back(std::move(bundle));
    return CollectivePlan{.algorithm = "nvls", .protocol = protocol, .phases = {std::move(phase)}};
  }
};

}  // namespace

std::unique_ptr<CollectiveAlgorithm> MakeNvls() { return std::make_unique<Nvls>(); }

}  // namespace trainsim::collectives
