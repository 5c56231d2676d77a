#include "sim/simgrid/child_process.h"

#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trainsim::simgrid {
namespace {

using ::testing::HasSubstr;

TEST(ChildProcess, TheWorksAnswerComesBackThroughThePipe) {
  StatusOr<ChildAnswer> answer = RunInChildProcess(
      [] {
        std::string out;
        Put(out, int64_t{42});
        Put(out, 2.5);
        return out + std::string(1 << 20, 'x');  // more than a pipe's buffer
      },
      0);
  ASSERT_TRUE(answer.ok()) << answer.status().message();
  WireReader in(answer->bytes);
  int64_t i = 0;
  double d = 0;
  ASSERT_TRUE(in.Get(i) && in.Get(d));
  EXPECT_EQ(i, 42);
  EXPECT_EQ(d, 2.5);
  EXPECT_EQ(in.rest().size(), size_t{1} << 20);
  EXPECT_GT(answer->peak_rss_bytes, 0);
}

TEST(ChildProcess, AnExceptionIsAnInternalErrorWithItsMessage) {
  StatusOr<ChildAnswer> answer =
      RunInChildProcess([]() -> std::string { throw std::runtime_error("no route"); }, 0);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kInternal);
  EXPECT_THAT(answer.status().message(), HasSubstr("SimGrid failed: no route"));
}

TEST(ChildProcess, ADeadChildIsAnInternalErrorNamingTheSignal) {
  StatusOr<ChildAnswer> answer = RunInChildProcess(
      []() -> std::string {
        std::raise(SIGKILL);
        return "";
      },
      0);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kInternal);
  EXPECT_THAT(answer.status().message(), HasSubstr("killed by signal 9"));
}

TEST(ChildProcess, AChildOverItsTimeLimitIsStopped) {
  StatusOr<ChildAnswer> answer = RunInChildProcess(
      []() -> std::string {
        for (;;) pause();
      },
      0.05);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace trainsim::simgrid
