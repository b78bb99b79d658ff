//===- CPURuntimeTest.cpp - tests of running CPU packages -----------------===//
//
// Runs the runtime on a package whose shared object is written by hand in C
// (compiled with the system `cc` at test time), so that descriptors, strided
// results, input checks and the C API are tested without the compiler.
//
//===----------------------------------------------------------------------===//

#include "ssmc/runtime/CPURuntime.h"
#include "ssmc/runtime/Package.h"
#include "ssmc/runtime/ssmc_runtime.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <unistd.h>

using namespace ssmc;
using runtime::HostTensor;

namespace {

/// `transpose_scale(x: f32[?, 3], s: f32[]) -> (f32[3, ?] as a strided view of
/// a fresh buffer, i64[2] = shape of x)`: the result of entry 0 has
/// non-contiguous strides and an offset, which the runtime must honour.
const char *source = R"(
#include <stdint.h>
#include <stdlib.h>
typedef struct {
  float *alloc, *aligned;
  int64_t offset, sizes[2], strides[2];
} D2;
typedef struct { float *alloc, *aligned; int64_t offset; } D0;
typedef struct {
  int64_t *alloc, *aligned;
  int64_t offset, sizes[1], strides[1];
} D1;
void ssmc_entry_transpose_scale(void **argv) {
  D2 *x = (D2 *)argv[1];
  D0 *s = (D0 *)argv[2];
  struct { D2 y; D1 shape; } *res = argv[0];
  int64_t n = x->sizes[0];
  /* y[j][i] = s * x[i][j], stored as y^T (n x 3, row-major) after 1 pad. */
  float *buf = malloc(sizeof(float) * (1 + 3 * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < 3; ++j)
      buf[1 + i * 3 + j] = s->aligned[s->offset] *
          x->aligned[x->offset + i * x->strides[0] + j * x->strides[1]];
  res->y.alloc = buf; res->y.aligned = buf; res->y.offset = 1;
  res->y.sizes[0] = 3; res->y.sizes[1] = n;
  res->y.strides[0] = 1; res->y.strides[1] = 3;
  int64_t *shape = malloc(2 * sizeof(int64_t));
  shape[0] = x->sizes[0]; shape[1] = x->sizes[1];
  res->shape.alloc = shape; res->shape.aligned = shape; res->shape.offset = 0;
  res->shape.sizes[0] = 2; res->shape.strides[0] = 1;
}
)";

package::Manifest manifest() {
  package::Manifest m;
  package::Object cpu;
  cpu.target = package::cpuTarget;
  cpu.arch = package::hostArch();
  cpu.cpu = "generic";
  m.objects.push_back(cpu);
  package::EntrySpec e;
  e.name = "transpose_scale";
  e.symbol = "ssmc_entry_transpose_scale";
  e.arguments = {{package::DType::F32, {-1, 3}}, {package::DType::F32, {}}};
  e.results = {{package::DType::F32, {3, -1}}, {package::DType::I64, {2}}};
  m.entries.push_back(e);
  return m;
}

/// Builds the package once per test into a temporary file.
class CPURuntimeTest : public ::testing::Test {
protected:
  void SetUp() override {
    char dir[] = "/tmp/ssmc-runtime-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    tmp = dir;
    std::ofstream(tmp + "/e.c") << source;
    std::string cmd = "cc -shared -fPIC -o " + tmp + "/e.so " + tmp + "/e.c";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "needs a C compiler 'cc'";
    std::ifstream so(tmp + "/e.so", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(so)),
                      std::istreambuf_iterator<char>());
    path = tmp + "/e.ssmpkg";
    std::ofstream(path, std::ios::binary)
        << package::serialize(manifest(), {bytes});
  }
  void TearDown() override {
    for (const char *f : {"/e.c", "/e.so", "/e.ssmpkg", "/missing.ssmpkg"})
      std::remove((tmp + f).c_str());
    rmdir(tmp.c_str());
  }
  std::string tmp, path;
};

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

