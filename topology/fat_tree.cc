#include "topology/fat_tree.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "fmt/format.h"

namespace trainsim::topology {
namespace {

// Up ports of a switch with `down` down ports: ceil(down / o). The epsilon keeps an exact
// quotient (48 / 3) from rounding up through floating-point noise.
int UpPorts(int down, double oversubscription) {
  return static_cast<int>(std::ceil(down / oversubscription - 1e-9));
}

// The most down ports Ds of a spine with Ds + ceil(Ds / o) <= radix: the spine of a 3-tier tree.
int SpineDown(int radix, double oversubscription) {
  for (int down = radix - 1; down >= 1; --down) {
    if (down + UpPorts(down, oversubscription) <= radix) return down;
  }
  return 0;
}

// The largest divisor c of n with c <= limit (at least 1): parallel cables per switch pair, so
// that n uplinks spread evenly over n / c upper switches.
int LargestDivisorAtMost(int n, int64_t limit) {
  for (int64_t c = std::min<int64_t>(n, limit); c > 1; --c) {
    if (n % c == 0) return static_cast<int>(c);
  }
  return 1;
}

// What PlanFatTree works with, derived once from the spec.
struct Sizing {
  int64_t nodes;
  int rails;
  int nodes_per_unit;
  int radix;
  double oversubscription;
  int leaves_per_unit;
  int leaf_down;
  int leaf_up;
  int64_t units;
  int64_t leaves;

