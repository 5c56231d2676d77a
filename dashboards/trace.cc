#include "dashboards/trace.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace trainsim::dashboards {
namespace {

using workloads::Category;
using workloads::StepTimeline;
using workloads::TimelineSpan;

// Lanes of a stream: compute, then one per communication kind.
constexpr int kLanes = 6;
int Lane(const TimelineSpan& s) {
  switch (s.category) {
    case Category::kTpComm:
      return 1;
    case Category::kCpComm:
      return 2;
    case Category::kEpComm:
      return 3;
    case Category::kPpComm:
      return 4;
    case Category::kDpComm:
      return 5;
    default:
      return 0;
  }
}
constexpr const char* kLaneNames[kLanes] = {"compute", "tp", "cp", "ep", "pp", "dp"};

double Micros(Time t) { return static_cast<double>(t.picoseconds()) / 1e6; }

// A JSON string literal (quotes included).
std::string Quoted(std::string_view text) { return nlohmann::json(std::string(text)).dump(); }

struct Event {
  int64_t ps;     // time, for the sort
  int order;      // metadata (0) before events (1) at one time
  uint64_t seq;   // creation order, so the sort is stable and deterministic
  std::string json;
};

}  // namespace

std::string ChromeTraceJson(const StepTimeline& t, const std::string& title) {
  std::vector<Event> events;
  uint64_t seq = 0;
  auto add = [&](int64_t ps, int order, nlohmann::json e) {
    events.push_back(Event{ps, order, seq++, e.dump()});
  };
  const int streams = static_cast<int>(t.stream_names.size());
  auto pid = [&](int stream) { return stream % t.pp + 1; };  // pid 0: the cluster
  auto tid = [&](int stream, int lane) { return (stream / t.pp) * kLanes + lane; };

  // Which lanes each stream uses, so that empty ones get no name.
  std::vector<std::array<bool, kLanes>> used(static_cast<size_t>(streams));
  for (const TimelineSpan& s : t.spans) used[static_cast<size_t>(s.stream)][Lane(s)] = true;
  add(0, 0, {{"ph", "M"}, {"name", "process_name"}, {"pid", 0}, {"tid", 0},
             {"args", {{"name", "cluster: " + title}}}});
  for (int stage = 0; stage < t.pp; ++stage) {
    add(0, 0, {{"ph", "M"}, {"name", "process_name"}, {"pid", stage + 1}, {"tid", 0},
               {"args", {{"name", fmt::format("stage {}", stage)}}}});
    add(0, 0, {{"ph", "M"}, {"name", "process_sort_index"}, {"pid", stage + 1}, {"tid", 0},
               {"args", {{"sort_index", stage + 1}}}});
  }
  for (int st = 0; st < streams; ++st) {
    for (int lane = 0; lane < kLanes; ++lane) {
      if (!used[static_cast<size_t>(st)][lane]) continue;
      add(0, 0, {{"ph", "M"}, {"name", "thread_name"}, {"pid", pid(st)}, {"tid", tid(st, lane)},
                 {"args", {{"name", t.stream_names[static_cast<size_t>(st)] + " " +
                                        kLaneNames[lane]}}}});
      add(0, 0, {{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", pid(st)},
                 {"tid", tid(st, lane)}, {"args", {{"sort_index", tid(st, lane)}}}});
    }
  }

  // The bulk of the events, formatted directly (one json object each would dominate the time).
  std::vector<std::string> comm_names, category_names;
  for (const std::string& label : t.comm_labels) comm_names.push_back(Quoted(label));
  for (int c = 0; c < workloads::kCategoryCount; ++c) {
    category_names.push_back(Quoted(workloads::CategoryName(static_cast<Category>(c))));
  }
  for (size_t i = 0; i < t.spans.size(); ++i) {
    const TimelineSpan& s = t.spans[i];
    const std::string& cat = category_names[static_cast<size_t>(s.category)];
    const std::string& name = s.comm >= 0 ? comm_names[static_cast<size_t>(s.comm)] : cat;
    events.push_back(Event{
        s.start.picoseconds(), 1, seq++,
        fmt::format(R"({{"ph":"X","name":{},"cat":{},"pid":{},"tid":{},"ts":{},"dur":{},)"
                    R"("args":{{"node":{},"on_stream":{}}}}})",
                    name, cat, pid(s.stream), tid(s.stream, Lane(s)), Micros(s.start),
                    Micros(s.end - s.start), i, s.on_stream)});
  }
  for (size_t k = 0; k < t.flows.size(); ++k) {
    const TimelineSpan& from = t.spans[t.flows[k].from];
    const TimelineSpan& to = t.spans[t.flows[k].to];
    add(from.start.picoseconds(), 1,
        {{"ph", "s"}, {"name", "pp"}, {"cat", "pp-flow"}, {"id", k}, {"pid", pid(from.stream)},
         {"tid", tid(from.stream, Lane(from))}, {"ts", Micros(from.start)}});
    add(to.start.picoseconds(), 1,
        {{"ph", "f"}, {"bp", "e"}, {"name", "pp"}, {"cat", "pp-flow"}, {"id", k},
         {"pid", pid(to.stream)}, {"tid", tid(to.stream, Lane(to))}, {"ts", Micros(to.start)}});
  }

  // Link-tier utilisation: each communication node adds bytes/duration to its tiers while it
  // runs.
  if (!t.tiers.empty()) {
    std::map<int64_t, std::vector<double>> change;  // time → rate change per tier (B/s)
    for (const TimelineSpan& s : t.spans) {
      if (s.comm < 0 || s.end <= s.start) continue;
      const std::vector<double>& bytes = t.comm_tier_bytes[static_cast<size_t>(s.comm)];
      const double seconds = (s.end - s.start).seconds();
      auto& up = change[s.start.picoseconds()];
      auto& down = change[s.end.picoseconds()];
      up.resize(t.tiers.size(), 0.0);
      down.resize(t.tiers.size(), 0.0);
      for (size_t k = 0; k < bytes.size(); ++k) {
        up[k] += bytes[k] / seconds;
        down[k] -= bytes[k] / seconds;
      }
    }
    std::vector<double> rate(t.tiers.size(), 0.0);
    std::vector<std::string> tier_names;
    for (const std::string& tier : t.tiers) tier_names.push_back(Quoted(tier));
    for (const auto& [ps, delta] : change) {
      std::string args;
      for (size_t k = 0; k < rate.size(); ++k) {
        rate[k] += delta[k];
        const double u = t.tier_capacity[k] > 0 ? std::max(0.0, rate[k]) / t.tier_capacity[k] : 0;
        args += fmt::format("{}{}:{}", k > 0 ? "," : "", tier_names[k], u < 1e-12 ? 0.0 : u);
      }
      events.push_back(Event{
          ps, 1, seq++,
          fmt::format(R"({{"ph":"C","name":"link utilisation","pid":0,"tid":0,"ts":{},)"
                      R"("args":{{{}}}}})",
                      static_cast<double>(ps) / 1e6, args)});
    }
  }
  // Power per GPU of each stream: the op's power while a compute op runs, static between.
  for (int st = 0; st < streams; ++st) {
    const std::string counter = "power W, " + t.stream_names[static_cast<size_t>(st)];
    add(0, 1, {{"ph", "C"}, {"name", counter}, {"pid", pid(st)}, {"tid", 0}, {"ts", 0.0},
               {"args", {{"W", t.static_watts}}}});
  }
  std::vector<std::string> counters;
  for (const std::string& name : t.stream_names) counters.push_back(Quoted("power W, " + name));
  auto power = [&](const TimelineSpan& s, Time at, double watts) {
    events.push_back(Event{
        at.picoseconds(), 1, seq++,
        fmt::format(R"({{"ph":"C","name":{},"pid":{},"tid":0,"ts":{},"args":{{"W":{}}}}})",
                    counters[static_cast<size_t>(s.stream)], pid(s.stream), Micros(at), watts)});
  };
  for (const TimelineSpan& s : t.spans) {
    if (s.comm >= 0 || !s.on_stream || s.end <= s.start) continue;
    power(s, s.start, s.watts);
    power(s, s.end, t.static_watts);
  }

  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.ps != b.ps) return a.ps < b.ps;
    if (a.order != b.order) return a.order < b.order;
    return a.seq < b.seq;
  });
  std::string out = "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
  for (size_t i = 0; i < events.size(); ++i) {
    out += events[i].json;
    out += i + 1 < events.size() ? ",\n" : "\n";
  }
  out += "]}\n";
  return out;
}

}  // namespace trainsim::dashboards
