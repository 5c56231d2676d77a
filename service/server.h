// PlannerServer: a running gRPC server with the Planner service, the standard grpc.health.v1
// health service (SERVING for "" and "trainsim.v1.Planner" while up) and server reflection.
// It listens on `listen` (loopback unless told otherwise; port 0 picks a free one) and caps the
// size of a request (larger ones are RESOURCE_EXHAUSTED, checked by gRPC before any handler runs)
// and the simulations running at once.
#ifndef TRAINSIM_SERVICE_SERVER_H_
#define TRAINSIM_SERVICE_SERVER_H_

#include <chrono>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "service/planner_service.h"
#include "sim/status.h"

namespace trainsim::service {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // host:port; port 0 picks a free port
  int max_concurrent = 0;                  // simulations at once; 0 = the machine's cores
  int max_request_bytes = 4 << 20;         // largest request message accepted
};

// The defaults filled in (max_concurrent 0 → cores) and the options checked; a bad value is
// kInvalidArgument naming the option, the value and what is valid.
StatusOr<ServerOptions> ResolveServerOptions(ServerOptions options);

class PlannerServer {
 public:
  // Binds and starts serving. A listen address that cannot be bound is kInvalidArgument.
  static StatusOr<std::unique_ptr<PlannerServer>> Start(const ServerOptions& options);
  ~PlannerServer();

  // The address actually bound, e.g. "127.0.0.1:41234".
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  const ServerOptions& options() const { return options_; }
  PlannerService& service() { return *service_; }

  // A channel to this server that skips the network (for tests and benchmarks).
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Reports NOT_SERVING, lets running simulations finish for up to `grace`, then stops accepting
  // calls, cancels those still running (their work stops: see PlannerService) and waits for
  // every handler to return. Idempotent.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  PlannerServer() = default;

  ServerOptions options_;
  std::string address_;
  int port_ = 0;
  std::unique_ptr<PlannerService> service_;  // outlives server_
  std::unique_ptr<grpc::Server> server_;
  bool shut_down_ = false;
};

}  // namespace trainsim::service

#endif  // TRAINSIM_SERVICE_SERVER_H_