TEST_F(CPURuntimeTest, RunsAndHonoursResultStrides) {
  std::string error;
  auto pkg = runtime::Package::load(path, error);
  ASSERT_NE(pkg, nullptr) << error;
  ASSERT_EQ(pkg->entries().size(), 1u);
  std::vector<HostTensor> out;
  ASSERT_EQ(pkg->run("transpose_scale",
                     {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({}, {10})}, out),
            "");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(floats(out[0]), (std::vector<float>{10, 40, 20, 50, 30, 60}));
  EXPECT_EQ(out[1].dtype, package::DType::I64);
  int64_t shape[2];
  std::memcpy(shape, out[1].data.data(), sizeof(shape));
  EXPECT_EQ(shape[0], 2);
  EXPECT_EQ(shape[1], 3);
  // Zero rows are a valid dynamic size.
  ASSERT_EQ(pkg->run("transpose_scale", {f32({0, 3}, {}), f32({}, {1})}, out),
            "");
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{3, 0}));
}

TEST_F(CPURuntimeTest, ChecksInputsAgainstTheManifest) {
  std::string error;
  auto pkg = runtime::Package::load(path, error);
  ASSERT_NE(pkg, nullptr) << error;
  std::vector<HostTensor> out;
  HostTensor s = f32({}, {1});
  EXPECT_EQ(pkg->run("nope", {}, out),
            "no entry 'nope' in the package; its entries are: "
            "transpose_scale");
  EXPECT_EQ(pkg->run("transpose_scale", {s}, out),
            "entry 'transpose_scale': expected 2 inputs, got 1");
  EXPECT_EQ(pkg->run("transpose_scale", {f32({2, 4}, std::vector<float>(8)), s},
                     out),
            "entry 'transpose_scale': input 0: expected shape (?, 3), got "
            "(2, 4)");
  EXPECT_EQ(pkg->run("transpose_scale", {f32({6}, std::vector<float>(6)), s},
                     out),
            "entry 'transpose_scale': input 0: expected rank 2 (shape (?, 3)), "
            "got rank 1 (shape (6,))");
  HostTensor wrong(package::DType::F64, {2, 3});
  EXPECT_EQ(pkg->run("transpose_scale", {wrong, s}, out),
            "entry 'transpose_scale': input 0: expected dtype f32, got f64");
  HostTensor short_ = f32({2, 3}, std::vector<float>(6));
  short_.data.resize(5);
  EXPECT_EQ(pkg->run("transpose_scale", {short_, s}, out),
            "entry 'transpose_scale': input 0: holds 5 bytes but shape (2, 3) "
            "of f32 needs 24");
  EXPECT_TRUE(out.empty());
}

TEST_F(CPURuntimeTest, ResolvesEverySymbol) {
  package::Manifest m = manifest();
  m.entries[0].symbol = "ssmc_entry_missing";
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  package::Manifest old;
  std::string payload;
  ASSERT_EQ(package::deserialize(bytes, path, old, payload), "");
  std::string other = tmp + "/missing.ssmpkg";
  std::ofstream(other, std::ios::binary) << package::serialize(m, {payload});
  std::string error;
  EXPECT_EQ(runtime::Package::load(other, error), nullptr);
  EXPECT_NE(error.find("entry 'transpose_scale': symbol 'ssmc_entry_missing' "
                       "is missing from the cpu object"),
            std::string::npos)
      << error;
}

