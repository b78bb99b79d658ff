//===- CUDARuntimeTest.cpp - tests of the CUDA runtime without a GPU ------===//
//
// The CUDA runtime on hosts without a GPU (CI): loading for "cuda" falls back
// to the cpu object with one message when there is no driver, no device, or
// a driver that cannot initialise; the mgpu* functions fail softly into the
// sticky error. The rest runs over a fake driver: a C library written here
// (compiled with the system `cc` at test time) that implements the driver
// functions the runtime resolves on host memory, with a fake cuda object
// whose "kernels" are host functions. Tests that initialise CUDA run in a
// child process (EXPECT_EXIT), since CUDA state is the process's.
//
//===----------------------------------------------------------------------===//

#include "ssmc/runtime/CUDARuntime.h"
#include "ssmc/runtime/Nccl.h"
#include "ssmc/runtime/Package.h"
#include "ssmc/runtime/Runtime.h"
#include "ssmc/runtime/ssmc_runtime.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <functional>
#include <iterator>
#include <unistd.h>

using namespace ssmc;
using runtime::HostTensor;

// The mgpu* ABI as compiled objects see it (runtime/cuda/MgpuABI.cpp).
extern "C" {
void *mgpuModuleLoad(void *data, size_t size);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate();
void mgpuStreamSynchronize(void *stream);
void mgpuStreamDestroy(void *stream);
void *mgpuEventCreate();
void *mgpuMemAlloc(uint64_t size, void *stream, bool isHostShared);
void mgpuMemFree(void *pointer, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t size, void *stream);
}

namespace {

/// A fake libcuda: every function of the runtime's table, on host memory.
/// Counters are exported for the tests; FAKE_CUDA_DEVICES and FAKE_CUDA_CC
/// set the device count and compute capability; a test that sets
/// fake_alloc_limit makes larger cuMemAlloc calls fail as out of memory.
const char *fakeDriverSource = R"(
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef int CUresult;
typedef unsigned long long CUdeviceptr;
int fake_live_allocations, fake_modules_loaded, fake_modules_unloaded;
int fake_max_dynamic_shared, fake_alloc_limit;
static int envInt(const char *name, int fallback) {
  const char *v = getenv(name);
  return v && *v ? atoi(v) : fallback;
}
CUresult cuGetErrorName(CUresult r, const char **s) {
  *s = r == 0 ? "CUDA_SUCCESS" : r == 2 ? "CUDA_ERROR_OUT_OF_MEMORY"
     : r == 200 ? "CUDA_ERROR_INVALID_IMAGE"
     : r == 700 ? "CUDA_ERROR_ILLEGAL_ADDRESS" : "CUDA_ERROR_UNKNOWN";
  return 0;
}
CUresult cuGetErrorString(CUresult r, const char **s) {
  *s = r == 700 ? "an illegal memory access was encountered"
     : r == 200 ? "device kernel image is invalid"
     : r == 2 ? "out of memory" : "fake error";
  return 0;
}
CUresult cuInit(unsigned flags) { (void)flags; return 0; }
CUresult cuDriverGetVersion(int *v) { *v = 12040; return 0; }
CUresult cuDeviceGetCount(int *n) { *n = envInt("FAKE_CUDA_DEVICES", 1); return 0; }
CUresult cuDeviceGet(int *d, int ordinal) { *d = ordinal; return 0; }
CUresult cuDeviceGetAttribute(int *v, int attr, int d) {
  int cc = envInt("FAKE_CUDA_CC", 90);
  (void)d;
  *v = attr == 75 ? cc / 10 : attr == 76 ? cc % 10 : attr == 16 ? 4
     : attr == 97 ? 232448 : 0;
  return 0;
}
CUresult cuDeviceGetName(char *name, int len, int d) {
  (void)d;
  strncpy(name, "Fake GPU", (size_t)len);
  return 0;
}
static int context, stream;
CUresult cuDevicePrimaryCtxRetain(void **c, int d) { (void)d; *c = &context; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int d) { (void)d; return 0; }
CUresult cuCtxSetCurrent(void *c) { (void)c; return 0; }
struct FakeKernel { const char *name; void (*fn)(void **, unsigned, unsigned); };
struct FakeBinary { char magic[8]; int count; const struct FakeKernel *kernels; };
CUresult cuModuleLoadData(void **m, const void *image) {
  const struct FakeBinary *b = (const struct FakeBinary *)image;
  if (memcmp(b->magic, "FAKEBIN", 8) != 0)
    return 200;
  *m = (void *)b;
  ++fake_modules_loaded;
  return 0;
}
CUresult cuModuleLoadDataEx(void **m, const void *image, unsigned n, int *o,
                            void **v) {
  (void)n; (void)o; (void)v;
  return cuModuleLoadData(m, image);
}
CUresult cuModuleUnload(void *m) { (void)m; ++fake_modules_unloaded; return 0; }
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  const struct FakeBinary *b = (const struct FakeBinary *)m;
  for (int i = 0; i < b->count; ++i)
    if (!strcmp(b->kernels[i].name, name)) {
      *f = (void *)&b->kernels[i];
      return 0;
    }
  return 500;
}
CUresult cuFuncSetAttribute(void *f, int attr, int v) {
  (void)f;
  if (attr == 8)
    fake_max_dynamic_shared = v;
  return 0;
}
#ifndef OMIT_LAUNCH
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void *s, void **params, void **extra) {
  const struct FakeKernel *k = (const struct FakeKernel *)f;
  (void)smem; (void)s; (void)extra;
  if (!k->fn)
    return 700;
  k->fn(params, gx * gy * gz, bx * by * bz);
  return 0;
}
#endif
CUresult cuStreamCreate(void **s, unsigned flags) { (void)flags; *s = &stream; return 0; }
CUresult cuStreamDestroy_v2(void *s) { (void)s; return 0; }
CUresult cuStreamSynchronize(void *s) { (void)s; return 0; }
CUresult cuStreamWaitEvent(void *s, void *e, unsigned f) { (void)s; (void)e; (void)f; return 0; }
CUresult cuEventCreate(void **e, unsigned flags) {
  (void)flags;
  *e = calloc(1, sizeof(double));
  return 0;
}
CUresult cuEventRecord(void *e, void *s) {
  struct timespec t;
  (void)s;
  clock_gettime(CLOCK_MONOTONIC, &t);
  *(double *)e = (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
  return 0;
}
CUresult cuEventSynchronize(void *e) { (void)e; return 0; }
CUresult cuEventElapsedTime(float *ms, void *start, void *end) {
  *ms = (float)((*(double *)end - *(double *)start) * 1e3);
  return 0;
}
CUresult cuEventDestroy_v2(void *e) { free(e); return 0; }
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n) {
  if (n == 0)
    return 1;
  if (fake_alloc_limit > 0 && n > (size_t)fake_alloc_limit)
    return 2;
  *p = (CUdeviceptr)(uintptr_t)malloc(n);
  ++fake_live_allocations;
  return 0;
}
CUresult cuMemFree_v2(CUdeviceptr p) {
  free((void *)(uintptr_t)p);
  --fake_live_allocations;
  return 0;
}
CUresult cuMemGetInfo_v2(size_t *f, size_t *t) { *f = *t = (size_t)1 << 30; return 0; }
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *h, size_t n, void *s) {
  (void)s;
  memcpy((void *)(uintptr_t)d, h, n);
  return 0;
}
CUresult cuMemcpyDtoHAsync_v2(void *h, CUdeviceptr d, size_t n, void *s) {
  (void)s;
  memcpy(h, (const void *)(uintptr_t)d, n);
  return 0;
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr e, size_t n, void *s) {
  (void)s;
  memcpy((void *)(uintptr_t)d, (const void *)(uintptr_t)e, n);
  return 0;
}
CUresult cuMemcpyAsync(CUdeviceptr d, CUdeviceptr e, size_t n, void *s) {
  return cuMemcpyDtoDAsync_v2(d, e, n, s);
}
CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, void *s) {
  (void)s;
  for (size_t i = 0; i < n; ++i)
    ((uint32_t *)(uintptr_t)d)[i] = v;
  return 0;
}
CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, void *s) {
  (void)s;
  for (size_t i = 0; i < n; ++i)
    ((uint16_t *)(uintptr_t)d)[i] = v;
  return 0;
}
typedef struct {
  size_t srcXInBytes, srcY;
  unsigned srcMemoryType;
  const void *srcHost;
  CUdeviceptr srcDevice;
  void *srcArray;
  size_t srcPitch;
  size_t dstXInBytes, dstY;
  unsigned dstMemoryType;
  void *dstHost;
  CUdeviceptr dstDevice;
  void *dstArray;
  size_t dstPitch;
  size_t WidthInBytes, Height;
} Memcpy2D;
#ifdef WITH_GRAPHS
/* Graph capture without a graph: nothing is recorded (these tests capture
   no kernels), capturing is tracked so that a capture never ends twice. */
