//===- Gemm.cpp - the BLAS behind a package's projections -----------------===//
//
// What ssm-cpu-projections-to-gemm calls: C += A op(B) for each of `batch`
// row-major blocks. Products with few rows (decoding) are matrix-vector
// products on the pool (AVX-512 when present); the others are split over the
// pool into single-threaded OpenBLAS cblas_sgemm calls (one product when the
// batches of A and C are contiguous and B is shared).
//
//===----------------------------------------------------------------------===//
#include "Gemm.h"
#include "ssmc/runtime/ThreadPool.h"

#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <cstdint>
#include <immintrin.h>
#include <vector>

namespace {
// The CBLAS interface of OpenBLAS, loaded at run time (dlopen), so that the
// runtime needs no BLAS to be installed (without one, the products run on
// the pool's own kernels). Note: Debian 12's OpenBLAS (0.3.21) takes Zen 4 /
// Zen 5 for Haswell and uses AVX2 kernels; OPENBLAS_CORETYPE=SKYLAKEX in the
// environment of the process selects its AVX-512 ones (it reads the variable
// from the process's initial environment: setting it here has no effect).
enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112 };
using SgemmFn = void (*)(int order, int transA, int transB, int m, int n,
                         int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c,
                         int ldc);
using SetThreadsFn = void (*)(int threads);

struct Blas {
  SgemmFn sgemm = nullptr;
};

const Blas &blas() {
  static const Blas loaded = [] {
    Blas b;
    void *h = nullptr;
    for (const char *name : {"libopenblas.so.0", "libopenblas.so"})
      if ((h = dlopen(name, RTLD_NOW | RTLD_LOCAL)))
        break;
    if (!h)
      return b;
    b.sgemm = reinterpret_cast<SgemmFn>(dlsym(h, "cblas_sgemm"));
    // The pool splits the work; OpenBLAS's own threads would compete.
    if (auto set = reinterpret_cast<SetThreadsFn>(
            dlsym(h, "openblas_set_num_threads")))
      set(1);
    return b;
  }();
  return loaded;
}

} // namespace

namespace {

/// Products with a few rows or one column (decoding: one token per
/// sequence) stream the weight once as matrix-vector products; a GEMM would
/// first pack the whole weight.
constexpr int64_t kGemvRows = 4;
/// Weight rows per task of the pool.
constexpr int64_t kRowsPerTask = 32;

/// y_r[j * incy] += W[j, :] . x_r for the `count` vectors x_r (contiguous)
/// and rows j of a task.
struct Gemv {
  const float *w = nullptr;
  int64_t ldw = 0, rows = 0, k = 0, count = 0, incy = 1;
  const float *x[kGemvRows] = {};
  float *y[kGemvRows] = {};
};

void gemvGeneric(const Gemv &g, int64_t begin, int64_t end) {
  for (int64_t j = begin; j < end; ++j) {
    const float *row = g.w + j * g.ldw;
    for (int64_t r = 0; r < g.count; ++r) {
      float acc = 0.0f;
      for (int64_t i = 0; i < g.k; ++i)
        acc += row[i] * g.x[r][i];
      g.y[r][j * g.incy] += acc;
    }
  }
}

__attribute__((target("avx512f"))) float sum16(__m512 v) {
  // (Not _mm512_reduce_add_ps: GCC 12 warns inside it.)
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  float s = 0.0f;
  for (float l : lanes)
    s += l;
  return s;
}

/// The same with 16-lane FMAs, four weight rows at a time (four streams
/// in flight for the memory system), the tail of each row masked.
__attribute__((target("avx512f"))) void gemvAvx512(const Gemv &g,
                                                   int64_t begin,
                                                   int64_t end) {
  int64_t k16 = g.k / 16 * 16;
  __mmask16 tail = static_cast<__mmask16>((1u << (g.k - k16)) - 1);
  int64_t j = begin;
  for (; j + 4 <= end; j += 4) {
    const float *w0 = g.w + j * g.ldw;
    for (int64_t r = 0; r < g.count; ++r) {
      __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      const float *x = g.x[r];
      for (int64_t i = 0; i < k16; i += 16) {
        __m512 xv = _mm512_loadu_ps(x + i);
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i), xv, a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + g.ldw + i), xv, a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + 2 * g.ldw + i), xv, a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + 3 * g.ldw + i), xv, a3);
      }
      if (tail) {
        __m512 xv = _mm512_maskz_loadu_ps(tail, x + k16);
        a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w0 + k16), xv, a0);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w0 + g.ldw + k16), xv,
                             a1);
        a2 = _mm512_fmadd_ps(
            _mm512_maskz_loadu_ps(tail, w0 + 2 * g.ldw + k16), xv, a2);
        a3 = _mm512_fmadd_ps(
            _mm512_maskz_loadu_ps(tail, w0 + 3 * g.ldw + k16), xv, a3);
      }
      float *y = g.y[r] + j * g.incy;
      y[0] += sum16(a0);
      y[g.incy] += sum16(a1);
      y[2 * g.incy] += sum16(a2);
      y[3 * g.incy] += sum16(a3);
    }
  }
  gemvGeneric(g, j, end);
}

bool hasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

void gemvTask(void *ctx, int64_t begin, int64_t end) {
  const Gemv &g = *static_cast<const Gemv *>(ctx);
  int64_t lo = begin * kRowsPerTask, hi = std::min(end * kRowsPerTask, g.rows);
  if (hasAvx512())
    gemvAvx512(g, lo, hi);
  else
    gemvGeneric(g, lo, hi);
}

