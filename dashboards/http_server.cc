#include "dashboards/http_server.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/thread_pool.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "config/catalogs.h"
#include "config/scenario_loader.h"
#include "config/report.h"
#include "dashboards/dashboard.h"
#include "fmt/format.h"
#include "planner/simulate.h"
#include "planner/study.h"
#include "planner/sweep.h"

namespace trainsim::dashboards {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

constexpr int kReadTimeoutSeconds = 30;  // a client that stalls mid-request loses its connection

int Cores() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

// The study the live page offers first: the default scenario at four sizes (same global batch:
// strong scaling), experts sharded over 8 or 16 ranks (8 points, a few seconds).
std::string ExampleStudy() {
  std::string text =
      "# The default scenario (GPT-4-scale MoE) at four cluster sizes, experts over 8 or 16 ranks.\n"
      "name: default-strong-scaling-ep\n"
      "description: the default scenario from 2,048 to 16,384 GPUs at the same global batch, "
      "expert parallelism 8 and 16\n"
      "knobs:\n"
      "  - path: cluster.gpus\n"
      "    values: [2048, 4096, 8192, 16384]\n"
      "  - path: parallelism.ep\n"
      "    values: [8, 16]\n"
      "scenario:\n";
  const std::string_view base = config::EmbeddedText("scenarios/default.yaml");
  size_t begin = 0;
  while (begin < base.size()) {
    size_t end = base.find('\n', begin);
    if (end == std::string_view::npos) end = base.size();
    const std::string_view line = base.substr(begin, end - begin);
    if (!line.empty() && line[0] != '#') text += "  " + std::string(line) + "\n";
    begin = end + 1;
  }
  return text;
}

struct SweepJob {
  explicit SweepJob(planner::Study s) : study(std::move(s)) {}
  const planner::Study study;
  std::atomic<bool> cancel{false};
  std::mutex mu;
  std::vector<planner::SweepRow> rows;  // guarded by mu
  bool done = false;                    // guarded by mu
  std::string error;                    // guarded by mu
  std::thread thread;
};

Response Reply(const Request& req, http::status status, std::string_view type, std::string body) {
  Response res{status, req.version()};
  res.set(http::field::server, "trainsim");
  res.set(http::field::content_type, beast::string_view(type.data(), type.size()));
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(false);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response Json(const Request& req, http::status status, const json& body) {
  return Reply(req, status, "application/json", body.dump());
}

Response Error(const Request& req, http::status status, std::string message) {
  return Json(req, status, json{{"error", std::move(message)}});
}

}  // namespace

struct DashboardServer::State {
  HttpOptions options;
  std::string address;
  int port = 0;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread io_thread;
  std::unique_ptr<asio::thread_pool> requests;
  std::mutex mu;
  std::map<int64_t, std::shared_ptr<SweepJob>> sweeps;  // guarded by mu
  int64_t next_sweep = 1;                               // guarded by mu
  bool shut_down = false;                               // guarded by mu
  std::string live_page;

  void Accept();
  void Serve(tcp::socket socket);
  Response Route(const Request& req);
  Response Run(const Request& req);
  Response StartSweep(const Request& req);
  Response SweepStatus(const Request& req, std::string_view id);
};

void DashboardServer::State::Accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // closed by Shutdown
    asio::post(*requests, [this, s = std::move(socket)]() mutable { Serve(std::move(s)); });
    Accept();
  });
}

