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
#include "ssmc/runtime/CPURuntime.h"

#include <atomic>
#include <chrono>
#include "ssmc/runtime/Npy.h"
#include "ssmc/runtime/ThreadPool.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
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
/// Weight rows per task of the pool: at least this many, a multiple of it.
constexpr int64_t kRowsPerTask = 32;
/// Weight bytes per task of a matrix-vector product, at most about.
constexpr int64_t kGemvBlockBytes = 4 << 20;

/// The weight's element type (the hook's last argument).
enum WeightType : int64_t { kF32 = 0, kBF16 = 1, kF16 = 2 };

float widen(const void *w, int64_t i, int64_t type) {
  if (type == kF32)
    return static_cast<const float *>(w)[i];
  uint16_t h = static_cast<const uint16_t *>(w)[i];
  if (type == kBF16) {
    uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  return static_cast<float>(ssmc::npy::decodeF16(h));
}

/// y_r[j * incy] += W[j, :] . x_r for the `count` vectors x_r (contiguous)
/// and rows j of a task; W of `type`.
struct Gemv {
  const void *w = nullptr;
  int64_t type = kF32;
  int64_t ldw = 0, rows = 0, k = 0, count = 0, incy = 1;
  int64_t rowsPerTask = kRowsPerTask;
  const float *x[kGemvRows] = {};
  float *y[kGemvRows] = {};
};

void gemvGeneric(const Gemv &g, int64_t begin, int64_t end) {
  for (int64_t j = begin; j < end; ++j)
    for (int64_t r = 0; r < g.count; ++r) {
      float acc = 0.0f;
      for (int64_t i = 0; i < g.k; ++i)
        acc += widen(g.w, j * g.ldw + i, g.type) * g.x[r][i];
      g.y[r][j * g.incy] += acc;
    }
}

__attribute__((target("avx512f"))) float sum16(__m512 v) {
  // A tree of shuffles (not _mm512_reduce_add_ps: GCC 12 warns inside it;
  // not a store and 16 dependent scalar adds, once per weight row).
  // (The zero-masked shuffles: GCC 12 warns inside the plain ones.)
  __m512 t = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xFFFF, v, v, 0x4E));
  t = _mm512_add_ps(t, _mm512_maskz_shuffle_f32x4(0xFFFF, t, t, 0xB1));
  __m128 x = _mm512_maskz_extractf32x4_ps(0xF, t, 0);
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_movehdup_ps(x));
  return _mm_cvtss_f32(x);
}

/// 16 weights from element `i` of `w`, widened to f32.
template <int64_t Type>
__attribute__((target("avx512f"))) inline __m512 load16(const void *w,
                                                         int64_t i) {
  if constexpr (Type == kF32) {
    return _mm512_loadu_ps(static_cast<const float *>(w) + i);
  } else {
    __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(
        static_cast<const uint16_t *>(w) + i));
    // (The zero-masked forms: GCC 12 warns inside the plain ones.)
    if constexpr (Type == kBF16)
      return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(
          0xFFFF, _mm512_maskz_cvtepu16_epi32(0xFFFF, h), 16));
    else
      return _mm512_maskz_cvtph_ps(0xFFFF, h);
  }
}

