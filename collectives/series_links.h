// Links in series: links that the same bundles cross, each bundle with the same weight on all of
// them. A node's NVLink ports are the common case: every TP collective of the node crosses all
// sixteen (eight up, eight down) once, and nothing else crosses any of them; a GPU's PCIe link
// to its NIC and that NIC's leaf port carry the same flows too.
//
// At every instant such links carry the same bundles with the same weights, so they fill up
// together and the narrowest saturates first: the others never limit anyone, and the max-min
// fair rates are those of a network without them. Merging each set into its narrowest link (the
// lowest index among equals) gives the same rates, finish times and per-link bytes (a merged
// link carried exactly what its representative did) at a fraction of the hops: a TP ring of
// eight GPUs becomes one hop instead of sixteen. (FlowNetwork's solves re-fill bundles by how
// many links they cross, so a long run may differ from the unmerged one by the solver's
// rounding, see FlowNetwork.)
//
// The sets come from the plans alone, so the merge holds for every way the plans may run and
// overlap. A plan that is not in `plans` must not run on the merged network.
#ifndef TRAINSIM_COLLECTIVES_SERIES_LINKS_H_
#define TRAINSIM_COLLECTIVES_SERIES_LINKS_H_

#include <cstdint>
#include <span>
#include <vector>

#include "collectives/collective.h"
#include "sim/units.h"

namespace trainsim::collectives {

// Rewrites every bundle's path in `plans` so that it names each set of links in series once, by
// its representative, where the set's first link stood; weights are kept. Returns, for every
// link, its representative (itself if it is in series with no other). Bundles lose their
// flow_ends, which name positions in the old paths.
// REQUIRES: each path names a link at most once (as FlowNetwork::Start leaves it); every link
// index < capacities.size().
std::vector<uint32_t> MergeSeriesLinks(std::span<CollectivePlan> plans,
                                       std::span<const BytesPerSecond> capacities);

}  // namespace trainsim::collectives

#endif  // TRAINSIM_COLLECTIVES_SERIES_LINKS_H_
