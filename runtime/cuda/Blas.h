//===- Blas.h - cuBLAS for the GPU packages' projections --------*- C++ -*-===//
#ifndef SSMC_RUNTIME_CUDA_BLAS_H
#define SSMC_RUNTIME_CUDA_BLAS_H

#include <cstdint>
#include <string>

namespace ssmc {
namespace runtime {
namespace cuda {

/// Loads cuBLAS once (after the driver: its handle runs on the runtime's
/// stream); "" when ssmcGpuGemm can be used, else why not.
std::string loadCublas();

/// The function a cuda object's @ssmc_gpu_gemm_v1 points to (the signature of
/// the CPU's @ssmc_gemm_v2, on device pointers; both operands of `type`).
extern "C" void ssmcGpuGemm(int64_t batch, int64_t m, int64_t n, int64_t k,
                            void *a, int64_t lda, int64_t strideA, void *b,
                            int64_t ldb, int64_t strideB, int64_t transB,
                            void *c, int64_t ldc, int64_t strideC,
                            int64_t type);

} // namespace cuda
} // namespace runtime
} // namespace ssmc

#endif // SSMC_RUNTIME_CUDA_BLAS_H