int fake_capturing, fake_graph_launches;
static int graph, exec;
CUresult cuStreamBeginCapture_v2(void *s, int mode) {
  (void)s; (void)mode;
  if (fake_capturing)
    return 900;
  fake_capturing = 1;
  return 0;
}
CUresult cuStreamEndCapture(void *s, void **g) {
  (void)s;
  if (!fake_capturing)
    return 901;
  fake_capturing = 0;
  *g = &graph;
  return 0;
}
CUresult cuGraphInstantiateWithFlags(void **e, void *g, unsigned long long f) {
  (void)g; (void)f;
  *e = &exec;
  return 0;
}
CUresult cuGraphLaunch(void *e, void *s) { (void)e; (void)s; ++fake_graph_launches; return 0; }
CUresult cuGraphExecDestroy(void *e) { (void)e; return 0; }
CUresult cuGraphDestroy(void *g) { (void)g; return 0; }
#endif
CUresult cuMemcpy2DAsync_v2(const Memcpy2D *c, void *s) {
  (void)s;
  if (c->srcMemoryType != 2 || c->dstMemoryType != 2 ||
      c->WidthInBytes > c->srcPitch || c->WidthInBytes > c->dstPitch)
    return 1;
  for (size_t y = 0; y < c->Height; ++y)
    memcpy((char *)(uintptr_t)c->dstDevice + (c->dstY + y) * c->dstPitch +
               c->dstXInBytes,
           (const char *)(uintptr_t)c->srcDevice + (c->srcY + y) * c->srcPitch +
               c->srcXInBytes,
           c->WidthInBytes);
  return 0;
}
)";

/// A fake libnccl for world-size groups of one process: the all-reduce acts
/// as if every rank held this rank's buffer (the sum is world times it),
/// the all-gather as if rank k's buffer were this one's plus 100 k.
const char *fakeNcclSource = R"(
#include <stdlib.h>
#include <string.h>
typedef struct { char internal[128]; } ncclUniqueId;
typedef struct { int world, rank; } Comm;
int ncclGetUniqueId(ncclUniqueId *id) { memset(id->internal, 7, 128); return 0; }
int ncclCommInitRank(Comm **c, int world, ncclUniqueId id, int rank) {
  if (id.internal[0] != 7 || id.internal[127] != 7)
    return 4;
  *c = (Comm *)malloc(sizeof(Comm));
  (*c)->world = world;
  (*c)->rank = rank;
  return 0;
}
int ncclCommDestroy(Comm *c) { free(c); return 0; }
int ncclAllReduce(const void *s, void *r, size_t n, int type, int op, Comm *c,
                  void *stream) {
  (void)stream;
  if (type != 7 || op != 0)
    return 4;
  for (size_t i = 0; i < n; ++i)
    ((float *)r)[i] = ((const float *)s)[i] * (float)c->world;
  return 0;
}
int ncclAllGather(const void *s, void *r, size_t n, int type, Comm *c,
                  void *stream) {
  (void)stream;
  if (type != 7)
    return 4;
  for (int k = 0; k < c->world; ++k)
    for (size_t i = 0; i < n; ++i)
      ((float *)r)[(size_t)k * n + i] = ((const float *)s)[i] + 100.0f * (float)k;
  return 0;
}
const char *ncclGetErrorString(int r) {
  return r == 4 ? "invalid argument" : "fake NCCL error";
}
)";

