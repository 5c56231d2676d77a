// The SimGrid executor against the native one on the same graphs: a small hand-built graph node
// by node, and whole training steps (GPT-3 175B on 1,024 H100, a straggler) by step time.
#include "workloads/simgrid_executor.h"

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "collectives/collective.h"
#include "config/scenario_loader.h"
#include "config/scenario_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/topology/test_clusters.h"
#include "workloads/executor.h"
#include "workloads/step.h"

namespace trainsim::workloads {
namespace {

using collectives::CollectiveOp;
using collectives::CollectivePlan;
using ::testing::HasSubstr;
using namespace trainsim::literals;

topology::Topology DgxH100(int64_t nodes) {
  StatusOr<topology::Topology> t =
      topology::Topology::Build(topology::testing::SuperPod(nodes * 8));
  EXPECT_TRUE(t.ok()) << t.status().message();
  return *std::move(t);
}

CollectivePlan PlanOf(const topology::Topology& topology, CollectiveOp op,
                      std::vector<int64_t> ranks, Bytes bytes, std::string_view algorithm) {
  StatusOr<CollectivePlan> plan = collectives::FindAlgorithm(algorithm).value()->Plan(
      {.op = op, .ranks = std::move(ranks), .bytes = bytes}, topology,
      collectives::Protocol::kSimple);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  return plan.ok() ? *std::move(plan) : CollectivePlan{};
}

std::vector<int64_t> Ranks(int64_t first, int64_t count, int64_t stride = 1) {
  std::vector<int64_t> ranks;
  for (int64_t i = 0; i < count; ++i) ranks.push_back(first + i * stride);
  return ranks;
}

// A graph of two streams on two nodes: a compute chain on each; an off-stream ring AllReduce
// across the nodes that the first stream's last kernel waits for; an on-stream NVLS AllReduce
// (a reduction tree) on the second; a dependency from the first stream to the second; two
// copies of one all-to-all that share every link; a collective without phases; and a bundle
// whose hops carry mirror weights. Collectives of different kinds never overlap: where they
// contend the two models share links differently (simgrid_executor.h).
struct SmallGraph {
  ExecutionGraph graph{2};
  std::vector<PlannedComm> comms;
};

SmallGraph BuildSmallGraph(const topology::Topology& topology) {
  SmallGraph s;
  ExecutionGraph& g = s.graph;
  auto compute = [&](int stream, Time duration) {
    return g.Add(GraphNode{.category = Category::kForward, .stream = stream, .duration = duration});
  };
  auto comm = [&](int stream, bool on_stream, CollectivePlan plan) {
    // Distinct ops (the bytes tell them apart), each with its own plan.
    const CommOp op{.bytes = Bytes(static_cast<int64_t>(s.comms.size()) + 1)};
    s.comms.push_back(PlannedComm{.plan = std::move(plan)});
    return g.AddComm(Category::kDpComm, on_stream, stream, op);
  };
  CollectivePlan weighted =
      PlanOf(topology, CollectiveOp::kAllReduce, Ranks(3, 2, 8), 32_MiB, "ring");
  for (collectives::PlanPhase& phase : weighted.phases) {
    for (collectives::PlannedBundle& bundle : phase.bundles) {
      for (size_t i = 0; i < bundle.path.size(); i += 2) bundle.path[i].weight = 3;
    }
  }
  const CollectivePlan a2a =
      PlanOf(topology, CollectiveOp::kAllToAll, Ranks(0, 16), 128_MiB, "direct");

  // Stream 0: a, b, c, then the weighted ring; the ring AllReduce overlaps b.
  const NodeId a = compute(0, 1_ms);
  const NodeId ring =
      comm(0, /*on_stream=*/false,
           PlanOf(topology, CollectiveOp::kAllReduce, Ranks(0, 2, 8), 32_MiB, "ring"));
  const NodeId b = compute(0, 2_ms);
  const NodeId c = compute(0, Time::Microseconds(500));
  // Stream 1: d, NVLS, e (after b too), then the all-to-alls and the empty plan before f.
  compute(1, Time::Microseconds(700));
  comm(1, /*on_stream=*/true,
       PlanOf(topology, CollectiveOp::kAllReduce, Ranks(8, 8), 64_MiB, "nvls"));
  const NodeId e = compute(1, Time::Microseconds(300));
  const NodeId a2a_1 = comm(1, /*on_stream=*/false, a2a);
  const NodeId a2a_2 = comm(1, /*on_stream=*/false, a2a);
  const NodeId empty = comm(1, /*on_stream=*/false, CollectivePlan{.algorithm = "none"});
  const NodeId f = compute(1, Time::Microseconds(900));
  const NodeId mirrored = comm(0, /*on_stream=*/true, std::move(weighted));
  g.Depend(a, ring);
  g.Depend(ring, c);
  g.Depend(b, e);  // across streams
  for (NodeId x : {a2a_1, a2a_2, empty}) {
    g.Depend(e, x);
    g.Depend(x, f);
  }
  g.Depend(f, mirrored);
  g.Finalize();
  EXPECT_EQ(g.comm_ops().size(), s.comms.size());
  return s;
}

TEST(SimGridExecutor, SmallGraphGivesTheNativeNodeTimes) {
  const topology::Topology topology = DgxH100(2);
  const SmallGraph s = BuildSmallGraph(topology);
  StatusOr<ExecutionTrace> native = ExecuteNative(s.graph, s.comms, topology);
  ASSERT_TRUE(native.ok()) << native.status().message();
  for (simgrid::FlowModel flows :
       {simgrid::FlowModel::kComms, simgrid::FlowModel::kParallelTasks}) {
    StatusOr<SimGridExecution> run =
        ExecuteGraphWithSimGrid(s.graph, s.comms, topology, {.flows = flows});
    ASSERT_TRUE(run.ok()) << run.status().message();
    const ExecutionTrace& sg = run->trace;
    ASSERT_EQ(sg.nodes.size(), native->nodes.size());
    for (NodeId id = 0; id < s.graph.size(); ++id) {
      const NodeTiming& n = native->nodes[id];
      const NodeTiming& m = sg.nodes[id];
      EXPECT_NEAR(m.start.seconds(), n.start.seconds(), 1e-9 * n.start.seconds()) << "node " << id;
      EXPECT_NEAR(m.end.seconds(), n.end.seconds(), 1e-9 * n.end.seconds()) << "node " << id;
    }
    EXPECT_NEAR(sg.makespan.seconds(), native->makespan.seconds(),
                1e-9 * native->makespan.seconds());
    EXPECT_EQ(sg.link_bytes, native->link_bytes);
    EXPECT_EQ(run->activities, static_cast<int64_t>(s.graph.size()));
    EXPECT_EQ(run->stats.flows_as_tasks, flows == simgrid::FlowModel::kParallelTasks);
    EXPECT_GT(run->stats.tree_tasks, 0);                 // NVLS
    EXPECT_GT(run->stats.tasks, run->stats.tree_tasks);  // and the weighted bundle
  }
}

TEST(SimGridExecutor, SameGraphSameTraceToThePicosecond) {
  const topology::Topology topology = DgxH100(2);
  const SmallGraph s = BuildSmallGraph(topology);
  const GraphExecutor executor = ExecuteSimGrid;  // what StepScenario::executor takes
  StatusOr<ExecutionTrace> first = executor(s.graph, s.comms, topology);
  StatusOr<ExecutionTrace> second = executor(s.graph, s.comms, topology);
  ASSERT_TRUE(first.ok() && second.ok());
  for (NodeId id = 0; id < s.graph.size(); ++id) {
    EXPECT_EQ(first->nodes[id].start, second->nodes[id].start);
    EXPECT_EQ(first->nodes[id].end, second->nodes[id].end);
  }
}

TEST(SimGridExecutor, ACycleIsTheWalkersError) {
  const topology::Topology topology = DgxH100(1);
  ExecutionGraph g(1);
  const NodeId a = g.Add(GraphNode{.on_stream = false, .stream = 0, .duration = 1_ms});
  const NodeId b = g.Add(GraphNode{.on_stream = false, .stream = 0, .duration = 1_ms});
  g.Add(GraphNode{.stream = 0, .duration = 1_ms});  // on the stream, never reached
  g.Depend(a, b);
  g.Depend(b, a);
  g.Finalize();
  StatusOr<ExecutionTrace> native = ExecuteNative(g, {}, topology);
  StatusOr<ExecutionTrace> sg = ExecuteSimGrid(g, {}, topology);
  ASSERT_FALSE(native.ok());
  ASSERT_FALSE(sg.ok());
  EXPECT_EQ(sg.status().code(), native.status().code());
  EXPECT_EQ(sg.status().message(), native.status().message());
}

TEST(SimGridExecutor, ACommunicationNodeWithoutAPlanIsAnInvalidArgument) {
  const topology::Topology topology = DgxH100(1);
  ExecutionGraph g(1);
  g.AddComm(Category::kTpComm, true, 0, CommOp{});
  g.Finalize();
  StatusOr<ExecutionTrace> sg = ExecuteSimGrid(g, {}, topology);
  ASSERT_FALSE(sg.ok());
  EXPECT_EQ(sg.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(sg.status().message(), HasSubstr("has no plan"));
}

// Whole steps: the same scenario with the native executor and with SimGrid's.
config::ScenarioSpec LoadScenario(const std::string& file) {
  StatusOr<config::LoadedScenario> loaded =
      config::LoadScenarioFile(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/" + file);
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  StatusOr<config::ScenarioSpec> spec = config::BuildScenarioSpec(*loaded);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return *spec;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024;  // Linux: KiB
}

// Step times within 2 %; prints both executors' wall times and memory.
void ExpectStepsAgree(const config::ScenarioSpec& s, const std::string& name) {
  StepScenario scenario{.cluster = &s.cluster,
                        .model = &s.model,
                        .plan = &s.parallel,
                        .training = &s.training,
                        .precision = &s.precision,
                        .options = &s.simulation};
  auto start = std::chrono::steady_clock::now();
  StatusOr<StepResult> native = SimulateStep(scenario);
  const double native_wall = Seconds(std::chrono::steady_clock::now() - start);
  ASSERT_TRUE(native.ok()) << native.status().message();
  ASSERT_TRUE(native->simulated);
  const double native_rss = PeakRssMiB();

  SimGridExecution stats;
  scenario.executor = [&stats](const ExecutionGraph& graph, std::span<const PlannedComm> comms,
                               const topology::Topology& topology) -> StatusOr<ExecutionTrace> {
    StatusOr<SimGridExecution> run = ExecuteGraphWithSimGrid(graph, comms, topology);
    if (!run.ok()) return run.status();
    stats = *run;
    return run->trace;
  };
  start = std::chrono::steady_clock::now();
  StatusOr<StepResult> sg = SimulateStep(scenario);
  const double sg_wall = Seconds(std::chrono::steady_clock::now() - start);
  ASSERT_TRUE(sg.ok()) << sg.status().message();

  const double difference = sg->step_time / native->step_time - 1;
  std::printf(
      "%s: %zu nodes; step time native %.9f s, SimGrid %.9f s (relative difference %+.2e)\n"
      "  native: SimulateStep %.2f s wall, peak RSS of this process %.0f MiB\n"
      "  SimGrid: SimulateStep %.2f s wall (platform %.2f s, run %.2f s), %lld actors, "
      "%lld hosts, %lld links, %lld flows, %lld tasks, flows as %s, %lld transfers run, peak RSS "
      "of its process %.0f MiB\n",
      name.c_str(), native->graph_nodes, native->step_time.seconds(), sg->step_time.seconds(),
      difference, native_wall, native_rss, sg_wall, stats.stats.build_seconds,
      stats.stats.run_seconds, static_cast<long long>(stats.stats.actors),
      static_cast<long long>(stats.stats.hosts), static_cast<long long>(stats.stats.links),
      static_cast<long long>(stats.stats.flows), static_cast<long long>(stats.stats.tasks),
      stats.stats.flows_as_tasks ? "tasks" : "comms", static_cast<long long>(stats.transfers),
      static_cast<double>(stats.stats.peak_rss_bytes) / (1 << 20));
  EXPECT_LT(std::abs(difference), 0.02) << name;
  EXPECT_EQ(stats.activities, static_cast<int64_t>(native->graph_nodes));
  // The same traffic: link bytes come from the plans, not from SimGrid's rates.
  ASSERT_EQ(sg->links.size(), native->links.size());
  for (size_t i = 0; i < native->links.size(); ++i) {
    EXPECT_EQ(sg->links[i].tier, native->links[i].tier);
    EXPECT_NEAR(sg->links[i].bytes.value(), native->links[i].bytes.value(),
                1e-9 * native->links[i].bytes.value())
        << native->links[i].tier;
  }
}

TEST(SimGridExecutor, Gpt3On1024H100StepWithinTwoPercentOfNative) {
  ExpectStepsAgree(LoadScenario("gpt3-175b-h100.yaml"), "gpt3-175b on 1,024 H100");
}

TEST(SimGridExecutor, StepWithAStragglerWithinTwoPercentOfNative) {
  config::ScenarioSpec s = LoadScenario("gpt3-175b-h100.yaml");
  s.simulation.stragglers = {Straggler{.gpu = 0, .slowdown = 0.2}};
  ExpectStepsAgree(s, "gpt3-175b on 1,024 H100, GPU 0 20 % slower");
}

}  // namespace
}  // namespace trainsim::workloads
