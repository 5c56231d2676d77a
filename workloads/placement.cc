#include "workloads/placement.h"

#include <algorithm>

#include "sim/check.h"

namespace trainsim::workloads {

std::string_view GroupKindName(GroupKind kind) {
  switch (kind) {
    case GroupKind::kTensor:
      return "tp";
    case GroupKind::kContext:
      return "cp";
    case GroupKind::kData:
      return "dp";
    case GroupKind::kExpert:
      return "ep";
    case GroupKind::kExpertData:
      return "edp";
    case GroupKind::kPipelineNext:
      return "pp";
  }
  return "?";
}

namespace {

int& Coord(RankCoords& c, ParallelDim d) {
  switch (d) {
    case ParallelDim::kTp:
      return c.tp;
    case ParallelDim::kCp:
      return c.cp;
    case ParallelDim::kDp:
      return c.dp;
    case ParallelDim::kPp:
      break;
  }
  return c.pp;
}

}  // namespace

int Placement::Size(ParallelDim d) const {
  switch (d) {
    case ParallelDim::kTp:
      return plan_.tp;
    case ParallelDim::kCp:
      return plan_.cp;
    case ParallelDim::kDp:
      return plan_.dp;
    case ParallelDim::kPp:
      break;
  }
  return plan_.pp;
}

Placement::Placement(const ParallelPlan& plan) : plan_(plan), ranks_(plan.gpus()) {
  TRAINSIM_CHECK(plan.tp > 0 && plan.cp > 0 && plan.dp > 0 && plan.pp > 0 && plan.ep > 0);
  TRAINSIM_CHECK((int64_t{plan.dp} * plan.cp) % plan.ep == 0);
  int64_t stride = 1;
  for (ParallelDim d : plan.order) {
    stride_[static_cast<size_t>(d)] = stride;
    stride *= Size(d);
  }
  TRAINSIM_CHECK(stride == ranks_);  // the order names every dimension once
}

int64_t Placement::Rank(const RankCoords& c) const {
  RankCoords copy = c;
  int64_t rank = 0;
  for (ParallelDim d : plan_.order) rank += Coord(copy, d) * stride_[static_cast<size_t>(d)];
  return rank;
}

RankCoords Placement::Coords(int64_t rank) const {
  RankCoords c;
  for (ParallelDim d : plan_.order) {
    Coord(c, d) = static_cast<int>(rank % Size(d));
    rank /= Size(d);
  }
  return c;
}

int Placement::GroupSize(GroupKind kind) const {
  switch (kind) {
    case GroupKind::kTensor:
      return plan_.tp;
    case GroupKind::kContext:
      return plan_.cp;
    case GroupKind::kData:
      return plan_.dp * plan_.cp;
    case GroupKind::kExpert:
      return plan_.ep;
    case GroupKind::kExpertData:
      return plan_.dp * plan_.cp / plan_.ep;
    case GroupKind::kPipelineNext:
      return 2;
  }
  return 0;
}

std::vector<int64_t> Placement::Group(GroupKind kind, int64_t rank) const {
  const RankCoords c = Coords(rank);
  std::vector<int64_t> group;
  group.reserve(static_cast<size_t>(GroupSize(kind)));
  // d: the rank's index in its DP×CP group (cp fastest, as in the rank order).
  const int d = c.cp + plan_.cp * c.dp;
  auto from_d = [&](int index) {
    RankCoords o = c;
    o.cp = index % plan_.cp;
    o.dp = index / plan_.cp;
    return Rank(o);
  };
  switch (kind) {
    case GroupKind::kTensor:
      for (int i = 0; i < plan_.tp; ++i) group.push_back(Rank({i, c.cp, c.dp, c.pp}));
      break;
    case GroupKind::kContext:
      for (int i = 0; i < plan_.cp; ++i) group.push_back(Rank({c.tp, i, c.dp, c.pp}));
      break;
    case GroupKind::kData:
      for (int i = 0; i < plan_.dp * plan_.cp; ++i) group.push_back(from_d(i));
      break;
    case GroupKind::kExpert: {
      const int first = d / plan_.ep * plan_.ep;
      for (int i = 0; i < plan_.ep; ++i) group.push_back(from_d(first + i));
      break;
    }
    case GroupKind::kExpertData:
      for (int i = d % plan_.ep; i < plan_.dp * plan_.cp; i += plan_.ep) {
        group.push_back(from_d(i));
      }
      break;
    case GroupKind::kPipelineNext:
      TRAINSIM_CHECK(c.pp + 1 < plan_.pp);
      group.push_back(rank);
      group.push_back(Rank({c.tp, c.cp, c.dp, c.pp + 1}));
      break;
  }
  return group;
}

std::vector<std::vector<int64_t>> Placement::GroupsOnStage(GroupKind kind, int stage) const {
  // One member per group (its first in ring order), so each rank on the stage is visited once.
  std::vector<std::vector<int64_t>> groups;
  const int dp_cp = plan_.dp * plan_.cp;
  auto from_d = [&](int tp, int d) {
    return Rank({tp, d % plan_.cp, d / plan_.cp, stage});
  };
  for (int tp = 0; tp < plan_.tp; ++tp) {
    for (int d = 0; d < dp_cp; ++d) {
      const int cp = d % plan_.cp;
      bool first = false;
      switch (kind) {
        case GroupKind::kTensor:
          first = tp == 0;
          break;
        case GroupKind::kContext:
          first = cp == 0;
          break;
        case GroupKind::kData:
          first = d == 0;
          break;
        case GroupKind::kExpert:
          first = d % plan_.ep == 0;
          break;
        case GroupKind::kExpertData:
          first = d < plan_.ep;
          break;
        case GroupKind::kPipelineNext:
          first = true;
          break;
      }
      if (first) groups.push_back(Group(kind, from_d(tp, d)));
    }
  }
  return groups;
}

}  // namespace trainsim::workloads
