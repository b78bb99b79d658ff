//===- ssmc_bench.cpp - times ssmc's compiled CPU selective scan ----------===//
//
// Compiles bench/cpu/selective_scan.mlir with `ssmc compile` (the same
// library calls as any package), loads the package with the CPU runtime and
// times the exported entry on the inputs of the baselines (bench/cpu,
// BenchCommon.h) with 1 thread and with all of the pool's threads. The entry
// is called through the ABI directly (Codegen/CPU/Pipeline.h), so the time is
// the compiled function's, fresh result buffers included, not the runtime's
// copy of them. Checks the result against the scalar loops of
// bench/cpu/ScalarKernels.h, prints the ratio to the scalar and Halide
// numbers of build-bench/results/*.json when present, and writes JSON.
// Then the same for a long batch-1 scan with few channels (b = 1, d = 16,
// l = 65536: one tile of 16 lanes), where the threads come from the split of
// the sequence into segments rather than from batch x channel tiles.
//
//===----------------------------------------------------------------------===//
#include "cpu/BenchCommon.h"
#include "cpu/ScalarKernels.h"

#include "ssmc/runtime/CPURuntime.h"
#include "ssmc/runtime/ThreadPool.h"

#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

using namespace bench;
using ssmc::runtime::contiguousDescriptor;

namespace {

const char *kUsage =
    "usage: ssmc-bench [--runs N (20)] [--seed S] [--quick] [--json FILE]\n"
    "                  [--baselines DIR] [--ssmc PATH] [--mlir FILE]\n"
    "                  [--long-d D (16)] [--long-l L (65536)]\n"
    "  --quick      l = 256 instead of 2048, long l = 8192 (smoke test)\n"
    "  --baselines  where the baselines wrote their JSON (default "
    "build-bench/results)\n"
    "  --long-d, --long-l  channels and length of the batch-1 scan (0: skip "
    "it)\n";

/// best_ms of every (op, impl) in the baselines' JSON files in `dir` (the
/// format of BenchCommon.h's writeJson: one result per line).
std::map<std::string, double> readBaselines(const std::string &dir) {
  std::map<std::string, double> best;
  for (const char *file : {"scalar.json", "halide.json", "halide-1t.json"}) {
    std::ifstream in(dir + "/" + file);
    std::string line;
    while (std::getline(in, line)) {
      auto field = [&](const std::string &key) -> std::string {
        size_t at = line.find("\"" + key + "\": ");
        if (at == std::string::npos)
          return "";
        at += key.size() + 4;
        if (line[at] == '"')
          return line.substr(at + 1, line.find('"', at + 1) - at - 1);
        return line.substr(at, line.find_first_of(",}", at) - at);
      };
      std::string op = field("op"), impl = field("impl"), ms = field("best_ms");
      if (!op.empty() && !impl.empty() && !ms.empty())
        best[op + "/" + impl] = std::atof(ms.c_str());
    }
  }
  return best;
}

/// The batch-1 scan: the op of bench/cpu/selective_scan.mlir with DIM
/// channels.
const char *kLongScan = R"(
func.func @selective_scan(%u: tensor<?xDIMx?xf32>, %delta: tensor<?xDIMx?xf32>,
                          %A: tensor<DIMx16xf32>, %B: tensor<?x1x16x?xf32>,
                          %C: tensor<?x1x16x?xf32>, %D: tensor<DIMxf32>,
                          %z: tensor<?xDIMx?xf32>, %delta_bias: tensor<DIMxf32>)
    -> (tensor<?xDIMx?xf32>, tensor<?xDIMx16xf32>) {
  %out, %state = ssm.selective_scan %u, %delta, %A, %B, %C D(%D) z(%z)
      delta_bias(%delta_bias) delta_softplus
      : (tensor<?xDIMx?xf32>, tensor<?xDIMx?xf32>, tensor<DIMx16xf32>,
         tensor<?x1x16x?xf32>, tensor<?x1x16x?xf32>, tensor<DIMxf32>,
         tensor<?xDIMx?xf32>, tensor<DIMxf32>)
      -> (tensor<?xDIMx?xf32>, tensor<?xDIMx16xf32>)
  return %out, %state : tensor<?xDIMx?xf32>, tensor<?xDIMx16xf32>
}
)";

using EntryFn = void (*)(void **);

