#include "workloads/pipeline_schedule.h"

#include <algorithm>

#include "sim/check.h"

namespace trainsim::workloads {
namespace {

std::vector<PipelinePass> OneFOneB(int stages, int stage, int m) {
  std::vector<PipelinePass> passes;
  passes.reserve(2 * static_cast<size_t>(m));
  const int warmup = std::min(stages - stage - 1, m);
  int next_forward = 0;
  int next_backward = 0;
  for (; next_forward < warmup; ++next_forward) passes.push_back({false, next_forward, 0});
  while (next_forward < m) {
    passes.push_back({false, next_forward++, 0});
    passes.push_back({true, next_backward++, 0});
  }
  while (next_backward < m) passes.push_back({true, next_backward++, 0});
  return passes;
}

// Megatron-LM's forward_backward_pipelining_with_interleaving: virtual micro-batch k (0 .. m·v)
// belongs to chunk (k mod p·v) / p (reversed for backward) and micro-batch
// (k / (p·v))·p + k mod p.
PipelinePass Virtual(int k, int stages, int v, bool backward) {
  const int group = stages * v;
  const int in_group = k % group;
  int chunk = in_group / stages;
  if (backward) chunk = v - 1 - chunk;
  return {backward, (k / group) * stages + in_group % stages, chunk};
}

std::vector<PipelinePass> Interleaved(int stages, int stage, int m, int v) {
  TRAINSIM_CHECK(m % stages == 0);
  const int total = m * v;
  int warmup = total;
  if (m != stages) warmup = std::min((stages - stage - 1) * 2 + (v - 1) * stages, total);
  std::vector<PipelinePass> passes;
  passes.reserve(2 * static_cast<size_t>(total));
  for (int k = 0; k < warmup; ++k) passes.push_back(Virtual(k, stages, v, false));
  const int steady = total - warmup;
  for (int i = 0; i < steady; ++i) {
    passes.push_back(Virtual(warmup + i, stages, v, false));
    passes.push_back(Virtual(i, stages, v, true));
  }
  for (int k = steady; k < total; ++k) passes.push_back(Virtual(k, stages, v, true));
  return passes;
}

}  // namespace

std::vector<PipelinePass> StagePasses(PipelineSchedule schedule, int stages, int stage,
                                      int microbatches, int virtual_stages) {
  TRAINSIM_CHECK(stages >= 1 && stage >= 0 && stage < stages && microbatches >= 1);
  switch (schedule) {
    case PipelineSchedule::kGpipe: {
      std::vector<PipelinePass> passes;
      for (int i = 0; i < microbatches; ++i) passes.push_back({false, i, 0});
      for (int i = 0; i < microbatches; ++i) passes.push_back({true, i, 0});
      return passes;
    }
    case PipelineSchedule::kOneFOneB:
      return OneFOneB(stages, stage, microbatches);
    case PipelineSchedule::kInterleavedOneFOneB:
      if (virtual_stages <= 1) return OneFOneB(stages, stage, microbatches);
      return Interleaved(stages, stage, microbatches, virtual_stages);
  }
  return {};
}

}  // namespace trainsim::workloads
