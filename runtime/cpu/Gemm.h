//===- Gemm.h - the BLAS behind a package's projections -------*- C++ -*-===//
#ifndef SSMC_RUNTIME_CPU_GEMM_H
#define SSMC_RUNTIME_CPU_GEMM_H

#include <cstdint>

namespace ssmc::runtime {

/// C += A op(B) per batch (row-major; op = transpose when transB), the
/// signature of a package's @ssmc_gemm_v2 hook. The weight (B when
/// transB, else A) has `weightType` 0 f32, 1 bf16, 2 f16; the rest is f32;
/// leading dimensions and strides count elements.
void gemm(int64_t batch, int64_t m, int64_t n, int64_t k, const void *a,
          int64_t lda, int64_t strideA, const void *b, int64_t ldb,
          int64_t strideB, int64_t transB, float *c, int64_t ldc,
          int64_t strideC, int64_t weightType);

} // namespace ssmc::runtime

#endif // SSMC_RUNTIME_CPU_GEMM_H
