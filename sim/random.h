// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA
// 2014): a small fixed-seed generator whose output does not depend on the standard library, so
// seeded randomness (tests, benchmarks, jitter) is the same on every machine.
#ifndef TRAINSIM_SIM_RANDOM_H_
#define TRAINSIM_SIM_RANDOM_H_

#include <concepts>
#include <cstdint>

namespace trainsim {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  // In [0, n). REQUIRES: n > 0. (Modulo bias is below 2^-40 for n < 2^24: fine for tests.)
  template <std::integral T>
  T Uniform(T n) {
    return static_cast<T>(Next() % static_cast<uint64_t>(n));
  }

 private:
  uint64_t state_;
};

}  // namespace trainsim

#endif  // TRAINSIM_SIM_RANDOM_H_
