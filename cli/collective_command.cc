// `trainsim collective`: an nccl-tests-style table (size, count, type, time, algbw, busbw) for
// one collective on a cluster, per algorithm or tuned (`--algo auto`), timed by the native flow
// model or (`--backend simgrid`) by SimGrid on the same plan.
//   trainsim collective --cluster dgx-h100 --nodes 4 --op allreduce --min 8B --max 8GiB
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "collectives/collective.h"
#include "collectives/runner.h"
#include "config/catalogs.h"
#include "config/scenario_spec.h"
#include "fmt/format.h"
#include "fmt/printf.h"
#include "nlohmann/json.hpp"
#include "sim/simgrid/simgrid_backend.h"
#include "topology/topology.h"

namespace trainsim::cli {
namespace {

struct CollectiveOptions {
  std::string cluster = "dgx-h100-superpod";
  int64_t nodes = 1;
  int64_t gpus = 0;  // 0: every GPU of the cluster
  std::string group = "all";
  std::string op = "allreduce";
  std::string min = "8B";
  std::string max = "8GiB";
  int step_factor = 2;
  std::string algo = "auto";
  std::string protocol = "auto";
  bool sharp = false;
  std::string backend = "native";
  bool json = false;
};

// The cluster text: a cluster preset, or a node preset placed in the DGX SuperPOD fabric.
StatusOr<topology::ClusterSpec> BuildCluster(const CollectiveOptions& o) {
  const config::Catalogs& catalogs = config::BuiltinCatalogs();
  const auto& node_names = catalogs.presets.at("node").names;
  const bool is_node =
      std::find(node_names.begin(), node_names.end(), o.cluster) != node_names.end();
  const std::string base = is_node ? fmt::format("{{preset: dgx-h100-superpod, node: {}", o.cluster)
                                   : fmt::format("{{preset: {}", o.cluster);
  const std::string sharp = o.sharp ? ", fabric: {sharp: {enabled: true}}" : "";
  // Learn the node size first, then ask for the requested number of nodes.
  StatusOr<topology::ClusterSpec> probe = config::LoadClusterText(base + "}", "--cluster");
  if (!probe.ok()) return probe.status();
  const int64_t gpus = o.nodes * probe->node.gpus_per_node;
  return config::LoadClusterText(fmt::format("{}, gpus: {}{}}}", base, gpus, sharp), "--cluster");
}

StatusOr<std::vector<int64_t>> GroupRanks(const CollectiveOptions& o,
                                          const topology::Topology& topology) {
  std::vector<int64_t> ranks;
  if (o.group == "rail") {
    for (int64_t r = 0; r < topology.gpus(); r += topology.spec().node.gpus_per_node) {
      ranks.push_back(r);
    }
  } else if (o.group == "all") {
    const int64_t n = o.gpus == 0 ? topology.gpus() : o.gpus;
    if (n > topology.gpus()) {
      return InvalidArgumentError(fmt::format("--gpus {}: the cluster has only {} GPUs ({} nodes)",
                                              n, topology.gpus(), o.nodes));
    }
    for (int64_t r = 0; r < n; ++r) ranks.push_back(r);
  } else {
    return InvalidArgumentError(fmt::format("--group {}: expected all or rail", o.group));
  }
  return ranks;
}

StatusOr<collectives::CollectiveTiming> TimeNative(const CollectiveOptions& o,
                                                   const collectives::CollectiveRequest& request,
                                                   const topology::Topology& topology) {
  if (o.algo == "auto") return collectives::TuneCollective(request, topology);
  StatusOr<const collectives::CollectiveAlgorithm*> algorithm = collectives::FindAlgorithm(o.algo);
  if (!algorithm.ok()) return algorithm.status();
  if (o.protocol == "auto") return collectives::TimeCollective(request, topology, **algorithm);
  for (auto p : {collectives::Protocol::kLL, collectives::Protocol::kLL128,
                 collectives::Protocol::kSimple}) {
    std::string name(collectives::ProtocolName(p));
    for (char& c : name) c = static_cast<char>(std::tolower(c));
    if (name == o.protocol) return collectives::TimeCollective(request, topology, **algorithm, p);
  }
  return InvalidArgumentError(
      fmt::format("--protocol {}: expected auto, ll, ll128 or simple", o.protocol));
}

// The native model picks the algorithm and protocol (`auto`) or checks the given ones; with
// `--backend simgrid` SimGrid then times that plan.
StatusOr<collectives::CollectiveTiming> TimeOne(const CollectiveOptions& o,
                                                const collectives::CollectiveRequest& request,
                                                const topology::Topology& topology) {
  StatusOr<collectives::CollectiveTiming> native = TimeNative(o, request, topology);
  if (!native.ok() || o.backend == "native") return native;
  StatusOr<const collectives::CollectiveAlgorithm*> algorithm =
      collectives::FindAlgorithm(native->algorithm);
  if (!algorithm.ok()) return algorithm.status();
  return simgrid::TimeCollectiveSimGrid(request, topology, **algorithm, native->protocol);
}

int Collective(const CollectiveOptions& o) {
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "trainsim collective: %s\n", s.message().c_str());
    return s.code() == StatusCode::kInternal ? kExitInternal : kExitBadInput;
  };
  if (o.backend != "native" && o.backend != "simgrid") {
    return fail(
        InvalidArgumentError(fmt::format("--backend {}: expected native or simgrid", o.backend)));
  }
  if (o.nodes < 1) return fail(InvalidArgumentError("--nodes must be at least 1"));
  if (o.step_factor < 2) return fail(InvalidArgumentError("--step-factor must be at least 2"));
  StatusOr<collectives::CollectiveOp> op = collectives::ParseOp(o.op);
  if (!op.ok()) return fail(op.status());
  StatusOr<Bytes> min = ParseBytes(o.min);
  StatusOr<Bytes> max = ParseBytes(o.max);
  if (!min.ok()) return fail(InvalidArgumentError("--min: " + min.status().message()));
  if (!max.ok()) return fail(InvalidArgumentError("--max: " + max.status().message()));
  if (min->count() < 1 || *max < *min) {
    return fail(InvalidArgumentError("--min must be at least 1B and at most --max"));
  }
  StatusOr<topology::ClusterSpec> cluster = BuildCluster(o);
  if (!cluster.ok()) return fail(cluster.status());
  StatusOr<topology::Topology> topology = topology::Topology::Build(*cluster);
  if (!topology.ok()) return fail(topology.status());
  StatusOr<std::vector<int64_t>> ranks = GroupRanks(o, *topology);
  if (!ranks.ok()) return fail(ranks.status());