/// Compiles `mlir` with `ssmc` into a package and loads it; null on failure
/// (reported).
std::unique_ptr<ssmc::runtime::Package> compile(const std::string &ssmc,
                                                const std::string &mlir) {
  char tmpl[] = "/tmp/ssmc-bench-XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::fprintf(stderr, "error: cannot make a temporary directory\n");
    return nullptr;
  }
  std::string pkgPath = std::string(tmpl) + "/selective_scan.ssmpkg";
  std::string cmd = "'" + ssmc + "' compile '" + mlir + "' -o '" + pkgPath + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "error: '%s' failed\n", cmd.c_str());
    rmdir(tmpl);
    return nullptr;
  }
  std::string error;
  std::unique_ptr<ssmc::runtime::Package> pkg =
      ssmc::runtime::Package::load(pkgPath, error);
  std::remove(pkgPath.c_str());
  rmdir(tmpl);
  if (!pkg)
    std::fprintf(stderr, "error: %s\n", error.c_str());
  return pkg;
}

/// What timing one scan gives: a row per thread count and the error against
/// the scalar loops.
struct CaseResult {
  std::vector<Result> rows;
  double relL2 = 0;
  bool ok = false;
};

/// Checks `entry` at shape `s` against the scalar loops, then times it with
/// each of `threadCounts` threads; the rows are named `op`.
CaseResult runCase(const char *op, EntryFn entry, const ScanShape &s,
                   const Options &opt, const std::vector<int> &threadCounts) {
  CaseResult c;
  ScanData t = makeScanData(s, opt.seed);
  int64_t b = s.b, d = s.d, l = s.l, n = s.n, g = s.g;
  std::vector<std::vector<int64_t>> args{
      contiguousDescriptor(t.u.data(), {b, d, l}),     contiguousDescriptor(t.delta.data(), {b, d, l}),
      contiguousDescriptor(t.A.data(), {d, n}),        contiguousDescriptor(t.B.data(), {b, g, n, l}),
      contiguousDescriptor(t.C.data(), {b, g, n, l}),  contiguousDescriptor(t.D.data(), {d}),
      contiguousDescriptor(t.z.data(), {b, d, l}),     contiguousDescriptor(t.deltaBias.data(), {d})};
  // Results: out (b, d, l) then the final state (b, d, n), rank 3 each.
  std::vector<int64_t> results(2 * 9, 0);
  std::vector<void *> call{results.data()};
  for (auto &a : args)
    call.push_back(a.data());
  auto resultData = [&](int i) {
    float *p;
    std::memcpy(&p, &results[9 * i + 1], sizeof(void *));
    return p;
  };
  auto freeResults = [&] {
    for (int i = 0; i < 2; ++i) {
      void *allocated;
      std::memcpy(&allocated, &results[9 * i], sizeof(void *));
      std::free(allocated);
    }
  };
  auto run = [&] {
    entry(call.data());
    freeResults();
  };

  // Correctness against the scalar loops, once.
  entry(call.data());
  std::vector<float> out(resultData(0), resultData(0) + b * d * l);
  std::vector<float> last(resultData(1), resultData(1) + b * d * n);
  freeResults();
  selectiveScanScalar(t);
  double errOut = relL2(out, t.out), errState = relL2(last, t.lastState);
  std::printf("ssmc vs scalar loops at %s: rel. L2 out %.2e, final state "
              "%.2e\n",
              s.str().c_str(), errOut, errState);
  c.relL2 = errOut;
  if (!(errOut <= 1e-4 && errState <= 1e-4)) {
    std::fprintf(stderr, "error: the compiled scan disagrees with the scalar "
                         "loops\n");
    return c;
  }
  printHeader();
  for (int threads : threadCounts) {
    ssmc::runtime::setNumThreads(threads);
    Result r;
    r.op = op;
    r.impl = threads == 1 ? "ssmc-1t" : "ssmc";
    r.shape = s.str();
    r.runs = opt.runs;
    r.stateUpdates = s.stateUpdates();
    r.checksum = checksum(out);
    std::tie(r.bestMs, r.medianMs) = timeIt(run, opt.runs);
    printResult(r);
    c.rows.push_back(r);
  }
  ssmc::runtime::setNumThreads(0);
  c.ok = true;
  return c;
}

} // namespace