/// The same with 16-lane FMAs. One weight row at a time, read as one
/// sequential stream (four rows side by side gave 25% less bandwidth), four
/// accumulators along the row per vector x_r; the row's tail in scalar code.
template <int64_t Type, int Count>
__attribute__((target("avx512f"))) void gemvRows(const Gemv &g, int64_t begin,
                                                 int64_t end) {
  int64_t k64 = g.k / 64 * 64, k16 = g.k / 16 * 16;
  for (int64_t j = begin; j < end; ++j) {
    int64_t w0 = j * g.ldw;
    __m512 acc[Count][4];
    for (int r = 0; r < Count; ++r)
      for (int q = 0; q < 4; ++q)
        acc[r][q] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i < k64; i += 64) {
      __m512 w[4];
      for (int q = 0; q < 4; ++q)
        w[q] = load16<Type>(g.w, w0 + i + 16 * q);
      for (int r = 0; r < Count; ++r)
        for (int q = 0; q < 4; ++q)
          acc[r][q] = _mm512_fmadd_ps(
              w[q], _mm512_loadu_ps(g.x[r] + i + 16 * q), acc[r][q]);
    }
    for (; i < k16; i += 16) {
      __m512 w = load16<Type>(g.w, w0 + i);
      for (int r = 0; r < Count; ++r)
        acc[r][0] = _mm512_fmadd_ps(w, _mm512_loadu_ps(g.x[r] + i), acc[r][0]);
    }
    for (int r = 0; r < Count; ++r) {
      float sum = sum16(_mm512_add_ps(_mm512_add_ps(acc[r][0], acc[r][1]),
                                      _mm512_add_ps(acc[r][2], acc[r][3])));
      for (int64_t t = k16; t < g.k; ++t)
        sum += widen(g.w, w0 + t, Type) * g.x[r][t];
      g.y[r][j * g.incy] += sum;
    }
  }
}

template <int64_t Type>
__attribute__((target("avx512f"))) void gemvAvx512(const Gemv &g,
                                                   int64_t begin,
                                                   int64_t end) {
  switch (g.count) {
  case 1:
    return gemvRows<Type, 1>(g, begin, end);
  case 2:
    return gemvRows<Type, 2>(g, begin, end);
  case 3:
    return gemvRows<Type, 3>(g, begin, end);
  default:
    return gemvRows<Type, 4>(g, begin, end);
  }
}

bool hasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

/// Rows [lo, hi) of `g` on this thread.
void gemvRange(const Gemv &g, int64_t lo, int64_t hi) {
  if (!hasAvx512())
    return gemvGeneric(g, lo, hi);
  if (g.type == kBF16)
    gemvAvx512<kBF16>(g, lo, hi);
  else if (g.type == kF16)
    gemvAvx512<kF16>(g, lo, hi);
  else
    gemvAvx512<kF32>(g, lo, hi);
}

void gemvTask(void *ctx, int64_t begin, int64_t end) {
  const Gemv &g = *static_cast<const Gemv *>(ctx);
  gemvRange(g, begin * g.rowsPerTask, std::min(end * g.rowsPerTask, g.rows));
}

/// Runs `g` over its rows on the runtime's pool in blocks of about
/// kGemvBlockBytes, the same number for every thread, each block read as one
/// sequential stream. Blocks of 32 rows taken in turn restarted the hardware
/// prefetcher at every block: a decode step's 2.4-5 MB weights streamed at
/// 35-44 GB/s instead of 42-52 on this 2-core machine.
void runGemv(Gemv &g) {
  int64_t threads = ssmc::runtime::numThreads();
  int64_t bytes = g.rows * g.k * (g.type == kF32 ? 4 : 2);
  int64_t tasks =
      threads * std::max<int64_t>(1, bytes / (threads * kGemvBlockBytes));
  int64_t perTask = (g.rows + tasks - 1) / tasks;
  g.rowsPerTask = std::max<int64_t>(
      kRowsPerTask, (perTask + kRowsPerTask - 1) / kRowsPerTask * kRowsPerTask);
  ssmc::runtime::parallelFor(&gemvTask, &g,
                             (g.rows + g.rowsPerTask - 1) / g.rowsPerTask);
}

/// One GEMM split over the pool: each task a block of C's columns (transB:
/// rows of B, the weight) or rows (else: rows of A, the weight), one
/// single-threaded OpenBLAS call each, so that OpenBLAS's own threads never
/// compete with the pool's. A 16-bit weight block is widened to f32 first.
struct Gemm {
  int64_t m, n, k, lda, ldb, ldc, tasks, type;
  bool transB;
  const void *a, *b;
  float *c;
};