/// A cuda object as the compiler's host code is: a constructor loads the
/// "GPU binary" through mgpuModuleLoad, entries allocate results with
/// mgpuMemAlloc and launch through mgpuLaunchKernel on mgpuStreamCreate's
/// stream. scale(x: f32[?], s: f32[]) -> f32[?] = s * x; scale_big_smem
/// asks for 64 KiB of shared memory; fault's kernel faults. MAGIC "BADBIN"
/// makes a binary the driver rejects.
const char *cudaObjectSource = R"(
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
void *mgpuModuleLoad(void *data, size_t size);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *f, intptr_t gx, intptr_t gy, intptr_t gz,
                      intptr_t bx, intptr_t by, intptr_t bz, int32_t smem,
                      void *stream, void **params, void **extra, size_t n);
void *mgpuStreamCreate(void);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamDestroy(void *stream);
void *mgpuMemAlloc(uint64_t size, void *stream, bool hostShared);
void mgpuMemFree(void *pointer, void *stream);
typedef struct { float *alloc, *aligned; int64_t offset, sizes[1], strides[1]; } D1;
typedef struct { float *alloc, *aligned; int64_t offset; } D0;
static void scale(void **params, unsigned blocks, unsigned threads) {
  const float *x = *(const float **)params[0];
  float *y = *(float **)params[1];
  int64_t n = *(int64_t *)params[2];
  const float *s = *(const float **)params[3];
  for (int64_t i = 0; i < n && i < (int64_t)blocks * threads; ++i)
    y[i] = *s * x[i];
}
struct FakeKernel { const char *name; void (*fn)(void **, unsigned, unsigned); };
struct FakeBinary { char magic[8]; int count; const struct FakeKernel *kernels; };
static const struct FakeKernel kernels[] = {{"scale", scale}, {"fault", 0}};
static const struct FakeBinary binary = {MAGIC, 2, kernels};
static void *module;
__attribute__((constructor)) static void load(void) {
  module = mgpuModuleLoad((void *)&binary, sizeof(binary));
}
__attribute__((destructor)) static void unload(void) { mgpuModuleUnload(module); }
static void run(const char *kernel, void **argv, int32_t smem) {
  D1 *x = (D1 *)argv[1], *y = (D1 *)argv[0];
  D0 *s = (D0 *)argv[2];
  void *stream = mgpuStreamCreate();
  int64_t n = x->sizes[0];
  float *out = (float *)mgpuMemAlloc((uint64_t)n * 4, stream, false);
  void *temporary = mgpuMemAlloc(64, stream, false);
  const float *xa = x->aligned + x->offset, *sa = s->aligned + s->offset;
  void *params[] = {&xa, &out, &n, &sa};
  mgpuLaunchKernel(mgpuModuleGetFunction(module, kernel), (n + 127) / 128, 1,
                   1, 128, 1, 1, smem, stream, params, 0, 4);
  mgpuMemFree(temporary, stream);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
  y->alloc = y->aligned = out;
  y->offset = 0;
  y->sizes[0] = n;
  y->strides[0] = 1;
}
void ssmc_entry_scale(void **argv) { run("scale", argv, 0); }
void ssmc_entry_scale_big_smem(void **argv) { run("scale", argv, 64 * 1024); }
void ssmc_entry_fault(void **argv) { run("fault", argv, 0); }
)";

/// The cpu object of the same entries.
const char *cpuObjectSource = R"(
#include <stdint.h>
#include <stdlib.h>
typedef struct { float *alloc, *aligned; int64_t offset, sizes[1], strides[1]; } D1;
typedef struct { float *alloc, *aligned; int64_t offset; } D0;
void ssmc_entry_scale(void **argv) {
  D1 *x = (D1 *)argv[1], *y = (D1 *)argv[0];
  D0 *s = (D0 *)argv[2];
  int64_t n = x->sizes[0];
  float *out = (float *)malloc(4 * (size_t)(n ? n : 1));
  for (int64_t i = 0; i < n; ++i)
    out[i] = s->aligned[s->offset] * x->aligned[x->offset + i * x->strides[0]];
  y->alloc = y->aligned = out;
  y->offset = 0;
  y->sizes[0] = n;
  y->strides[0] = 1;
}
void ssmc_entry_scale_big_smem(void **argv) { ssmc_entry_scale(argv); }
void ssmc_entry_fault(void **argv) { ssmc_entry_scale(argv); }
)";

package::Manifest manifest() {
  package::Manifest m;
  for (const char *name : {"scale", "scale_big_smem", "fault"}) {
    package::EntrySpec e;
    e.name = name;
    e.symbol = std::string("ssmc_entry_") + name;
    e.arguments = {{package::DType::F32, {-1}}, {package::DType::F32, {}}};
    e.results = {{package::DType::F32, {-1}}};
    m.entries.push_back(e);
  }
  return m;
}

