// `trainsim sweep STUDY [--jobs N] [--shard i/N] [--out DIR] [--csv FILE] [--jsonl FILE]`: run a
// what-if study (planner/study.h): print a table row as each point finishes and append it to the
// CSV and JSON-lines files, flushed row by row so that an interrupted run keeps every finished
// point. SIGINT or SIGTERM stops starting points, lets running points finish, prints a summary
// and exits 130; a second SIGINT ends the process at once. Exit 0 when the study ran (also with
// failed points: their rows say why), 2 for a bad study file or options.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "dashboards/dashboard.h"
#include "fmt/format.h"
#include "planner/study.h"
#include "planner/sweep.h"

namespace trainsim::cli {
namespace {

// Shell convention for a run ended by SIGINT (128 + 2).
constexpr int kExitInterrupted = 130;

// Set by the signal handler; lock-free, so safe to store from it.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void OnInterrupt(int /*signal*/) { g_interrupted.store(true); }

struct SweepCliOptions {
  std::string study;
  int jobs = 1;
  std::string shard;  // "i/N"
  std::string out;    // directory for sweep.csv and sweep.jsonl
  std::string csv;
  std::string jsonl;
};

// "3/16" → {3, 16}; false when it is not i/N with 0 <= i < N.
bool ParseShard(const std::string& text, int& index, int& count) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  try {
    size_t used_i = 0, used_n = 0;
    index = std::stoi(text.substr(0, slash), &used_i);
    count = std::stoi(text.substr(slash + 1), &used_n);
    if (used_i != slash || used_n != text.size() - slash - 1) return false;
  } catch (const std::exception&) {
    return false;
  }
  return count >= 1 && index >= 0 && index < count;
}

// A file the rows are appended to, flushed after each row.
class RowFile {
 public:
  RowFile() = default;
  RowFile(const RowFile&) = delete;
  RowFile& operator=(const RowFile&) = delete;
  ~RowFile() {
    if (file_ != nullptr) std::fclose(file_);
  }
  // False (with a message on stderr) when the file cannot be created.
  bool Open(const std::string& path, const char* flag) {
    path_ = path;
    std::error_code ec;
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) std::fprintf(stderr, "%s: cannot write %s\n", flag, path.c_str());
    return file_ != nullptr;
  }
  void Write(const std::string& text) {
    if (file_ == nullptr) return;
    std::fputs(text.c_str(), file_);
    std::fflush(file_);
  }
  bool open() const { return file_ != nullptr; }
  const std::string& path() const { return path_; }

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
};

// Column headers for the knobs: the shortest dotted suffix of at least two segments that tells
// the knobs apart ("sharp.enabled" for cluster.fabric.sharp.enabled).
std::vector<std::string> KnobLabels(const planner::Study& study) {
  auto suffix = [](const std::string& path, int segments) {
    size_t at = path.size();
    for (int s = 0; s < segments; ++s) {
      const size_t dot = at == 0 ? std::string::npos : path.rfind('.', at - 1);
      if (dot == std::string::npos) return path;
      at = dot;
    }
    return path.substr(at + 1);
  };
  std::vector<std::string> labels;
  for (const planner::Knob& k : study.knobs) {
    for (int segments = 2;; ++segments) {
      const std::string label = suffix(k.path, segments);
      int same = 0;
      for (const planner::Knob& other : study.knobs) same += suffix(other.path, segments) == label;
      if (same == 1 || label == k.path) {
        labels.push_back(label);
        break;
      }
    }
  }
  return labels;
}