  int64_t nics() const { return nodes * rails; }
  bool LeafFits() const { return leaf_down + leaf_up <= radix; }
  bool Fits(int tiers) const {
    if (tiers == 1) return units == 1;
    return LeafFits() && leaves <= MaxLeaves(tiers, radix, oversubscription, leaves_per_unit);
  }
  // NICs a `tiers`-tier tree of these units holds: whole units only.
  int64_t CapacityNics(int tiers, double o) const {
    const int64_t max_units = MaxLeaves(tiers, radix, o, leaves_per_unit) / leaves_per_unit;
    return max_units * nodes_per_unit * rails;
  }
  std::optional<int> FewestTiers() const {
    for (int t = 1; t <= 3; ++t) {
      if (Fits(t)) return t;
    }
    return std::nullopt;
  }
};

std::string LeafPortsError(const Sizing& s) {
  return fmt::format(
      "cluster.fabric.nodes_per_unit: a leaf of a {}-node unit needs {} down + {} up ports "
      "(oversubscription {}) but switch_radix is {}; use smaller units, a higher "
      "oversubscription or a larger radix",
      s.nodes_per_unit, s.leaf_down, s.leaf_up, s.oversubscription, s.radix);
}

// Three tiers are not enough: say what they hold and the smallest whole oversubscription that
// would hold the cluster, if any.
std::string TooLargeError(const Sizing& s) {
  const int spine_down = SpineDown(s.radix, s.oversubscription);
  std::string fix = "use switches of a larger radix";
  for (int o = static_cast<int>(std::floor(s.oversubscription)) + 1; o < s.radix; ++o) {
    Sizing wider = s;
    wider.oversubscription = o;
    wider.leaf_up = UpPorts(s.leaf_down, o);
    if (wider.Fits(3)) {
      fix = fmt::format("oversubscription: {} holds {} NICs", o, wider.CapacityNics(3, o));
      break;
    }
  }
  return fmt::format(
      "cluster.fabric: {} nodes x {} NICs = {} NICs exceed 3 tiers of radix-{} switches at "
      "oversubscription {}, which hold at most {} NICs ({} pods x {} leaves x {} NICs); {}",
      s.nodes, s.rails, s.nics(), s.radix, s.oversubscription,
      s.CapacityNics(3, s.oversubscription), s.radix, spine_down, s.leaf_down, fix);
}

std::vector<std::string> CheckFields(const NodeSpec& node, const FabricSpec& fabric) {
  std::vector<std::string> errors;
  if (fabric.switch_radix < 4 || fabric.switch_radix % 2 != 0) {
    errors.push_back(fmt::format(
        "cluster.fabric.switch_radix: {} must be an even number of ports >= 4 (Quantum-2: 64)",
        fabric.switch_radix));
  }
  if (fabric.nodes_per_unit < 1) {
    errors.push_back(
        fmt::format("cluster.fabric.nodes_per_unit: {} must be >= 1", fabric.nodes_per_unit));
  }
  if (!(fabric.oversubscription >= 1.0) || !std::isfinite(fabric.oversubscription)) {
    errors.push_back(fmt::format(
        "cluster.fabric.oversubscription: {} must be >= 1 (downlink to uplink bandwidth)",
        fabric.oversubscription));
  }
  if (fabric.tiers < 0 || fabric.tiers > 3) {
    errors.push_back(fmt::format(
        "cluster.fabric.tiers: {} is not supported: 1 to 3, or 0 for the fewest that fit",
        fabric.tiers));
  }
  if (node.nics_per_node < 1) {
    errors.push_back(fmt::format(
        "cluster.node.nics_per_node: {}, but the nodes need NICs to reach the scale-out fabric",
        node.nics_per_node));
  }
  return errors;
}

}  // namespace

int64_t MaxLeaves(int tiers, int radix, double oversubscription, int leaves_per_unit) {
  TRAINSIM_CHECK(tiers >= 1 && tiers <= 3) << "tiers = " << tiers;
  switch (tiers) {
    case 1:
      return leaves_per_unit;
    case 2:
      return radix;
    default:
      return static_cast<int64_t>(radix) * SpineDown(radix, oversubscription);
  }
}

StatusOr<FatTreeShape> PlanFatTree(int64_t nodes, const NodeSpec& node, const FabricSpec& fabric) {
  if (std::vector<std::string> errors = CheckFields(node, fabric); !errors.empty()) {
    return InvalidArgumentError(fmt::format("{}", fmt::join(errors, "; ")));
  }
  const bool rail = fabric.rail_optimized;
  Sizing s{.nodes = nodes,
           .rails = node.nics_per_node,
           .nodes_per_unit = fabric.nodes_per_unit,
           .radix = fabric.switch_radix,
           .oversubscription = fabric.oversubscription,
           .leaves_per_unit = rail ? node.nics_per_node : 1,
           .leaf_down = fabric.nodes_per_unit * (rail ? 1 : node.nics_per_node)};
  s.leaf_up = UpPorts(s.leaf_down, s.oversubscription);
  s.units = (nodes + s.nodes_per_unit - 1) / s.nodes_per_unit;
  s.leaves = s.units * s.leaves_per_unit;
  if (s.leaf_down > s.radix) {
    return InvalidArgumentError(fmt::format(
        "cluster.fabric.nodes_per_unit: {} nodes x {} NICs per leaf need {} leaf ports but "
        "switch_radix is {}",
        s.nodes_per_unit, rail ? 1 : s.rails, s.leaf_down, s.radix));
  }

  const std::optional<int> fewest = s.FewestTiers();
  int tiers = fabric.tiers;
  if (tiers == 0) {
    if (!fewest) return InvalidArgumentError(s.LeafFits() ? TooLargeError(s) : LeafPortsError(s));
    tiers = *fewest;
  } else if (!s.Fits(tiers)) {
    if (tiers > 1 && !s.LeafFits()) return InvalidArgumentError(LeafPortsError(s));
    if (!fewest || *fewest < tiers) return InvalidArgumentError(TooLargeError(s));
    return InvalidArgumentError(fmt::format(
        "cluster.fabric: {} nodes x {} NICs need {} tiers of radix-{} switches; tiers: {} holds "
        "at most {} NICs",
        nodes, s.rails, *fewest, s.radix, tiers, s.CapacityNics(tiers, s.oversubscription)));
  }

  FatTreeShape shape{.tiers = tiers,
                     .rails = s.rails,
                     .nodes_per_unit = s.nodes_per_unit,
                     .units = s.units,
                     .leaves_per_unit = s.leaves_per_unit,
                     .leaves = s.leaves,
                     .leaf_down = s.leaf_down};
  if (tiers == 1) return shape;
  shape.leaf_up = s.leaf_up;
  if (tiers == 2) {
    shape.leaves_per_pod = s.leaves;
    shape.pods = 1;
    shape.leaf_spine_cables = LargestDivisorAtMost(s.leaf_up, s.radix / s.leaves);
    shape.spine_down = s.radix;
  } else {
    shape.spine_down = SpineDown(s.radix, s.oversubscription);
    shape.spine_up = UpPorts(shape.spine_down, s.oversubscription);
    shape.leaves_per_pod = std::min<int64_t>(s.leaves, shape.spine_down);
    shape.pods = (s.leaves + shape.leaves_per_pod - 1) / shape.leaves_per_pod;
    shape.leaf_spine_cables =
        LargestDivisorAtMost(s.leaf_up, shape.spine_down / shape.leaves_per_pod);
    shape.spine_core_cables = LargestDivisorAtMost(shape.spine_up, s.radix / shape.pods);
    shape.cores_per_group = shape.spine_up / shape.spine_core_cables;
  }
  shape.spines_per_pod = shape.leaf_up / shape.leaf_spine_cables;
  shape.spines = shape.pods * shape.spines_per_pod;
  shape.cores = static_cast<int64_t>(shape.spines_per_pod) * shape.cores_per_group;
  return shape;
}

}  // namespace trainsim::topology
