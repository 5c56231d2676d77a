#include "dashboards/dashboard.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "config/embedded_files.h"
#include "config/report.h"
#include "fmt/format.h"
#include "workloads/execution_graph.h"

namespace trainsim::dashboards {

const std::vector<config::EmbeddedFile>& DashboardAssets();  // generated: dashboards/CMakeLists.txt

namespace {

using nlohmann::json;
using workloads::Category;
using workloads::StepTimeline;
using workloads::TimelineSpan;

// 16384 → "16,384" (counts are never negative here).
std::string Thousands(int64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

json SummaryRows(const config::ScenarioSpec& s) {
  const topology::ClusterSpec& c = s.cluster;
  const workloads::ModelSpec& m = s.model;
  const workloads::ParallelPlan& p = s.parallel;
  json rows = json::array();
  auto row = [&](std::string label, std::string value) {
    rows.push_back(json::array({std::move(label), std::move(value)}));
  };
  row("cluster", fmt::format("{} × {} in {} nodes of {}", Thousands(c.gpus), c.node.gpu.name,
                             Thousands(c.nodes()), c.node.gpus_per_node));
  row("NVLink domain", fmt::format("{} GPUs ({} domains)", c.gpus_per_nvlink_domain(),
                                   Thousands(c.nvlink_domains())));
  row("scale-out", fmt::format("{}, {:.0f} Gb/s links{}{}",
                               c.fabric.tiers > 0 ? fmt::format("{}-tier fat-tree", c.fabric.tiers)
                                                  : std::string("fat-tree (fewest tiers that fit)"),
                               c.fabric.link_bandwidth.value() * 8 / 1e9,
                               c.fabric.sharp.enabled ? ", SHARP" : "",
                               c.fabric.faults.empty()
                                   ? ""
                                   : fmt::format(", {} fault(s)", c.fabric.faults.size())));
  std::string model = fmt::format("{}: {} layers, hidden {}, {} heads ({} KV), vocab {}", m.name,
                                  m.layers, m.hidden, m.heads, m.kv_heads, m.vocab);
  if (m.moe) model += fmt::format(", {} experts top-{}", m.moe->experts, m.moe->top_k);
  row("model", model);
  row("plan", fmt::format("tp {} × pp {} × dp {} × cp {}, ep {}, {} virtual stage(s), ZeRO-{}",
                          p.tp, p.pp, p.dp, p.cp, p.ep, p.virtual_stages, p.zero_stage));
  row("batch", fmt::format("{} sequences × {} tokens; {} micro-batches of {} per pipeline",
                           Thousands(s.training.global_batch), s.training.sequence_length,
                           s.training.microbatches(p), p.microbatch_size));
  row("precision", fmt::format("compute {}{}, params {}, grads {}", s.precision.compute,
                               s.precision.sparse_2to4 ? " (2:4 sparse)" : "", s.precision.params,
                               s.precision.grads));
  row("simulation", s.simulation.expand ? "every replica (--expand)" : "one rank per class");
  return rows;
}

json Roofline(const config::ScenarioSpec& spec, const v1::Report& report) {
  const compute::GpuSpec& gpu = spec.cluster.node.gpu;
  json ops = json::array();
  for (const v1::OpCost& op : report.ops()) {
    if (op.flops() <= 0 || op.bytes() <= 0 || op.time_s() <= 0) continue;
    ops.push_back({{"name", fmt::format("{} {} ({})", op.pass(), op.op(), op.block())},
                   {"intensity", op.flops() / op.bytes()},
                   {"flops_per_s", op.flops() / op.time_s()},
                   {"bound", op.bound()}});
  }
  return {{"gpu", gpu.name},
          {"format", spec.precision.compute},
          {"peak_flops", report.peak_tflops_per_gpu() * 1e12},
          {"fp32_flops", gpu.peak_fp32_vector.value()},
          {"hbm_bytes_per_s", gpu.hbm_bandwidth.value()},
          {"ops", std::move(ops)}};
}

// Seconds rounded to the microsecond, so the page's JSON stays short (a pixel is milliseconds).
double Micro(double s) { return std::round(s * 1e6) / 1e6; }

// Lanes of the dashboard's pipeline chart: compute, then one per communication kind, in the
// order of Category's communication kinds.
constexpr std::array<const char*, 6> kChartLanes = {"compute", "tp", "cp", "ep", "pp", "dp"};
static_assert(static_cast<int>(Category::kTpComm) == 4 && static_cast<int>(Category::kDpComm) == 8);
size_t LaneOf(Category c) { return c < Category::kTpComm ? 0 : static_cast<size_t>(c) - 3; }

json Timeline(const StepTimeline& t, double step_s) {
  const double merge_gap = step_s / 4000;
  json stages = json::array();
  for (int stage = 0; stage < t.pp; ++stage) {
    // Stream `stage` is the first rank class (or replica) on that stage.
    std::array<std::vector<const TimelineSpan*>, kChartLanes.size()> lanes;
    for (const TimelineSpan& s : t.spans) {
      if (s.stream == stage && s.end > s.start) lanes[LaneOf(s.category)].push_back(&s);
    }
    json lane_json = json::array();
    for (size_t lane = 0; lane < lanes.size(); ++lane) {
      auto& spans = lanes[lane];
      if (spans.empty()) continue;
      std::stable_sort(spans.begin(), spans.end(),
                       [](const TimelineSpan* a, const TimelineSpan* b) { return a->start < b->start; });
      json segments = json::array();
      double start = 0, end = -1;
      int category = -1;
      auto flush = [&] {
        if (category >= 0) segments.push_back(json::array({Micro(start), Micro(end), category}));
      };
      for (const TimelineSpan* s : spans) {
        const int c = static_cast<int>(s->category);
        const double a = s->start.seconds(), b = s->end.seconds();
        if (c == category && a - end <= merge_gap) {
          end = std::max(end, b);
          continue;
        }
        flush();
        start = a, end = b, category = c;
      }
      flush();
      lane_json.push_back({{"lane", kChartLanes[lane]}, {"segments", std::move(segments)}});
    }
    stages.push_back({{"stage", stage},
                      {"stream", t.stream_names[static_cast<size_t>(stage)]},
                      {"lanes", std::move(lane_json)}});
  }
  json categories = json::array();
  for (int c = 0; c < workloads::kCategoryCount; ++c) {
    categories.push_back(workloads::CategoryName(static_cast<Category>(c)));
  }
  return {{"step_s", step_s}, {"categories", std::move(categories)}, {"stages", std::move(stages)}};
}

// Adds `amount` spread evenly over [a, b) into equal bins of width w over [0, bins·w).
void Spread(std::vector<double>& bin, double w, double a, double b, double amount) {
  if (b <= a || bin.empty()) return;
  const int n = static_cast<int>(bin.size());
  const double rate = amount / (b - a);
  const int first = std::clamp(static_cast<int>(a / w), 0, n - 1);
  const int last = std::clamp(static_cast<int>(b / w), 0, n - 1);
  for (int i = first; i <= last; ++i) {
    const double overlap = std::min(b, (i + 1) * w) - std::max(a, i * w);
    if (overlap > 0) bin[static_cast<size_t>(i)] += rate * overlap;
  }
}

json Utilisation(const StepTimeline& t, double step_s, int bins) {
  const double w = step_s / bins;
  json tiers = json::array();
  for (size_t k = 0; k < t.tiers.size(); ++k) {
    std::vector<double> bytes(static_cast<size_t>(bins), 0.0);
    for (const TimelineSpan& s : t.spans) {
      if (s.comm < 0) continue;
      const double b = t.comm_tier_bytes[static_cast<size_t>(s.comm)][k];
      if (b > 0) Spread(bytes, w, s.start.seconds(), s.end.seconds(), b);
    }
    json series = json::array();
    for (double x : bytes) series.push_back(t.tier_capacity[k] > 0 ? x / (t.tier_capacity[k] * w) : 0.0);
    tiers.push_back({{"tier", t.tiers[k]}, {"utilisation", std::move(series)}});
  }
  return {{"bin_s", w}, {"tiers", std::move(tiers)}};
}

// Each stage's power per GPU (its first rank class): op energy while compute runs, static power
// in between.
json Power(const StepTimeline& t, double step_s, int bins) {
  const double w = step_s / bins;
  json stages = json::array();
  for (int stage = 0; stage < t.pp; ++stage) {
    std::vector<double> energy(static_cast<size_t>(bins), 0.0), busy(static_cast<size_t>(bins), 0.0);
    for (const TimelineSpan& s : t.spans) {
      if (s.stream != stage || s.comm >= 0 || !s.on_stream) continue;
      const double a = s.start.seconds(), b = s.end.seconds();
      Spread(energy, w, a, b, s.watts * (b - a));
      Spread(busy, w, a, b, b - a);
    }
    json series = json::array();
    for (size_t i = 0; i < energy.size(); ++i) {
      series.push_back((energy[i] + t.static_watts * std::max(0.0, w - busy[i])) / w);
    }
    stages.push_back({{"stage", stage}, {"watts", std::move(series)}});
  }
  return {{"bin_s", w}, {"static_watts", t.static_watts}, {"stages", std::move(stages)}};
}

std::string_view AssetNamed(std::string_view name) {
  for (const config::EmbeddedFile& f : DashboardAssets()) {
    if (f.path == name) return f.content;
  }
  return {};
}

// JSON inside <script>: "</" would end the element; "<\/" is the same JSON string.
std::string ScriptSafe(std::string text) {
  for (size_t at = text.find("</"); at != std::string::npos; at = text.find("</", at + 3)) {
    text.replace(at, 2, "<\\/");
  }
  return text;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

json StepDashboardData(const config::ScenarioSpec& spec, const v1::Report& report,
                       const StepTimeline* timeline, int bins) {
  json data = {{"kind", "step"},
               {"title", spec.name.empty() ? "(unnamed scenario)" : spec.name},
               {"description", spec.description},
               {"report", json::parse(config::ReportJson(report, false))},
               {"summary", SummaryRows(spec)},
               {"roofline", Roofline(spec, report)}};
  if (timeline != nullptr && report.simulated() && report.step_time_s() > 0) {
    const double step_s = report.step_time_s();
    data["timeline"] = Timeline(*timeline, step_s);
    data["utilisation"] = Utilisation(*timeline, step_s, bins);
    data["power"] = Power(*timeline, step_s, bins);
  }
  return data;
}

json StudyDashboardData(const planner::Study& study, std::span<const planner::SweepRow> rows,
                        bool done) {
  json knobs = json::array();
  for (const planner::Knob& k : study.knobs) knobs.push_back(k.path);
  std::vector<const planner::SweepRow*> sorted;
  for (const planner::SweepRow& r : rows) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const planner::SweepRow* a, const planner::SweepRow* b) { return a->point < b->point; });
  json out_rows = json::array();
  for (const planner::SweepRow* r : sorted) out_rows.push_back(json::parse(planner::JsonLine(*r)));
  return {{"kind", "study"},
          {"title", study.name.empty() ? study.file : study.name},
          {"description", study.description},
          {"points", study.points()},
          {"knobs", std::move(knobs)},
          {"combine", study.combine == planner::Combine::kGrid ? "grid" : "zip"},
          {"rows", std::move(out_rows)},
          {"done", done}};
}

std::string_view Asset(std::string_view name) { return AssetNamed(name); }

std::string DashboardHtml(const json& data, std::string_view title) {
  std::string chart = std::string(AssetNamed("chart.umd.min.js"));
  // The source map is not bundled; a reference to it would be a dangling link.
  if (size_t at = chart.rfind("//# sourceMappingURL="); at != std::string::npos) chart.resize(at);
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<link rel=\"icon\" href=\"data:,\">\n";  // no favicon request
  page += fmt::format("<title>{} · trainsim</title>\n", HtmlEscape(title));
  page += "<style>\n" + std::string(AssetNamed("dashboard.css")) + "</style>\n";
  // First, so that errors in the scripts below are shown on the page (and seen by tests).
  page +=
      "<script>window.trainsimErrors = [];\n"
      "window.addEventListener('error', function (e) { window.trainsimErrors.push(String(e.message)); });\n"
      "</script>\n";
  page += "<script id=\"trainsim-data\" type=\"application/json\">" + ScriptSafe(data.dump()) +
          "</script>\n";
  page += "<script>\n" + chart + "\n</script>\n";
  page += "<script>\n" + std::string(AssetNamed("dashboard.js")) + "\n</script>\n";
  page += "</head>\n<body>\n<main id=\"app\"></main>\n</body>\n</html>\n";
  return page;
}

}  // namespace trainsim::dashboards
