#include "sim/units.h"

#include <array>
#include <charconv>
#include <cmath>
#include <span>
#include <system_error>

#include "fmt/format.h"

namespace trainsim {
namespace {

constexpr double kMaxTimePs = 9.2233720368547758e18;  // 2^63
constexpr double kMaxBytes = 9.2233720368547758e18;

int64_t RoundToInt64(double v) { return static_cast<int64_t>(std::llround(v)); }

// A unit spelling and the factor that converts it to the quantity's base unit.
struct UnitScale {
  std::string_view unit;
  double scale;
};

// Time in picoseconds.
constexpr std::array kTimeUnits = {
    UnitScale{"ps", 1.0},      UnitScale{"ns", 1e3},     UnitScale{"us", 1e6},
    UnitScale{"\xC2\xB5s", 1e6} /* µs */, UnitScale{"ms", 1e9}, UnitScale{"s", 1e12},
    UnitScale{"min", 60e12},   UnitScale{"h", 3600e12},
};

// Sizes in bytes: decimal and binary prefixes; lower-case "b" is bits.
constexpr std::array kByteUnits = {
    UnitScale{"B", 1.0},          UnitScale{"kB", 1e3},         UnitScale{"KB", 1e3},
    UnitScale{"MB", 1e6},         UnitScale{"GB", 1e9},         UnitScale{"TB", 1e12},
    UnitScale{"PB", 1e15},        UnitScale{"KiB", 1024.0},     UnitScale{"MiB", 1048576.0},
    UnitScale{"GiB", 1073741824.0}, UnitScale{"TiB", 1099511627776.0},
    UnitScale{"PiB", 1125899906842624.0},
    UnitScale{"b", 1.0 / 8},      UnitScale{"kb", 1e3 / 8},     UnitScale{"Kb", 1e3 / 8},
    UnitScale{"Mb", 1e6 / 8},     UnitScale{"Gb", 1e9 / 8},     UnitScale{"Tb", 1e12 / 8},
};

// Rates in bytes per second. "Gbps" and "Gb/s" are both 10^9 bits per second.
constexpr std::array kBandwidthUnits = {
    UnitScale{"B/s", 1.0},     UnitScale{"kB/s", 1e3},    UnitScale{"KB/s", 1e3},
    UnitScale{"MB/s", 1e6},    UnitScale{"GB/s", 1e9},    UnitScale{"TB/s", 1e12},
    UnitScale{"KiB/s", 1024.0}, UnitScale{"MiB/s", 1048576.0}, UnitScale{"GiB/s", 1073741824.0},
    UnitScale{"TiB/s", 1099511627776.0},
    UnitScale{"Bps", 1.0},     UnitScale{"kBps", 1e3},    UnitScale{"KBps", 1e3},
    UnitScale{"MBps", 1e6},    UnitScale{"GBps", 1e9},    UnitScale{"TBps", 1e12},
    UnitScale{"b/s", 1.0 / 8}, UnitScale{"kb/s", 1e3 / 8}, UnitScale{"Kb/s", 1e3 / 8},
    UnitScale{"Mb/s", 1e6 / 8}, UnitScale{"Gb/s", 1e9 / 8}, UnitScale{"Tb/s", 1e12 / 8},
    UnitScale{"bps", 1.0 / 8}, UnitScale{"kbps", 1e3 / 8}, UnitScale{"Kbps", 1e3 / 8},
    UnitScale{"Mbps", 1e6 / 8}, UnitScale{"Gbps", 1e9 / 8}, UnitScale{"Tbps", 1e12 / 8},
};

// Operation counts. "OP" is accepted for integer tensor-core operations (datasheet "TOPS").
constexpr std::array kFlopUnits = {
    UnitScale{"FLOP", 1.0},   UnitScale{"kFLOP", 1e3},  UnitScale{"MFLOP", 1e6},
    UnitScale{"GFLOP", 1e9},  UnitScale{"TFLOP", 1e12}, UnitScale{"PFLOP", 1e15},
    UnitScale{"EFLOP", 1e18}, UnitScale{"ZFLOP", 1e21}, UnitScale{"OP", 1.0},
    UnitScale{"GOP", 1e9},    UnitScale{"TOP", 1e12},   UnitScale{"POP", 1e15},
};

constexpr std::array kFlopRateUnits = {
    UnitScale{"FLOPS", 1.0},    UnitScale{"GFLOPS", 1e9},   UnitScale{"TFLOPS", 1e12},
    UnitScale{"PFLOPS", 1e15},  UnitScale{"EFLOPS", 1e18},  UnitScale{"FLOP/s", 1.0},
    UnitScale{"GFLOP/s", 1e9},  UnitScale{"TFLOP/s", 1e12}, UnitScale{"PFLOP/s", 1e15},
    UnitScale{"EFLOP/s", 1e18}, UnitScale{"OPS", 1.0},      UnitScale{"GOPS", 1e9},
    UnitScale{"TOPS", 1e12},    UnitScale{"POPS", 1e15},    UnitScale{"OP/s", 1.0},
    UnitScale{"TOP/s", 1e12},
};

constexpr std::array kPowerUnits = {
    UnitScale{"mW", 1e-3}, UnitScale{"W", 1.0}, UnitScale{"kW", 1e3}, UnitScale{"MW", 1e6},
    UnitScale{"GW", 1e9},
};

constexpr std::array kEnergyUnits = {
    UnitScale{"pJ", 1e-12}, UnitScale{"nJ", 1e-9}, UnitScale{"uJ", 1e-6}, UnitScale{"mJ", 1e-3},
    UnitScale{"J", 1.0},    UnitScale{"kJ", 1e3},  UnitScale{"MJ", 1e6},  UnitScale{"GJ", 1e9},
    UnitScale{"Wh", 3600.0}, UnitScale{"kWh", 3.6e6}, UnitScale{"MWh", 3.6e9},
    UnitScale{"GWh", 3.6e12},
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Accepted(std::span<const UnitScale> units) {
  std::string out;
  for (const UnitScale& u : units) {
    if (!out.empty()) out += ", ";
    out += u.unit;
  }
  return out;
}

// Parses "<non-negative number><optional spaces><unit>" into base units (value × scale).
StatusOr<double> ParseScaled(std::string_view input, std::string_view what,
                                   std::span<const UnitScale> units, std::string_view example,
                                   double max_value) {
  const std::string_view s = Trim(input);
  auto error = [&](std::string_view why) {
    return InvalidArgumentError(fmt::format(
        "\"{}\" is not a valid {}: {}; expected a non-negative number followed by a unit ({}), "
        "e.g. \"{}\"",
        input, what, why, Accepted(units), example));
  };
  if (s.empty()) return error("it is empty");
  if (s.front() == '-') return error("it is negative");
  const char* begin = s.data();
  if (*begin == '+') ++begin;
  double number = 0.0;
  const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), number);
  if (ec == std::errc::result_out_of_range) return error("the number is out of range");
  if (ec != std::errc() || end == begin) return error("it does not start with a number");
  if (!std::isfinite(number)) return error("the number is not finite");
  const std::string_view unit = Trim(std::string_view(end, s.data() + s.size() - end));
  if (unit.empty()) return error("the unit is missing");
  for (const UnitScale& u : units) {
    if (u.unit != unit) continue;
    const double value = number * u.scale;
    if (!std::isfinite(value) || value > max_value) return error("the value is out of range");
    return value;
  }
  return error(fmt::format("unknown unit \"{}\"", unit));
}

// Shortest round-trip decimal for v.
std::string Shortest(double v) {
  std::array<char, 64> buf;
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  TRAINSIM_CHECK(ec == std::errc());
  return std::string(buf.data(), end);
}

// Prints v (in base units) with the largest unit from `ladder` (ascending scales) whose scale
// is <= |v|, or the smallest unit.
std::string WithPrefix(double v, std::span<const UnitScale> ladder) {
  const UnitScale* chosen = &ladder.front();
  for (const UnitScale& u : ladder) {
    if (std::fabs(v) >= u.scale) chosen = &u;
  }
  return fmt::format("{} {}", Shortest(v / chosen->scale), chosen->unit);
}

constexpr std::array kTimeLadder = {UnitScale{"ps", 1.0}, UnitScale{"ns", 1e3},
                                    UnitScale{"us", 1e6}, UnitScale{"ms", 1e9},
                                    UnitScale{"s", 1e12}};
constexpr std::array kByteLadder = {UnitScale{"B", 1.0}, UnitScale{"kB", 1e3},
                                    UnitScale{"MB", 1e6}, UnitScale{"GB", 1e9},
                                    UnitScale{"TB", 1e12}, UnitScale{"PB", 1e15}};
constexpr std::array kBandwidthLadder = {UnitScale{"B/s", 1.0}, UnitScale{"kB/s", 1e3},
                                         UnitScale{"MB/s", 1e6}, UnitScale{"GB/s", 1e9},
                                         UnitScale{"TB/s", 1e12}};
constexpr std::array kFlopLadder = {UnitScale{"FLOP", 1.0},   UnitScale{"GFLOP", 1e9},
                                    UnitScale{"TFLOP", 1e12}, UnitScale{"PFLOP", 1e15},
                                    UnitScale{"EFLOP", 1e18}, UnitScale{"ZFLOP", 1e21}};
constexpr std::array kFlopRateLadder = {UnitScale{"FLOP/s", 1.0}, UnitScale{"GFLOP/s", 1e9},
                                        UnitScale{"TFLOP/s", 1e12}, UnitScale{"PFLOP/s", 1e15},
                                        UnitScale{"EFLOP/s", 1e18}};
constexpr std::array kPowerLadder = {UnitScale{"mW", 1e-3}, UnitScale{"W", 1.0},
                                     UnitScale{"kW", 1e3}, UnitScale{"MW", 1e6}};
constexpr std::array kEnergyLadder = {UnitScale{"pJ", 1e-12}, UnitScale{"nJ", 1e-9},
                                      UnitScale{"uJ", 1e-6},  UnitScale{"mJ", 1e-3},
                                      UnitScale{"J", 1.0},    UnitScale{"kJ", 1e3},
                                      UnitScale{"MJ", 1e6},   UnitScale{"GJ", 1e9}};

}  // namespace