class Table {
 public:
  explicit Table(const planner::Study& study) : labels_(KnobLabels(study)) {
    for (size_t k = 0; k < study.knobs.size(); ++k) {
      size_t w = labels_[k].size();
      for (const std::string& v : study.knobs[k].values) w = std::max(w, v.size());
      widths_.push_back(w);
    }
  }
  std::string Header() const {
    std::string out = fmt::format("{:>6}", "point");
    for (size_t k = 0; k < labels_.size(); ++k)
      out += fmt::format("  {:<{}}", labels_[k], widths_[k]);
    return out + fmt::format("  {:>9} {:>6} {:>10} {:>8} {:>10} {:>9}  {:<10}  {}\n", "step s",
                             "MFU %", "tokens/s", "mem GiB", "energy J", "$/step", "bound by",
                             "error");
  }
  std::string Row(const planner::SweepRow& row) const {
    std::string out = fmt::format("{:>6}", row.point);
    for (size_t k = 0; k < widths_.size() && k < row.knobs.size(); ++k) {
      out += fmt::format("  {:<{}}", row.knobs[k].value, widths_[k]);
    }
    const std::string memory =
        row.peak_memory_gib > 0 ? fmt::format("{:.1f}", row.peak_memory_gib) : "-";
    if (!row.ok) {
      return out + fmt::format("  {:>9} {:>6} {:>10} {:>8} {:>10} {:>9}  {:<10}  {}\n", "-", "-",
                               "-", memory, "-", "-", "-", row.error);
    }
    const std::string cost =
        row.cost_per_step_usd > 0 ? fmt::format("{:.2f}", row.cost_per_step_usd) : "-";
    return out + fmt::format("  {:>9.3f} {:>6.1f} {:>10.4g} {:>8} {:>10.3g} {:>9}  {:<10}\n",
                             row.step_time_s, 100 * row.mfu, row.tokens_per_s, memory,
                             row.energy_per_step_j, cost, row.bound_by);
  }

 private:
  std::vector<std::string> labels_;
  std::vector<size_t> widths_;
};

// --csv FILE or --jsonl FILE as given, else DIR/name under --out DIR, else none ("").
std::string OutputPath(const std::string& given, const std::string& out_dir,
                       const std::string& name) {
  if (!given.empty()) return given;
  if (out_dir.empty()) return "";
  return (std::filesystem::path(out_dir) / name).string();
}

void PrintIntro(const planner::Study& study, const std::string& file,
                const planner::SweepOptions& run) {
  std::printf("study %s (%s): %lld points", study.name.c_str(), file.c_str(),
              static_cast<long long>(study.points()));
  if (run.shard_count > 1) {
    const int64_t mine =
        run.shard_index < study.points()
            ? (study.points() - run.shard_index + run.shard_count - 1) / run.shard_count
            : 0;
    std::printf(", shard %d/%d: %lld of them", run.shard_index, run.shard_count,
                static_cast<long long>(mine));
  }
  std::printf(", %d job%s\n", run.jobs, run.jobs == 1 ? "" : "s");
  if (!study.description.empty()) std::printf("%s\n", study.description.c_str());
}

