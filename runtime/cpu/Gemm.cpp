//===- Gemm.cpp - the BLAS behind a package's projections -----------------===//
//
// What ssm-cpu-projections-to-gemm calls: C += A op(B) for each of `batch`
// row-major blocks, through OpenBLAS's cblas_sgemm (one call when the
// batches of A and C are contiguous and B is shared).
//
//===----------------------------------------------------------------------===//
#include "Gemm.h"

#include <cstdint>

extern "C" {
// The CBLAS interface (declared here: Debian's cblas.h belongs to whichever
// BLAS the alternatives pick, OpenBLAS is what is linked).
enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112 };
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
                 float alpha, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc);
void cblas_sgemv(int order, int trans, int m, int n, float alpha,
                 const float *a, int lda, const float *x, int incx, float beta,
                 float *y, int incy);
}

namespace {
/// Products with a few rows or one column (decoding: one token per
/// sequence) stream the weight once as matrix-vector products; a GEMM would
/// first pack the whole weight.
constexpr int64_t kGemvRows = 4;
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
  int ild = static_cast<int>(ldb);
  for (int64_t i = 0; i < batch; ++i) {
    const float *ai = a + i * strideA, *bi = b + i * strideB;
    float *ci = c + i * strideC;
    if (transB && m <= kGemvRows) {
      // Row r of C += B (n x k) times row r of A.
      for (int64_t r = 0; r < m; ++r)
        cblas_sgemv(kRowMajor, kNoTrans, static_cast<int>(n),
                    static_cast<int>(k), 1.0f, bi, ild, ai + r * lda, 1, 1.0f,
                    ci + r * ldc, 1);
      continue;
    }
    if (!transB && n == 1) {
      // The column of C += A (m x k) times the column of B.
      cblas_sgemv(kRowMajor, kNoTrans, static_cast<int>(m),
                  static_cast<int>(k), 1.0f, ai, static_cast<int>(lda), bi,
                  ild, 1.0f, ci, static_cast<int>(ldc));
      continue;
    }
    cblas_sgemm(kRowMajor, kNoTrans, tb, static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), 1.0f,
                a + i * strideA, static_cast<int>(lda), b + i * strideB,
                static_cast<int>(ldb), 1.0f, c + i * strideC,
                static_cast<int>(ldc));
  }
}

} // namespace ssmc::runtime
