// Physical quantities as strong types: Time, Bytes, BytesPerSecond, Flops, FlopsPerSecond,
// Joules and Watts. Only dimensionally meaningful arithmetic compiles (Bytes / BytesPerSecond
// gives Time; Bytes + Time does not compile).
//
// Time is an integer count of picoseconds (int64): resolution 1 ps, range ±2^63 ps ≈ ±106.7
// days. Picoseconds keep a 64-byte packet on a 400 Gb/s link (1.28 ns) exact. A double becomes a
// Time only through Time::FromSeconds, which rounds to the nearest picosecond and checks range.
// Bytes is an exact int64 count. Rates, FLOP counts, energy and power are doubles in SI base
// units (B/s, FLOP, FLOP/s, J, W): FLOP counts of a training step (~1e19) overflow int64.
//
// Unit strings follow datasheet conventions: decimal prefixes (k, M, G, T, P = 10^3n) unless
// binary (KiB, MiB, GiB, TiB = 2^10n); a lower-case "b" is bits ("400Gb/s" = 5e10 B/s), an
// upper-case "B" is bytes. Parsing is for the edges (config, CLI); below them only typed values.
#ifndef TRAINSIM_SIM_UNITS_H_
#define TRAINSIM_SIM_UNITS_H_

#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "sim/check.h"
#include "sim/status.h"

