#include "planner/sweep.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>

#include "boost/asio/post.hpp"
#include "boost/asio/thread_pool.hpp"
#include "config/report.h"
#include "config/scenario_spec.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "planner/simulate.h"

namespace trainsim::planner {
namespace {

// Multi-line diagnostics (every problem of a scenario) on one line, for tables and CSV.
std::string OneLine(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "; ";
    } else if (c != '\r') {
      out += c;
    }
  }
  return out;
}

SweepRow Failed(SweepRow row, std::string error) {
  row.ok = false;
  row.error = OneLine(std::move(error));
  return row;
}

SweepRow Simulate(const Study& study, int64_t point) {
  SweepRow row{.point = point, .knobs = study.Point(point)};
  StatusOr<config::LoadedScenario> loaded = study.ScenarioAt(point);
  if (!loaded.ok()) return Failed(std::move(row), loaded.status().message());
  StatusOr<config::ScenarioSpec> spec = config::BuildScenarioSpec(*loaded);
  if (!spec.ok()) return Failed(std::move(row), spec.status().message());
  // The report's figures, as `trainsim run` prints them (the resolved scenario is not needed).
  StatusOr<Simulation> simulated = SimulateScenario(*loaded, *spec, {.resolve = false});
  if (!simulated.ok()) return Failed(std::move(row), simulated.status().message());
  const v1::Report& report = simulated->report;
  row.peak_memory_gib = report.peak_memory_gib();
  if (!simulated->step.simulated) return Failed(std::move(row), config::OutOfMemoryMessage(report));
  row.ok = true;
  row.step_time_s = report.step_time_s();
  row.mfu = report.mfu();
  row.tokens_per_s = report.tokens_per_s();
  row.energy_per_step_j = report.energy_per_step_j();
  row.avg_power_w = report.avg_power_w();
  row.time_to_train_s = report.time_to_train_s();
  row.cost_per_step_usd = row.step_time_s / 3600.0 * static_cast<double>(spec->cluster.gpus) *
                          spec->simulation.gpu_hour_usd;
  row.bound_by = report.bound_by();
  return row;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Shortest text that reads back to the same double.
std::string Number(double v) { return fmt::format("{}", v); }

nlohmann::ordered_json TypedValue(const std::string& text) {
  int64_t i = 0;
  double d = 0;
  const char* end = text.data() + text.size();
  if (auto [p, ec] = std::from_chars(text.data(), end, i); ec == std::errc() && p == end) {
    return i;
  }
  if (auto [p, ec] = std::from_chars(text.data(), end, d);
      ec == std::errc() && p == end && std::isfinite(d)) {
    return d;
  }
  if (text == "true") return true;
  if (text == "false") return false;
  return text;
}

}  // namespace

SweepRow RunPoint(const Study& study, int64_t point) {
  try {
    return Simulate(study, point);
  } catch (const std::exception& e) {
    // A bug below, not the user's input; the other points still run.
    return Failed(SweepRow{.point = point, .knobs = study.Point(point)},
                  std::string("internal error: ") + e.what());
  }
}

StatusOr<SweepSummary> RunSweep(const Study& study, const SweepOptions& options,
                                const std::function<void(const SweepRow&)>& on_row) {
  if (options.jobs < 1) {
    return InvalidArgumentError(fmt::format("jobs: {} must be at least 1", options.jobs));
  }
  if (options.shard_count < 1 || options.shard_index < 0 ||
      options.shard_index >= options.shard_count) {
    return InvalidArgumentError(
        fmt::format("shard: {}/{} is not a shard; valid: i/N with N >= 1 and 0 <= i < N",
                    options.shard_index, options.shard_count));
  }
  const auto start = std::chrono::steady_clock::now();
  SweepSummary summary;
  std::mutex mutex;  // serializes on_row and the summary
  {
    boost::asio::thread_pool pool(static_cast<size_t>(options.jobs));
    for (int64_t i = options.shard_index; i < study.points(); i += options.shard_count) {
      ++summary.points;
      boost::asio::post(pool, [&, i] {
        if (options.cancel != nullptr && options.cancel->load()) {
          std::lock_guard<std::mutex> lock(mutex);
          summary.cancelled = true;
          return;
        }
        const SweepRow row = RunPoint(study, i);
        std::lock_guard<std::mutex> lock(mutex);
        ++summary.finished;
        if (!row.ok) ++summary.failed;
        on_row(row);
      });
    }
    pool.join();
  }
  summary.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

std::string CsvHeader(const Study& study) {
  std::string out = "point";
  for (const Knob& k : study.knobs) {
    out += ',';
    out += CsvField(k.path);
  }
  out +=
      ",ok,step_time_s,mfu,tokens_per_s,peak_memory_gib,energy_per_step_j,avg_power_w,"
      "cost_per_step_usd,time_to_train_s,bound_by,error\n";
  return out;
}

std::string CsvLine(const Study& study, const SweepRow& row) {
  std::string out = std::to_string(row.point);
  auto field = [&out](const std::string& text) {
    out += ',';
    out += text;
  };
  for (size_t k = 0; k < study.knobs.size(); ++k) {
    field(k < row.knobs.size() ? CsvField(row.knobs[k].value) : std::string());
  }
  field(row.ok ? "true" : "false");
  auto figure = [&](double v) { field(row.ok ? Number(v) : std::string()); };
  figure(row.step_time_s);
  figure(row.mfu);
  figure(row.tokens_per_s);
  field(row.ok || row.peak_memory_gib > 0 ? Number(row.peak_memory_gib) : std::string());
  figure(row.energy_per_step_j);
  figure(row.avg_power_w);
  figure(row.cost_per_step_usd);
  figure(row.time_to_train_s);
  field(CsvField(row.bound_by));
  field(CsvField(row.error));
  out += '\n';
  return out;
}

std::string JsonLine(const SweepRow& row) {
  nlohmann::ordered_json j;
  j["point"] = row.point;
  nlohmann::ordered_json knobs = nlohmann::ordered_json::object();
  for (const KnobValue& k : row.knobs) knobs[k.path] = TypedValue(k.value);
  j["knobs"] = std::move(knobs);
  j["ok"] = row.ok;
  auto figure = [&](const char* key, double v, bool known) {
    j[key] = known ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
  };
  figure("step_time_s", row.step_time_s, row.ok);
  figure("mfu", row.mfu, row.ok);
  figure("tokens_per_s", row.tokens_per_s, row.ok);
  figure("peak_memory_gib", row.peak_memory_gib, row.ok || row.peak_memory_gib > 0);
  figure("energy_per_step_j", row.energy_per_step_j, row.ok);
  figure("avg_power_w", row.avg_power_w, row.ok);
  figure("cost_per_step_usd", row.cost_per_step_usd, row.ok);
  figure("time_to_train_s", row.time_to_train_s, row.ok);
  j["bound_by"] = row.bound_by;
  j["error"] = row.error;
  return j.dump() + "\n";
}

}  // namespace trainsim::planner
