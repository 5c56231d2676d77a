#include "sim/simgrid/simgrid_engine.h"

#include <xbt/log.h>
#include <simgrid/s4u.hpp>

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "fmt/format.h"
#include "sim/check.h"

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
  // An activity with less than this left at an event ends there. SimGrid's default, 1 ns, would
  // end a kernel up to 1 ns early when another event falls just before its end (measured);
  // trainsim's clock ticks in picoseconds.
  sg4::Engine::set_config("surf/precision:1e-12");
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

// Transfers in flight, started by one actor.
struct Transfers {
  std::vector<sg4::CommPtr> comms;
  std::vector<sg4::ExecPtr> execs;

  // All are started; waiting on each in turn ends when the last one does. (Not
  // Comm::wait_all, which SimGrid 3.35 removed.)
  void WaitAll() {
    for (const sg4::CommPtr& comm : comms) comm->wait();
    for (const sg4::ExecPtr& exec : execs) exec->wait();
    comms.clear();
    execs.clear();
  }
};

void StartFlows(std::span<const ProgramFlow> flows, const std::vector<sg4::Host*>& hosts,
                bool flows_as_tasks, Transfers& out) {
  for (const ProgramFlow& flow : flows) {
    sg4::Host* src = hosts[flow.src];
    sg4::Host* dst = hosts[flow.dst];
    if (flows_as_tasks) {
      out.execs.push_back(StartExec({src, dst}, {0, static_cast<double>(flow.bytes), 0, 0}));
    } else {
      out.comms.push_back(sg4::Comm::sendto_async(src, dst, flow.bytes));
    }
  }
}

void StartTasks(std::span<const ProgramTask> tasks, const std::vector<sg4::Host*>& hosts,
                Transfers& out) {
  for (const ProgramTask& task : tasks) {
    const size_t n = task.hosts.size();
    std::vector<sg4::Host*> on;
    on.reserve(n);
    for (uint32_t h : task.hosts) on.push_back(hosts[h]);
    std::vector<double> bytes(n * n, 0.0);
    for (const ProgramTransfer& t : task.transfers) bytes[t.from * n + t.to] += t.bytes;
    out.execs.push_back(StartExec(std::move(on), std::move(bytes)));
  }
}

void SleepFor(Time duration) {
  if (duration > Time::Zero()) sg4::this_actor::sleep_for(duration.seconds());
}

// One sending rank of one plan: per phase, its flows at once, then the barrier and α.
void Worker(const ProgramPlan& plan, uint32_t worker, const std::vector<sg4::Host*>& hosts,
            bool flows_as_tasks, const sg4::BarrierPtr& barrier) {
  Transfers transfers;
  for (const ProgramPhase& phase : plan.phases) {
    const std::span<const ProgramFlow> flows(phase.flows);
    StartFlows(flows.subspan(phase.flow_begin[worker],
                             phase.flow_begin[worker + 1] - phase.flow_begin[worker]),
               hosts, flows_as_tasks, transfers);
    transfers.WaitAll();
    barrier->wait();
    sg4::this_actor::sleep_for(phase.latency.seconds());
  }
}

// The plan's coordinator: runs the parallel tasks and records when each phase ends.
void Coordinator(const ProgramPlan& plan, const std::vector<sg4::Host*>& hosts,
                 const sg4::BarrierPtr& barrier, std::vector<double>& phase_ends) {
  Transfers transfers;
  for (const ProgramPhase& phase : plan.phases) {
    StartTasks(phase.tasks, hosts, transfers);
    transfers.WaitAll();
    barrier->wait();
    sg4::this_actor::sleep_for(phase.latency.seconds());
    phase_ends.push_back(sg4::Engine::get_clock());
  }
}

// The starter of a driven run. Activities run on a pool of daemon actors, each waiting on its
// own semaphore for the next activity: creating a SimGrid actor costs ~40 µs and waking one
// ~2 µs (measured on this project's 2-core machine, 3.32, 256 KiB stacks), and a step's graph
// has ~10⁵ nodes. A keeper actor (the only one that is not a daemon) starts the driver and waits
// until no activity is left; when it returns, SimGrid ends the run and kills the idle pool.
class Driven final : public ActivityStarter {
 public:
  Driven(const Program& program, const std::vector<sg4::Host*>& hosts, bool flows_as_tasks,
         ActivityDriver& driver)
      : program_(program),
        hosts_(hosts),
        flows_as_tasks_(flows_as_tasks),
        driver_(driver),
        done_(sg4::Semaphore::create(0)) {}