/// One GEMM split over the pool: each task a block of C's columns (transB:
/// rows of B) or rows (else), one single-threaded OpenBLAS call each, so that
/// OpenBLAS's own threads never compete with the pool's.
struct Gemm {
  int64_t m, n, k, lda, ldb, ldc, tasks;
  bool transB;
  const float *a, *b;
  float *c;
};

/// Block [lo, hi) of a GEMM without BLAS: C's columns lo..hi (transB) as
/// matrix-vector products with each row of A, or C's rows lo..hi by plain
/// loops.
void gemmRows(const Gemm &g, int64_t lo, int64_t hi) {
  if (g.transB) {
    for (int64_t r = 0; r < g.m; ++r) {
      Gemv v;
      v.w = g.b;
      v.ldw = g.ldb;
      v.rows = hi;
      v.k = g.k;
      v.count = 1;
      v.x[0] = g.a + r * g.lda;
      v.y[0] = g.c + r * g.ldc;
      if (hasAvx512())
        gemvAvx512(v, lo, hi);
      else
        gemvGeneric(v, lo, hi);
    }
    return;
  }
  for (int64_t i = lo; i < hi; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      float acc = 0.0f;
      for (int64_t t = 0; t < g.k; ++t)
        acc += g.a[i * g.lda + t] * g.b[t * g.ldb + j];
      g.c[i * g.ldc + j] += acc;
    }
}

void gemmTask(void *ctx, int64_t begin, int64_t end) {
  const Gemm &g = *static_cast<const Gemm *>(ctx);
  int64_t split = g.transB ? g.n : g.m;
  for (int64_t t = begin; t < end; ++t) {
    int64_t lo = split * t / g.tasks, hi = split * (t + 1) / g.tasks;
    if (lo == hi)
      continue;
    if (!blas().sgemm) {
      // No BLAS: row by row as matrix-vector products.
      gemmRows(g, lo, hi);
      continue;
    }
    if (g.transB)
      blas().sgemm(kRowMajor, kNoTrans, kTrans, static_cast<int>(g.m),
                  static_cast<int>(hi - lo), static_cast<int>(g.k), 1.0f, g.a,
                  static_cast<int>(g.lda), g.b + lo * g.ldb,
                  static_cast<int>(g.ldb), 1.0f, g.c + lo,
                  static_cast<int>(g.ldc));
    else
      blas().sgemm(kRowMajor, kNoTrans, kNoTrans, static_cast<int>(hi - lo),
                  static_cast<int>(g.n), static_cast<int>(g.k), 1.0f,
                  g.a + lo * g.lda, static_cast<int>(g.lda), g.b,
                  static_cast<int>(g.ldb), 1.0f, g.c + lo * g.ldc,
                  static_cast<int>(g.ldc));
  }
}

/// Runs `g` over its rows on the runtime's pool.
void runGemv(const Gemv &g) {
  ssmc::runtime::parallelFor(&gemvTask, const_cast<Gemv *>(&g),
                             (g.rows + kRowsPerTask - 1) / kRowsPerTask);
}

} // namespace

namespace ssmc::runtime {

void gemmF32(int64_t batch, int64_t m, int64_t n, int64_t k, const float *a,
             int64_t lda, int64_t strideA, const float *b, int64_t ldb,
             int64_t strideB, int64_t transB, float *c, int64_t ldc,
             int64_t strideC) {
  if (batch <= 0 || m <= 0 || n <= 0)
    return;

  int tb = transB ? kTrans : kNoTrans;
  // Batches stacked along M with a shared B are one product.
  if (batch > 1 && strideB == 0 && strideA == m * lda && strideC == m * ldc) {
    m *= batch;
    batch = 1;
  }
  for (int64_t i = 0; i < batch; ++i) {
    const float *ai = a + i * strideA, *bi = b + i * strideB;
    float *ci = c + i * strideC;
    if (transB && m <= kGemvRows) {
      // Row r of C += B (n x k) times row r of A, for every r in one pass
      // over B.
      Gemv g;
      g.w = bi;
      g.ldw = ldb;
      g.rows = n;
      g.k = k;
      g.count = m;
      for (int64_t r = 0; r < m; ++r) {
        g.x[r] = ai + r * lda;
        g.y[r] = ci + r * ldc;
      }
      runGemv(g);
      continue;
    }
    if (!transB && n == 1) {
      // The column of C += A (m x k) times the column of B (gathered when
      // strided).
      std::vector<float> x;
      const float *xv = bi;
      if (ldb != 1) {
        x.resize(static_cast<size_t>(k));
        for (int64_t t = 0; t < k; ++t)
          x[t] = bi[t * ldb];
        xv = x.data();
      }
      Gemv g;
      g.w = ai;
      g.ldw = lda;
      g.rows = m;
      g.k = k;
      g.count = 1;
      g.x[0] = xv;
      g.y[0] = ci;
      g.incy = ldc;
      runGemv(g);
      continue;
    }
    Gemm g{m, n, k, lda, ldb, ldc, ssmc::runtime::numThreads(), tb == kTrans,
           ai, bi, ci};
    ssmc::runtime::parallelFor(&gemmTask, &g, g.tasks);
  }
}

} // namespace ssmc::runtime
