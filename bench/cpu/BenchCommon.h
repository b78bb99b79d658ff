//===- BenchCommon.h - Inputs, timing, reports for the CPU baselines ------===//
//
// Header-only and dependency-free (no LLVM, no Halide) so that both baseline
// executables generate bit-identical inputs and print and write results the
// same way: the shapes, the random inputs, best/median timing with
// std::chrono, the result table, the JSON file and a small .npy writer.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_BENCH_CPU_BENCHCOMMON_H
#define SSMC_BENCH_CPU_BENCHCOMMON_H

#include "ssmc/runtime/SplitMix64.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace bench {

//===----------------------------------------------------------------------===//
// Shapes and inputs
//===----------------------------------------------------------------------===//

/// Mamba-1 selective scan: u, delta, z (b,d,l); A (d,n); B, C (b,g,n,l);
/// D, deltaBias (d). Always fused with D, z, delta_bias and softplus.
struct ScanShape {
  int b = 2, d = 1536, l = 2048, n = 16, g = 1;
  double stateUpdates() const { return double(b) * d * l * n; }
  std::string str() const {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "b=%d d=%d l=%d n=%d g=%d", b, d, l, n, g);
    return buf;
  }
};

/// Mamba-2 SSD: x, z (b,l,h,p); dt (b,l,h); A, D, dtBias (h); B, C (b,l,g,n).
/// Always fused with D, z, dt_bias and dt_softplus (no dt_limit clamp).
struct SsdShape {
  int b = 1, l = 2048, h = 24, p = 64, n = 128, g = 1;
  double stateUpdates() const { return double(b) * l * h * p * n; }
  std::string str() const {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "b=%d l=%d h=%d p=%d n=%d g=%d", b, l, h, p,
                  n, g);
    return buf;
  }
};

/// SplitMix64 (the same numbers with every standard library), in float.
class Rng {
public:
  explicit Rng(uint64_t seed) : gen(seed) {}
  /// Uniform in [lo, hi).
  float uniform(float lo, float hi) { return float(gen.uniform(lo, hi)); }
  float normal() { return float(gen.normal()); }

private:
  ssmc::SplitMix64 gen;
};

struct ScanData {
  ScanShape s;
  std::vector<float> u, delta, A, B, C, D, z, deltaBias;
  std::vector<float> out, lastState; // (b,d,l), (b,d,n)
};

struct SsdData {
  SsdShape s;
  std::vector<float> x, dt, A, B, C, D, z, dtBias;
  std::vector<float> out, finalState; // (b,l,h,p), (b,h,p,n)
};

/// Realistic ranges: delta + delta_bias in [-4, -1] so that dt is about
/// softplus(-4..-1) = 0.018..0.31, A = -exp(U(0, 2)), D around 1, the rest
/// standard normal.
inline ScanData makeScanData(const ScanShape &s, uint64_t seed) {
  ScanData t;
  t.s = s;
  Rng rng(seed);
  size_t bdl = size_t(s.b) * s.d * s.l, bgnl = size_t(s.b) * s.g * s.n * s.l;
  auto fill = [&](std::vector<float> &v, size_t size, auto gen) {
    v.resize(size);
    for (float &e : v)
      e = gen();
  };
  fill(t.u, bdl, [&] { return rng.normal(); });
  fill(t.delta, bdl, [&] { return rng.uniform(-0.5f, 0.5f); });
  fill(t.A, size_t(s.d) * s.n,
       [&] { return -std::exp(rng.uniform(0.f, 2.f)); });
  fill(t.B, bgnl, [&] { return rng.normal(); });
  fill(t.C, bgnl, [&] { return rng.normal(); });
  fill(t.D, s.d, [&] { return rng.uniform(0.5f, 1.5f); });
  fill(t.z, bdl, [&] { return rng.normal(); });
  fill(t.deltaBias, s.d, [&] { return rng.uniform(-3.5f, -1.5f); });
  t.out.assign(bdl, 0.f);
  t.lastState.assign(size_t(s.b) * s.d * s.n, 0.f);
  return t;
}

/// Same ranges as makeScanData, per head.
inline SsdData makeSsdData(const SsdShape &s, uint64_t seed) {
  SsdData t;
  t.s = s;
  Rng rng(seed);
  size_t blhp = size_t(s.b) * s.l * s.h * s.p,
         blgn = size_t(s.b) * s.l * s.g * s.n;
  auto fill = [&](std::vector<float> &v, size_t size, auto gen) {
    v.resize(size);
    for (float &e : v)
      e = gen();
  };
  fill(t.x, blhp, [&] { return rng.normal(); });
  fill(t.dt, size_t(s.b) * s.l * s.h, [&] { return rng.uniform(-0.5f, 0.5f); });
  fill(t.A, s.h, [&] { return -std::exp(rng.uniform(0.f, 2.f)); });
  fill(t.B, blgn, [&] { return rng.normal(); });
  fill(t.C, blgn, [&] { return rng.normal(); });
  fill(t.D, s.h, [&] { return rng.uniform(0.5f, 1.5f); });
  fill(t.z, blhp, [&] { return rng.normal(); });
  fill(t.dtBias, s.h, [&] { return rng.uniform(-3.5f, -1.5f); });
  t.out.assign(blhp, 0.f);
  t.finalState.assign(size_t(s.b) * s.h * s.p * s.n, 0.f);
  return t;
}

