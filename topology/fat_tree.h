// FatTreeShape: the sizes of the scale-out fabric, a rail-optimised folded-Clos fat-tree of
// 1 to 3 switch tiers, planned from a node count and a FabricSpec before any vertex exists. The
// layout follows the DGX SuperPOD reference as shared/notes/simgrid.md §2.1 models it:
//
//  * Scalable units of `nodes_per_unit` nodes. Rail-optimised: one leaf per rail per unit, NIC k
//    of every node in the unit on leaf (unit, k); otherwise one leaf per unit takes all its NICs.
//    Leaves are numbered rail-major (leaf = rail·units + unit), so a rail is a contiguous run.
//  * Every switch with uplinks has `d` down ports and u = ceil(d / o) up ports, o being
//    fabric.oversubscription; d + u <= radix. A leaf's d is its unit's NIC count.
//  * 1 tier: one unit; its leaves are not joined (rails are islands, reached through PXN).
//  * 2 tiers: every leaf reaches every spine over c parallel cables, c the largest divisor of u
//    with leaves·c <= radix (fewest spines: 4 units of DGX H100 -> 32 leaves, 16 spines).
//  * 3 tiers: pods of P = min(leaves, Ds) consecutive leaves and u/c spines, Ds + ceil(Ds/o) <=
//    radix being the most down ports a spine can have; spine s of every pod joins core group s
//    (Us = ceil(Ds/o) uplinks over c' parallel cables to each of Us/c' cores, c' the largest
//    divisor of Us with pods·c' <= radix).
//
// Capacity, in leaves (the formulas behind every "fabric too small" error; R = radix):
//   1 tier: the leaves of one unit; 2 tiers: R; 3 tiers: R·Ds, Ds = R/2 at o = 1.
// In NICs that is floor(max leaves / leaves per unit) units of nodes_per_unit·rails NICs: with
// R = 64 and 32-node units of 8 rails, 2 tiers hold 2,048 NICs and 3 tiers R³/4 = 65,536 at
// o = 1, or 64·48·32 = 98,304 at o = 3 (spines 48 down + 16 up).
#ifndef TRAINSIM_TOPOLOGY_FAT_TREE_H_
#define TRAINSIM_TOPOLOGY_FAT_TREE_H_

#include <cstdint>

#include "sim/status.h"
#include "topology/cluster_spec.h"

namespace trainsim::topology {

struct FatTreeShape {
  int tiers = 0;  // 0: no scale-out fabric
  int rails = 0;  // NICs per node
  int nodes_per_unit = 0;
  int64_t units = 0;        // ceil(nodes / nodes_per_unit); the last may be partly filled
  int leaves_per_unit = 0;  // rails when rail-optimised, else 1
  int64_t leaves = 0;       // units · leaves_per_unit
  int leaf_down = 0;        // NIC ports per leaf: nodes_per_unit (· rails unless rail-optimised)
  int leaf_up = 0;          // ceil(leaf_down / o); 0 with one tier
  int64_t leaves_per_pod = 0;  // 2 tiers: all leaves; 3 tiers: min(leaves, spine_down)
  int64_t pods = 0;            // 1 with two tiers
  int leaf_spine_cables = 0;   // parallel cables between a leaf and each spine of its pod
  int spines_per_pod = 0;      // leaf_up / leaf_spine_cables
  int64_t spines = 0;          // pods · spines_per_pod
  int spine_down = 0;          // 3 tiers: leaf ports per spine (Ds); 2 tiers: radix
  int spine_up = 0;            // 3 tiers: ceil(spine_down / o); 2 tiers: 0
  int spine_core_cables = 0;   // parallel cables between a spine and each core of its group
  int cores_per_group = 0;     // spine_up / spine_core_cables
  int64_t cores = 0;           // spines_per_pod · cores_per_group

  int64_t switches() const { return leaves + spines + cores; }
};

// The most leaves `tiers` tiers of radix-`radix` switches at oversubscription `o` join (see the
// header comment); 0 when no spine fits the radix. REQUIRES: tiers in 1..3.
int64_t MaxLeaves(int tiers, int radix, double oversubscription, int leaves_per_unit);

// Plans the fat-tree joining `nodes` nodes of `node.nics_per_node` NICs. fabric.tiers = 0 picks
// the fewest tiers that fit. Errors (kInvalidArgument) name the field, the numbers and the fix:
// a radix that is zero, odd or too small for a unit, too few tiers, more NICs than three tiers
// hold (naming the oversubscription that would fit them).
StatusOr<FatTreeShape> PlanFatTree(int64_t nodes, const NodeSpec& node, const FabricSpec& fabric);

}  // namespace trainsim::topology

#endif  // TRAINSIM_TOPOLOGY_FAT_TREE_H_