template <int64_t Type>
__attribute__((target("avx512f"))) void widenRowAvx512(const void *w,
                                                       int64_t first,
                                                       int64_t k, float *out) {
  int64_t i = 0;
  for (; i + 16 <= k; i += 16)
    _mm512_storeu_ps(out + i, load16<Type>(w, first + i));
  for (; i < k; ++i)
    out[i] = widen(w, first + i, Type);
}

/// Elements [first, first + k) of `w` widened to f32 into `out`.
void widenRow(const void *w, int64_t first, int64_t k, int64_t type,
              float *out) {
  if (hasAvx512() && type == kBF16)
    return widenRowAvx512<kBF16>(w, first, k, out);
  if (hasAvx512() && type == kF16)
    return widenRowAvx512<kF16>(w, first, k, out);
  for (int64_t i = 0; i < k; ++i)
    out[i] = widen(w, first + i, type);
}

/// Rows [lo, hi) of the weight `w` (row stride ld) as dense f32 (k a row):
/// the weight itself when it is f32, else widened into `scratch`.
const float *weightRows(const void *w, int64_t ld, int64_t k, int64_t lo,
                        int64_t hi, int64_t type, std::vector<float> &scratch,
                        int64_t &ldOut) {
  if (type == kF32) {
    ldOut = ld;
    return static_cast<const float *>(w) + lo * ld;
  }
  scratch.resize(static_cast<size_t>((hi - lo) * k));
  for (int64_t j = lo; j < hi; ++j)
    widenRow(w, j * ld, k, type, scratch.data() + (j - lo) * k);
  ldOut = k;
  return scratch.data();
}

void gemmTask(void *ctx, int64_t begin, int64_t end) {
  const Gemm &g = *static_cast<const Gemm *>(ctx);
  int64_t split = g.transB ? g.n : g.m;
  thread_local std::vector<float> scratch;
  for (int64_t t = begin; t < end; ++t) {
    int64_t lo = split * t / g.tasks, hi = split * (t + 1) / g.tasks;
    if (lo == hi)
      continue;
    if (g.transB) {
      if (!blas().sgemm) {
        // No BLAS: each row of A against the weight's rows lo..hi.
        for (int64_t r = 0; r < g.m; ++r) {
          Gemv v;
          v.w = g.b;
          v.type = g.type;
          v.ldw = g.ldb;
          v.rows = hi;
          v.k = g.k;
          v.count = 1;
          v.x[0] = static_cast<const float *>(g.a) + r * g.lda;
          v.y[0] = g.c + r * g.ldc;
          gemvRange(v, lo, hi);
        }
        continue;
      }
      int64_t ldw;
      const float *w =
          weightRows(g.b, g.ldb, g.k, lo, hi, g.type, scratch, ldw);
      blas().sgemm(kRowMajor, kNoTrans, kTrans, static_cast<int>(g.m),
                   static_cast<int>(hi - lo), static_cast<int>(g.k), 1.0f,
                   static_cast<const float *>(g.a), static_cast<int>(g.lda),
                   w, static_cast<int>(ldw), 1.0f, g.c + lo,
                   static_cast<int>(g.ldc));
      continue;
    }
    int64_t ldw;
    const float *w = weightRows(g.a, g.lda, g.k, lo, hi, g.type, scratch, ldw);
    const float *x = static_cast<const float *>(g.b);
    if (!blas().sgemm) {
      for (int64_t i = lo; i < hi; ++i)
        for (int64_t j = 0; j < g.n; ++j) {
          float acc = 0.0f;
          for (int64_t q = 0; q < g.k; ++q)
            acc += w[(i - lo) * ldw + q] * x[q * g.ldb + j];
          g.c[i * g.ldc + j] += acc;
        }
      continue;
    }
    blas().sgemm(kRowMajor, kNoTrans, kNoTrans, static_cast<int>(hi - lo),
                 static_cast<int>(g.n), static_cast<int>(g.k), 1.0f, w,
                 static_cast<int>(ldw), x, static_cast<int>(g.ldb), 1.0f,
                 g.c + lo * g.ldc, static_cast<int>(g.ldc));
  }
}

} // namespace