package::Object object(const std::string &target,
                       const std::string &gpuArch = "") {
  package::Object o;
  o.target = target;
  o.arch = package::hostArch();
  o.cpu = target == package::cpuTarget ? "generic" : "";
  o.gpuArch = gpuArch;
  return o;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

HostTensor f32(std::vector<int64_t> shape, std::vector<float> values) {
  HostTensor t(package::DType::F32, std::move(shape));
  if (!t.data.empty()) // (memcpy of nothing from a null pointer is UB)
    std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

std::vector<float> floats(const HostTensor &t) {
  std::vector<float> v(t.data.size() / 4);
  std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// Runs \p body in a child process; it returns "" or what went wrong, which
/// the child prints before exiting with status 1.
void inChildProcess(const std::function<std::string()> &body) {
  EXPECT_EXIT(
      {
        std::string err = body();
        if (!err.empty())
          std::fprintf(stderr, "%s\n", err.c_str());
        std::fflush(stderr);
        std::_Exit(err.empty() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

#define REQUIRE(cond, message)                                                 \
  do {                                                                         \
    if (!(cond))                                                               \
      return std::string("failed: " #cond ": ") + (message);                   \
  } while (false)

/// Builds the shared objects and packages once for every test.
class CUDARuntimeTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    char dir[] = "/tmp/ssmc-cuda-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    tmp = dir;
    std::ofstream(tmp + "/driver.c") << fakeDriverSource;
    std::ofstream(tmp + "/cuda.c") << cudaObjectSource;
    std::ofstream(tmp + "/cpu.c") << cpuObjectSource;
    std::ofstream(tmp + "/nccl.c") << fakeNcclSource;
    for (const char *cmd :
         {"cc -shared -fPIC -o driver.so driver.c",
          "cc -shared -fPIC -DOMIT_LAUNCH -o driver-old.so driver.c",
          "cc -shared -fPIC -DWITH_GRAPHS -o driver-graphs.so driver.c",
          "cc -shared -fPIC '-DMAGIC=\"FAKEBIN\"' -o cuda.so cuda.c",
          "cc -shared -fPIC '-DMAGIC=\"BADBIN\"' -o cuda-bad.so cuda.c",
          "cc -shared -fPIC -o cpu.so cpu.c",
          "cc -shared -fPIC -o nccl.so nccl.c"}) {
      std::string line = "cd " + tmp + " && " + cmd;
      ASSERT_EQ(std::system(line.c_str()), 0) << "needs a C compiler 'cc'";
    }
    std::string cpu = readFile(tmp + "/cpu.so"),
                cuda = readFile(tmp + "/cuda.so"),
                bad = readFile(tmp + "/cuda-bad.so");
    auto write = [](const std::string &name, package::Manifest m,
                    const std::vector<std::string> &objects) {
      std::ofstream(tmp + "/" + name, std::ios::binary)
          << package::serialize(std::move(m), objects);
    };
    package::Manifest m = manifest();
    m.objects = {object("cpu"), object("cuda", "sm_90")};
    write("both.ssmpkg", m, {cpu, cuda});
    m.objects = {object("cpu")};
    write("cpu.ssmpkg", m, {cpu});
    for (const char *arch : {"sm_90", "sm_100", "sm_90a", "sm_80"}) {
      m.objects = {object("cuda", arch)};
      write(std::string(arch) + ".ssmpkg", m, {cuda});
    }
    m.objects = {object("cuda", "sm_90")};
    write("bad-kernels.ssmpkg", m, {bad});
  }

  static void TearDownTestSuite() { std::system(("rm -rf " + tmp).c_str()); }

  static std::string path(const std::string &name) { return tmp + "/" + name; }

  /// Options that load \p driver ("driver.so", or a missing file).
  static runtime::DeviceOptions cuda(const std::string &driver) {
    runtime::DeviceOptions options;
    options.device = "cuda";
    options.cuda.driverLibrary = path(driver);
    return options;
  }

  /// The address of a counter of the fake driver (already loaded).
  static int *counter(const char *name) {
    void *handle = dlopen(path("driver.so").c_str(), RTLD_NOW | RTLD_NOLOAD);
    return handle ? static_cast<int *>(dlsym(handle, name)) : nullptr;
  }

  /// The address of a counter of fake driver \p driver (already loaded).
  static int *counter2(const char *driver, const char *name) {
    void *handle = dlopen(path(driver).c_str(), RTLD_NOW | RTLD_NOLOAD);
    return handle ? static_cast<int *>(dlsym(handle, name)) : nullptr;
  }

  static std::string tmp;
};

std::string CUDARuntimeTest::tmp;

//===----------------------------------------------------------------------===//
// Without CUDA
//===----------------------------------------------------------------------===//

TEST_F(CUDARuntimeTest, LoadsTheCpuObjectForTheCpu) {
  std::string error;
  auto pkg = runtime::DevicePackage::load(path("both.ssmpkg"), error);
  ASSERT_NE(pkg, nullptr) << error;
  EXPECT_EQ(pkg->device(), "cpu");
  EXPECT_EQ(pkg->notice(), "");
  ASSERT_NE(pkg->cpuPackage(), nullptr);
  EXPECT_EQ(pkg->cudaPackage(), nullptr);
  std::vector<HostTensor> out;
  ASSERT_EQ(pkg->run("scale", {f32({3}, {1, 2, 3}), f32({}, {2})}, out), "");
  EXPECT_EQ(floats(out[0]), (std::vector<float>{2, 4, 6}));
}

TEST_F(CUDARuntimeTest, FallsBackToTheCpuWithoutADriver) {
  std::string error;
  auto pkg = runtime::DevicePackage::load(path("both.ssmpkg"), error,
                                          cuda("missing/libcuda.so.1"));
  ASSERT_NE(pkg, nullptr) << error;
  EXPECT_EQ(pkg->device(), "cpu");
  EXPECT_EQ(pkg->notice(), "no CUDA driver (" + path("missing/libcuda.so.1") +
                               ": cannot open shared object file: No such "
                               "file or directory); running on the CPU");
  std::vector<HostTensor> out;
  ASSERT_EQ(pkg->run("scale", {f32({2}, {1, 2}), f32({}, {3})}, out), "");
  EXPECT_EQ(floats(out[0]), (std::vector<float>{3, 6}));
}

TEST_F(CUDARuntimeTest, NoDriverAndNoCpuObjectIsAnError) {
  std::string error;
  EXPECT_EQ(runtime::DevicePackage::load(path("sm_90.ssmpkg"), error,
                                         cuda("missing/libcuda.so.1")),
            nullptr);
  EXPECT_EQ(error, path("sm_90.ssmpkg") + ": no CUDA driver (" +
                       path("missing/libcuda.so.1") +
                       ": cannot open shared object file: No such file or "
                       "directory); the package has no cpu object to run "
                       "instead (its objects: cuda)");
}

TEST_F(CUDARuntimeTest, CudaNeedsACudaObject) {
  std::string error;
  EXPECT_EQ(runtime::DevicePackage::load(path("cpu.ssmpkg"), error,
                                         cuda("missing/libcuda.so.1")),
            nullptr);
  EXPECT_TRUE(contains(error, "cpu.ssmpkg: the package has no cuda object "
                              "(its objects: cpu); compile it with ssmc "
                              "compile --target cuda"))
      << error;
  runtime::DeviceOptions tpu;
  tpu.device = "tpu";
  EXPECT_EQ(runtime::DevicePackage::load(path("cpu.ssmpkg"), error, tpu),
            nullptr);
  EXPECT_EQ(error, "unknown device 'tpu' (known devices: cpu, cuda)");
}

TEST_F(CUDARuntimeTest, FallsBackWithoutADevice) {
  setenv("FAKE_CUDA_DEVICES", "0", 1);
  std::string error;
  auto pkg = runtime::DevicePackage::load(path("both.ssmpkg"), error,
                                          cuda("driver.so"));
  unsetenv("FAKE_CUDA_DEVICES");
  ASSERT_NE(pkg, nullptr) << error;
  EXPECT_EQ(pkg->device(), "cpu");
  EXPECT_EQ(pkg->notice(), "no CUDA device; running on the CPU");
}

TEST_F(CUDARuntimeTest, FallsBackWhenTheDriverLacksAFunction) {
  std::string error;
  auto pkg = runtime::DevicePackage::load(path("both.ssmpkg"), error,
                                          cuda("driver-old.so"));
  ASSERT_NE(pkg, nullptr) << error;
  EXPECT_EQ(pkg->device(), "cpu");
  EXPECT_TRUE(contains(pkg->notice(), "driver-old.so lacks cuLaunchKernel"))
      << pkg->notice();
}

TEST_F(CUDARuntimeTest, FallsBackWhenCuInitFails) {
  // The CUDA toolkit's stub driver loads but cannot initialise.
  const char *stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (access(stub, R_OK) != 0)
    GTEST_SKIP() << "no " << stub;
  runtime::DeviceOptions options;
  options.device = "cuda";
  options.cuda.driverLibrary = stub;
  std::string error;
  auto pkg = runtime::DevicePackage::load(path("both.ssmpkg"), error, options);
  ASSERT_NE(pkg, nullptr) << error;
  EXPECT_EQ(pkg->device(), "cpu");
  EXPECT_TRUE(contains(pkg->notice(), "the CUDA driver cannot be initialised: "
                                      "cuInit failed: "))
      << pkg->notice();
  EXPECT_TRUE(contains(pkg->notice(), "; running on the CPU")) << pkg->notice();
}

TEST_F(CUDARuntimeTest, CAPIFallsBackToo) {
  setenv("SSMC_CUDA_DRIVER", path("missing.so").c_str(), 1);
  ssmc_package *pkg =
      ssmc_package_load_for_device(path("both.ssmpkg").c_str(), "cuda");
  unsetenv("SSMC_CUDA_DRIVER");
  ASSERT_NE(pkg, nullptr) << ssmc_last_error();
  EXPECT_STREQ(ssmc_package_device(pkg), "cpu");
  EXPECT_TRUE(contains(ssmc_package_notice(pkg), "missing.so"));
  float x[2] = {1, 2}, s = 5;
  ssmc_tensor in[2] = {};
  in[0].dtype = SSMC_DTYPE_F32;
  in[0].rank = 1;
  in[0].shape[0] = 2;
  in[0].data = x;
  in[1].dtype = SSMC_DTYPE_F32;
  in[1].data = &s;
  ssmc_tensor out = {};
  ASSERT_EQ(ssmc_package_run(pkg, "scale", in, 2, &out, 1), 0)
      << ssmc_last_error();
  EXPECT_EQ(static_cast<float *>(out.data)[1], 10);
  ssmc_tensor_release(&out);
  ssmc_package_free(pkg);

  pkg = ssmc_package_load(path("both.ssmpkg").c_str());
  ASSERT_NE(pkg, nullptr);
  EXPECT_STREQ(ssmc_package_device(pkg), "cpu");
  EXPECT_STREQ(ssmc_package_notice(pkg), "");
  ssmc_package_free(pkg);
  EXPECT_EQ(ssmc_package_load_for_device(path("both.ssmpkg").c_str(), "tpu"),
            nullptr);
  EXPECT_STREQ(ssmc_last_error(),
               "unknown device 'tpu' (known devices: cpu, cuda)");
}

TEST_F(CUDARuntimeTest, NcclCollectivesOnDeviceBuffers) {
  inChildProcess([]() -> std::string {
    setenv("SSMC_NCCL_LIBRARY", path("nccl.so").c_str(), 1);
    std::string error;
    auto pkg = runtime::DevicePackage::load(path("both.ssmpkg"), error,
                                            cuda("driver.so"));
    REQUIRE(pkg && pkg->device() == "cuda", error);
    runtime::CUDAPackage *gpu = pkg->cudaPackage();
    runtime::NcclGroupId id;
    error = runtime::ncclGroupId(id);
    REQUIRE(error.empty(), error);
    REQUIRE(!runtime::ncclCommunicator(id, 2, 2, error), "rank 2 of 2");
    REQUIRE(error == "rank 2 of a group of 2", error);
    runtime::NcclGroupId wrong;
    REQUIRE(!runtime::ncclCommunicator(wrong, 2, 0, error), "a bad id");
    REQUIRE(error == "ncclCommInitRank failed: invalid argument (4) (rank 0 "
                     "of 2)",
            error);
    std::unique_ptr<runtime::Communicator> comm =
        runtime::ncclCommunicator(id, 2, 1, error);
    REQUIRE(comm && comm->rank() == 1 && comm->world() == 2, error);

    // The all-reduce in place; the all-gather of 2 rows of 3 into 2 rows of
    // 2 x 3, rank k's block at columns [3k, 3k + 3).
    runtime::DeviceTensor x, y, g;
    REQUIRE(gpu->upload(f32({3}, {1, 2, 3}), x).empty(), "upload");
    comm->allReduceSum(static_cast<float *>(x.data()), 3);
    HostTensor back;
    REQUIRE(gpu->download(x, back).empty(), "download");
    REQUIRE(floats(back) == (std::vector<float>{2, 4, 6}), "all-reduce");
    REQUIRE(gpu->upload(f32({2, 3}, {1, 2, 3, 4, 5, 6}), y).empty(), "upload");
    REQUIRE(gpu->allocate(package::DType::F32, {2, 6}, g).empty(), "allocate");
    comm->allGather(static_cast<const float *>(y.data()),
                    static_cast<float *>(g.data()), 2, 3);
    REQUIRE(gpu->download(g, back).empty(), "download");
    REQUIRE(floats(back) == (std::vector<float>{1, 2, 3, 101, 102, 103, 4, 5,
                                                6, 104, 105, 106}),
            "all-gather");
    // One row: straight into the output.
    comm->allGather(static_cast<const float *>(y.data()),
                    static_cast<float *>(g.data()), 1, 3);
    REQUIRE(gpu->download(g, back).empty(), "download");
    REQUIRE(floats(back)[3] == 101 && floats(back)[5] == 103, "one row");
    double median = -1;
    error = comm->timeAllReduce(16, 5, median);
    REQUIRE(error.empty() && median >= 0, error);
    comm.reset();

    // The C API: the group's id, a rank's communicator.
    setenv("SSMC_CUDA_DRIVER", path("driver.so").c_str(), 1);
    char bytes[SSMC_NCCL_ID_BYTES];
    REQUIRE(ssmc_nccl_group_id(bytes) == 0, ssmc_last_error());
    ssmc_comm *c = ssmc_comm_nccl_create(bytes, 2, 0, 0);
    REQUIRE(c, ssmc_last_error());
    ssmc_comm_nccl_free(c);
    REQUIRE(!ssmc_comm_nccl_create(bytes, 2, 0, 3), "device 3");
    REQUIRE(contains(ssmc_last_error(), "CUDA device 3 was asked for"),
            ssmc_last_error());
    return "";
  });
}

TEST_F(CUDARuntimeTest, NcclMissing) {
  inChildProcess([]() -> std::string {
    setenv("SSMC_NCCL_LIBRARY", path("missing-nccl.so").c_str(), 1);
    runtime::NcclGroupId id;
    std::string error = runtime::ncclGroupId(id);
    REQUIRE(error == "cannot load NCCL (tried " + path("missing-nccl.so") +
                         "; SSMC_NCCL_LIBRARY names another)",
            error);
    char bytes[SSMC_NCCL_ID_BYTES];
    REQUIRE(ssmc_nccl_group_id(bytes) == -1, "no NCCL");
    REQUIRE(contains(ssmc_last_error(), "ssmc_nccl_group_id: cannot load NCCL"),
            ssmc_last_error());
    return "";
  });
}

TEST(CUDAGpuArchTest, OlderDevicesAndOtherArchSpecificCodeAreRefused) {
  EXPECT_EQ(runtime::checkGpuArch("sm_90", 9, 0), "");
  EXPECT_EQ(runtime::checkGpuArch("sm_90", 10, 0), "");
  EXPECT_EQ(runtime::checkGpuArch("sm_86", 8, 9), "");
  EXPECT_EQ(runtime::checkGpuArch("sm_90a", 9, 0), "");
  EXPECT_EQ(runtime::checkGpuArch("sm_90", 8, 6),
            "the cuda object was compiled for sm_90 (compute capability "
            "9.0), newer than the device's compute capability 8.6; recompile "
            "it with --target cuda:sm_86");
  EXPECT_EQ(runtime::checkGpuArch("sm_90a", 10, 0),
            "the cuda object was compiled for sm_90a (arch-specific code for "
            "compute capability 9.0 only), but the device has compute "
            "capability 10.0; recompile it with --target cuda:sm_100");
}

TEST(MgpuABITest, TheExecutableExportsIt) {
  for (const char *name :
       {"mgpuModuleLoad", "mgpuModuleLoadJIT", "mgpuModuleUnload",
        "mgpuModuleGetFunction", "mgpuLaunchKernel", "mgpuStreamCreate",
        "mgpuStreamDestroy", "mgpuStreamSynchronize", "mgpuStreamWaitEvent",
        "mgpuEventCreate", "mgpuEventDestroy", "mgpuEventSynchronize",
        "mgpuEventRecord", "mgpuMemAlloc", "mgpuMemFree", "mgpuMemcpy",
        "mgpuMemset32", "mgpuMemset16", "mgpuSetDefaultDevice"})
    EXPECT_NE(dlsym(RTLD_DEFAULT, name), nullptr) << name;
}

TEST(MgpuABITest, WithoutADriverCallsFailIntoTheStickyError) {
  setenv("SSMC_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  char image[16] = {0};
  EXPECT_EQ(mgpuModuleLoad(image, sizeof(image)), nullptr);
  std::string first = runtime::cudaTakeError();
  EXPECT_TRUE(contains(first, "mgpuModuleLoad: no CUDA driver (")) << first;
  EXPECT_EQ(runtime::cudaTakeError(), "");

  // The first error wins; nothing crashes.
  EXPECT_EQ(mgpuModuleLoad(image, sizeof(image)), nullptr);
  EXPECT_EQ(mgpuModuleGetFunction(nullptr, "k"), nullptr);
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  mgpuLaunchKernel(nullptr, 1, 1, 1, 32, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  EXPECT_EQ(mgpuMemAlloc(64, nullptr, false), nullptr);
  mgpuMemFree(nullptr, nullptr);
  mgpuMemcpy(nullptr, nullptr, 4, nullptr);
  mgpuStreamSynchronize(nullptr);
  mgpuStreamDestroy(nullptr);
  EXPECT_EQ(mgpuEventCreate(), nullptr);
  mgpuModuleUnload(nullptr);
  EXPECT_EQ(runtime::cudaTakeError(), first);
  unsetenv("SSMC_CUDA_DRIVER");
}

//===----------------------------------------------------------------------===//
// Over the fake driver (each test in a child process)
//===----------------------------------------------------------------------===//

TEST_F(CUDARuntimeTest, RunsOnTheDevice) {
  inChildProcess([]() -> std::string {
    std::string error;
    auto pkg = runtime::DevicePackage::load(path("both.ssmpkg"), error,
                                            cuda("driver.so"));
    REQUIRE(pkg, error);
    REQUIRE(pkg->device() == "cuda", pkg->device());
    REQUIRE(pkg->notice().empty(), pkg->notice());
    runtime::CUDAPackage *gpu = pkg->cudaPackage();
    REQUIRE(gpu, "no CUDA package");
    std::string device = gpu->device().describe();
    REQUIRE(device == "Fake GPU (sm_90, 4 SMs, 1.0 GiB, driver 12.4)", device);
    REQUIRE(*counter("fake_modules_loaded") == 1, "");
    // No projections in this object, so no cuBLAS path to report.
    REQUIRE(gpu->projections().empty(), gpu->projections());

    // Host tensors in and out.
    std::vector<HostTensor> out;
    error = pkg->run("scale", {f32({3}, {1, 2, 3}), f32({}, {2})}, out);
    REQUIRE(error.empty(), error);
    REQUIRE(floats(out[0]) == (std::vector<float>{2, 4, 6}), "wrong values");
    error = pkg->run("scale", {f32({0}, {}), f32({}, {2})}, out);
    REQUIRE(error.empty(), error);
    REQUIRE(out[0].shape == std::vector<int64_t>{0}, "not empty");
    error = pkg->run("scale", {f32({2}, {1, 2})}, out);
    REQUIRE(error == "entry 'scale': expected 2 inputs, got 1", error);

    // Device-resident tensors, timed.
    {
      runtime::DeviceTensor x, s;
      std::vector<runtime::DeviceTensor> results;
      REQUIRE(gpu->upload(f32({4}, {1, 2, 3, 4}), x).empty(), "upload");
      REQUIRE(gpu->upload(f32({}, {-1}), s).empty(), "upload");
      runtime::CUDAEvent start, end;
      REQUIRE(start.create().empty() && end.create().empty(), "events");
      REQUIRE(start.record().empty(), "record");
      error = gpu->runOnDevice("scale", {x, s}, results);
      REQUIRE(error.empty(), error);
      REQUIRE(end.record().empty(), "record");
      float ms = -1;
      error = runtime::CUDAEvent::elapsedMs(start, end, ms);
      REQUIRE(error.empty() && ms >= 0, error);
      REQUIRE(results.size() == 1 && results[0].isContiguous(), "result");
      HostTensor back;
      REQUIRE(gpu->download(results[0], back).empty(), "download");
      REQUIRE(floats(back) == (std::vector<float>{-1, -2, -3, -4}), "values");
      error = gpu->runOnDevice("scale", {s, s}, results);
      REQUIRE(error == "entry 'scale': input 0: expected rank 1 (shape (?,)), "
                       "got rank 0 (shape ())",
              error);
    }

    // Dynamic shared memory above 48 KiB is opted into.
    error = pkg->run("scale_big_smem", {f32({1}, {1}), f32({}, {1})}, out);
    REQUIRE(error.empty(), error);
    REQUIRE(*counter("fake_max_dynamic_shared") == 64 * 1024, "no opt-in");

    // A failing kernel is reported with the call, and does not stick.
    error = pkg->run("fault", {f32({1}, {1}), f32({}, {1})}, out);
    REQUIRE(error == "entry 'fault': mgpuLaunchKernel: cuLaunchKernel failed: "
                     "CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access "
                     "was encountered) for grid (1, 1, 1), block (128, 1, "
                     "1), 0 bytes of shared memory",
            error);
    error = pkg->run("scale", {f32({1}, {1}), f32({}, {7})}, out);
    REQUIRE(error.empty() && floats(out[0])[0] == 7, error);

    // Every device buffer is back; the kernels are unloaded with the
    // package.
    runtime::cudaReleaseCachedMemory();
    REQUIRE(*counter("fake_live_allocations") == 0,
            std::to_string(*counter("fake_live_allocations")) + " leaked");
    pkg.reset();
    REQUIRE(*counter("fake_modules_unloaded") == 1, "not unloaded");
    return "";
  });
}

TEST_F(CUDARuntimeTest, WritesAndCopiesDeviceTensors) {
  inChildProcess([]() -> std::string {
    std::string error;
    auto pkg = runtime::DevicePackage::load(path("both.ssmpkg"), error,
                                            cuda("driver.so"));
    REQUIRE(pkg && pkg->cudaPackage(), error);
    runtime::CUDAPackage *gpu = pkg->cudaPackage();
    runtime::DeviceTensor a, b, c;
    REQUIRE(gpu->upload(f32({3}, {1, 2, 3}), a).empty(), "upload");
    REQUIRE(gpu->upload(f32({3}, {0, 0, 0}), b).empty(), "upload");
    REQUIRE(gpu->upload(f32({2}, {0, 0}), c).empty(), "upload");
    REQUIRE(gpu->write(f32({3}, {4, 5, 6}), a).empty(), "write");
    REQUIRE(gpu->copy(a, b).empty(), "copy");
    HostTensor back;
    REQUIRE(gpu->download(b, back).empty(), "download");
    REQUIRE(floats(back) == (std::vector<float>{4, 5, 6}), "values");
    error = gpu->copy(a, c);
    REQUIRE(error == "copy: 3 f32 elements into a tensor of 2 f32", error);
    REQUIRE(gpu->copySlice(a, 1, c).empty(), "copySlice");
    REQUIRE(gpu->download(c, back).empty(), "download");
    REQUIRE(floats(back) == (std::vector<float>{5, 6}), "slice values");
    error = gpu->copySlice(a, 2, c);
    REQUIRE(error == "copySlice: elements 2..4 of a tensor of 3", error);
    error = gpu->write(f32({2}, {1, 2}), a);
    REQUIRE(error == "write: 2 f32 elements into a tensor of 3 f32", error);
    // This driver has no graph functions: decode steps run entry by entry.
    runtime::CUDAGraph graph;
    error = runtime::CUDAGraph::supported();
    REQUIRE(contains(error, "has no graph functions"), error);
    REQUIRE(graph.begin() == error, "begin without graph functions");
    REQUIRE(!graph.ready(), "ready");
    return "";
  });
}

TEST_F(CUDARuntimeTest, GraphsKeepTheBlocksTheyAllocate) {
  inChildProcess([]() -> std::string {
    std::string error;
    auto pkg = runtime::DevicePackage::load(path("both.ssmpkg"), error,
                                            cuda("driver-graphs.so"));
    REQUIRE(pkg && pkg->cudaPackage(), error);
    REQUIRE(runtime::CUDAGraph::supported().empty(),
            runtime::CUDAGraph::supported());
    void *kept = nullptr;
    {
      runtime::CUDAGraph graph;
      REQUIRE(graph.launch() == "cuGraphLaunch: the graph was not captured",
              "launch before capture");
      REQUIRE(graph.begin().empty(), "begin");
      // A temporary of the captured work, freed before the capture ends:
      // the graph's replays still write it.
      kept = mgpuMemAlloc(256, nullptr, false);
      REQUIRE(kept, runtime::cudaTakeError());
      mgpuMemFree(kept, nullptr);
      REQUIRE(graph.end().empty(), "end");
      REQUIRE(graph.ready(), "not ready");
      void *other = mgpuMemAlloc(256, nullptr, false);
      REQUIRE(other && other != kept, "the graph's block was handed out");
      mgpuMemFree(other, nullptr);
      REQUIRE(graph.launch().empty(), "launch");
      REQUIRE(graph.end() == "cuStreamEndCapture: no capture was begun",
              "end twice");
    }
    // With the graph gone its block is the cache's again.
    std::vector<void *> blocks;
    bool found = false;
    for (int i = 0; i < 2; ++i) {
      blocks.push_back(mgpuMemAlloc(256, nullptr, false));
      found = found || blocks.back() == kept;
    }
    for (void *p : blocks)
      mgpuMemFree(p, nullptr);
    REQUIRE(found, "the graph's block did not return to the cache");
    int *launches = counter2("driver-graphs.so", "fake_graph_launches");
    REQUIRE(launches && *launches == 1, "launches");
    // A capture left open is ended by the graph's destructor.
    {
      runtime::CUDAGraph open;
      REQUIRE(open.begin().empty(), "begin");
    }
    int *capturing = counter2("driver-graphs.so", "fake_capturing");
    REQUIRE(capturing && *capturing == 0, "capture left open");
    REQUIRE(runtime::cudaTakeError().empty(), "sticky error");
    return "";
  });
}

TEST_F(CUDARuntimeTest, ReportsOutOfMemory) {
  inChildProcess([]() -> std::string {
    std::string error;
    auto pkg = runtime::DevicePackage::load(path("both.ssmpkg"), error,
                                            cuda("driver.so"));
    REQUIRE(pkg && pkg->device() == "cuda", error);
    runtime::CUDAPackage *gpu = pkg->cudaPackage();
    int *limit = counter("fake_alloc_limit");
    REQUIRE(gpu && limit, "no CUDA package or no fake_alloc_limit");
    std::vector<float> ones(2048, 1.0f); // 8192 bytes

    // An input does not fit on the device.
    *limit = 4096;
    std::vector<HostTensor> out;
    error = pkg->run("scale", {f32({2048}, ones), f32({}, {2})}, out);
    REQUIRE(error == "entry 'scale': input 0: cuMemAlloc failed: "
                     "CUDA_ERROR_OUT_OF_MEMORY (out of memory) for 8192 "
                     "bytes",
            error);
    REQUIRE(out.empty(), "outputs were set");

    // The inputs are on the device, the entry's result does not fit.
    *limit = 0;
    {
      runtime::DeviceTensor x, s;
      REQUIRE(gpu->upload(f32({2048}, ones), x).empty(), "upload");
      REQUIRE(gpu->upload(f32({}, {2}), s).empty(), "upload");
      *limit = 4096;
      std::vector<runtime::DeviceTensor> results;
      error = gpu->runOnDevice("scale", {x, s}, results);
      REQUIRE(error == "entry 'scale': mgpuMemAlloc: cuMemAlloc failed: "
                       "CUDA_ERROR_OUT_OF_MEMORY (out of memory) for 8192 "
                       "bytes",
              error);
      REQUIRE(results.empty(), "results were set");
    }

    // Nothing sticks and nothing leaks: with the memory back the same run
    // works, and every block goes back to the driver.
    *limit = 0;
    error = pkg->run("scale", {f32({2048}, ones), f32({}, {2})}, out);
    REQUIRE(error.empty() && out.size() == 1 && floats(out[0])[2047] == 2,
            error);
    runtime::cudaReleaseCachedMemory();
    REQUIRE(*counter("fake_live_allocations") == 0,
            std::to_string(*counter("fake_live_allocations")) + " leaked");
    return "";
  });
}

TEST_F(CUDARuntimeTest, ReportsKernelsThatFailToLoad) {
  inChildProcess([]() -> std::string {
    std::string error;
    auto pkg = runtime::DevicePackage::load(path("bad-kernels.ssmpkg"), error,
                                            cuda("driver.so"));
    REQUIRE(!pkg, "loaded");
    REQUIRE(contains(error, "bad-kernels.ssmpkg: cuda object: loading its "
                            "kernels failed: mgpuModuleLoad: cuModuleLoadData "
                            "failed: CUDA_ERROR_INVALID_IMAGE (device kernel "
                            "image is invalid)"),
            error);
    return "";
  });
}

TEST_F(CUDARuntimeTest, ChecksTheGpuArchAgainstTheDevice) {
  inChildProcess([]() -> std::string {
    std::string error;
    auto pkg = runtime::DevicePackage::load(path("sm_100.ssmpkg"), error,
                                            cuda("driver.so"));
    REQUIRE(!pkg, "loaded");
    REQUIRE(error == path("sm_100.ssmpkg") +
                         ": the cuda object was compiled for sm_100 (compute "
                         "capability 10.0), newer than the device's compute "
                         "capability 9.0; recompile it with --target "
                         "cuda:sm_90 (device 0: Fake GPU)",
            error);
    for (const char *ok : {"sm_80.ssmpkg", "sm_90a.ssmpkg"}) {
      pkg = runtime::DevicePackage::load(path(ok), error, cuda("driver.so"));
      REQUIRE(pkg && pkg->device() == "cuda", error);
    }
    return "";
  });
}

} // namespace