int main(int argc, char **argv) {
  std::string baselines = SSMC_BENCH_BASELINES_DIR, ssmc = SSMC_BENCH_SSMC,
              mlir = SSMC_BENCH_SOURCE_DIR "/cpu/selective_scan.mlir";
  int longD = 16, longL = 65536;
  bool longLGiven = false;
  std::vector<char *> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--baselines" || a == "--ssmc" || a == "--mlir") && i + 1 < argc) {
      (a == "--baselines" ? baselines : a == "--ssmc" ? ssmc : mlir) =
          argv[++i];
      continue;
    }
    if ((a == "--long-d" || a == "--long-l") && i + 1 < argc) {
      (a == "--long-d" ? longD : longL) = std::atoi(argv[++i]);
      longLGiven |= a == "--long-l";
      continue;
    }
    rest.push_back(argv[i]);
  }
  Options opt;
  opt.runs = 20;
  if (!parseOptions(static_cast<int>(rest.size()), rest.data(), opt, kUsage))
    return 2;

  std::unique_ptr<ssmc::runtime::Package> pkg = compile(ssmc, mlir);
  if (!pkg)
    return 1;
  auto entry =
      reinterpret_cast<EntryFn>(pkg->symbol("ssmc_entry_selective_scan"));
  if (!entry) {
    std::fprintf(stderr, "error: no ssmc_entry_selective_scan in %s\n",
                 mlir.c_str());
    return 1;
  }

  ScanShape s;
  if (opt.quick)
    s.l = 256;
  std::map<std::string, double> base = readBaselines(baselines);
  int allThreads = ssmc::runtime::numThreads();
  std::vector<int> threadCounts{1};
  if (allThreads > 1)
    threadCounts.push_back(allThreads);
  CaseResult primary = runCase("selective_scan", entry, s, opt, threadCounts);
  if (!primary.ok)
    return 1;
  std::vector<Result> &rows = primary.rows;
  double errOut = primary.relL2;

  std::printf("\nthreads  best_ms  vs scalar  vs halide-1t  vs halide (all "
              "threads)\n");
  auto ratio = [&](const std::string &impl, double ms) {
    auto it = base.find("selective_scan/" + impl);
    if (it == base.end())
      return std::string("     n/a");
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%8.2fx", it->second / ms);
    return std::string(buf);
  };
  for (size_t i = 0; i < rows.size(); ++i)
    std::printf("%7d %8.2f %s %12s %12s\n", threadCounts[i], rows[i].bestMs,
                ratio("scalar", rows[i].bestMs).c_str(),
                ratio("halide-1t", rows[i].bestMs).c_str(),
                ratio("halide", rows[i].bestMs).c_str());
  if (base.empty())
    std::printf("(no baseline results in %s: run bench/cpu/run.sh first)\n",
                baselines.c_str());
  else if (opt.quick)
    std::printf("(--quick: the baselines' numbers are for their own run's l)\n");

  // The batch-1 scan: 1 thread against all of them.
  std::vector<Result> allRows = rows;
  if (longD > 0 && longL > 0) {
    ScanShape ls;
    ls.b = 1;
    ls.d = longD;
    ls.l = opt.quick && !longLGiven ? 8192 : longL;
    char tmpl[] = "/tmp/ssmc-bench-long-XXXXXX.mlir";
    int fd = mkstemps(tmpl, 5);
    if (fd < 0) {
      std::fprintf(stderr, "error: cannot make a temporary file\n");
      return 1;
    }
    std::string text = kLongScan;
    for (size_t at; (at = text.find("DIM")) != std::string::npos;)
      text.replace(at, 3, std::to_string(longD));
    bool written = write(fd, text.data(), text.size()) == ssize_t(text.size());
    close(fd);
    std::unique_ptr<ssmc::runtime::Package> longPkg =
        written ? compile(ssmc, tmpl) : nullptr;
    std::remove(tmpl);
    if (!longPkg)
      return 1;
    auto longEntry =
        reinterpret_cast<EntryFn>(longPkg->symbol("ssmc_entry_selective_scan"));
    std::printf("\n");
    // Its own op name: the baselines (and run.sh's "vs scalar") are for the
    // shape above.
    CaseResult c = runCase("scan_batch1", longEntry, ls, opt, threadCounts);
    if (!c.ok)
      return 1;
    if (c.rows.size() == 2)
      std::printf("\n%d threads vs 1: %.2fx\n", threadCounts[1],
                  c.rows[0].bestMs / c.rows[1].bestMs);
    allRows.insert(allRows.end(), c.rows.begin(), c.rows.end());
  }

  if (!opt.json.empty()) {
    std::ostringstream extra;
    extra << " \"threads\": [";
    for (size_t i = 0; i < threadCounts.size(); ++i)
      extra << (i ? ", " : "") << threadCounts[i];
    extra << "], \"rel_l2_vs_scalar\": " << errOut << ",";
    if (!writeJson(opt.json, "ssmc", extra.str(), allRows)) {
      std::fprintf(stderr, "error: cannot write %s\n", opt.json.c_str());
      return 1;
    }
  }
  return 0;
}
