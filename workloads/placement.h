// Placement: which GPU holds which rank of the parallel plan, and the communication groups a rank
// belongs to. Ranks follow the plan's order, by default Megatron-LM's, tensor-parallel fastest,
// then context, data and pipeline:
//
//   rank = tp + TP·(cp + CP·(dp + DP·pp))
//
// (plan.order permutes the four dimensions) and rank r runs on GPU r of the topology (node-major, topology/topology.h), so a TP group of up
// to gpus_per_node ranks sits inside one node's NVSwitch, CP and DP peers of a rank sit on the
// same local GPU index of other nodes (the same rail), and pipeline stages are blocks of nodes.
//
// Expert parallelism is carved out of the DP×CP ranks as Megatron-core does (expert tensor
// parallelism = TP): with d = cp + CP·dp the rank's index in its DP×CP group, the EP group is the
// EP consecutive d's around it, and the expert-data-parallel group (which reduces expert
// gradients) is the DP·CP/EP ranks with the same d mod EP.
#ifndef TRAINSIM_WORKLOADS_PLACEMENT_H_
#define TRAINSIM_WORKLOADS_PLACEMENT_H_

#include <cstdint>
#include <array>
#include <string_view>
#include <vector>

#include "workloads/parallel_plan.h"

namespace trainsim::workloads {

struct RankCoords {
  int tp = 0;
  int cp = 0;
  int dp = 0;
  int pp = 0;
};

enum class GroupKind : uint8_t {
  kTensor,        // TP ranks: same cp, dp, pp
  kContext,       // CP ranks: same tp, dp, pp
  kData,          // DP×CP ranks: same tp, pp (dense gradients are reduced over these)
  kExpert,        // EP ranks inside the DP×CP group
  kExpertData,    // DP·CP/EP ranks holding the same experts (expert gradients)
  kPipelineNext,  // {rank, the same coordinates on the next stage}
};
std::string_view GroupKindName(GroupKind kind);  // "tp", "cp", "dp", "ep", "edp", "pp"

class Placement {
 public:
  // REQUIRES: a validated plan (positive degrees, ep divides dp·cp).
  explicit Placement(const ParallelPlan& plan);

  int64_t ranks() const { return ranks_; }
  int64_t ranks_per_stage() const { return ranks_ / plan_.pp; }
  int64_t Rank(const RankCoords& c) const;
  RankCoords Coords(int64_t rank) const;

  // The group of `kind` that contains `rank`, in ring order. kPipelineNext needs a rank that is
  // not on the last stage.
  std::vector<int64_t> Group(GroupKind kind, int64_t rank) const;
  // Every group of `kind` whose ranks are on pipeline stage `stage` (kPipelineNext: the pairs
  // from `stage` to stage + 1), each in ring order. Together they partition the stage's ranks.
  std::vector<std::vector<int64_t>> GroupsOnStage(GroupKind kind, int stage) const;
  // Ranks in one group of `kind` (2 for kPipelineNext).
  int GroupSize(GroupKind kind) const;

 private:
  int Size(ParallelDim d) const;

  ParallelPlan plan_;
  int64_t ranks_;
  std::array<int64_t, 4> stride_{};  // by ParallelDim
};

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_PLACEMENT_H_
