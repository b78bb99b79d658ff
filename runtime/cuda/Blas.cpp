//===- Blas.cpp - the GPU packages' projections through cuBLAS ------------===//
//
// A cuda object whose projections went through ssm-cpu-projections-to-gemm
// (gpu=true) calls them through its pointer @ssmc_gpu_gemm_v1; the runtime
// sets it to ssmcGpuGemm below when cuBLAS loads (dlopen, like the driver:
// never linked). Without cuBLAS, or with SSMC_CUBLAS=0, the pointer stays null and
// the object runs its own loops.
//
//===----------------------------------------------------------------------===//
#include "Blas.h"
#include "Driver.h"

#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <string>

namespace ssmc {
namespace runtime {
namespace cuda {

namespace {

// cuBLAS declarations (values from cublas_api.h and library_types.h).
using cublasHandle_t = struct cublasContext *;
using cublasStatus_t = int;
constexpr int cublasOpN = 0, cublasOpT = 1;
constexpr int cudaR32F = 0, cudaR16F = 2, cudaR16BF = 14;
constexpr int cublasCompute32F = 68;
constexpr int cublasGemmDefault = -1;

using CreateFn = cublasStatus_t (*)(cublasHandle_t *);
using SetStreamFn = cublasStatus_t (*)(cublasHandle_t, CUstream);
using GemmFn = cublasStatus_t (*)(cublasHandle_t, int, int, int, int, int,
                                  const void *, const void *, int, int,
                                  long long, const void *, int, int, long long,
                                  const void *, void *, int, int, long long,
                                  int, int, int);

struct Cublas {
  void *library = nullptr;
  CreateFn create = nullptr;
  SetStreamFn setStream = nullptr;
  GemmFn gemm = nullptr;
  cublasHandle_t handle = nullptr;
  std::string error;
};

Cublas &cublas() {
  static Cublas state;
  static std::once_flag once;
  std::call_once(once, [] {
    const char *named = std::getenv("SSMC_CUBLAS_LIBRARY");
    for (const char *name : {named, "libcublas.so.13", "libcublas.so.12",
                             "libcublas.so"}) {
      if (!name || !*name)
        continue;
      if ((state.library = ::dlopen(name, RTLD_NOW | RTLD_LOCAL)))
        break;
    }
    if (!state.library) {
      state.error = "cannot load cuBLAS (libcublas.so.13 or .12; "
                    "SSMC_CUBLAS_LIBRARY names another)";
      return;
    }
    state.create = reinterpret_cast<CreateFn>(
        ::dlsym(state.library, "cublasCreate_v2"));
    state.setStream = reinterpret_cast<SetStreamFn>(
        ::dlsym(state.library, "cublasSetStream_v2"));
    state.gemm = reinterpret_cast<GemmFn>(
        ::dlsym(state.library, "cublasGemmStridedBatchedEx"));
    if (!state.create || !state.setStream || !state.gemm) {
      state.error = "cuBLAS lacks cublasCreate_v2, cublasSetStream_v2 or "
                    "cublasGemmStridedBatchedEx";
      return;
    }
    Driver &driver = Driver::get();
    if (int s = state.create(&state.handle); s != 0) {
      state.error = "cublasCreate failed (status " + std::to_string(s) + ")";
      return;
    }
    if (int s = state.setStream(state.handle, driver.stream()); s != 0)
      state.error =
          "cublasSetStream failed (status " + std::to_string(s) + ")";
  });
  return state;
}

} // namespace

std::string loadCublas() {
  if (const char *off = std::getenv("SSMC_CUBLAS");
      off && std::string(off) == "0")
    return "cuBLAS disabled (SSMC_CUBLAS=0)";
  return cublas().error;
}

// Row-major C[b] (M x N) += A[b] (M x K) op(B[b]), op(B) = Bᵀ (B: N x K)
// when transB, else B (K x N); in cuBLAS's column-major terms that is
// Cᵀ = op(B)ᵀ Aᵀ. Types: 0 f32, 1 bf16, 2 f16 for A and B; C is f32.
// Type + 16: C = A op(B), C's contents not read (it was just zero-filled).
extern "C" void ssmcGpuGemm(int64_t batch, int64_t m, int64_t n, int64_t k,
                            void *a, int64_t lda, int64_t strideA, void *b,
                            int64_t ldb, int64_t strideB, int64_t transB,
                            void *c, int64_t ldc, int64_t strideC,
                            int64_t type) {
  Cublas &blas = cublas();
  const float one = 1.0f, zero = 0.0f;
  const float *beta = type & 16 ? &zero : &one;
  type &= 15;
  int dataType = type == 1 ? cudaR16BF : type == 2 ? cudaR16F : cudaR32F;
  int status = blas.gemm(
      blas.handle, transB ? cublasOpT : cublasOpN, cublasOpN,
      static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &one, b,
      dataType, static_cast<int>(ldb), strideB, a, dataType,
      static_cast<int>(lda), strideA, beta, c, cudaR32F, static_cast<int>(ldc),
      strideC, static_cast<int>(batch), cublasCompute32F, cublasGemmDefault);
  if (status != 0)
    Driver::get().recordError(
        "cublasGemmStridedBatchedEx failed (status " + std::to_string(status) +
        ") for " + std::to_string(batch) + " x (" + std::to_string(m) + " x " +
        std::to_string(k) + ") (" + std::to_string(k) + " x " +
        std::to_string(n) + ")");
}

} // namespace cuda
} // namespace runtime
} // namespace ssmc
