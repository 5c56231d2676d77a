#include "sim/simgrid/simgrid_engine.h"

#include <xbt/log.h>
#include <simgrid/s4u.hpp>

#include <chrono>
#include <string>

#include "fmt/format.h"

namespace trainsim::simgrid {
namespace {

namespace sg4 = ::simgrid::s4u;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Configure(bool parallel_tasks) {
  // Only critical messages (SimGrid's own fatal errors): the CLI's output stays clean.
  xbt_log_control_set("root.thres:critical");
  if (parallel_tasks) {
    sg4::Engine::set_config("host/model:ptask_L07");
  } else {
    // shared/notes/simgrid.md §2.3: CM02 without cross traffic or TCP window equals the α-β
    // bound; the factors and weight-S would otherwise bend it away from plain max-min.
    sg4::Engine::set_config("network/model:CM02");
    sg4::Engine::set_config("network/crosstraffic:0");
    sg4::Engine::set_config("network/TCP-gamma:0");
    sg4::Engine::set_config("network/latency-factor:1");
    sg4::Engine::set_config("network/bandwidth-factor:1");
    sg4::Engine::set_config("network/weight-S:0");
  }
  // Actors only start transfers and wait: small stacks keep 16k of them cheap.
  sg4::Engine::set_config("contexts/stack-size:256");
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer cannot follow SimGrid's hand-made stack switches (the Debian library is not
  // built with its annotations); system threads are contexts it understands.
  sg4::Engine::set_config("contexts/factory:thread");
#endif
}

// The star zone of program.h: links, hosts and their UP/DOWN lists.
std::vector<sg4::Host*> BuildPlatform(const Program& program) {
  sg4::NetZone* zone = sg4::create_star_zone("trainsim");
  std::vector<sg4::Link*> links;
  links.reserve(program.links.size());
  for (const ProgramLink& l : program.links) {
    sg4::Link* link = zone->create_link(fmt::format("link{}", l.topology_link), l.bandwidth);
    link->set_latency(0);
    links.push_back(link->seal());
  }
  auto in_route = [&](const std::vector<uint32_t>& ids) {
    std::vector<sg4::LinkInRoute> route;
    route.reserve(ids.size());
    for (uint32_t id : ids) route.emplace_back(links[id]);
    return route;
  };
  std::vector<sg4::Host*> hosts;
  hosts.reserve(program.hosts.size());
  for (const ProgramHost& h : program.hosts) {
    sg4::Host* host = zone->create_host(h.name, 1e9)->seal();
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, in_route(h.up), false);
    zone->add_route(nullptr, host->get_netpoint(), nullptr, nullptr, in_route(h.down), false);
    hosts.push_back(host);
  }
  zone->seal();
  return hosts;
}

sg4::ExecPtr StartExec(std::vector<sg4::Host*> on, std::vector<double> bytes) {
  const size_t n = on.size();
  sg4::ExecPtr exec = sg4::Exec::init();
  exec->set_hosts(on);
  exec->set_flops_amounts(std::vector<double>(n, 0.0));
  exec->set_bytes_amounts(bytes);
  exec->start();
  return exec;
}

// One sending rank of one plan: per phase, its flows at once, then the barrier and α.
void Worker(const ProgramPlan& plan, uint32_t worker, const std::vector<sg4::Host*>& hosts,
            bool flows_as_tasks, const sg4::BarrierPtr& barrier) {
  std::vector<sg4::CommPtr> comms;
  std::vector<sg4::ExecPtr> execs;
  for (const ProgramPhase& phase : plan.phases) {
    comms.clear();
    execs.clear();
    for (uint32_t f = phase.flow_begin[worker]; f < phase.flow_begin[worker + 1]; ++f) {
      const ProgramFlow& flow = phase.flows[f];
      sg4::Host* src = hosts[flow.src];
      sg4::Host* dst = hosts[flow.dst];
      if (flows_as_tasks) {
        execs.push_back(StartExec({src, dst}, {0, static_cast<double>(flow.bytes), 0, 0}));
      } else {
        comms.push_back(sg4::Comm::sendto_async(src, dst, flow.bytes));
      }
    }
    // All are started; waiting on each in turn ends when the last one does. (Not
    // Comm::wait_all, which SimGrid 3.35 removed.)
    for (const sg4::CommPtr& comm : comms) comm->wait();
    for (const sg4::ExecPtr& exec : execs) exec->wait();
    barrier->wait();
    sg4::this_actor::sleep_for(phase.latency.seconds());
  }
}

sg4::ExecPtr StartTask(const ProgramTask& task, const std::vector<sg4::Host*>& hosts) {
  const size_t n = task.hosts.size();
  std::vector<sg4::Host*> on;
  on.reserve(n);
  for (uint32_t h : task.hosts) on.push_back(hosts[h]);
  std::vector<double> bytes(n * n, 0.0);
  for (const ProgramTransfer& t : task.transfers) bytes[t.from * n + t.to] += t.bytes;
  return StartExec(std::move(on), std::move(bytes));
}

// The plan's coordinator: runs the parallel tasks and records when each phase ends.
void Coordinator(const ProgramPlan& plan, const std::vector<sg4::Host*>& hosts,
                 const sg4::BarrierPtr& barrier, std::vector<double>& phase_ends) {
  std::vector<sg4::ExecPtr> execs;
  for (const ProgramPhase& phase : plan.phases) {
    execs.clear();
    for (const ProgramTask& task : phase.tasks) execs.push_back(StartTask(task, hosts));
    for (const sg4::ExecPtr& exec : execs) exec->wait();
    barrier->wait();
    sg4::this_actor::sleep_for(phase.latency.seconds());
    phase_ends.push_back(sg4::Engine::get_clock());
  }
}

}  // namespace

EngineRun RunInSimGrid(const Program& program, bool flows_as_tasks) {
  const auto start = std::chrono::steady_clock::now();
  EngineRun run;
  // Never destroyed: the child process exits right after the run, and tearing down a platform
  // of 100k hosts would only cost time.
  auto* engine = new sg4::Engine("trainsim");
  Configure(flows_as_tasks || program.needs_parallel_tasks());
  const std::vector<sg4::Host*> hosts = BuildPlatform(program);
  run.phase_ends.resize(program.plans.size());
  for (size_t p = 0; p < program.plans.size(); ++p) {
    const ProgramPlan& plan = program.plans[p];
    const auto workers = static_cast<uint32_t>(plan.workers.size());
    sg4::BarrierPtr barrier = sg4::Barrier::create(workers + 1);
    std::vector<double>* ends = &run.phase_ends[p];
    sg4::Actor::create(
        fmt::format("plan{}", p), hosts[program.coordinator_host],
        [&plan, &hosts, barrier, ends] { Coordinator(plan, hosts, barrier, *ends); });
    for (uint32_t w = 0; w < workers; ++w) {
      sg4::Actor::create(fmt::format("plan{}.worker{}", p, w), hosts[plan.workers[w]],
                         [&plan, &hosts, flows_as_tasks, barrier, w] {
                           Worker(plan, w, hosts, flows_as_tasks, barrier);
                         });
    }
    run.actors += workers + 1;
  }
  run.build_seconds = SecondsSince(start);
  const auto run_start = std::chrono::steady_clock::now();
  engine->run();
  run.run_seconds = SecondsSince(run_start);
  return run;
}

}  // namespace trainsim::simgrid
