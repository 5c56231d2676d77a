#include "service/server.h"

#include <charconv>
#include <thread>

#include "fmt/format.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace trainsim::service {
namespace {

// "host:port" or "[v6]:port" with a port in 0..65535.
Status CheckListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos && colon > 0) {
    const char* begin = listen.data() + colon + 1;
    const char* end = listen.data() + listen.size();
    auto [ptr, ec] = std::from_chars(begin, end, port);
    if (ec != std::errc() || ptr != end || begin == end) port = -1;
  }
  if (port < 0 || port > 65535) {
    return InvalidArgumentError(fmt::format(
        "--listen: \"{}\" is not an address to listen on; expected HOST:PORT with a port in "
        "0..65535 (0 picks a free port), e.g. 127.0.0.1:50051",
        listen));
  }
  return OkStatus();
}

}  // namespace

StatusOr<ServerOptions> ResolveServerOptions(ServerOptions options) {
  if (Status s = CheckListen(options.listen); !s.ok()) return s;
  if (options.max_concurrent == 0) {
    options.max_concurrent = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (options.max_concurrent < 1 || options.max_concurrent > 4096) {
    return InvalidArgumentError(fmt::format(
        "--max-concurrent: {} is not a number of simulations; expected 1..4096, or 0 for the "
        "machine's cores",
        options.max_concurrent));
  }
  if (options.max_request_bytes < 1024) {
    return InvalidArgumentError(
        fmt::format("--max-request-bytes: {} is too small for a scenario; expected at least 1024",
                    options.max_request_bytes));
  }
  return options;
}

StatusOr<std::unique_ptr<PlannerServer>> PlannerServer::Start(const ServerOptions& requested) {
  StatusOr<ServerOptions> options = ResolveServerOptions(requested);
  if (!options.ok()) return options.status();
  std::unique_ptr<PlannerServer> server(new PlannerServer());
  server->options_ = *options;
  server->service_ =
      std::make_unique<PlannerService>(ServiceOptions{.max_concurrent = options->max_concurrent});

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options->listen, grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(server->service_.get());
  builder.SetMaxReceiveMessageSize(options->max_request_bytes);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return InvalidArgumentError(fmt::format(
        "--listen: cannot listen on \"{}\" (address in use, or not an address of this machine)",
        options->listen));
  }
  server->address_ =
      options->listen.substr(0, options->listen.rfind(':')) + ":" + std::to_string(server->port_);
  grpc::HealthCheckServiceInterface* health = server->server_->GetHealthCheckService();
  health->SetServingStatus(true);
  health->SetServingStatus(v1::Planner::service_full_name(), true);
  return server;
}

PlannerServer::~PlannerServer() { Shutdown(std::chrono::milliseconds(0)); }

std::shared_ptr<grpc::Channel> PlannerServer::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void PlannerServer::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  // gRPC's own grace period (Shutdown with a deadline) also waits for idle client connections
  // to close, so the grace is spent here, on running simulations only; then whatever still runs
  // is cancelled, which stops it (PlannerService polls for cancellation).
  server_->GetHealthCheckService()->SetServingStatus(false);
  const auto until = std::chrono::steady_clock::now() + grace;
  while (service_->simulations_running() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
}

}  // namespace trainsim::service