TEST_F(CPURuntimeTest, CAPI) {
  EXPECT_EQ(ssmc_package_load("/nonexistent.ssmpkg"), nullptr);
  EXPECT_NE(std::strstr(ssmc_last_error(), "cannot open package"), nullptr);

  ssmc_package *pkg = ssmc_package_load(path.c_str());
  ASSERT_NE(pkg, nullptr) << ssmc_last_error();
  ASSERT_EQ(ssmc_package_num_entries(pkg), 1u);
  EXPECT_STREQ(ssmc_package_entry_name(pkg, 0), "transpose_scale");
  float x[6] = {1, 2, 3, 4, 5, 6}, s = 2;
  ssmc_tensor in[2] = {};
  in[0].dtype = SSMC_DTYPE_F32;
  in[0].rank = 2;
  in[0].shape[0] = 2;
  in[0].shape[1] = 3;
  in[0].data = x;
  in[1].dtype = SSMC_DTYPE_F32;
  in[1].rank = 0;
  in[1].data = &s;
  ssmc_tensor out[2] = {};
  EXPECT_NE(ssmc_package_run(pkg, "transpose_scale", in, 2, out, 1), 0);
  EXPECT_STREQ(ssmc_last_error(),
               "entry 'transpose_scale': expected 2 outputs, got 1");
  EXPECT_NE(ssmc_package_run(pkg, "transpose_scale", in, 1, out, 2), 0);
  EXPECT_STREQ(ssmc_last_error(),
               "entry 'transpose_scale': expected 2 inputs, got 1");
  ASSERT_EQ(ssmc_package_run(pkg, "transpose_scale", in, 2, out, 2), 0)
      << ssmc_last_error();
  EXPECT_EQ(out[0].rank, 2);
  EXPECT_EQ(out[0].shape[0], 3);
  EXPECT_EQ(out[0].shape[1], 2);
  const float *y = static_cast<const float *>(out[0].data);
  EXPECT_EQ(y[0], 2);
  EXPECT_EQ(y[1], 8);
  EXPECT_EQ(y[5], 12);
  EXPECT_EQ(out[1].dtype, SSMC_DTYPE_I64);
  ssmc_tensor_release(&out[0]);
  ssmc_tensor_release(&out[1]);
  EXPECT_EQ(out[0].data, nullptr);
  ssmc_package_free(pkg);
}

} // namespace

// HostTensor's bytes: zero-filled growth, deep copies, moves that leave the
// source empty, and adoption of a malloc'ed buffer (how results are handed
// over without a copy).
TEST(BytesTest, GrowsZeroedCopiesDeeplyAndAdopts) {
  ssmc::runtime::Bytes a(5);
  ASSERT_EQ(a.size(), 5u);
  for (uint8_t v : a)
    EXPECT_EQ(v, 0);
  a[0] = 7;
  a.resize(3);
  a.resize(9);
  EXPECT_EQ(a[0], 7);
  for (size_t i = 3; i < 9; ++i)
    EXPECT_EQ(a[i], 0) << "byte " << i << " after shrinking and growing";

  ssmc::runtime::Bytes b = a;
  EXPECT_EQ(a, b);
  b[1] = 3;
  EXPECT_NE(a, b);
  EXPECT_EQ(a[1], 0);

  ssmc::runtime::Bytes c = std::move(b);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(c[1], 3);

  auto *raw = static_cast<uint8_t *>(std::malloc(4));
  std::memcpy(raw, "abcd", 4);
  c.adopt(raw, 4);
  EXPECT_EQ(c.data(), raw);
  EXPECT_EQ(c.size(), 4u);
  c.resize(6);
  EXPECT_EQ(std::memcmp(c.data(), "abcd\0\0", 6), 0);

  ssmc::runtime::Bytes empty, other;
  EXPECT_EQ(empty, other);
  empty = c;
  EXPECT_EQ(empty, c);
}

//===----------------------------------------------------------------------===//
// The pool: every iteration exactly once, whatever the threads' speeds
//===----------------------------------------------------------------------===//

#include "ssmc/runtime/ThreadPool.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace {

struct Visits {
  std::vector<std::atomic<int>> count;
  std::atomic<int64_t> calls{0};
  bool slowFirstHalf = false;
  explicit Visits(int64_t n) : count(static_cast<size_t>(n)) {}
};

void visit(void *ctx, int64_t begin, int64_t end) {
  auto *v = static_cast<Visits *>(ctx);
  ++v->calls;
  for (int64_t i = begin; i < end; ++i) {
    // Uneven work: the first share's iterations are slow, so the other
    // thread runs out of its own and takes from the back of this one.
    if (v->slowFirstHalf && i < static_cast<int64_t>(v->count.size()) / 2)
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    ++v->count[static_cast<size_t>(i)];
  }
}

struct Ranges {
  std::atomic<int64_t> total{0}, lowest{INT64_MAX}, highest{0};
};

