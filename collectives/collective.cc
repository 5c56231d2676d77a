#include "collectives/collective.h"

#include <algorithm>
#include <array>
#include <unordered_set>

#include "collectives/algorithms.h"
#include "fmt/format.h"

namespace trainsim::collectives {
namespace {

constexpr std::array<std::pair<CollectiveOp, std::string_view>, 7> kOpNames = {{
    {CollectiveOp::kAllReduce, "allreduce"},
    {CollectiveOp::kReduceScatter, "reducescatter"},
    {CollectiveOp::kAllGather, "allgather"},
    {CollectiveOp::kBroadcast, "broadcast"},
    {CollectiveOp::kReduce, "reduce"},
    {CollectiveOp::kAllToAll, "alltoall"},
    {CollectiveOp::kSendRecv, "sendrecv"},
}};

}  // namespace

std::string_view OpName(CollectiveOp op) {
  for (const auto& [o, name] : kOpNames) {
    if (o == op) return name;
  }
  return "?";
}

StatusOr<CollectiveOp> ParseOp(std::string_view name) {
  std::string names;
  for (const auto& [op, n] : kOpNames) {
    if (n == name) return op;
    names += names.empty() ? std::string(n) : ", " + std::string(n);
  }
  return InvalidArgumentError(fmt::format("unknown collective \"{}\"; expected one of {}", name,
                                          names));
}

double BusBandwidthFactor(CollectiveOp op, int64_t ranks) {
  // nccl-tests doc/PERFORMANCE.md.
  const double n = static_cast<double>(ranks);
  switch (op) {
    case CollectiveOp::kAllReduce:
      return 2 * (n - 1) / n;
    case CollectiveOp::kReduceScatter:
    case CollectiveOp::kAllGather:
    case CollectiveOp::kAllToAll:
      return (n - 1) / n;
    case CollectiveOp::kBroadcast:
    case CollectiveOp::kReduce:
    case CollectiveOp::kSendRecv:
      return 1.0;
  }
  return 1.0;
}

std::string_view ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kLL:
      return "LL";
    case Protocol::kLL128:
      return "LL128";
    case Protocol::kSimple:
      return "Simple";
  }
  return "?";
}

const std::vector<std::unique_ptr<CollectiveAlgorithm>>& Algorithms() {
  static const std::vector<std::unique_ptr<CollectiveAlgorithm>> all = [] {
    std::vector<std::unique_ptr<CollectiveAlgorithm>> v;
    v.push_back(MakeRing());
    v.push_back(MakeTree());
    v.push_back(MakeNvls());
    v.push_back(MakeSharp());
    v.push_back(MakeHierarchical());
    v.push_back(MakeDirect());
    return v;
  }();
  return all;
}

StatusOr<const CollectiveAlgorithm*> FindAlgorithm(std::string_view name) {
  std::string names;
  for (const auto& a : Algorithms()) {
    if (a->name() == name) return a.get();
    names += names.empty() ? std::string(a->name()) : ", " + std::string(a->name());
  }
  return InvalidArgumentError(
      fmt::format("unknown algorithm \"{}\"; expected auto or one of {}", name, names));
}

Status ValidateRequest(const CollectiveRequest& request, const topology::Topology& topology) {
  const int64_t n = static_cast<int64_t>(request.ranks.size());
  if (n < 2) return InvalidArgumentError(fmt::format("a collective needs at least 2 ranks, got {}", n));
  if (n > topology.gpus()) {
    return InvalidArgumentError(fmt::format("the group has {} ranks but the cluster has {} GPUs", n,
                                            topology.gpus()));
  }
  std::unordered_set<int64_t> seen;
  for (int64_t r : request.ranks) {
    if (r < 0 || r >= topology.gpus()) {
      return InvalidArgumentError(fmt::format("rank {} is outside the cluster's {} GPUs", r,
                                              topology.gpus()));
    }
    if (!seen.insert(r).second) return InvalidArgumentError(fmt::format("rank {} appears twice", r));
  }
  if (request.bytes.count() < 0) return InvalidArgumentError("the size must not be negative");
  if (request.root < 0 || request.root >= n) {
    return InvalidArgumentError(fmt::format("root {} is not an index into the {} ranks",
                                            request.root, n));
  }
  return OkStatus();
}

}  // namespace trainsim::collectives