  Time now() const override { return Time::FromSeconds(sg4::Engine::get_clock()); }
  void StartDelay(uint64_t tag, Time duration) override {
    Dispatch(Job{.tag = tag, .duration = duration});
  }
  void StartPlan(uint64_t tag, uint32_t plan) override {
    TRAINSIM_CHECK(plan < program_.plans.size()) << "plan " << plan << " is not in the program";
    Dispatch(Job{.tag = tag, .plan = plan});
  }

  void Keep() {
    driver_.Begin(*this);
    if (in_flight_ > 0) done_->acquire();
  }
  int64_t actors() const { return static_cast<int64_t>(runners_.size()) + 1; }
  int64_t activities() const { return activities_; }
  int64_t transfers() const { return transfers_; }

 private:
  static constexpr uint32_t kNoPlan = UINT32_MAX;
  struct Job {
    uint64_t tag = 0;
    uint32_t plan = kNoPlan;
    Time duration;
  };
  struct Runner {
    sg4::SemaphorePtr wake;
    Job job;
  };

  void Dispatch(const Job& job) {
    ++in_flight_;
    ++activities_;
    Runner* runner = nullptr;
    if (idle_.empty()) {
      runners_.push_back(std::make_unique<Runner>(Runner{.wake = sg4::Semaphore::create(0)}));
      runner = runners_.back().get();
      sg4::Actor::create("runner", hosts_[program_.coordinator_host], [this, runner] {
        Loop(*runner);
      })->daemonize();
    } else {
      runner = idle_.back();
      idle_.pop_back();
    }
    runner->job = job;
    runner->wake->release();
  }

  void Loop(Runner& runner) {
    for (;;) {
      runner.wake->acquire();
      const Job job = runner.job;
      if (job.plan == kNoPlan) {
        SleepFor(job.duration);
      } else {
        RunPlan(program_.plans[job.plan]);
      }
      idle_.push_back(&runner);  // free before Ended, which may hand it the next activity
      driver_.Ended(*this, job.tag);
      if (--in_flight_ == 0) done_->release();
    }
  }

  // The plan's phases one after another, every transfer of a phase at once, then its α.
  void RunPlan(const ProgramPlan& plan) {
    Transfers transfers;
    for (const ProgramPhase& phase : plan.phases) {
      StartFlows(phase.flows, hosts_, flows_as_tasks_, transfers);
      StartTasks(phase.tasks, hosts_, transfers);
      transfers_ += static_cast<int64_t>(phase.flows.size() + phase.tasks.size());
      transfers.WaitAll();
      SleepFor(phase.latency);
    }
  }

  const Program& program_;
  const std::vector<sg4::Host*>& hosts_;
  const bool flows_as_tasks_;
  ActivityDriver& driver_;
  sg4::SemaphorePtr done_;
  std::vector<std::unique_ptr<Runner>> runners_;
  std::vector<Runner*> idle_;
  int64_t in_flight_ = 0;
  int64_t activities_ = 0;
  int64_t transfers_ = 0;
};

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

DrivenRunStats DriveInSimGrid(const Program& program, bool flows_as_tasks, ActivityDriver& driver) {
  const auto start = std::chrono::steady_clock::now();
  DrivenRunStats stats;
  auto* engine = new sg4::Engine("trainsim");  // never destroyed: see RunInSimGrid
  Configure(flows_as_tasks || program.needs_parallel_tasks());
  const std::vector<sg4::Host*> hosts = BuildPlatform(program);
  Driven driven(program, hosts, flows_as_tasks, driver);
  sg4::Actor::create("keeper", hosts[program.coordinator_host], [&driven] { driven.Keep(); });
  stats.build_seconds = SecondsSince(start);
  const auto run_start = std::chrono::steady_clock::now();
  engine->run();
  stats.run_seconds = SecondsSince(run_start);
  stats.actors = driven.actors();
  stats.activities = driven.activities();
  stats.transfers = driven.transfers();
  return stats;
}

}  // namespace trainsim::simgrid
