// Pipeline schedules: the order in which one pipeline stage runs the forward and backward passes
// of its micro-batches, as Megatron-LM issues them.
//  * GPipe: every forward, then every backward (Huang et al. 2019).
//  * 1F1B (PipeDream-Flush, Narayanan et al. 2021): stage s runs min(p − s − 1, m) warm-up
//    forwards, then alternates one forward and one backward, then drains the backwards.
//  * Interleaved 1F1B (Narayanan et al. SC'21 §2.2.2): each stage holds v model chunks (stage s
//    holds chunks s, s + p, ... of the layer sequence); micro-batches go through the chunks in
//    groups of p; warm-up is (p − s − 1)·2 + (v − 1)·p forwards (all of them when m = p).
// The bubble this yields is (p − 1)/(m + p − 1) of the step for 1F1B and GPipe, and v times
// smaller for the interleaved schedule, when every pass takes the same time; the simulation
// computes it rather than assuming it.
#ifndef TRAINSIM_WORKLOADS_PIPELINE_SCHEDULE_H_
#define TRAINSIM_WORKLOADS_PIPELINE_SCHEDULE_H_

#include <cstdint>
#include <vector>

#include "workloads/parallel_plan.h"

namespace trainsim::workloads {

struct PipelinePass {
  bool backward = false;
  int microbatch = 0;
  int chunk = 0;  // model chunk on this stage, 0 .. v − 1
};

// The passes stage `stage` of `stages` runs, in order: 2·m·v of them (v = 1 unless interleaved).
// REQUIRES: 0 <= stage < stages, microbatches >= 1; interleaved: microbatches % stages == 0.
std::vector<PipelinePass> StagePasses(PipelineSchedule schedule, int stages, int stage,
                                      int microbatches, int virtual_stages);

}  // namespace trainsim::workloads

#endif  // TRAINSIM_WORKLOADS_PIPELINE_SCHEDULE_H_
