#include "service/convert.h"

#include <string>

namespace trainsim::service {
namespace {

v1::Parallelism::Schedule ScheduleToProto(workloads::PipelineSchedule schedule) {
  switch (schedule) {
    case workloads::PipelineSchedule::kGpipe:
      return v1::Parallelism::SCHEDULE_GPIPE;
    case workloads::PipelineSchedule::kOneFOneB:
      return v1::Parallelism::SCHEDULE_1F1B;
    case workloads::PipelineSchedule::kInterleavedOneFOneB:
      return v1::Parallelism::SCHEDULE_INTERLEAVED_1F1B;
  }
  return v1::Parallelism::SCHEDULE_UNSPECIFIED;
}

v1::Parallelism::Recompute RecomputeToProto(workloads::Recompute recompute) {
  switch (recompute) {
    case workloads::Recompute::kNone:
      return v1::Parallelism::RECOMPUTE_NONE;
    case workloads::Recompute::kSelective:
      return v1::Parallelism::RECOMPUTE_SELECTIVE;
    case workloads::Recompute::kFull:
      return v1::Parallelism::RECOMPUTE_FULL;
  }
  return v1::Parallelism::RECOMPUTE_UNSPECIFIED;
}

std::string_view DimName(workloads::ParallelDim dim) {
  switch (dim) {
    case workloads::ParallelDim::kTp:
      return "tp";
    case workloads::ParallelDim::kCp:
      return "cp";
    case workloads::ParallelDim::kDp:
      return "dp";
    case workloads::ParallelDim::kPp:
      return "pp";
  }
  return "?";
}

}  // namespace

v1::SweepRow SweepRowToProto(const planner::SweepRow& row, int64_t points) {
  v1::SweepRow out;
  out.set_point(row.point);
  out.set_points(points);
  for (const planner::KnobValue& knob : row.knobs) {
    v1::KnobValue& k = *out.add_knobs();
    k.set_path(knob.path);
    k.set_value(knob.value);
  }
  out.set_ok(row.ok);
  out.set_error(row.error);
  out.set_step_time_s(row.step_time_s);
  out.set_mfu(row.mfu);
  out.set_tokens_per_s(row.tokens_per_s);
  out.set_peak_memory_gib(row.peak_memory_gib);
  out.set_energy_per_step_j(row.energy_per_step_j);
  out.set_avg_power_w(row.avg_power_w);
  out.set_cost_per_step_usd(row.cost_per_step_usd);
  out.set_time_to_train_s(row.time_to_train_s);
  out.set_bound_by(row.bound_by);
  return out;
}

v1::Parallelism ParallelismToProto(const workloads::ParallelPlan& plan) {
  v1::Parallelism out;
  out.set_tp(plan.tp);
  out.set_pp(plan.pp);
  out.set_dp(plan.dp);
  out.set_cp(plan.cp);
  out.set_ep(plan.ep);
  out.set_virtual_stages(plan.virtual_stages);
  out.set_sequence_parallel(plan.sequence_parallel);
  out.set_schedule(ScheduleToProto(plan.schedule));
  out.set_microbatch_size(plan.microbatch_size);
  out.set_zero_stage(plan.zero_stage);
  out.set_recompute(RecomputeToProto(plan.recompute));
  out.set_dp_overlap(plan.dp_overlap);
  out.set_tp_overlap(plan.tp_overlap);
  out.set_pp_overlap(plan.pp_overlap);
  out.set_first_stage_layers(plan.first_stage_layers);
  out.set_last_stage_layers(plan.last_stage_layers);
  std::string order;
  for (workloads::ParallelDim dim : plan.order) {
    if (!order.empty()) order += '-';
    order += DimName(dim);
  }
  out.set_order(order);
  return out;
}

v1::RankedPlan CandidateToProto(const planner::Candidate& candidate, int rank) {
  v1::RankedPlan out;
  out.set_rank(rank);
  out.set_label(planner::PlanLabel(candidate.plan));
  *out.mutable_parallelism() = ParallelismToProto(candidate.plan);
  out.set_step_time_s(candidate.step_time_s);
  out.set_mfu(candidate.mfu);
  out.set_tokens_per_s(candidate.tokens_per_s);
  out.set_peak_memory_gib(candidate.peak_memory_gib);
  out.set_energy_per_step_j(candidate.energy_per_step_j);
  out.set_cost_per_step_usd(candidate.cost_per_step_usd);
  out.set_objective_value(candidate.objective);
  out.set_step_time_bound_s(candidate.step_time_bound_s);
  return out;
}

v1::OptimizeResponse OptimizeResultToProto(const planner::OptimizeResult& result) {
  v1::OptimizeResponse out;
  int rank = 0;
  for (const planner::Candidate& c : result.top) *out.add_plans() = CandidateToProto(c, ++rank);
  if (result.scenario_plan)
    *out.mutable_scenario_plan() = CandidateToProto(*result.scenario_plan, 0);
  out.set_considered(result.considered);
  out.set_pruned(result.pruned);
  out.set_infeasible(result.infeasible);
  out.set_simulated(result.simulated);
  out.set_invalid(result.invalid);
  out.set_out_of_memory(result.out_of_memory);
  return out;
}

}  // namespace trainsim::service
