//===- ScalarKernels.h - Scalar loops of the selective scan and SSD -------===//
//
// The straightforward recurrences of /work/shared/SEMANTICS.md as a user
// writes them: single-threaded, no intrinsics, no OpenMP, float32 state. They
// are the "scalar" baseline and the oracle the Halide baseline checks against.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_BENCH_CPU_SCALARKERNELS_H
#define SSMC_BENCH_CPU_SCALARKERNELS_H

#include "BenchCommon.h"

namespace bench {

/// Mamba-1 selective scan with delta_bias, softplus, D and the z gate; writes
/// t.out (b,d,l) and t.lastState (b,d,n).
inline void selectiveScanScalar(ScanData &t) {
  const ScanShape &s = t.s;
  const int dPerGroup = s.d / s.g;
  std::vector<float> h(s.n);
  for (int bi = 0; bi < s.b; ++bi) {
    for (int c = 0; c < s.d; ++c) {
      const int gi = c / dPerGroup;
      const size_t row = (size_t(bi) * s.d + c) * s.l;
      const float *a = &t.A[size_t(c) * s.n];
      const float *bm = &t.B[(size_t(bi) * s.g + gi) * s.n * s.l];
      const float *cm = &t.C[(size_t(bi) * s.g + gi) * s.n * s.l];
      std::fill(h.begin(), h.end(), 0.f);
      for (int ti = 0; ti < s.l; ++ti) {
        float u = t.u[row + ti];
        float dt = softplus(t.delta[row + ti] + t.deltaBias[c]);
        float du = dt * u;
        float y = 0.f;
        for (int ni = 0; ni < s.n; ++ni) {
          h[ni] = std::exp(dt * a[ni]) * h[ni] + du * bm[size_t(ni) * s.l + ti];
          y += cm[size_t(ni) * s.l + ti] * h[ni];
        }
        y += t.D[c] * u;
        t.out[row + ti] = y * silu(t.z[row + ti]);
      }
      std::copy(h.begin(), h.end(), &t.lastState[(size_t(bi) * s.d + c) * s.n]);
    }
  }
}

/// Mamba-2 SSD, sequential recurrence, with dt_bias, dt_softplus, D (h) and
/// the z gate; writes t.out (b,l,h,p) and t.finalState (b,h,p,n).
inline void ssdScalar(SsdData &t) {
  const SsdShape &s = t.s;
  const int hPerGroup = s.h / s.g;
  std::vector<float> state(size_t(s.p) * s.n);
  for (int bi = 0; bi < s.b; ++bi) {
    for (int hi = 0; hi < s.h; ++hi) {
      const int gi = hi / hPerGroup;
      std::fill(state.begin(), state.end(), 0.f);
      for (int ti = 0; ti < s.l; ++ti) {
        const size_t bt = size_t(bi) * s.l + ti;
        float dt = softplus(t.dt[bt * s.h + hi] + t.dtBias[hi]);
        float decay = std::exp(dt * t.A[hi]);
        const float *bv = &t.B[(bt * s.g + gi) * s.n];
        const float *cv = &t.C[(bt * s.g + gi) * s.n];
        const size_t xRow = (bt * s.h + hi) * s.p;
        for (int pi = 0; pi < s.p; ++pi) {
          float xv = t.x[xRow + pi];
          float dx = dt * xv;
          float *hp = &state[size_t(pi) * s.n];
          float y = 0.f;
          for (int ni = 0; ni < s.n; ++ni) {
            hp[ni] = decay * hp[ni] + dx * bv[ni];
            y += hp[ni] * cv[ni];
          }
          y += t.D[hi] * xv;
          t.out[xRow + pi] = y * silu(t.z[xRow + pi]);
        }
      }
      std::copy(state.begin(), state.end(),
                &t.finalState[(size_t(bi) * s.h + hi) * s.p * s.n]);
    }
  }
}

} // namespace bench

#endif // SSMC_BENCH_CPU_SCALARKERNELS_H
