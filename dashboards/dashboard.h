// Self-contained HTML dashboards: one page per simulated step or per study, which opens from disk
// with no network. The page carries its data as JSON (built here from the report, the step's
// timeline and the study's rows), the charting library (Chart.js, installed from npm at build
// time and compiled into trainsim: see dashboards/CMakeLists.txt) and the page's own script
// (dashboards/web/dashboard.js), which draws the charts.
//
// The data is plain JSON so that the live dashboards (http_server.h) send the same objects over
// HTTP that a static page embeds. Every figure comes from the report or the timeline; the page
// only arranges and draws them.
#ifndef TRAINSIM_DASHBOARDS_DASHBOARD_H_
#define TRAINSIM_DASHBOARDS_DASHBOARD_H_

#include <span>
#include <string>
#include <string_view>

#include "config/scenario_spec.h"
#include "nlohmann/json.hpp"
#include "planner/sweep.h"
#include "trainsim/v1/report.pb.h"
#include "workloads/step.h"

namespace trainsim::dashboards {

// The step dashboard's data {"kind": "step", ...}:
//  * "report": the report as `trainsim run --json` prints it;
//  * "summary": [label, value] rows describing the scenario (cluster, model, plan, precision);
//  * "roofline": the GPU's peak FLOP/s for the compute format and for CUDA-core FP32, its HBM
//    bandwidth, and each op of one layer (report.ops) as arithmetic intensity and achieved FLOP/s;
//  * "timeline" (when `timeline` is given): one step of the first rank class (or replica) of each
//    stage, compute and communication lanes, neighbouring spans of one kind merged when the gap
//    between them is below 1/4000 of the step (invisible at any screen width);
//  * "utilisation" and "power" (with a timeline): the link tiers' mean utilisation and each
//    stage's power per GPU averaged over `bins` equal slices of the step.
nlohmann::json StepDashboardData(const config::ScenarioSpec& spec, const v1::Report& report,
                                 const workloads::StepTimeline* timeline, int bins = 400);

// The study dashboard's data {"kind": "study", "name", "description", "points", "knobs":
// [path...], "rows": [one JSON object per finished point, as `trainsim sweep --jsonl` writes
// them, in point order], "done": whether every point of the study finished}.
nlohmann::json StudyDashboardData(const planner::Study& study,
                                  std::span<const planner::SweepRow> rows, bool done);

// The page: `data` embedded as JSON (safe inside <script>), the charting library and the page's
// script and style inlined. `data["kind"]` picks what the page draws ("step", "study", "live").
std::string DashboardHtml(const nlohmann::json& data, std::string_view title);

// The bundled front-end files, for the live server: "chart.umd.min.js", "dashboard.js",
// "dashboard.css"; empty when `name` is not one of them.
std::string_view Asset(std::string_view name);

}  // namespace trainsim::dashboards

#endif  // TRAINSIM_DASHBOARDS_DASHBOARD_H_