// ---------------------------------------------------------------------------------------------

Time Time::FromSeconds(double seconds) {
  const double ps = seconds * 1e12;
  if (!(std::fabs(ps) < kMaxTimePs)) {
    internal::Fatal(fmt::format("Time::FromSeconds out of range: {} s", seconds));
  }
  return Time(RoundToInt64(ps));
}

Time Time::FromSecondsSaturating(double seconds) {
  if (std::isnan(seconds)) internal::Fatal("Time::FromSecondsSaturating(NaN)");
  const double ps = seconds * 1e12;
  if (ps >= kMaxTimePs) return Max();
  if (ps <= -kMaxTimePs) return -Max();
  return Time(RoundToInt64(ps));
}

Bytes Bytes::FromDouble(double bytes) {
  if (!(std::fabs(bytes) < kMaxBytes)) {
    internal::Fatal(fmt::format("Bytes::FromDouble out of range: {}", bytes));
  }
  return Bytes(RoundToInt64(bytes));
}

Time operator/(Bytes b, BytesPerSecond r) {
  if (r.value() <= 0.0) return Time::Max();
  return Time::FromSecondsSaturating(b.value() / r.value());
}
BytesPerSecond operator/(Bytes b, Time t) { return BytesPerSecond(b.value() / t.seconds()); }
Bytes operator*(BytesPerSecond r, Time t) { return Bytes::FromDouble(r.value() * t.seconds()); }
Time operator/(Flops f, FlopsPerSecond r) {
  if (r.value() <= 0.0) return Time::Max();
  return Time::FromSecondsSaturating(f.value() / r.value());
}
FlopsPerSecond operator/(Flops f, Time t) { return FlopsPerSecond(f.value() / t.seconds()); }
Flops operator*(FlopsPerSecond r, Time t) { return Flops(r.value() * t.seconds()); }
Joules operator*(Watts p, Time t) { return Joules(p.value() * t.seconds()); }
Watts operator/(Joules e, Time t) { return Watts(e.value() / t.seconds()); }
Time operator/(Joules e, Watts p) {
  if (p.value() <= 0.0) return Time::Max();
  return Time::FromSecondsSaturating(e.value() / p.value());
}

