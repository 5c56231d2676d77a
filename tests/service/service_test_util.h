// Shared by the service tests: small scenarios and studies (tens of milliseconds a step), and
// raw calls to the standard health and reflection services, whose protos Debian does not ship:
// their few wire bytes are written out here.
#ifndef TRAINSIM_TESTS_SERVICE_SERVICE_TEST_UTIL_H_
#define TRAINSIM_TESTS_SERVICE_SERVICE_TEST_UTIL_H_

#include <memory>
#include <optional>
#include <string>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace trainsim::service::testing {

// GPT 7.5B (Megatron SC'21) on 64 H100 GPUs: a step in tens of milliseconds.
inline std::string SmallScenario(const std::string& parallelism = "{tp: 4, pp: 2}") {
  return "name: small\n"
         "cluster: {preset: dgx-h100-superpod, gpus: 64}\n"
         "model: megatron-7.5b\n"
         "parallelism: " +
         parallelism +
         "\n"
         "training: {global_batch: 256, sequence_length: 2048}\n";
}

// A study of the small scenario over `knobs` (YAML list items, one per line).
inline std::string SmallStudy(const std::string& knobs) {
  return "name: small-study\n"
         "scenario:\n"
         "  cluster: {preset: dgx-h100-superpod, gpus: 64}\n"
         "  model: megatron-7.5b\n"
         "  parallelism: {tp: 4, pp: 2}\n"
         "  training: {global_batch: 256, sequence_length: 2048}\n"
         "knobs:\n" +
         knobs;
}

// 2,000 points: far more work than any test waits for.
inline std::string LargeStudy() {
  return SmallStudy("  - {path: training.global_batch, range: {from: 64, to: 128000, step: 64}}\n");
}

// Sends `request` (serialized bytes) to `method` and returns the first reply's bytes, or nothing
// when the call fails. Works for unary and streaming methods alike.
inline std::optional<std::string> RawCall(const std::shared_ptr<grpc::Channel>& channel,
                                          const std::string& method, const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue queue;
  auto step = [&queue](intptr_t tag) {
    void* got = nullptr;
    bool ok = false;
    return queue.Next(&got, &ok) && ok && got == reinterpret_cast<void*>(tag);
  };
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, method, &queue);
  call->StartCall(reinterpret_cast<void*>(1));
  if (!step(1)) return std::nullopt;
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  if (!step(2)) return std::nullopt;
  call->WritesDone(reinterpret_cast<void*>(3));
  if (!step(3)) return std::nullopt;
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(4));
  const bool read = step(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  if (!read || !status.ok()) return std::nullopt;
  std::vector<grpc::Slice> slices;
  if (!in.Dump(&slices).ok()) return std::nullopt;
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes;
}

// grpc.health.v1.Health/Check for `service` ("" = the server): the HealthCheckResponse bytes.
// HealthCheckRequest is {string service = 1}; a SERVING response is {status: 1} = 08 01.
inline std::optional<std::string> HealthCheck(const std::shared_ptr<grpc::Channel>& channel,
                                              const std::string& service) {
  std::string request;
  if (!service.empty()) {
    request = std::string("\x0a", 1) + static_cast<char>(service.size()) + service;
  }
  return RawCall(channel, "/grpc.health.v1.Health/Check", request);
}
inline const std::string kServing("\x08\x01", 2);

// grpc.reflection.v1alpha.ServerReflection: ServerReflectionRequest{list_services = 7: ""}; the
// reply lists the services' full names.
inline std::optional<std::string> ReflectionListServices(
    const std::shared_ptr<grpc::Channel>& channel) {
  return RawCall(channel, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                 std::string("\x3a\x00", 2));
}

}  // namespace trainsim::service::testing

#endif  // TRAINSIM_TESTS_SERVICE_SERVICE_TEST_UTIL_H_