void DashboardServer::State::Serve(tcp::socket socket) {
  timeval timeout{.tv_sec = kReadTimeoutSeconds, .tv_usec = 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.body_limit(static_cast<uint64_t>(options.max_request_bytes));
  beast::error_code ec;
  http::read(socket, buffer, parser, ec);
  Response res;
  if (ec == http::error::body_limit) {
    Request empty;
    res = Error(empty, http::status::payload_too_large,
                fmt::format("the request body is larger than {} bytes", options.max_request_bytes));
  } else if (ec) {
    return;  // the client went away or stalled
  } else {
    res = Route(parser.get());
  }
  http::write(socket, res, ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

Response DashboardServer::State::Route(const Request& req) {
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  const bool get = req.method() == http::verb::get, post = req.method() == http::verb::post;
  if (path == "/" || path == "/index.html") {
    if (!get) return Error(req, http::status::method_not_allowed, "GET " + std::string(path));
    return Reply(req, http::status::ok, "text/html; charset=utf-8", live_page);
  }
  if (path == "/healthz") return Reply(req, http::status::ok, "text/plain", "ok\n");
  if (path == "/api/run") {
    if (!post) return Error(req, http::status::method_not_allowed, "POST a scenario to /api/run");
    return Run(req);
  }
  if (path == "/api/sweeps") {
    if (!post) return Error(req, http::status::method_not_allowed, "POST a study to /api/sweeps");
    return StartSweep(req);
  }
  constexpr std::string_view kSweep = "/api/sweeps/";
  if (path.starts_with(kSweep) && get) return SweepStatus(req, path.substr(kSweep.size()));
  return Error(req, http::status::not_found, fmt::format("no page {}", path));
}

Response DashboardServer::State::Run(const Request& req) {
  StatusOr<config::LoadedScenario> loaded = config::LoadScenarioText(req.body(), "scenario.yaml");
  if (!loaded.ok()) return Error(req, http::status::bad_request, loaded.status().message());
  StatusOr<config::ScenarioSpec> spec = config::BuildScenarioSpec(*loaded);
  if (!spec.ok()) return Error(req, http::status::bad_request, spec.status().message());
  StatusOr<planner::Simulation> simulated = planner::SimulateScenario(
      *loaded, *spec, {.record_timeline = true, .version = options.version});
  if (!simulated.ok()) {
    return Error(req,
                 simulated.status().code() == StatusCode::kInternal
                     ? http::status::internal_server_error
                     : http::status::bad_request,
                 simulated.status().message());
  }
  json data = StepDashboardData(*spec, simulated->report, simulated->step.timeline.get());
  if (!simulated->step.simulated) {
    data["error"] = fmt::format("{}: {}", loaded->file,
                                config::OutOfMemoryMessage(simulated->report));
  }
  return Json(req, http::status::ok, data);
}

Response DashboardServer::State::StartSweep(const Request& req) {
  StatusOr<planner::Study> study = planner::LoadStudyText(req.body(), "study.yaml");
  if (!study.ok()) return Error(req, http::status::bad_request, study.status().message());
  std::lock_guard<std::mutex> lock(mu);
  if (shut_down) return Error(req, http::status::service_unavailable, "the server is stopping");
  const int running = static_cast<int>(std::count_if(sweeps.begin(), sweeps.end(), [](auto& s) {
    std::lock_guard<std::mutex> job_lock(s.second->mu);
    return !s.second->done;
  }));
  if (running >= options.max_sweeps) {
    return Error(req, http::status::too_many_requests,
                 fmt::format("{} studies are running, the most this server runs at once: retry "
                             "when one finishes",
                             running));
  }
  const int64_t id = next_sweep++;
  auto job = std::make_shared<SweepJob>(*std::move(study));
  job->thread = std::thread([job, jobs = options.sweep_jobs] {
    StatusOr<planner::SweepSummary> summary = planner::RunSweep(
        job->study, {.jobs = jobs, .cancel = &job->cancel}, [&](const planner::SweepRow& row) {
          std::lock_guard<std::mutex> job_lock(job->mu);
          job->rows.push_back(row);
        });
    std::lock_guard<std::mutex> job_lock(job->mu);
    if (!summary.ok()) job->error = summary.status().message();
    job->done = true;
  });
  sweeps.emplace(id, job);
  return Json(req, http::status::accepted, json{{"id", id}, {"points", job->study.points()}});
}

Response DashboardServer::State::SweepStatus(const Request& req, std::string_view id_text) {
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  std::shared_ptr<SweepJob> job;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = ec == std::errc() && end == id_text.data() + id_text.size() ? sweeps.find(id)
                                                                           : sweeps.end();
    if (it != sweeps.end()) job = it->second;
  }
  if (job == nullptr) {
    return Error(req, http::status::not_found, fmt::format("no study {}", id_text));
  }
  std::lock_guard<std::mutex> job_lock(job->mu);
  json data = StudyDashboardData(job->study, job->rows, job->done);
  data["id"] = id;
  if (!job->error.empty()) data["error"] = job->error;
  return Json(req, http::status::ok, data);
}

DashboardServer::DashboardServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

DashboardServer::~DashboardServer() { Shutdown(); }

const std::string& DashboardServer::address() const { return state_->address; }
int DashboardServer::port() const { return state_->port; }

StatusOr<std::unique_ptr<DashboardServer>> DashboardServer::Start(const HttpOptions& options) {
  const std::string& listen = options.listen;
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    const char* first = listen.data() + colon + 1;
    const char* last = listen.data() + listen.size();
    const auto [end, ec] = std::from_chars(first, last, port);
    if (ec != std::errc() || end != last || first == last || port > 65535) port = -1;
  }
  std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(host, ec);
  if (port < 0 || ec) {
    return InvalidArgumentError(fmt::format(
        "--http: '{}' is not an address to listen on; give IP:PORT, e.g. 127.0.0.1:8080 (port 0 "
        "picks a free one)",
        listen));
  }
  if (options.threads < 0 || options.sweep_jobs < 0 || options.max_sweeps < 1 ||
      options.max_request_bytes < 1) {
    return InvalidArgumentError("dashboard server: threads and sweep_jobs must be >= 0, "
                                "max_sweeps and max_request_bytes >= 1");
  }
  auto state = std::make_unique<State>();
  state->options = options;
  if (state->options.threads == 0) state->options.threads = Cores();
  if (state->options.sweep_jobs == 0) state->options.sweep_jobs = Cores();
  const tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
  state->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) state->acceptor.bind(endpoint, ec);
  if (!ec) state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return InvalidArgumentError(
        fmt::format("--http: cannot listen on {}: {}", listen, ec.message()));
  }
  state->port = state->acceptor.local_endpoint().port();
  state->address = ip.is_v6() ? fmt::format("[{}]:{}", ip.to_string(), state->port)
                              : fmt::format("{}:{}", ip.to_string(), state->port);
  state->live_page = DashboardHtml(
      json{{"kind", "live"},
           {"title", "trainsim live"},
           {"scenario", std::string(config::EmbeddedText("scenarios/default.yaml"))},
           {"study", ExampleStudy()}},
      "trainsim live");
  state->requests = std::make_unique<asio::thread_pool>(state->options.threads);
  state->Accept();
  State* raw = state.get();
  state->io_thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<DashboardServer>(new DashboardServer(std::move(state)));
}

void DashboardServer::Shutdown() {
  State& s = *state_;
  std::vector<std::shared_ptr<SweepJob>> jobs;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.shut_down) return;
    s.shut_down = true;
    for (auto& [id, job] : s.sweeps) jobs.push_back(job);
  }
  asio::post(s.io, [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
  });
  s.io_thread.join();
  for (auto& job : jobs) job->cancel = true;
  s.requests->join();
  for (auto& job : jobs) {
    if (job->thread.joinable()) job->thread.join();
  }
}

}  // namespace trainsim::dashboards