//===----------------------------------------------------------------------===//
// Numerics helpers
//===----------------------------------------------------------------------===//

/// softplus(x) = log(1 + exp(x)), and x itself above 20 as in mamba_ssm.
inline float softplus(float x) {
  return x > 20.f ? x : std::log1p(std::exp(x));
}
inline float silu(float x) { return x / (1.f + std::exp(-x)); }

/// Sum of all elements in double: a cheap fingerprint of an output.
inline double checksum(const std::vector<float> &v) {
  double s = 0;
  for (float e : v)
    s += e;
  return s;
}

/// ||got - want||_2 / ||want||_2 in double.
inline double relL2(const std::vector<float> &got,
                    const std::vector<float> &want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double d = double(got[i]) - double(want[i]);
    num += d * d;
    den += double(want[i]) * double(want[i]);
  }
  return std::sqrt(num / (den > 0 ? den : 1));
}

//===----------------------------------------------------------------------===//
// Timing and reporting
//===----------------------------------------------------------------------===//

struct Result {
  std::string op, impl, shape;
  double bestMs = 0, medianMs = 0, stateUpdates = 0, checksum = 0;
  int runs = 0;
  double updatesPerSec() const { return stateUpdates / (bestMs * 1e-3); }
};

/// Runs fn once to warm up, then `runs` times; returns {best, median} in ms.
inline std::pair<double, double> timeIt(const std::function<void()> &fn,
                                        int runs) {
  fn();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms.front(), ms[ms.size() / 2]};
}

inline void printHeader() {
  std::printf("%-15s %-9s %-34s %10s %10s %12s %16s\n", "op", "impl", "shape",
              "best_ms", "median_ms", "updates/s", "checksum");
}

inline void printResult(const Result &r) {
  std::printf("%-15s %-9s %-34s %10.2f %10.2f %12.3e %16.6e\n", r.op.c_str(),
              r.impl.c_str(), r.shape.c_str(), r.bestMs, r.medianMs,
              r.updatesPerSec(), r.checksum);
  std::fflush(stdout);
}

/// Writes {"impl": ..., "threads": ..., "results": [...]} to path.
inline bool writeJson(const std::string &path, const std::string &impl,
                      const std::string &extra,
                      const std::vector<Result> &results) {
  FILE *f = std::fopen(path.c_str(), "w");
  if (!f)
    return false;
  std::fprintf(f, "{\n  \"impl\": \"%s\",%s\n  \"results\": [\n", impl.c_str(),
               extra.c_str());
  for (size_t i = 0; i < results.size(); ++i) {
    const Result &r = results[i];
    std::fprintf(f,
                 "    {\"op\": \"%s\", \"impl\": \"%s\", \"shape\": \"%s\", "
                 "\"best_ms\": %.4f, \"median_ms\": %.4f, \"runs\": %d, "
                 "\"state_updates\": %.0f, \"updates_per_s\": %.6e, "
                 "\"checksum\": %.9e}%s\n",
                 r.op.c_str(), r.impl.c_str(), r.shape.c_str(), r.bestMs,
                 r.medianMs, r.runs, r.stateUpdates, r.updatesPerSec(),
                 r.checksum, i + 1 < results.size() ? "," : "");
  }
  std::fprintf(f, "  ]\n}\n");
  return std::fclose(f) == 0;
}

//===----------------------------------------------------------------------===//
// .npy writer (format 1.0, little-endian float32, C order)
//===----------------------------------------------------------------------===//

inline bool writeNpy(const std::string &path, const std::vector<float> &data,
                     const std::vector<int> &shape) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int d : shape)
    dict += std::to_string(d) + ", ";
  if (shape.size() > 1)
    dict.erase(dict.size() - 1); // "(2, 3, )" -> "(2, 3,)"; 1-D keeps "(2, )"
  dict += "), }";
  // Magic (6) + version (2) + header length (2) + dict + '\n', padded to 64.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return false;
  uint16_t len = uint16_t(dict.size());
  unsigned char lenBytes[2] = {uint8_t(len & 0xff), uint8_t(len >> 8)};
  std::fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  std::fwrite(lenBytes, 1, 2, f);
  std::fwrite(dict.data(), 1, dict.size(), f);
  std::fwrite(data.data(), sizeof(float), data.size(), f); // x86: little-endian
  return std::fclose(f) == 0;
}

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

struct Options {
  std::string json, dump;
  int runs = 5;
  uint64_t seed = 1234;
  bool quick = false; // smaller l, for smoke tests
};

inline bool parseOptions(int argc, char **argv, Options &o, const char *usage) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string &dst) {
      if (i + 1 >= argc)
        return false;
      dst = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--json" && value(o.json))
      continue;
    if (a == "--dump" && value(o.dump))
      continue;
    if (a == "--runs" && value(v) && (o.runs = std::atoi(v.c_str())) > 0)
      continue;
    if (a == "--seed" && value(v)) {
      o.seed = std::strtoull(v.c_str(), nullptr, 10);
      continue;
    }
    if (a == "--quick") {
      o.quick = true;
      continue;
    }
    std::fprintf(stderr, "%s", usage);
    return false;
  }
  return true;
}

} // namespace bench

#endif // SSMC_BENCH_CPU_BENCHCOMMON_H
