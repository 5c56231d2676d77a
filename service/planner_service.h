// PlannerService: the trainsim.v1.Planner gRPC service (proto/trainsim/v1/planner.proto). Each
// handler is thin (STYLE.md point 13): request → config/ or planner/ → library call → proto.
// gRPC status codes are chosen here and nowhere else:
//   bad scenario or study  → INVALID_ARGUMENT, with the loader's "source:line:col: path: why"
//                            lines, as `trainsim run` prints them;
//   more simulations than the cap (ServiceOptions::max_concurrent) → RESOURCE_EXHAUSTED;
//   deadline passed or client gone → the work stops (sweeps and searches between points, a single
//                            step before it starts) and the call ends CANCELLED/DEADLINE_EXCEEDED.
// Thread-safe: gRPC calls the handlers from its own threads.
#ifndef TRAINSIM_SERVICE_PLANNER_SERVICE_H_
#define TRAINSIM_SERVICE_PLANNER_SERVICE_H_

#include <mutex>

#include "grpcpp/grpcpp.h"
#include "service/simulation_slots.h"
#include "trainsim/v1/planner.grpc.pb.h"

namespace trainsim::service {

struct ServiceOptions {
  int max_concurrent = 1;  // simulations at once over all calls; REQUIRES: >= 1
};

class PlannerService final : public v1::Planner::Service {
 public:
  explicit PlannerService(const ServiceOptions& options);

  grpc::Status Simulate(grpc::ServerContext* context, const v1::SimulateRequest* request,
                        v1::Report* response) override;
  grpc::Status Sweep(grpc::ServerContext* context, const v1::SweepRequest* request,
                     grpc::ServerWriter<v1::SweepRow>* writer) override;
  grpc::Status Optimize(grpc::ServerContext* context, const v1::OptimizeRequest* request,
                        v1::OptimizeResponse* response) override;
  grpc::Status ListGpus(grpc::ServerContext* context, const v1::ListGpusRequest* request,
                        v1::ListGpusResponse* response) override;
  grpc::Status ListFormats(grpc::ServerContext* context, const v1::ListFormatsRequest* request,
                           v1::ListFormatsResponse* response) override;
  grpc::Status ListModels(grpc::ServerContext* context, const v1::ListModelsRequest* request,
                          v1::ListModelsResponse* response) override;
  grpc::Status ListClusterPresets(grpc::ServerContext* context,
                                  const v1::ListClusterPresetsRequest* request,
                                  v1::ListClusterPresetsResponse* response) override;
  grpc::Status ListParameters(grpc::ServerContext* context,
                              const v1::ListParametersRequest* request,
                              v1::ListParametersResponse* response) override;

  // Simulations running now (slots held), for tests and monitoring.
  int simulations_running() const { return slots_.in_use(); }
  int max_concurrent() const { return slots_.capacity(); }

 private:
  // Slots for a request asking for `jobs` parallel simulations (0 = 1, capped at the capacity).
  std::optional<SimulationSlots::Lease> Claim(int jobs, grpc::Status& refused);

  SimulationSlots slots_;
};

}  // namespace trainsim::service

#endif  // TRAINSIM_SERVICE_PLANNER_SERVICE_H_