  const int64_t n = static_cast<int64_t>(ranks->size());
  const double bus_factor = collectives::BusBandwidthFactor(*op, n);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  std::string table;  // printed only when every size succeeded
  if (!o.json) {
    table += fmt::sprintf("# %s on %lld ranks of %s (%lld nodes)\n",
                          std::string(collectives::OpName(*op)).c_str(), static_cast<long long>(n),
                          cluster->node.name.c_str(), static_cast<long long>(cluster->nodes()));
    if (o.backend == "simgrid") {
      table += o.algo == "auto"       ? "# times from SimGrid 3.32 (algorithm and protocol tuned "
                                        "by the native model)\n"
               : o.protocol == "auto" ? "# times from SimGrid 3.32 (protocol chosen by the "
                                        "native model)\n"
                                      : "# times from SimGrid 3.32\n";
    }
    table += fmt::sprintf("#%12s %13s %6s %10s %9s %9s  %s\n", "size (B)", "count", "type",
                          "time (us)", "algbw", "busbw", "algo");
  }
  for (int64_t bytes = min->count(); bytes <= max->count(); bytes *= o.step_factor) {
    collectives::CollectiveRequest request{.op = *op, .ranks = *ranks, .bytes = Bytes(bytes)};
    StatusOr<collectives::CollectiveTiming> t = TimeOne(o, request, *topology);
    if (!t.ok()) return fail(t.status());
    const double seconds = t->time.seconds();
    const double algbw = static_cast<double>(bytes) / seconds / 1e9;
    const std::string algo =
        fmt::format("{}/{}", t->algorithm, collectives::ProtocolName(t->protocol));
    if (o.json) {
      rows.push_back({{"bytes", bytes},
                      {"count", bytes / 4},
                      {"time_us", seconds * 1e6},
                      {"algbw_gbps", algbw},
                      {"busbw_gbps", algbw * bus_factor},
                      {"algo", t->algorithm},
                      {"protocol", collectives::ProtocolName(t->protocol)},
                      {"backend", o.backend}});
    } else {
      table += fmt::sprintf(" %12lld %13lld %6s %10.2f %9.2f %9.2f  %s\n",
                            static_cast<long long>(bytes), static_cast<long long>(bytes / 4),
                            "float", seconds * 1e6, algbw, algbw * bus_factor, algo.c_str());
    }
    if (bytes > max->count() / o.step_factor) break;
  }
  if (o.json) table = rows.dump(2) + "\n";
  std::fputs(table.c_str(), stdout);
  return kExitOk;
}

}  // namespace

void AddCollectiveCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<CollectiveOptions>();
  CLI::App* sub = app.add_subcommand(
      "collective", "nccl-tests-style table (size, time, algbw, busbw) for a collective.");
  sub->add_option("--cluster", o->cluster,
                  "Cluster preset (dgx-h100-superpod, dgx-h100-nvl256, dgx-a100-selene) or node "
                  "preset (dgx-h100, dgx-a100, hgx-h200) in a SuperPOD fabric")
      ->capture_default_str();
  sub->add_option("--nodes", o->nodes, "Nodes in the cluster.")->capture_default_str();
  sub->add_option("--gpus", o->gpus, "Ranks in the group: the first N GPUs (default: all).");
  sub->add_option("--group", o->group, "all (the first --gpus GPUs) or rail (one GPU per node).")
      ->capture_default_str();
  sub->add_option("--op", o->op,
                  "allreduce, reducescatter, allgather, broadcast, reduce, alltoall, sendrecv")
      ->capture_default_str();
  sub->add_option("--min", o->min, "Smallest size, e.g. 8B.")->capture_default_str();
  sub->add_option("--max", o->max, "Largest size, e.g. 8GiB.")->capture_default_str();
  sub->add_option("--step-factor", o->step_factor, "Size multiplier between rows.")
      ->capture_default_str();
  sub->add_option("--algo", o->algo, "auto, ring, tree, nvls, sharp, hier or direct.")
      ->capture_default_str();
  sub->add_option("--protocol", o->protocol, "auto, ll, ll128 or simple.")->capture_default_str();
  sub->add_flag("--sharp", o->sharp,
                "Enable SHARP in-network reduction on the InfiniBand switches.");
  sub->add_option("--backend", o->backend,
                  "native (the flow model) or simgrid (the same plan timed by SimGrid 3.32: a "
                  "cross-check, slower). With simgrid, auto choices are the native model's.")
      ->capture_default_str();
  sub->add_flag("--json", o->json, "One JSON object per size.");
  sub->callback([o, &exit_code] { exit_code = Collective(*o); });
}

}  // namespace trainsim::cli