void sumRange(void *ctx, int64_t begin, int64_t end) {
  auto *r = static_cast<Ranges *>(ctx);
  r->total += end - begin;
  int64_t lo = r->lowest.load();
  while (begin < lo && !r->lowest.compare_exchange_weak(lo, begin)) {
  }
  int64_t hi = r->highest.load();
  while (end > hi && !r->highest.compare_exchange_weak(hi, end)) {
  }
}

} // namespace

TEST(ThreadPool, EveryIterationOnce) {
  for (int threads : {1, 2, 3, 4}) {
    runtime::setNumThreads(threads);
    EXPECT_EQ(runtime::numThreads(), threads);
    for (int64_t n : {1, 2, 3, 7, 24, 1000, 4099}) {
      for (bool slow : {false, true}) {
        if (slow && n > 1000)
          continue;
        Visits v(n);
        v.slowFirstHalf = slow;
        runtime::parallelFor(&visit, &v, n);
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(v.count[static_cast<size_t>(i)].load(), 1)
              << "iteration " << i << " of " << n << " on " << threads
              << " threads" << (slow ? ", uneven" : "");
      }
    }
  }
  runtime::setNumThreads(0);
}

TEST(ThreadPool, JobsLargerThanAShare) {
  // More iterations than a share's 32-bit bounds hold: run in parts.
  runtime::setNumThreads(2);
  Ranges r;
  int64_t n = (int64_t(1) << 32) + 5;
  runtime::parallelFor(&sumRange, &r, n);
  EXPECT_EQ(r.total.load(), n);
  EXPECT_EQ(r.lowest.load(), 0);
  EXPECT_EQ(r.highest.load(), n);
  runtime::setNumThreads(0);
}

//===----------------------------------------------------------------------===//
// The projections' hook: matrix-vector products (a decode step's) against
// float64 sums, at odd sizes and on 1-3 threads
//===----------------------------------------------------------------------===//

#include "../../runtime/cpu/Gemm.h"

#include <cmath>
#include <random>

TEST(Gemm, MatrixVectorProductsMatchFloat64) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int threads : {1, 2, 3}) {
    runtime::setNumThreads(threads);
    for (int64_t type : {0, 1, 2}) {
      // Rows: fewer than a task, not a multiple of 32, and over the 4 MB
      // block (bf16: 2100 rows of 1037); k: below 16, odd, a multiple of 64.
      for (auto [rows, k] : {std::pair<int64_t, int64_t>{5, 7},
                             {97, 37},
                             {1000, 64},
                             {2100, 1037}}) {
        for (int64_t m : {1, 3}) {
          // The weight in its type (rounded to nearest even) and the
          // values it holds.
          HostTensor w(type == 0   ? package::DType::F32
                       : type == 1 ? package::DType::BF16
                                   : package::DType::F16,
                       {rows, k});
          std::vector<double> wv(static_cast<size_t>(rows * k));
          for (int64_t i = 0; i < rows * k; ++i) {
            w.set(i, u(rng));
            wv[i] = w.get(i);
          }
          std::vector<float> x(static_cast<size_t>(m * k));
          for (float &v : x)
            v = static_cast<float>(u(rng));
          // C += A W^T: one row of C per row of A; C starts at 0.5.
          std::vector<float> c(static_cast<size_t>(m * rows), 0.5f);
          runtime::gemm(1, m, rows, k, x.data(), k, 0, w.data.data(), k, 0,
                        /*transB=*/1, c.data(), rows, 0, type);
          double err = 0, norm = 0;
          for (int64_t r = 0; r < m; ++r)
            for (int64_t j = 0; j < rows; ++j) {
              double want = 0.5;
              for (int64_t i = 0; i < k; ++i)
                want += static_cast<double>(x[r * k + i]) * wv[j * k + i];
              double d = c[r * rows + j] - want;
              err += d * d;
              norm += want * want;
            }
          EXPECT_LE(std::sqrt(err / norm), 1e-6)
              << "type " << type << ", " << rows << " x " << k << ", m " << m
              << ", " << threads << " threads";
        }
      }
    }
  }
  runtime::setNumThreads(0);
}
