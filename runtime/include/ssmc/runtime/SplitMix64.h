//===- SplitMix64.h - a small seedable random generator --------*- C++ -*-===//
//
// SplitMix64 with uniform and normal doubles: the same numbers on every
// platform and standard library (unlike <random>'s distributions), for the
// checkpoint generator, the tests' random inputs and the benchmarks.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_SPLITMIX64_H
#define SSMC_RUNTIME_SPLITMIX64_H

#include <cmath>
#include <cstdint>

namespace ssmc {

class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state(seed) {}

  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1), from the top 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Standard normal (Box-Muller; 1 - u keeps the logarithm finite).
  double normal() {
    double u = 1.0 - uniform(), v = uniform();
    constexpr double twoPi = 6.283185307179586476925286766559;
    return std::sqrt(-2.0 * std::log(u)) * std::cos(twoPi * v);
  }

private:
  uint64_t state;
};

} // namespace ssmc

#endif // SSMC_RUNTIME_SPLITMIX64_H