int Sweep(const SweepCliOptions& options) {
  planner::SweepOptions run{.jobs = options.jobs};
  if (!options.shard.empty() && !ParseShard(options.shard, run.shard_index, run.shard_count)) {
    std::fprintf(stderr, "--shard %s: expected i/N with N >= 1 and 0 <= i < N, e.g. --shard 3/16\n",
                 options.shard.c_str());
    return kExitBadInput;
  }
  StatusOr<planner::Study> study = planner::LoadStudyFile(options.study);
  if (!study.ok()) {
    std::fprintf(stderr, "%s\n", study.status().message().c_str());
    return kExitBadInput;
  }
  const std::string part = run.shard_count > 1 ? fmt::format("-{}", run.shard_index) : "";
  RowFile csv, jsonl;
  const std::string csv_path = OutputPath(options.csv, options.out, "sweep" + part + ".csv");
  const std::string jsonl_path = OutputPath(options.jsonl, options.out, "sweep" + part + ".jsonl");
  if (!csv_path.empty() && !csv.Open(csv_path, "--csv")) return kExitBadInput;
  if (!jsonl_path.empty() && !jsonl.Open(jsonl_path, "--jsonl")) return kExitBadInput;
  csv.Write(planner::CsvHeader(*study));

  PrintIntro(*study, options.study, run);
  const Table table(*study);
  std::fputs(table.Header().c_str(), stdout);
  std::fflush(stdout);

  g_interrupted.store(false);
  struct sigaction action = {}, old_int = {}, old_term = {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // a second Ctrl-C ends the process at once
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  run.cancel = &g_interrupted;
  std::vector<planner::SweepRow> rows;  // for the dashboard
  StatusOr<planner::SweepSummary> summary =
      planner::RunSweep(*study, run, [&](const planner::SweepRow& row) {
        if (!options.out.empty()) rows.push_back(row);
        std::fputs(table.Row(row).c_str(), stdout);
        std::fflush(stdout);
        csv.Write(planner::CsvLine(*study, row));
        jsonl.Write(planner::JsonLine(row));
      });
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (!summary.ok()) {
    std::fprintf(stderr, "%s\n", summary.status().message().c_str());
    return kExitBadInput;
  }
  std::string wrote;
  for (const RowFile* f : {&csv, &jsonl}) {
    if (f->open()) wrote += (wrote.empty() ? "; rows in " : ", ") + f->path();
  }
  const bool interrupted = summary->cancelled || g_interrupted.load();
  if (!options.out.empty()) {
    // The finished points' charts and table (dashboards/dashboard.h); a shard's own points only.
    const std::string path =
        (std::filesystem::path(options.out) / ("dashboard" + part + ".html")).string();
    std::ofstream page(path, std::ios::binary);
    page << dashboards::DashboardHtml(
        dashboards::StudyDashboardData(*study, rows, !interrupted && run.shard_count == 1),
        study->name);
    if (!page.good()) {
      std::fprintf(stderr, "--out: cannot write %s\n", path.c_str());
      return kExitBadInput;
    }
    wrote += "; charts in " + path;
  }
  std::printf("%s: %lld of %lld points finished, %lld failed, in %.1f s%s\n",
              interrupted ? "interrupted" : "done", static_cast<long long>(summary->finished),
              static_cast<long long>(summary->points), static_cast<long long>(summary->failed),
              summary->wall_s, wrote.c_str());
  std::fflush(stdout);
  return interrupted ? kExitInterrupted : kExitOk;
}

}  // namespace

void AddSweepCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<SweepCliOptions>();
  CLI::App* sweep = app.add_subcommand(
      "sweep", "Run a what-if study: a base scenario and knobs to vary (studies/*.yaml).");
  sweep->add_option("study", options->study, "Study file (YAML).")->required();
  sweep
      ->add_option("--jobs,-j", options->jobs,
                   "Points simulated at once (threads). SimGrid points run one at a time.")
      ->check(CLI::Range(1, 1024));
  sweep->add_option("--shard", options->shard,
                    "Run only shard i of N: the points p with p mod N = i, e.g. 3/16.");
  sweep->add_option("--out", options->out,
                    "Write sweep.csv, sweep.jsonl and dashboard.html (charts of each figure "
                    "against each knob; sweep-i.csv ... for shard i/N) here.");
  sweep->add_option("--csv", options->csv, "Write the rows as CSV to this file.");
  sweep->add_option("--jsonl", options->jsonl, "Write the rows as JSON lines to this file.");
  sweep->footer(
      "Rows stream in completion order, flushed as they finish; Ctrl-C stops starting points,\n"
      "keeps the finished rows and exits 130. Exit 0 when the study ran (failed points say why\n"
      "in their rows), 2 for a bad study file.\n\n"
      "On a Slurm cluster, one shard per array task:\n"
      "  sbatch --array=0-15 --wrap 'trainsim sweep study.yaml --shard ${SLURM_ARRAY_TASK_ID}/16 "
      "--csv out/part-${SLURM_ARRAY_TASK_ID}.csv'\n"
      "then merge (header once, rows sorted by point):\n"
      "  { head -n 1 out/part-0.csv; for f in out/part-*.csv; do tail -n +2 \"$f\"; done "
      "| sort -t, -k1,1n; } > study.csv");
  sweep->callback([options, &exit_code] {
    UseHugePageHeap();
    exit_code = Sweep(*options);
  });
}

}  // namespace trainsim::cli
