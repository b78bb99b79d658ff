//===- ssd_bench.cpp - times ssmc's compiled CPU SSD (chunked dual form) --===//
//
// Loads a package compiled from bench/cpu/ssd.mlir (`ssmc compile`), times
// the exported entry on the SSD inputs of the baselines (bench/cpu,
// BenchCommon.h) with 1 thread and with all of the pool's threads, calling it
// through the ABI directly (fresh result buffers included), and checks it
// against the scalar loops of bench/cpu/ScalarKernels.h.
//   ssd-bench PACKAGE [--runs N] [--quick]
//
//===----------------------------------------------------------------------===//
#include "cpu/BenchCommon.h"
#include "cpu/ScalarKernels.h"

#include "ssmc/runtime/CPURuntime.h"
#include "ssmc/runtime/ThreadPool.h"

#include <cstring>

using namespace bench;
using ssmc::runtime::contiguousDescriptor;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ssd-bench PACKAGE [--runs N] [--quick]\n");
    return 2;
  }
  std::string pkgPath = argv[1];
  Options opt;
  opt.runs = 10;
  argv[1] = argv[0];
  if (!parseOptions(argc - 1, argv + 1, opt, "usage: ssd-bench PACKAGE\n"))
    return 2;
  std::string error;
  std::unique_ptr<ssmc::runtime::Package> pkg =
      ssmc::runtime::Package::load(pkgPath, error);
  if (!pkg) {
    std::fprintf(stderr, "error: %s\n", error.c_str());
    return 1;
  }
  using EntryFn = void (*)(void **);
  auto entry = reinterpret_cast<EntryFn>(pkg->symbol("ssmc_entry_ssd"));
  if (!entry) {
    std::fprintf(stderr, "error: no ssmc_entry_ssd\n");
    return 1;
  }
  SsdShape s;
  if (opt.quick)
    s.l = 256;
  SsdData t = makeSsdData(s, opt.seed);
  int64_t b = s.b, l = s.l, h = s.h, p = s.p, n = s.n, g = s.g;
  std::vector<std::vector<int64_t>> args{contiguousDescriptor(t.x.data(), {b, l, h, p}),
                                         contiguousDescriptor(t.dt.data(), {b, l, h}),
                                         contiguousDescriptor(t.A.data(), {h}),
                                         contiguousDescriptor(t.B.data(), {b, l, g, n}),
                                         contiguousDescriptor(t.C.data(), {b, l, g, n}),
                                         contiguousDescriptor(t.D.data(), {h}),
                                         contiguousDescriptor(t.z.data(), {b, l, h, p}),
                                         contiguousDescriptor(t.dtBias.data(), {h})};
  std::vector<int64_t> results(2 * 11, 0);
  std::vector<void *> call{results.data()};
  for (auto &a : args)
    call.push_back(a.data());
  auto resultData = [&](int i) {
    float *ptr;
    std::memcpy(&ptr, &results[11 * i + 1], sizeof(void *));
    return ptr;
  };
  auto freeResults = [&] {
    for (int i = 0; i < 2; ++i) {
      void *allocated;
      std::memcpy(&allocated, &results[11 * i], sizeof(void *));
      std::free(allocated);
    }
  };
  entry(call.data());
  std::vector<float> out(resultData(0), resultData(0) + b * l * h * p);
  std::vector<float> fin(resultData(1), resultData(1) + b * h * p * n);
  freeResults();
  ssdScalar(t);
  double errOut = relL2(out, t.out), errState = relL2(fin, t.finalState);
  std::printf("ssmc vs scalar loops: rel. L2 out %.2e, final state %.2e\n",
              errOut, errState);
  if (!(errOut <= 1e-4 && errState <= 1e-4))
    return 1;
  printHeader();
  int allThreads = ssmc::runtime::numThreads();
  for (int threads : {1, allThreads}) {
    ssmc::runtime::setNumThreads(threads);
    Result r;
    r.op = "ssd";
    r.impl = threads == 1 ? "ssmc-1t" : "ssmc";
    r.shape = s.str();
    r.runs = opt.runs;
    r.stateUpdates = s.stateUpdates();
    r.checksum = checksum(out);
    std::tie(r.bestMs, r.medianMs) = timeIt(
        [&] {
          entry(call.data());
          freeResults();
        },
        opt.runs);
    printResult(r);
    if (allThreads == 1)
      break;
  }
  return 0;
}
