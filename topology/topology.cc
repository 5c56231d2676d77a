#include "topology/topology.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "fmt/ranges.h"

namespace trainsim::topology {
namespace {

std::string_view FabricKindName(FabricKind kind) {
  switch (kind) {
    case FabricKind::kNone:
      return "none";
    case FabricKind::kInfiniband:
      return "infiniband";
    case FabricKind::kEthernet:
      return "ethernet";
  }
  return "?";
}

void RequirePositive(BytesPerSecond rate, std::string_view field,
                     std::vector<std::string>& errors) {
  if (!(rate.value() > 0)) {
    errors.push_back(fmt::format("{} must be > 0, got {}", field, ToString(rate)));
  }
}

void RequireNonNegative(Time t, std::string_view field, std::vector<std::string>& errors) {
  if (t < Time::Zero())
    errors.push_back(fmt::format("{} must be >= 0, got {}", field, ToString(t)));
}

// Checks what the graph needs of the spec; returns the fat-tree (tiers = 0 when the cluster is
// one NVLink domain and needs no scale-out fabric). All problems are collected.
StatusOr<FatTreeShape> Validate(const ClusterSpec& spec) {
  std::vector<std::string> errors;
  const NodeSpec& node = spec.node;
  const NvlinkDomainSpec& domain = spec.nvlink_domain;
  const FabricSpec& fabric = spec.fabric;
  if (node.gpus_per_node < 1 || spec.gpus < 1 || spec.gpus % node.gpus_per_node != 0) {
    return InvalidArgumentError(fmt::format(
        "cluster.gpus: {} must be a positive multiple of cluster.node.gpus_per_node = {}",
        spec.gpus, node.gpus_per_node));
  }
  const int64_t nodes = spec.nodes();
  if (domain.nodes < 1 || nodes % domain.nodes != 0) {
    errors.push_back(
        fmt::format("cluster.nvlink_domain.nodes: {} does not divide the cluster's {} nodes",
                    domain.nodes, nodes));
  }
  RequirePositive(node.gpu.nvlink_bandwidth, "cluster.node.gpu.nvlink_bandwidth", errors);
  RequireNonNegative(node.nvlink_latency, "cluster.node.nvlink_latency", errors);
  if (domain.nodes > 1) {
    RequirePositive(domain.off_node_bandwidth_per_gpu,
                    "cluster.nvlink_domain.off_node_bandwidth_per_gpu", errors);
    RequireNonNegative(domain.switch_latency, "cluster.nvlink_domain.switch_latency", errors);
  }
  if (fabric.sharp.enabled) {
    if (fabric.kind != FabricKind::kInfiniband) {
      errors.push_back(fmt::format(
          "cluster.fabric.sharp.enabled: SHARP needs an InfiniBand fabric, but fabric.kind is {}",
          FabricKindName(fabric.kind)));
    }
    RequirePositive(fabric.sharp.reduction_bandwidth, "cluster.fabric.sharp.reduction_bandwidth",
                    errors);
    if (fabric.sharp.max_trees < 1) {
      errors.push_back(
          fmt::format("cluster.fabric.sharp.max_trees: {} must be >= 1", fabric.sharp.max_trees));
    }
  }
  FatTreeShape shape;
  const bool needs_fabric = domain.nodes >= 1 && nodes > domain.nodes;
  if (needs_fabric && fabric.kind == FabricKind::kNone) {
    errors.push_back(fmt::format(
        "cluster.fabric.kind: none, but the cluster's {} nodes form {} NVLink domains that need a "
        "scale-out fabric",
        nodes, nodes / domain.nodes));
  } else if (needs_fabric) {
    if (node.nics_per_node >= 1 && node.gpus_per_node % node.nics_per_node != 0) {
      errors.push_back(fmt::format(
          "cluster.node.nics_per_node: {} must divide gpus_per_node = {} (GPUs share NICs evenly)",
          node.nics_per_node, node.gpus_per_node));
    }
    RequirePositive(node.nic_bandwidth, "cluster.node.nic_bandwidth", errors);
    RequirePositive(node.pcie_bandwidth, "cluster.node.pcie_bandwidth", errors);
    RequirePositive(fabric.link_bandwidth, "cluster.fabric.link_bandwidth", errors);
    RequireNonNegative(fabric.hop_latency, "cluster.fabric.hop_latency", errors);
    StatusOr<FatTreeShape> planned = PlanFatTree(nodes, node, fabric);
    if (planned.ok()) {
      shape = *planned;
    } else {
      errors.push_back(planned.status().message());
    }
  }
  if (!errors.empty()) return InvalidArgumentError(fmt::format("{}", fmt::join(errors, "; ")));
  return shape;
}

// The up direction of a cable gets half a split latency (rounded down to the picosecond), the
// down direction the rest, so that a route across both adds up to the whole exactly.
Time Half(Time t) { return Time::Picoseconds(t.picoseconds() / 2); }

}  // namespace

std::string_view TierName(LinkTier tier) {
  switch (tier) {
    case LinkTier::kNvlink:
      return "nvlink";
    case LinkTier::kNvlinkNetwork:
      return "nvlink-network";
    case LinkTier::kPcie:
      return "pcie";
    case LinkTier::kLeaf:
      return "leaf";
    case LinkTier::kSpine:
      return "spine";
    case LinkTier::kCore:
      return "core";
    case LinkTier::kReduction:
      return "reduction";
  }
  return "?";
}

StatusOr<Topology> Topology::Build(const ClusterSpec& spec) {
  StatusOr<FatTreeShape> shape = Validate(spec);
  if (!shape.ok()) return shape.status();
  StatusOr<Layout> layout = MakeLayout(spec, *shape);
  if (!layout.ok()) return layout.status();
  Topology t;
  t.spec_ = spec;
  t.fat_tree_ = *shape;
  t.layout_ = *layout;
  t.vertices_.reserve(layout->vertices);
  t.links_.reserve(layout->links);
  t.AddVertices();
  t.AddNodeLinks();
  t.AddFabricLinks();
  t.AddReductionLinks();
  TRAINSIM_CHECK(t.vertices_.size() == layout->vertices) << t.vertices_.size();
  TRAINSIM_CHECK(t.links_.size() == layout->links) << t.links_.size();
  if (Status s = t.ApplyFaults(); !s.ok()) return s;
  return t;
}

Status Topology::ApplyFaults() {
  const std::vector<FabricFault>& faults = spec_.fabric.faults;
  if (faults.empty()) return Status();
  const FatTreeShape& ft = fat_tree_;
  if (ft.tiers < 2) {
    return InvalidArgumentError(fmt::format(
        "cluster.fabric.faults: a {}-tier fabric has no leaf uplinks to fail", ft.tiers));
  }
  if (ft.leaf_up > 64) {
    return InvalidArgumentError(fmt::format(
        "cluster.fabric.faults: leaves with {} uplinks; faults are modelled up to 64", ft.leaf_up));
  }
  if (ft.spine_up > 64) {
    return InvalidArgumentError(fmt::format(
        "cluster.fabric.faults: spines with {} uplinks; faults are modelled up to 64",
        ft.spine_up));
  }
  const uint64_t all = ft.leaf_up == 64 ? ~uint64_t{0} : (uint64_t{1} << ft.leaf_up) - 1;
  leaf_alive_.assign(static_cast<size_t>(ft.leaves), all);
  const uint64_t all_core = ft.spine_up == 64 ? ~uint64_t{0} : (uint64_t{1} << ft.spine_up) - 1;
  if (ft.tiers == 3) spine_alive_.assign(static_cast<size_t>(ft.spines), all_core);
  std::vector<std::string> errors;
  for (size_t i = 0; i < faults.size(); ++i) {
    const FabricFault& f = faults[i];
    const std::string where = fmt::format("cluster.fabric.faults[{}]", i);
    if ((f.leaf >= 0) + (f.spine >= 0) + (f.core >= 0) != 1) {
      errors.push_back(where +
                       ": give a leaf (with a port for one uplink), a spine (with a port for one "
                       "core uplink), or a core");
    } else if (f.core >= 0) {
      // Core c of group g takes uplink q of every spine g of each pod where q ≡ c (mod group).
      if (ft.tiers < 3 || f.core >= ft.cores || f.port >= 0 || f.bandwidth_fraction > 0) {
        errors.push_back(fmt::format(
            "{}: core {} must be a core switch of a three-tier fabric (0 .. {}) that failed "
            "whole: no port, bandwidth_fraction 0",
            where, f.core, ft.cores - 1));
        continue;
      }
      const int group = static_cast<int>(f.core / ft.cores_per_group);
      const int member = static_cast<int>(f.core % ft.cores_per_group);
      for (int64_t pod = 0; pod < ft.pods; ++pod) {
        for (int q = member; q < ft.spine_up; q += ft.cores_per_group) {
          spine_alive_[static_cast<size_t>(pod * ft.spines_per_pod + group)] &=
              ~(uint64_t{1} << q);
        }
      }
    } else if (f.spine >= 0 && f.port >= 0) {
      if (ft.tiers < 3 || f.spine >= ft.spines || f.port >= ft.spine_up) {
        errors.push_back(fmt::format(
            "{}: spine {} port {} is not a spine's core uplink (three tiers; spines 0 .. {}, "
            "ports 0 .. {})",
            where, f.spine, f.port, ft.spines - 1, ft.spine_up - 1));
        continue;
      }
      const int64_t cable = f.spine * ft.spine_up + f.port;
      if (f.bandwidth_fraction <= 0) {
        spine_alive_[static_cast<size_t>(f.spine)] &= ~(uint64_t{1} << f.port);
      } else {
        for (LinkIndex l : {Up(layout_.spine_core_link, cable), Down(layout_.spine_core_link, cable)}) {
          links_[l.value].bandwidth = links_[l.value].bandwidth * f.bandwidth_fraction;
        }
      }
    } else if (f.leaf >= 0 && f.port < 0) {
      // A whole leaf switch: the NICs under it have no other way into the fabric.
      if (f.leaf >= ft.leaves || f.bandwidth_fraction > 0) {
        errors.push_back(fmt::format("{}: leaf {} must be a leaf (0 .. {}) that failed whole: "
                                     "bandwidth_fraction 0 (or give a port to fail one uplink)",
                                     where, f.leaf, ft.leaves - 1));
        continue;
      }
      std::vector<int64_t> cut;  // GPUs whose NIC hangs off the leaf
      const int nics = spec_.node.nics_per_node;
      const int gpus_per_nic = spec_.node.gpus_per_node / nics;
      for (int64_t nic = 0; nic < spec_.nodes() * nics; ++nic) {
        if (LeafOf(nic) != f.leaf) continue;
        for (int g = 0; g < gpus_per_nic; ++g) {
          cut.push_back(nic / nics * spec_.node.gpus_per_node + nic % nics * gpus_per_nic + g);
        }
      }
      errors.push_back(fmt::format(
          "{}: leaf {} failed whole, which disconnects {} GPUs from the fabric (no other path "
          "reaches their NICs): GPUs {}{}; take their nodes out of the cluster or fail single "
          "uplinks (leaf, port) instead",
          where, f.leaf, cut.size(),
          fmt::join(cut.begin(), cut.begin() + std::min<size_t>(cut.size(), 8), ", "),
          cut.size() > 8 ? ", ..." : ""));
    } else if (f.leaf >= 0) {
      if (f.leaf >= ft.leaves || f.port >= ft.leaf_up) {
        errors.push_back(fmt::format("{}: leaf {} port {} is not a leaf uplink (leaves 0 .. {}, "
                                     "ports 0 .. {})",
                                     where, f.leaf, f.port, ft.leaves - 1, ft.leaf_up - 1));
        continue;
      }
      const int64_t cable = f.leaf * ft.leaf_up + f.port;
      if (f.bandwidth_fraction <= 0) {
        leaf_alive_[static_cast<size_t>(f.leaf)] &= ~(uint64_t{1} << f.port);
      } else {
        for (LinkIndex l : {Up(layout_.leaf_spine_link, cable), Down(layout_.leaf_spine_link, cable)}) {
          links_[l.value].bandwidth = links_[l.value].bandwidth * f.bandwidth_fraction;
        }
      }
    } else {
      if (f.spine >= ft.spines || f.bandwidth_fraction > 0) {
        errors.push_back(fmt::format("{}: spine {} must be a spine (0 .. {}) that failed whole: "
                                     "bandwidth_fraction 0 (or give a port for one core uplink)",
                                     where, f.spine, ft.spines - 1));
        continue;
      }
      // Leaf uplink j of a pod's leaf goes to the pod's spine j mod spines_per_pod.
      const int64_t pod = f.spine / ft.spines_per_pod;
      const int k = static_cast<int>(f.spine % ft.spines_per_pod);
      const int64_t first = pod * ft.leaves_per_pod;
      const int64_t last = std::min(first + ft.leaves_per_pod, ft.leaves);
      for (int64_t leaf = first; leaf < last; ++leaf) {
        for (int j = k; j < ft.leaf_up; j += ft.spines_per_pod) {
          leaf_alive_[static_cast<size_t>(leaf)] &= ~(uint64_t{1} << j);
        }
      }
    }
  }
  if (errors.empty()) {
    // Every pair of leaves that exchange traffic (the same rail when rail-optimised) needs a
    // path: a working uplink in common, and across pods one whose spines still share a working
    // core uplink. Only leaves that lost an uplink, or sit in a pod that lost a core uplink, can
    // fail the test.
    std::vector<bool> pod_hit(static_cast<size_t>(ft.pods), false);
    for (size_t sp = 0; sp < spine_alive_.size(); ++sp) {
      if (spine_alive_[sp] != all_core) pod_hit[sp / static_cast<size_t>(ft.spines_per_pod)] = true;
    }
    const int64_t per_rail = spec_.fabric.rail_optimized ? ft.units : ft.leaves;
    for (int64_t a = 0; a < ft.leaves && errors.size() < 8; ++a) {
      if (leaf_alive_[static_cast<size_t>(a)] == all && !pod_hit[static_cast<size_t>(PodOf(a))]) {
        continue;
      }
      const int64_t rail_first = a / per_rail * per_rail;
      for (int64_t b = rail_first; b < rail_first + per_rail && b < ft.leaves; ++b) {
        if (b != a && UsableUplinks(a, b) == 0) {
          errors.push_back(fmt::format(
              "cluster.fabric.faults: leaves {} and {} have no working path left (no uplink in "
              "common{}), so the NICs under them cannot reach each other",
              a, b, PodOf(a) != PodOf(b) ? " whose spines share a working core uplink" : ""));
          break;
        }
      }
    }
  }
  if (!errors.empty()) return InvalidArgumentError(fmt::format("{}", fmt::join(errors, "; ")));
  return Status();
}

StatusOr<Topology::Layout> Topology::MakeLayout(const ClusterSpec& spec, const FatTreeShape& ft) {
  const int64_t gpus = spec.gpus;
  const int64_t nodes = spec.nodes();
  const int64_t domains = spec.nvlink_domain.nodes > 1 ? spec.nvlink_domains() : 0;
  const int64_t nics = ft.tiers > 0 ? nodes * spec.node.nics_per_node : 0;
  // Block sizes in order; each base is the sum of the sizes before it.
  const int64_t vertex_blocks[] = {gpus, nodes, domains, nics, ft.leaves, ft.spines, ft.cores};
  const int64_t link_blocks[] = {
      2 * gpus,
      domains > 0 ? 2 * nodes : 0,
      ft.tiers > 0 ? 2 * gpus : 0,
      2 * nics,
      2 * ft.leaves * ft.leaf_up,
      2 * ft.spines * ft.spine_up,
      spec.node.nvswitch_sharp ? nodes : 0,
      spec.nvlink_domain.switch_sharp ? domains : 0,
      spec.fabric.sharp.enabled ? ft.switches() : 0,
  };
  int64_t vertex_base[std::size(vertex_blocks) + 1] = {0};
  for (size_t i = 0; i < std::size(vertex_blocks); ++i) {
    vertex_base[i + 1] = vertex_base[i] + vertex_blocks[i];
  }
  int64_t link_base[std::size(link_blocks) + 1] = {0};
  for (size_t i = 0; i < std::size(link_blocks); ++i) {
    link_base[i + 1] = link_base[i] + link_blocks[i];
  }
  const int64_t vertices = vertex_base[std::size(vertex_blocks)];
  const int64_t links = link_base[std::size(link_blocks)];
  if (vertices >= kNone || links >= kNone) {
    return InvalidArgumentError(fmt::format(
        "cluster.gpus: {} GPUs make {} vertices and {} links; trainsim indexes at most {} of each",
        gpus, vertices, links, kNone - 1));
  }
  const auto base = [](const int64_t* bases, int i) { return static_cast<uint32_t>(bases[i]); };
  const auto reduction = [&](int i) { return link_blocks[i] > 0 ? base(link_base, i) : kNone; };
  return Layout{.vertices = static_cast<size_t>(vertices),
                .links = static_cast<size_t>(links),
                .nvswitch_vertex = base(vertex_base, 1),
                .nvlink_switch_vertex = base(vertex_base, 2),
                .nic_vertex = base(vertex_base, 3),
                .leaf_vertex = base(vertex_base, 4),
                .spine_vertex = base(vertex_base, 5),
                .core_vertex = base(vertex_base, 6),
                .nvlink_link = base(link_base, 0),
                .nvlink_network_link = base(link_base, 1),
                .pcie_link = base(link_base, 2),
                .nic_link = base(link_base, 3),
                .leaf_spine_link = base(link_base, 4),
                .spine_core_link = base(link_base, 5),
                .nvswitch_reduction = reduction(6),
                .nvlink_switch_reduction = reduction(7),
                .leaf_reduction = reduction(8)};
}

void Topology::AddVertices() {
  const auto add = [this](VertexKind kind, int64_t count) {
    for (int64_t i = 0; i < count; ++i) vertices_.push_back({.kind = kind, .index = i});
  };
  add(VertexKind::kGpu, gpus());
  add(VertexKind::kNvSwitch, nodes());
  add(VertexKind::kNvlinkSwitch, layout_.nic_vertex - layout_.nvlink_switch_vertex);
  add(VertexKind::kNic, layout_.leaf_vertex - layout_.nic_vertex);
  add(VertexKind::kLeaf, fat_tree_.leaves);
  add(VertexKind::kSpine, fat_tree_.spines);
  add(VertexKind::kCore, fat_tree_.cores);
}

void Topology::AddCable(int64_t lower, int64_t upper, BytesPerSecond bandwidth, Time up_latency,
                        Time down_latency, LinkTier tier) {
  const auto lo = static_cast<uint32_t>(lower);
  const auto hi = static_cast<uint32_t>(upper);
  links_.push_back(
      {.from = lo, .to = hi, .bandwidth = bandwidth, .latency = up_latency, .tier = tier});
  links_.push_back(
      {.from = hi, .to = lo, .bandwidth = bandwidth, .latency = down_latency, .tier = tier});
}

void Topology::AddNodeLinks() {
  const NodeSpec& node = spec_.node;
  const int g = node.gpus_per_node;
  // NVLink: the GPU-to-GPU latency is split over GPU -> NVSwitch and NVSwitch -> GPU.
  const Time nvlink_up = Half(node.nvlink_latency);
  for (int64_t r = 0; r < gpus(); ++r) {
    AddCable(r, layout_.nvswitch_vertex + r / g, node.gpu.nvlink_bandwidth, nvlink_up,
             node.nvlink_latency - nvlink_up, LinkTier::kNvlink);
  }
  if (layout_.nic_vertex == layout_.nvlink_switch_vertex) return;  // no NVLink Switch System
  // All of a node's off-node NVLinks as one cable (Hot Chips 2023: 18 OSFP = 72 NVLinks =
  // 1.8 TB/s per direction for 8 GPUs, 225 GB/s each).
  const NvlinkDomainSpec& domain = spec_.nvlink_domain;
  const Time up = Half(domain.switch_latency);
  for (int64_t n = 0; n < nodes(); ++n) {
    AddCable(layout_.nvswitch_vertex + n, layout_.nvlink_switch_vertex + n / domain.nodes,
             domain.off_node_bandwidth_per_gpu * g, up, domain.switch_latency - up,
             LinkTier::kNvlinkNetwork);
  }
}

void Topology::AddFabricLinks() {
  const FatTreeShape& ft = fat_tree_;
  if (ft.tiers == 0) return;
  const NodeSpec& node = spec_.node;
  const FabricSpec& fabric = spec_.fabric;
  const Layout& l = layout_;
  const Time hop = fabric.hop_latency;  // on every link into a switch
  for (int64_t r = 0; r < gpus(); ++r) {
    AddCable(r, l.nic_vertex + NicOf(NodeOf(r), RailOf(r)), node.pcie_bandwidth, Time::Zero(),
             Time::Zero(), LinkTier::kPcie);
  }
  const BytesPerSecond nic_rate = std::min(node.nic_bandwidth, fabric.link_bandwidth);
  for (int64_t n = 0; n < l.leaf_vertex - l.nic_vertex; ++n) {
    AddCable(l.nic_vertex + n, l.leaf_vertex + LeafOf(n), nic_rate, hop, Time::Zero(),
             LinkTier::kLeaf);
  }
  for (int64_t leaf = 0; leaf < ft.leaves; ++leaf) {
    for (int j = 0; j < ft.leaf_up; ++j) {
      const int64_t spine = PodOf(leaf) * ft.spines_per_pod + j % ft.spines_per_pod;
      AddCable(l.leaf_vertex + leaf, l.spine_vertex + spine, fabric.link_bandwidth, hop, hop,
               LinkTier::kSpine);
    }
  }
  for (int64_t spine = 0; spine < ft.spines; ++spine) {
    for (int q = 0; q < ft.spine_up; ++q) {
      const int64_t core =
          (spine % ft.spines_per_pod) * ft.cores_per_group + q % ft.cores_per_group;
      AddCable(l.spine_vertex + spine, l.core_vertex + core, fabric.link_bandwidth, hop, hop,
               LinkTier::kCore);
    }
  }
}

void Topology::AddReductionLinks() {
  const auto engines = [this](uint32_t first_vertex, int64_t count, BytesPerSecond rate) {
    for (int64_t i = 0; i < count; ++i) {
      const auto v = static_cast<uint32_t>(first_vertex + i);
      links_.push_back({.from = v, .to = v, .bandwidth = rate, .tier = LinkTier::kReduction});
    }
  };
  const int g = spec_.node.gpus_per_node;
  const Layout& l = layout_;
  if (l.nvswitch_reduction != kNone) {  // the sum of its GPU ports
    engines(l.nvswitch_vertex, nodes(), spec_.node.gpu.nvlink_bandwidth * g);
  }
  if (l.nvlink_switch_reduction != kNone) {  // the sum of its node ports
    const NvlinkDomainSpec& domain = spec_.nvlink_domain;
    engines(l.nvlink_switch_vertex, l.nic_vertex - l.nvlink_switch_vertex,
            domain.off_node_bandwidth_per_gpu * g * domain.nodes);
  }
  if (l.leaf_reduction != kNone) {  // sharp.reduction_bandwidth is per port
    engines(l.leaf_vertex, fat_tree_.switches(),
            spec_.fabric.sharp.reduction_bandwidth * spec_.fabric.switch_radix);
  }
}

const ClusterSpec& Topology::spec() const { return spec_; }
int64_t Topology::gpus() const { return spec_.gpus; }
int64_t Topology::nodes() const { return spec_.nodes(); }
int64_t Topology::NodeOf(int64_t rank) const { return rank / spec_.node.gpus_per_node; }
int Topology::LocalIndex(int64_t rank) const {
  return static_cast<int>(rank % spec_.node.gpus_per_node);
}
int Topology::RailOf(int64_t rank) const {
  const int nics = spec_.node.nics_per_node;
  if (nics < 1) return 0;
  return LocalIndex(rank) * nics / spec_.node.gpus_per_node;
}
int64_t Topology::NvlinkDomainOf(int64_t rank) const {
  return NodeOf(rank) / spec_.nvlink_domain.nodes;
}
int Topology::fabric_tiers() const { return fat_tree_.tiers; }
const FatTreeShape& Topology::fat_tree() const { return fat_tree_; }
int Topology::sharp_max_trees() const {
  return layout_.leaf_reduction != kNone ? spec_.fabric.sharp.max_trees : 0;
}
std::span<const Vertex> Topology::vertices() const { return vertices_; }
std::span<const Link> Topology::links() const { return links_; }

std::vector<BytesPerSecond> Topology::Capacities() const {
  std::vector<BytesPerSecond> capacities;
  capacities.reserve(links_.size());
  for (const Link& link : links_) capacities.push_back(link.bandwidth);
  return capacities;
}

Time Topology::PathLatency(std::span<const LinkIndex> path) const {
  Time total;
  for (LinkIndex link : path) total += links_[link.value].latency;
  return total;
}

}  // namespace trainsim::topology
