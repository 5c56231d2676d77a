// `trainsim serve [--listen 127.0.0.1:50051] [--http 127.0.0.1:8080|off] [--max-concurrent N]
// [--max-request-bytes B] [--shutdown-grace S]`: serves the gRPC Planner service
// (service/server.h) and the live dashboards over HTTP (dashboards/http_server.h) until SIGINT
// or SIGTERM, then gives running simulations S seconds, cancels the rest and exits 0.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "dashboards/http_server.h"
#include "service/server.h"

namespace trainsim::cli {
namespace {

struct ServeOptions {
  service::ServerOptions server;
  std::string http = "127.0.0.1:8080";  // "off": no dashboards
  double shutdown_grace_s = 5;
};

int Serve(const ServeOptions& serve) {
  const service::ServerOptions& options = serve.server;
  // Block the stop signals in every thread (gRPC's threads inherit this mask) and take them
  // synchronously here, so that shutting down runs as ordinary code, not in a signal handler.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  StatusOr<std::unique_ptr<service::PlannerServer>> server = service::PlannerServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "trainsim serve: %s\n", server.status().message().c_str());
    return kExitBadInput;
  }
  std::printf(
      "trainsim serve: Planner service listening on %s (at most %d simulations at once, "
      "requests up to %d bytes); health and reflection on; SIGINT or SIGTERM stops it\n",
      (*server)->address().c_str(), (*server)->options().max_concurrent,
      (*server)->options().max_request_bytes);
  std::unique_ptr<dashboards::DashboardServer> http;
  if (serve.http != "off") {
    StatusOr<std::unique_ptr<dashboards::DashboardServer>> started = dashboards::DashboardServer::Start(
        {.listen = serve.http, .threads = (*server)->options().max_concurrent,
         .sweep_jobs = (*server)->options().max_concurrent, .version = std::string(kVersion)});
    if (!started.ok()) {
      std::fprintf(stderr, "trainsim serve: %s\n", started.status().message().c_str());
      (*server)->Shutdown(std::chrono::milliseconds(0));
      return kExitBadInput;
    }
    http = std::move(*started);
    std::printf("trainsim serve: dashboards on http://%s/\n", http->address().c_str());
  }
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop, &signal_number);
  std::printf("trainsim serve: %s received, shutting down\n",
              signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  if (http != nullptr) http->Shutdown();
  (*server)->Shutdown(std::chrono::milliseconds(std::llround(serve.shutdown_grace_s * 1e3)));
  std::printf("trainsim serve: stopped\n");
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, int& exit_code) {
  auto serve_options = std::make_shared<ServeOptions>();
  service::ServerOptions* options = &serve_options->server;
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Serve the gRPC Planner service (Simulate, Sweep, Optimize, catalogs, health, "
      "reflection) until SIGINT or SIGTERM.");
  serve
      ->add_option("--listen", options->listen,
                   "HOST:PORT to listen on; port 0 picks a free port. Loopback unless told "
                   "otherwise.")
      ->capture_default_str();
  serve
      ->add_option("--http", serve_options->http,
                   "HOST:PORT of the live dashboards (run a scenario from a form, watch a study "
                   "fill in); port 0 picks a free port; off: none.")
      ->capture_default_str();
  serve
      ->add_option("--max-concurrent", options->max_concurrent,
                   "Most simulations running at once over all calls; more is "
                   "RESOURCE_EXHAUSTED. 0 = the machine's cores.")
      ->capture_default_str();
  serve
      ->add_option("--max-request-bytes", options->max_request_bytes,
                   "Largest request accepted; larger is RESOURCE_EXHAUSTED.")
      ->capture_default_str();
  serve
      ->add_option("--shutdown-grace", serve_options->shutdown_grace_s,
                   "Seconds running simulations may take to finish after SIGINT or SIGTERM; "
                   "then they are cancelled.")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  serve->callback([serve_options, &exit_code] {
    UseHugePageHeap();
    exit_code = Serve(*serve_options);
  });
}

}  // namespace trainsim::cli
