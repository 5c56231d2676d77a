// The Chrome Trace Event format (the JSON that chrome://tracing and Perfetto open) for one
// simulated step (workloads::StepTimeline):
//  * a process per pipeline stage ("stage 2"), and in it a thread per simulated stream (a rank
//    class, or a replica with --expand) and kind of work: "compute" for forward, backward,
//    recompute and optimizer kernels, then one lane per communication kind that the stream
//    issues (tp, cp, ep, pp, dp); complete events ("ph": "X") with `ts` and `dur` in
//    microseconds, named after the op ("backward", "dp reducescatter 73.5 MiB");
//  * flow arrows ("ph": "s" / "f", bound to the enclosing slices) from each PP send to the node
//    on the next stage that waited for it;
//  * counters ("ph": "C"): the mean utilisation of each link tier over time (every
//    communication node's bytes on the tier, spread over its duration, over the capacity of the
//    tier's links that the step uses: averaged over the step, the report's mean utilisation
//    of the tier) in a "cluster" process, and each stream's power per GPU in watts (an op's energy
//    over its duration while it runs, static power between ops).
// Gaps in a compute lane are the pipeline bubble and exposed communication; DP buckets
// overlapping backward show in the dp lane. Events are sorted by time, metadata first.
#ifndef TRAINSIM_DASHBOARDS_TRACE_H_
#define TRAINSIM_DASHBOARDS_TRACE_H_

#include <string>

#include "workloads/step.h"

namespace trainsim::dashboards {

std::string ChromeTraceJson(const workloads::StepTimeline& timeline, const std::string& title);

}  // namespace trainsim::dashboards

#endif  // TRAINSIM_DASHBOARDS_TRACE_H_
