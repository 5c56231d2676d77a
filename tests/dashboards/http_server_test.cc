// The live dashboards' HTTP API over loopback: the page, a scenario run, a study that fills in
// as its points finish, and clear errors (400 with the CLI's message, 404, 413, 429).
#include "dashboards/http_server.h"

#include <chrono>
#include <string>
#include <thread>

#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dashboards/test_scenarios.h"
#include "nlohmann/json.hpp"

namespace trainsim::dashboards {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;
using ::testing::HasSubstr;

struct Reply {
  int status = 0;
  std::string body;
  std::string content_type;
};

Reply Call(int port, http::verb verb, const std::string& target, const std::string& body = "") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.body() = body;
  req.prepare_payload();
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  beast::error_code ec;
  http::read(socket, buffer, parser, ec);
  EXPECT_FALSE(ec) << ec.message();
  const auto& res = parser.get();
  const auto type = res[http::field::content_type];
  return Reply{static_cast<int>(res.result_int()), res.body(), std::string(type.data(), type.size())};
}


std::string Study(int points) {
  std::string values;
  for (int i = 0; i < points; ++i) values += (i ? ", " : "") + std::to_string(64 * (i + 1));
  return "name: batch\n"
         "scenario:\n"
         "  cluster: {preset: dgx-h100-superpod, gpus: 64}\n"
         "  model: megatron-7.5b\n"
         "  parallelism: {tp: 4, pp: 2}\n"
         "  training: {global_batch: 128, sequence_length: 2048}\n"
         "knobs:\n"
         "  - path: training.global_batch\n"
         "    values: [" + values + "]\n";
}

std::unique_ptr<DashboardServer> StartServer(HttpOptions options = {}) {
  options.listen = "127.0.0.1:0";
  StatusOr<std::unique_ptr<DashboardServer>> server = DashboardServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status().message();
  return std::move(*server);
}

TEST(DashboardServer, ServesTheLivePageAndHealth) {
  auto server = StartServer();
  EXPECT_THAT(server->address(), ::testing::StartsWith("127.0.0.1:"));
  const Reply page = Call(server->port(), http::verb::get, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.content_type, HasSubstr("text/html"));
  EXPECT_THAT(page.body, HasSubstr("\"kind\":\"live\""));
  EXPECT_THAT(page.body, HasSubstr("gpt4-moe-16k-h100"));  // the default scenario in the form
  EXPECT_EQ(Call(server->port(), http::verb::get, "/healthz").body, "ok\n");
  const Reply missing = Call(server->port(), http::verb::get, "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(json::parse(missing.body)["error"].get<std::string>(), HasSubstr("/nope"));
  EXPECT_EQ(Call(server->port(), http::verb::get, "/api/run").status, 405);
}

TEST(DashboardServer, RunsAScenarioFromTheForm) {
  auto server = StartServer();
  const Reply ok = Call(server->port(), http::verb::post, "/api/run", testing::kSmallScenario);
  ASSERT_EQ(ok.status, 200) << ok.body;
  const json data = json::parse(ok.body);
  EXPECT_EQ(data["kind"], "step");
  EXPECT_EQ(data["title"], "small");
  EXPECT_GT(data["report"]["step_time_s"].get<double>(), 0);
  EXPECT_TRUE(data.contains("timeline"));

  const Reply bad = Call(server->port(), http::verb::post, "/api/run",
                         std::string(testing::kSmallScenario) + "bogus: 1\n");
  EXPECT_EQ(bad.status, 400);
  const std::string error = json::parse(bad.body)["error"];
  EXPECT_THAT(error, HasSubstr("scenario.yaml:6:"));
  EXPECT_THAT(error, HasSubstr("bogus"));
}

TEST(DashboardServer, StudyFillsInAsPointsFinish) {
  auto server = StartServer({.sweep_jobs = 1});
  const Reply started = Call(server->port(), http::verb::post, "/api/sweeps", Study(4));
  ASSERT_EQ(started.status, 202) << started.body;
  const int id = json::parse(started.body)["id"];
  EXPECT_EQ(json::parse(started.body)["points"], 4);
  size_t seen = 0;
  json data;
  for (int i = 0; i < 600; ++i) {
    data = json::parse(Call(server->port(), http::verb::get, "/api/sweeps/" + std::to_string(id)).body);
    ASSERT_GE(data["rows"].size(), seen);  // rows only accumulate
    seen = data["rows"].size();
    if (data["done"].get<bool>()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(data["done"].get<bool>());
  ASSERT_EQ(data["rows"].size(), 4u);
  for (int p = 0; p < 4; ++p) EXPECT_EQ(data["rows"][static_cast<size_t>(p)]["point"], p);
  EXPECT_EQ(Call(server->port(), http::verb::get, "/api/sweeps/99").status, 404);
  EXPECT_EQ(Call(server->port(), http::verb::get, "/api/sweeps/x1").status, 404);

  const Reply bad = Call(server->port(), http::verb::post, "/api/sweeps", "knobs: 3\n");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(json::parse(bad.body)["error"].get<std::string>(), HasSubstr("study.yaml:1:"));
}

TEST(DashboardServer, RefusesTooManyStudiesAndOversizedBodies) {
  auto server = StartServer({.sweep_jobs = 1, .max_sweeps = 1, .max_request_bytes = 4096});
  ASSERT_EQ(Call(server->port(), http::verb::post, "/api/sweeps", Study(40)).status, 202);
  const Reply second = Call(server->port(), http::verb::post, "/api/sweeps", Study(2));
  EXPECT_EQ(second.status, 429);
  EXPECT_THAT(json::parse(second.body)["error"].get<std::string>(), HasSubstr("retry"));
  const Reply big = Call(server->port(), http::verb::post, "/api/run", std::string(5000, '#'));
  EXPECT_EQ(big.status, 413);
  server->Shutdown();  // cancels the running study: returns once its running point finishes
}

TEST(DashboardServer, BadListenAddressIsAClearError) {
  for (const char* listen : {"127.0.0.1", "nowhere:80", "127.0.0.1:99999", "127.0.0.1:x"}) {
    StatusOr<std::unique_ptr<DashboardServer>> server = DashboardServer::Start({.listen = listen});
    ASSERT_FALSE(server.ok()) << listen;
    EXPECT_THAT(server.status().message(), HasSubstr(listen));
    EXPECT_THAT(server.status().message(), HasSubstr("127.0.0.1:8080"));
  }
}

}  // namespace
}  // namespace trainsim::dashboards
