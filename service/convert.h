// Planner results (planner/sweep.h, planner/optimize.h) as trainsim.v1 messages, field for field.
#ifndef TRAINSIM_SERVICE_CONVERT_H_
#define TRAINSIM_SERVICE_CONVERT_H_

#include <cstdint>

#include "planner/optimize.h"
#include "planner/sweep.h"
#include "trainsim/v1/planner.pb.h"
#include "workloads/parallel_plan.h"

namespace trainsim::service {

// `points` is the number of points of the whole study.
v1::SweepRow SweepRowToProto(const planner::SweepRow& row, int64_t points);

// Every member of the plan, in the scenario file's terms (order "tp-cp-dp-pp", "1f1b", ...).
v1::Parallelism ParallelismToProto(const workloads::ParallelPlan& plan);

// `rank` 1 = best; 0 for the scenario's own plan.
v1::RankedPlan CandidateToProto(const planner::Candidate& candidate, int rank);

v1::OptimizeResponse OptimizeResultToProto(const planner::OptimizeResult& result);

}  // namespace trainsim::service

#endif  // TRAINSIM_SERVICE_CONVERT_H_