namespace {
/// Wall time in gemm() and its calls since the process started (profiles).
std::atomic<int64_t> gemmNanoseconds{0}, gemmCalls{0};

void gemmProducts(int64_t batch, int64_t m, int64_t n, int64_t k,
                  const void *a, int64_t lda, int64_t strideA, const void *b,
                  int64_t ldb, int64_t strideB, int64_t transB, float *c,
                  int64_t ldc, int64_t strideC, int64_t weightType);
} // namespace

namespace ssmc::runtime {

GemmTime gemmTime() {
  return {gemmNanoseconds.load() * 1e-9, gemmCalls.load()};
}

void gemm(int64_t batch, int64_t m, int64_t n, int64_t k, const void *a,
          int64_t lda, int64_t strideA, const void *b, int64_t ldb,
          int64_t strideB, int64_t transB, float *c, int64_t ldc,
          int64_t strideC, int64_t weightType) {
  auto t0 = std::chrono::steady_clock::now();
  gemmProducts(batch, m, n, k, a, lda, strideA, b, ldb, strideB, transB, c,
               ldc, strideC, weightType);
  gemmNanoseconds += std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now() - t0)
                         .count();
  ++gemmCalls;
}

} // namespace ssmc::runtime

namespace {

void gemmProducts(int64_t batch, int64_t m, int64_t n, int64_t k,
                  const void *a, int64_t lda, int64_t strideA, const void *b,
                  int64_t ldb, int64_t strideB, int64_t transB, float *c,
                  int64_t ldc, int64_t strideC, int64_t weightType) {
  if (batch <= 0 || m <= 0 || n <= 0 || weightType < kF32 ||
      weightType > kF16)
    return;
  // Element sizes: the weight (B when transB, else A) may be 16-bit.
  int64_t aSize = !transB && weightType != kF32 ? 2 : 4;
  int64_t bSize = transB && weightType != kF32 ? 2 : 4;
  auto at = [](const void *p, int64_t elems, int64_t size) {
    return static_cast<const char *>(p) + elems * size;
  };
  // Batches stacked along M with a shared B are one product.
  if (batch > 1 && strideB == 0 && strideA == m * lda && strideC == m * ldc) {
    m *= batch;
    batch = 1;
  }
  for (int64_t i = 0; i < batch; ++i) {
    const void *ai = at(a, i * strideA, aSize), *bi = at(b, i * strideB, bSize);
    float *ci = c + i * strideC;
    if (transB && m <= kGemvRows) {
      // Row r of C += B (n x k) times row r of A, for every r in one pass
      // over B.
      Gemv g;
      g.w = bi;
      g.type = weightType;
      g.ldw = ldb;
      g.rows = n;
      g.k = k;
      g.count = m;
      for (int64_t r = 0; r < m; ++r) {
        g.x[r] = static_cast<const float *>(ai) + r * lda;
        g.y[r] = ci + r * ldc;
      }
      runGemv(g);
      continue;
    }
    if (!transB && n == 1) {
      // The column of C += A (m x k) times the column of B (gathered when
      // strided).
      std::vector<float> x;
      const float *xv = static_cast<const float *>(bi);
      if (ldb != 1) {
        x.resize(static_cast<size_t>(k));
        for (int64_t t = 0; t < k; ++t)
          x[t] = xv[t * ldb];
        xv = x.data();
      }
      Gemv g;
      g.w = ai;
      g.type = weightType;
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
    Gemm g{m,  n,  k,  lda, ldb, ldc, ssmc::runtime::numThreads(), weightType,
           transB != 0, ai, bi, ci};
    ssmc::runtime::parallelFor(&gemmTask, &g, g.tasks);
  }
}

} // namespace