namespace trainsim {

// ---------------------------------------------------------------------------------------------
// Time

class Time {
 public:
  constexpr Time() = default;
  static constexpr Time Picoseconds(int64_t ps) { return Time(ps); }
  static constexpr Time Nanoseconds(int64_t ns) { return Time(Mul(ns, 1'000)); }
  static constexpr Time Microseconds(int64_t us) { return Time(Mul(us, 1'000'000)); }
  static constexpr Time Milliseconds(int64_t ms) { return Time(Mul(ms, 1'000'000'000)); }
  static constexpr Time Zero() { return Time(0); }
  static constexpr Time Max() { return Time(std::numeric_limits<int64_t>::max()); }

  // Rounds to the nearest picosecond. REQUIRES: finite and within ±Max (checked, always on).
  static Time FromSeconds(double seconds);
  // As FromSeconds, but values beyond the range saturate at ±Max (for "infinitely long").
  static Time FromSecondsSaturating(double seconds);

  constexpr int64_t picoseconds() const { return ps_; }
  constexpr double seconds() const { return static_cast<double>(ps_) * 1e-12; }
  constexpr double microseconds() const { return static_cast<double>(ps_) * 1e-6; }

  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Time o) const { return Time(Add(ps_, o.ps_)); }
  constexpr Time operator-(Time o) const { return Time(Add(ps_, -o.ps_)); }
  constexpr Time operator-() const { return Time(-ps_); }
  constexpr Time& operator+=(Time o) { return *this = *this + o; }
  constexpr Time& operator-=(Time o) { return *this = *this - o; }
  constexpr Time operator*(int64_t k) const { return Time(Mul(ps_, k)); }
  // Ratio of two durations.
  constexpr double operator/(Time o) const {
    return static_cast<double>(ps_) / static_cast<double>(o.ps_);
  }

 private:
  constexpr explicit Time(int64_t ps) : ps_(ps) {}
  static constexpr int64_t Add(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) internal::Fatal("Time overflow in addition");
    return r;
  }
  static constexpr int64_t Mul(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) internal::Fatal("Time overflow in multiplication");
    return r;
  }
  int64_t ps_ = 0;
};

constexpr Time operator*(int64_t k, Time t) { return t * k; }

// ---------------------------------------------------------------------------------------------
// Bytes: exact 64-bit count.

class Bytes {
 public:
  constexpr Bytes() = default;
  constexpr explicit Bytes(int64_t n) : n_(n) {}
  // Rounds to the nearest byte. REQUIRES: finite and representable (checked).
  static Bytes FromDouble(double bytes);

  constexpr int64_t count() const { return n_; }
  constexpr double value() const { return static_cast<double>(n_); }

  constexpr auto operator<=>(const Bytes&) const = default;
  constexpr Bytes operator+(Bytes o) const { return Bytes(n_ + o.n_); }
  constexpr Bytes operator-(Bytes o) const { return Bytes(n_ - o.n_); }
  constexpr Bytes& operator+=(Bytes o) { return *this = *this + o; }
  constexpr Bytes& operator-=(Bytes o) { return *this = *this - o; }
  constexpr Bytes operator*(int64_t k) const { return Bytes(n_ * k); }
  constexpr double operator/(Bytes o) const { return value() / o.value(); }

 private:
  int64_t n_ = 0;
};

constexpr Bytes operator*(int64_t k, Bytes b) { return b * k; }

// ---------------------------------------------------------------------------------------------
// Real-valued quantities in SI base units. One template keeps the same-type algebra in one
// place; the cross-type operators below are the only conversions between dimensions.

template <typename Tag>
class Quantity {
 public:
  constexpr Quantity() = default;
  constexpr explicit Quantity(double v) : v_(v) {}
  constexpr double value() const { return v_; }

  constexpr auto operator<=>(const Quantity&) const = default;
  constexpr Quantity operator+(Quantity o) const { return Quantity(v_ + o.v_); }
  constexpr Quantity operator-(Quantity o) const { return Quantity(v_ - o.v_); }
  constexpr Quantity& operator+=(Quantity o) { return *this = *this + o; }
  constexpr Quantity& operator-=(Quantity o) { return *this = *this - o; }
  constexpr Quantity operator*(double k) const { return Quantity(v_ * k); }
  constexpr Quantity operator/(double k) const { return Quantity(v_ / k); }
  constexpr double operator/(Quantity o) const { return v_ / o.v_; }
  friend constexpr Quantity operator*(double k, Quantity q) { return q * k; }

 private:
  double v_ = 0.0;
};

struct BytesPerSecondTag {};
struct FlopsTag {};
struct FlopsPerSecondTag {};
struct JoulesTag {};
struct WattsTag {};

using BytesPerSecond = Quantity<BytesPerSecondTag>;  // B/s
using Flops = Quantity<FlopsTag>;                    // floating-point (or integer) operations
using FlopsPerSecond = Quantity<FlopsPerSecondTag>;  // operations per second
using Joules = Quantity<JoulesTag>;                  // J
using Watts = Quantity<WattsTag>;                    // W

// Cross-dimension algebra. Results that are durations round to the nearest picosecond; a zero
// rate gives Time::Max() (a transfer that never finishes), never a division by zero.
Time operator/(Bytes b, BytesPerSecond r);
BytesPerSecond operator/(Bytes b, Time t);
Bytes operator*(BytesPerSecond r, Time t);
inline Bytes operator*(Time t, BytesPerSecond r) { return r * t; }
Time operator/(Flops f, FlopsPerSecond r);
FlopsPerSecond operator/(Flops f, Time t);
Flops operator*(FlopsPerSecond r, Time t);
inline Flops operator*(Time t, FlopsPerSecond r) { return r * t; }
Joules operator*(Watts p, Time t);
inline Joules operator*(Time t, Watts p) { return p * t; }
Watts operator/(Joules e, Time t);
Time operator/(Joules e, Watts p);
// Arithmetic intensity (FLOP per byte) and ridge points (FLOP/s per B/s) are plain ratios.
inline double operator/(Flops f, Bytes b) { return f.value() / b.value(); }
inline double operator/(FlopsPerSecond f, BytesPerSecond b) { return f.value() / b.value(); }

// ---------------------------------------------------------------------------------------------
// Literals: 1.5_us, 80_GiB, 400_Gbps, 1979_TFLOPS, 700_W.

namespace literals {
constexpr Time operator""_ps(unsigned long long v) { return Time::Picoseconds(static_cast<int64_t>(v)); }
constexpr Time operator""_ns(unsigned long long v) { return Time::Nanoseconds(static_cast<int64_t>(v)); }
constexpr Time operator""_us(unsigned long long v) { return Time::Microseconds(static_cast<int64_t>(v)); }
constexpr Time operator""_ms(unsigned long long v) { return Time::Milliseconds(static_cast<int64_t>(v)); }
constexpr Time operator""_s(unsigned long long v) {
  return Time::Milliseconds(static_cast<int64_t>(v) * 1000);
}
inline Time operator""_ns(long double v) { return Time::FromSeconds(static_cast<double>(v) * 1e-9); }
inline Time operator""_us(long double v) { return Time::FromSeconds(static_cast<double>(v) * 1e-6); }
inline Time operator""_ms(long double v) { return Time::FromSeconds(static_cast<double>(v) * 1e-3); }
inline Time operator""_s(long double v) { return Time::FromSeconds(static_cast<double>(v)); }

constexpr Bytes operator""_B(unsigned long long v) { return Bytes(static_cast<int64_t>(v)); }
constexpr Bytes operator""_KB(unsigned long long v) { return Bytes(static_cast<int64_t>(v) * 1'000); }
constexpr Bytes operator""_MB(unsigned long long v) { return Bytes(static_cast<int64_t>(v) * 1'000'000); }
constexpr Bytes operator""_GB(unsigned long long v) {
  return Bytes(static_cast<int64_t>(v) * 1'000'000'000);
}
constexpr Bytes operator""_TB(unsigned long long v) {
  return Bytes(static_cast<int64_t>(v) * 1'000'000'000'000);
}
constexpr Bytes operator""_KiB(unsigned long long v) { return Bytes(static_cast<int64_t>(v) << 10); }
constexpr Bytes operator""_MiB(unsigned long long v) { return Bytes(static_cast<int64_t>(v) << 20); }
constexpr Bytes operator""_GiB(unsigned long long v) { return Bytes(static_cast<int64_t>(v) << 30); }
constexpr Bytes operator""_TiB(unsigned long long v) { return Bytes(static_cast<int64_t>(v) << 40); }

constexpr BytesPerSecond operator""_Gbps(unsigned long long v) {
  return BytesPerSecond(static_cast<double>(v) * 1e9 / 8);
}
constexpr BytesPerSecond operator""_Gbps(long double v) {
  return BytesPerSecond(static_cast<double>(v) * 1e9 / 8);
}
constexpr BytesPerSecond operator""_GBps(unsigned long long v) {
  return BytesPerSecond(static_cast<double>(v) * 1e9);
}
constexpr BytesPerSecond operator""_GBps(long double v) { return BytesPerSecond(static_cast<double>(v) * 1e9); }
constexpr BytesPerSecond operator""_TBps(long double v) { return BytesPerSecond(static_cast<double>(v) * 1e12); }
constexpr BytesPerSecond operator""_TBps(unsigned long long v) {
  return BytesPerSecond(static_cast<double>(v) * 1e12);
}

constexpr Flops operator""_GFLOP(unsigned long long v) { return Flops(static_cast<double>(v) * 1e9); }
constexpr Flops operator""_TFLOP(unsigned long long v) { return Flops(static_cast<double>(v) * 1e12); }
constexpr FlopsPerSecond operator""_TFLOPS(unsigned long long v) {
  return FlopsPerSecond(static_cast<double>(v) * 1e12);
}
constexpr FlopsPerSecond operator""_TFLOPS(long double v) {
  return FlopsPerSecond(static_cast<double>(v) * 1e12);
}

constexpr Watts operator""_W(unsigned long long v) { return Watts(static_cast<double>(v)); }
constexpr Watts operator""_W(long double v) { return Watts(static_cast<double>(v)); }
constexpr Watts operator""_kW(long double v) { return Watts(static_cast<double>(v) * 1e3); }
constexpr Joules operator""_J(unsigned long long v) { return Joules(static_cast<double>(v)); }
constexpr Joules operator""_J(long double v) { return Joules(static_cast<double>(v)); }
}  // namespace literals

// ---------------------------------------------------------------------------------------------
// Parsing unit strings. Each accepts "<number><unit>" with optional spaces in between, where
// <number> is a non-negative decimal ("1.5", "1e3"). Errors say what is accepted. Values that are
// negative, not finite, or out of the type's range are errors.

StatusOr<Time> ParseTime(std::string_view s);                  // "1.5us", "2 ms", "250ns"
StatusOr<Bytes> ParseBytes(std::string_view s);                // "80GB", "80GiB", "64KiB"
StatusOr<BytesPerSecond> ParseBandwidth(std::string_view s);   // "400Gb/s", "3.35TB/s"
StatusOr<Flops> ParseFlops(std::string_view s);                // "3.1e21FLOP", "5PFLOP"
StatusOr<FlopsPerSecond> ParseFlopRate(std::string_view s);    // "1979TFLOPS", "989TFLOP/s"
StatusOr<Watts> ParsePower(std::string_view s);                // "700W", "11.3kW"
StatusOr<Joules> ParseEnergy(std::string_view s);              // "5J", "1.2kWh"

// Printing with an SI prefix chosen for readability, shortest round-trip digits: the output of
// each ToString parses back to the same value with the matching Parse function.
std::string ToString(Time t);            // "1.5 us"
std::string ToString(Bytes b);           // "80 GB", "85.89934592 GB"
std::string ToString(BytesPerSecond r);  // "50 GB/s"
std::string ToString(Flops f);           // "3.1 EFLOP"
std::string ToString(FlopsPerSecond r);  // "1978.9 TFLOP/s"
std::string ToString(Joules e);          // "12.5 kJ"
std::string ToString(Watts p);           // "700 W"

}  // namespace trainsim

#endif  // TRAINSIM_SIM_UNITS_H_
