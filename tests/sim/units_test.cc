#include "sim/units.h"

#include <type_traits>

#include "gtest/gtest.h"

namespace trainsim {
namespace {

using namespace trainsim::literals;

// Compile-time proof that only meaningful arithmetic exists.
template <typename A, typename B>
concept Addable = requires(A a, B b) { a + b; };
template <typename A, typename B>
concept Divisible = requires(A a, B b) { a / b; };
static_assert(Addable<Time, Time>);
static_assert(!Addable<Time, Bytes>);
static_assert(!Addable<Bytes, BytesPerSecond>);
static_assert(!Addable<Flops, FlopsPerSecond>);
static_assert(!Addable<Watts, Joules>);
static_assert(!Addable<Time, double>);
static_assert(std::is_same_v<decltype(Bytes{} / BytesPerSecond{}), Time>);
static_assert(std::is_same_v<decltype(Flops{} / FlopsPerSecond{}), Time>);
static_assert(std::is_same_v<decltype(Watts{} * Time{}), Joules>);
static_assert(std::is_same_v<decltype(Joules{} / Time{}), Watts>);
static_assert(!Divisible<Bytes, FlopsPerSecond>);
static_assert(!std::is_convertible_v<double, Time>);
static_assert(!std::is_convertible_v<int64_t, Bytes>);

TEST(Units, LiteralsUseDatasheetPrefixes) {
  EXPECT_EQ((80_GB).count(), 80'000'000'000);
  EXPECT_EQ((80_GiB).count(), int64_t{80} << 30);
  EXPECT_DOUBLE_EQ((400_Gbps).value(), 5e10);
  EXPECT_DOUBLE_EQ((3.35_TBps).value(), 3.35e12);
  EXPECT_EQ((1.5_us).picoseconds(), 1'500'000);
  EXPECT_EQ((2_ms).picoseconds(), 2'000'000'000);
  EXPECT_DOUBLE_EQ((1979_TFLOPS).value(), 1.979e15);
}

TEST(Units, TransferTimeIsBytesOverBandwidth) {
  // 1 GB over 400 Gb/s (50 GB/s) takes exactly 20 ms.
  EXPECT_EQ(1_GB / 400_Gbps, 20_ms);
  EXPECT_EQ(Flops(1.979e15) / 1979_TFLOPS, 1_s);
  EXPECT_DOUBLE_EQ((700_W * 2_s).value(), 1400.0);
  EXPECT_DOUBLE_EQ((Joules(1400) / 2_s).value(), 700.0);
  EXPECT_EQ(Joules(1400) / 700_W, 2_s);
  EXPECT_EQ(50_GBps * 20_ms, 1_GB);
}

TEST(Units, ZeroRateGivesNeverFinishing) {
  EXPECT_EQ(1_B / BytesPerSecond(0), Time::Max());
  EXPECT_EQ(Flops(1) / FlopsPerSecond(0), Time::Max());
}

TEST(Units, TimeFromSecondsRoundsToNearestPicosecond) {
  EXPECT_EQ(Time::FromSeconds(1.4e-12).picoseconds(), 1);
  EXPECT_EQ(Time::FromSeconds(1.6e-12).picoseconds(), 2);
  EXPECT_EQ(Time::FromSeconds(-2.6e-12).picoseconds(), -3);
  EXPECT_EQ(Time::FromSecondsSaturating(1e300), Time::Max());
}

TEST(UnitsDeathTest, TimeOverflowIsABug) {
  EXPECT_DEATH(Time::FromSeconds(1e9), "out of range");
  EXPECT_DEATH((void)(Time::Max() + 1_ps), "overflow");
}

TEST(UnitsParse, BandwidthBitsAndBytes) {
  EXPECT_DOUBLE_EQ(ParseBandwidth("400Gb/s")->value(), 5e10);
  EXPECT_DOUBLE_EQ(ParseBandwidth("400Gbps")->value(), 5e10);
  EXPECT_DOUBLE_EQ(ParseBandwidth("400 Gbps")->value(), 5e10);
  EXPECT_DOUBLE_EQ(ParseBandwidth("3.35TB/s")->value(), 3.35e12);
  EXPECT_DOUBLE_EQ(ParseBandwidth("900GB/s")->value(), 9e11);
  EXPECT_DOUBLE_EQ(ParseBandwidth("1GiB/s")->value(), 1073741824.0);
}

TEST(UnitsParse, SizesDecimalAndBinary) {
  EXPECT_EQ(ParseBytes("80GB")->count(), 80'000'000'000);
  EXPECT_EQ(ParseBytes("80GiB")->count(), int64_t{80} << 30);
  EXPECT_EQ(ParseBytes("50MB")->count(), 50'000'000);
  EXPECT_EQ(ParseBytes("0.5KiB")->count(), 512);
  EXPECT_EQ(ParseBytes("8Gb")->count(), 1'000'000'000);
}

TEST(UnitsParse, TimePowerEnergyAndRates) {
  EXPECT_EQ(ParseTime("1.5us")->picoseconds(), 1'500'000);
  EXPECT_EQ(ParseTime("1.5 \xC2\xB5s")->picoseconds(), 1'500'000);
  EXPECT_EQ(ParseTime("250ns")->picoseconds(), 250'000);
  EXPECT_EQ(ParseTime("2min")->picoseconds(), 120'000'000'000'000);
  EXPECT_DOUBLE_EQ(ParsePower("700W")->value(), 700.0);
  EXPECT_DOUBLE_EQ(ParsePower("11.3kW")->value(), 11300.0);
  EXPECT_DOUBLE_EQ(ParseEnergy("1kWh")->value(), 3.6e6);
  EXPECT_DOUBLE_EQ(ParseFlopRate("1979TFLOPS")->value(), 1.979e15);
  EXPECT_DOUBLE_EQ(ParseFlopRate("989.4 TFLOP/s")->value(), 9.894e14);
  EXPECT_DOUBLE_EQ(ParseFlopRate("1978.9TOPS")->value(), 1.9789e15);
  EXPECT_DOUBLE_EQ(ParseFlops("3.1e21FLOP")->value(), 3.1e21);
}

TEST(UnitsParse, BadStringsSayWhatIsAccepted) {
  const StatusOr<Bytes> parsecs = ParseBytes("12 parsecs");
  ASSERT_FALSE(parsecs.ok());
  EXPECT_NE(parsecs.status().message().find("unknown unit \"parsecs\""), std::string::npos);
  EXPECT_NE(parsecs.status().message().find("GiB"), std::string::npos);
  EXPECT_NE(parsecs.status().message().find("e.g. \"80GiB\""), std::string::npos);

  const StatusOr<Bytes> negative = ParseBytes("-3GB");
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("negative"), std::string::npos);

  const StatusOr<BytesPerSecond> huge = ParseBandwidth("1e400GB/s");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("out of range"), std::string::npos);

  EXPECT_FALSE(ParseBytes("1e300GB").ok());  // finite double, but beyond int64 bytes
  EXPECT_FALSE(ParseTime("1e9s").ok());       // beyond the ±106-day picosecond range
  EXPECT_FALSE(ParseBytes("").ok());
  EXPECT_FALSE(ParseBytes("GB").ok());
  EXPECT_FALSE(ParseBytes("80").ok());         // a bare number has no unit
  EXPECT_FALSE(ParseBandwidth("400Gb").ok());  // a size is not a rate
  EXPECT_FALSE(ParseTime("nan s").ok());
  EXPECT_FALSE(ParseTime("inf s").ok());
}

TEST(UnitsPrint, PicksAReadablePrefixAndRoundTrips) {
  EXPECT_EQ(ToString(1.5_us), "1.5 us");
  EXPECT_EQ(ToString(80_GB), "80 GB");
  EXPECT_EQ(ToString(400_Gbps), "50 GB/s");
  EXPECT_EQ(ToString(FlopsPerSecond(1.9789e15)), "1.9789 PFLOP/s");
  EXPECT_EQ(ToString(700_W), "700 W");
  EXPECT_EQ(ToString(Joules(12500)), "12.5 kJ");

  EXPECT_EQ(*ParseBytes(ToString(80_GiB)), 80_GiB);
  EXPECT_EQ(*ParseTime(ToString(Time::Picoseconds(123456789))), Time::Picoseconds(123456789));
  const BytesPerSecond odd(123456789.123);
  EXPECT_DOUBLE_EQ(ParseBandwidth(ToString(odd))->value(), odd.value());
}

}  // namespace
}  // namespace trainsim
