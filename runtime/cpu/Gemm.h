//===- Gemm.h - the BLAS behind a package's projections -------*- C++ -*-===//
#ifndef SSMC_RUNTIME_CPU_GEMM_H
#define SSMC_RUNTIME_CPU_GEMM_H

#include <cstdint>

namespace ssmc::runtime {

/// C += A op(B) per batch (row-major; op = transpose when transB), the
/// signature of a package's @ssmc_gemm_f32 hook.
void gemmF32(int64_t batch, int64_t m, int64_t n, int64_t k, const float *a,
             int64_t lda, int64_t strideA, const float *b, int64_t ldb,
             int64_t strideB, int64_t transB, float *c, int64_t ldc,
             int64_t strideC);

} // namespace ssmc::runtime

#endif // SSMC_RUNTIME_CPU_GEMM_H