// ---------------------------------------------------------------------------------------------

StatusOr<Time> ParseTime(std::string_view s) {
  StatusOr<double> ps = ParseScaled(s, "duration", kTimeUnits, "1.5us", kMaxTimePs);
  if (!ps.ok()) return ps.status();
  return Time::Picoseconds(RoundToInt64(*ps));
}

StatusOr<Bytes> ParseBytes(std::string_view s) {
  StatusOr<double> b = ParseScaled(s, "size in bytes", kByteUnits, "80GiB", kMaxBytes);
  if (!b.ok()) return b.status();
  return Bytes(RoundToInt64(*b));
}

StatusOr<BytesPerSecond> ParseBandwidth(std::string_view s) {
  StatusOr<double> r = ParseScaled(s, "bandwidth", kBandwidthUnits, "400Gb/s",
                                         std::numeric_limits<double>::max());
  if (!r.ok()) return r.status();
  return BytesPerSecond(*r);
}

StatusOr<Flops> ParseFlops(std::string_view s) {
  StatusOr<double> f = ParseScaled(s, "operation count", kFlopUnits, "3.1e21FLOP",
                                         std::numeric_limits<double>::max());
  if (!f.ok()) return f.status();
  return Flops(*f);
}

StatusOr<FlopsPerSecond> ParseFlopRate(std::string_view s) {
  StatusOr<double> r = ParseScaled(s, "operation rate", kFlopRateUnits, "1979TFLOPS",
                                         std::numeric_limits<double>::max());
  if (!r.ok()) return r.status();
  return FlopsPerSecond(*r);
}

StatusOr<Watts> ParsePower(std::string_view s) {
  StatusOr<double> p =
      ParseScaled(s, "power", kPowerUnits, "700W", std::numeric_limits<double>::max());
  if (!p.ok()) return p.status();
  return Watts(*p);
}

StatusOr<Joules> ParseEnergy(std::string_view s) {
  StatusOr<double> e =
      ParseScaled(s, "energy", kEnergyUnits, "1.2kWh", std::numeric_limits<double>::max());
  if (!e.ok()) return e.status();
  return Joules(*e);
}

std::string ToString(Time t) {
  return WithPrefix(static_cast<double>(t.picoseconds()), kTimeLadder);
}
std::string ToString(Bytes b) { return WithPrefix(b.value(), kByteLadder); }
std::string ToString(BytesPerSecond r) { return WithPrefix(r.value(), kBandwidthLadder); }
std::string ToString(Flops f) { return WithPrefix(f.value(), kFlopLadder); }
std::string ToString(FlopsPerSecond r) { return WithPrefix(r.value(), kFlopRateLadder); }
std::string ToString(Joules e) { return WithPrefix(e.value(), kEnergyLadder); }
std::string ToString(Watts p) { return WithPrefix(p.value(), kPowerLadder); }

}  // namespace trainsim
