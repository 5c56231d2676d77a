// DashboardServer: the live dashboards over HTTP (Boost.Beast), loopback by default. `trainsim
// serve` runs it beside the gRPC Planner service.
//
//   GET  /                  the live page: a form to run a scenario and one to run a study
//   POST /api/run           body: a scenario (YAML or JSON) → the step dashboard's data (JSON)
//   POST /api/sweeps        body: a study (YAML) → {"id", "points"}; the study runs in the
//                           background on the server's simulation threads
//   GET  /api/sweeps/ID     the study dashboard's data so far ({"done": false} while it runs)
//   GET  /healthz           "ok"
//
// Bad input is 400 with {"error": the same message the CLI prints}; more running studies than
// allowed, 429; an unknown path, 404; a body over the limit, 413. One request per connection
// (Connection: close). A study's `base: FILE` is read relative to the server's working directory.
#ifndef TRAINSIM_DASHBOARDS_HTTP_SERVER_H_
#define TRAINSIM_DASHBOARDS_HTTP_SERVER_H_

#include <memory>
#include <string>

#include "sim/status.h"

namespace trainsim::dashboards {

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free port
  int threads = 0;                        // requests handled at once; 0 = the machine's cores
  int sweep_jobs = 0;                     // simulation threads of one study; 0 = cores
  int max_sweeps = 2;                     // studies running at once
  int max_request_bytes = 4 << 20;
  std::string version;  // trainsim's, recorded in reports
};

class DashboardServer {
 public:
  // Binds and starts serving; an address that cannot be bound is kInvalidArgument naming it.
  static StatusOr<std::unique_ptr<DashboardServer>> Start(const HttpOptions& options);
  ~DashboardServer();  // Shutdown()

  const std::string& address() const;  // e.g. "127.0.0.1:8080"
  int port() const;

  // Stops accepting, cancels running studies (points already running finish), waits for every
  // request and study thread. Idempotent.
  void Shutdown();

 private:
  struct State;
  explicit DashboardServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace trainsim::dashboards

#endif  // TRAINSIM_DASHBOARDS_HTTP_SERVER_H_
