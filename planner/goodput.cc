#include "planner/goodput.h"

#include <algorithm>
#include <cmath>

#include "fmt/format.h"
#include "sim/check.h"

namespace trainsim::planner {

double ClusterMtbfSeconds(const GoodputSpec& spec, const FailingParts& parts) {
  double rate_per_h = 0;
  if (spec.gpu_mtbf_h > 0) rate_per_h += static_cast<double>(parts.gpus) / spec.gpu_mtbf_h;
  if (spec.node_mtbf_h > 0) rate_per_h += static_cast<double>(parts.nodes) / spec.node_mtbf_h;
  if (spec.link_mtbf_h > 0) rate_per_h += static_cast<double>(parts.links) / spec.link_mtbf_h;
  TRAINSIM_CHECK(rate_per_h > 0) << "ClusterMtbfSeconds without a failure rate";
  return 3600.0 / rate_per_h;
}

double YoungInterval(double delta_s, double mtbf_s) { return std::sqrt(2.0 * delta_s * mtbf_s); }

double DalyInterval(double delta_s, double mtbf_s) {
  if (delta_s >= 2.0 * mtbf_s) return mtbf_s;
  const double x = delta_s / (2.0 * mtbf_s);
  return std::sqrt(2.0 * delta_s * mtbf_s) * (1.0 + std::sqrt(x) / 3.0 + x / 9.0) - delta_s;
}

double GoodputFraction(double interval_s, double delta_s, double mtbf_s, double restart_s) {
  const double period = interval_s + delta_s;
  const double lost = (restart_s + period / 2.0) / mtbf_s;
  return interval_s / period * std::max(0.0, 1.0 - lost);
}

StatusOr<GoodputEstimate> EstimateGoodput(const GoodputSpec& spec, const FailingParts& parts,
                                          double ideal_time_to_train_s) {
  if (spec.gpu_mtbf_h <= 0 && spec.node_mtbf_h <= 0 && spec.link_mtbf_h <= 0) {
    return InvalidArgumentError(
        "goodput: no failure rate; give gpu_mtbf_hours, node_mtbf_hours or link_mtbf_hours");
  }
  if (parts.gpus < 0 || parts.nodes < 0 || parts.links < 0) {
    return InvalidArgumentError(
        fmt::format("goodput: negative part counts ({} GPUs, {} nodes, "
                    "{} links)",
                    parts.gpus, parts.nodes, parts.links));
  }
  if (spec.storage_bandwidth.value() <= 0) {
    return InvalidArgumentError(fmt::format("goodput.storage_bandwidth: {} is not positive",
                                            ToString(spec.storage_bandwidth)));
  }
  GoodputEstimate e;
  e.cluster_mtbf_s = ClusterMtbfSeconds(spec, parts);
  e.checkpoint_write_s =
      static_cast<double>(spec.checkpoint_bytes.count()) / spec.storage_bandwidth.value();
  e.young_interval_s = YoungInterval(e.checkpoint_write_s, e.cluster_mtbf_s);
  e.checkpoint_interval_s = DalyInterval(e.checkpoint_write_s, e.cluster_mtbf_s);
  if (e.checkpoint_interval_s <= 0) {
    // δ = 0: checkpoints are free, so checkpoint continuously; only restarts cost time.
    e.goodput = std::max(0.0, 1.0 - spec.restart_time.seconds() / e.cluster_mtbf_s);
  } else {
    e.goodput = GoodputFraction(e.checkpoint_interval_s, e.checkpoint_write_s, e.cluster_mtbf_s,
                                spec.restart_time.seconds());
  }
  e.ideal_time_to_train_s = std::max(0.0, ideal_time_to_train_s);
  if (e.goodput > 0 && e.ideal_time_to_train_s > 0) {
    e.expected_time_to_train_s = e.ideal_time_to_train_s / e.goodput;
    e.expected_failures = e.expected_time_to_train_s / e.cluster_mtbf_s;
  }
  return e;
}

}  // namespace trainsim::planner
