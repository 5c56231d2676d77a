#include "workloads/simgrid_executor.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/simgrid/child_process.h"
#include "sim/simgrid/program.h"
#include "sim/simgrid/simgrid_engine.h"
#include "workloads/graph_walker.h"

namespace trainsim::workloads {
namespace {

using simgrid::ActivityStarter;
using simgrid::Put;

// Walks the graph inside the SimGrid run: a node that may start becomes an activity tagged with
// its id (plan i of the program is comms[i]'s plan), and its end lets the walker go on.
class GraphDriver final : public simgrid::ActivityDriver {
 public:
  explicit GraphDriver(const ExecutionGraph& graph)
      : graph_(graph), walker_(graph, [this](NodeId id) { Start(id); }), times_(graph.size()) {}

  void Begin(ActivityStarter& starter) override {
    starter_ = &starter;
    walker_.Begin();
  }
  void Ended(ActivityStarter& starter, uint64_t tag) override {
    starter_ = &starter;
    times_[tag].end = starter.now();
    walker_.Finished(static_cast<NodeId>(tag));
  }

  const GraphWalker& walker() const { return walker_; }
  const std::vector<NodeTiming>& times() const { return times_; }

 private:
  void Start(NodeId id) {
    const GraphNode n = graph_.node(id);
    times_[id].start = starter_->now();
    if (n.comm < 0) {
      starter_->StartDelay(id, n.duration);
    } else {
      starter_->StartPlan(id, static_cast<uint32_t>(n.comm));
    }
  }

  const ExecutionGraph& graph_;
  GraphWalker walker_;
  std::vector<NodeTiming> times_;
  ActivityStarter* starter_ = nullptr;
};

// The child's answer: the walker's verdict (a StatusCode, then the message when not OK), then the
// node times in picoseconds and the run's statistics.
std::string RunGraph(const ExecutionGraph& graph, const simgrid::Program& program,
                     bool flows_as_tasks) {
  GraphDriver driver(graph);
  const simgrid::DrivenRunStats run = simgrid::DriveInSimGrid(program, flows_as_tasks, driver);
  std::string out;
  const Status ran = driver.walker().CheckAllRan();
  Put(out, ran.code());
  if (!ran.ok()) {
    out += ran.message();
    return out;
  }
  for (const NodeTiming& t : driver.times()) {
    Put(out, t.start.picoseconds());
    Put(out, t.end.picoseconds());
  }
  Put(out, run);
  return out;
}

StatusOr<simgrid::DrivenRunStats> DecodeTimes(std::string_view answer,
                                              std::vector<NodeTiming>& nodes) {
  simgrid::WireReader in(answer);
  StatusCode code{};
  if (!in.Get(code)) return InternalError("the SimGrid process gave no answer");
  if (code != StatusCode::kOk) return Status(code, std::string(in.rest()));
  for (NodeTiming& t : nodes) {
    int64_t start = 0, end = 0;
    if (!in.Get(start) || !in.Get(end)) break;
    t = NodeTiming{.start = Time::Picoseconds(start), .end = Time::Picoseconds(end)};
  }
  simgrid::DrivenRunStats run;
  if (!in.Get(run) || !in.rest().empty()) {
    return InternalError("the SimGrid process's answer does not fit the graph");
  }
  return run;
}

// Weighted bytes per link, as the native executor's network counts them: per run of a
// communication node, Σ over its plan's bundles and hops of weight × bytes.
std::vector<Bytes> LinkBytes(const ExecutionGraph& graph, std::span<const PlannedComm> comms,
                             size_t links) {
  std::vector<int64_t> runs(comms.size(), 0);
  for (const GraphNode& n : graph.nodes()) {
    if (n.comm >= 0) ++runs[static_cast<size_t>(n.comm)];
  }
  std::vector<Bytes> bytes(links);
  for (size_t c = 0; c < comms.size(); ++c) {
    if (runs[c] == 0) continue;
    for (const collectives::PlanPhase& phase : comms[c].plan.phases) {
      for (const collectives::PlannedBundle& b : phase.bundles) {
        for (const FlowHop& hop : b.path) {
          bytes[hop.link.value] += Bytes(runs[c] * int64_t{hop.weight} * b.bytes.count());
        }
      }
    }
  }
  return bytes;
}

}  // namespace

StatusOr<SimGridExecution> ExecuteGraphWithSimGrid(const ExecutionGraph& graph,
                                                   std::span<const PlannedComm> comms,
                                                   const topology::Topology& topology,
                                                   const simgrid::SimGridOptions& options) {
  std::vector<const collectives::CollectivePlan*> plans;
  plans.reserve(comms.size());
  for (const PlannedComm& c : comms) plans.push_back(&c.plan);
  for (const GraphNode& n : graph.nodes()) {
    if (n.comm >= static_cast<int32_t>(comms.size())) {
      return InvalidArgumentError("execution graph: a communication node has no plan");
    }
  }
  StatusOr<simgrid::Program> program = simgrid::LowerPlans(plans, topology);
  if (!program.ok()) return program.status();
  const bool flows_as_tasks = simgrid::FlowsAsTasks(*program, options.flows);

  StatusOr<simgrid::ChildAnswer> answer = simgrid::RunInChildProcess(
      [&] { return RunGraph(graph, *program, flows_as_tasks); }, options.timeout_seconds);
  if (!answer.ok()) return answer.status();
  SimGridExecution out;
  out.trace.nodes.resize(graph.size());
  StatusOr<simgrid::DrivenRunStats> run = DecodeTimes(answer->bytes, out.trace.nodes);
  if (!run.ok()) return run.status();
  for (const NodeTiming& t : out.trace.nodes) {
    out.trace.makespan = std::max(out.trace.makespan, t.end);
  }
  out.trace.link_bytes = LinkBytes(graph, comms, topology.links().size());
  out.stats = simgrid::SimGridStats{.links = static_cast<int64_t>(program->links.size()),
                                    .hosts = static_cast<int64_t>(program->hosts.size()),
                                    .flows = program->flows,
                                    .tasks = program->tasks,
                                    .tree_tasks = program->tree_tasks,
                                    .actors = run->actors,
                                    .flows_as_tasks = flows_as_tasks,
                                    .build_seconds = run->build_seconds,
                                    .run_seconds = run->run_seconds,
                                    .peak_rss_bytes = answer->peak_rss_bytes};
  out.activities = run->activities;
  out.transfers = run->transfers;
  return out;
}

StatusOr<ExecutionTrace> ExecuteSimGrid(const ExecutionGraph& graph,
                                        std::span<const PlannedComm> comms,
                                        const topology::Topology& topology) {
  StatusOr<SimGridExecution> run = ExecuteGraphWithSimGrid(graph, comms, topology);
  if (!run.ok()) return run.status();
  return std::move(run->trace);
}

}  // namespace trainsim::workloads
