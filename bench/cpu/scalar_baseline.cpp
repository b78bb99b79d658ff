//===- scalar_baseline.cpp - Scalar selective scan and SSD timings --------===//
//
// The first CPU baseline ssmc is measured against: the loops of
// ScalarKernels.h compiled with -O3 -march=native (no -ffast-math), one
// thread. Prints a line per op and optionally writes JSON (--json FILE) and
// the inputs and outputs as .npy files (--dump DIR) for a later comparison
// of ssmc's kernels against these loops.
//
//===----------------------------------------------------------------------===//

#include "ScalarKernels.h"

#include <cerrno>
#include <sys/stat.h>

using namespace bench;

static const char *usage =
    "usage: scalar-baseline [--runs N] [--seed S] [--quick] [--json FILE] "
    "[--dump DIR]\n"
    "  --quick  l = 256 instead of 2048 (smoke test)\n"
    "  --dump   writes DIR/selective_scan/*.npy and DIR/ssd/*.npy\n";

static bool makeDir(const std::string &path) {
  return mkdir(path.c_str(), 0755) == 0 || errno == EEXIST;
}

static bool dumpScan(const std::string &dir, const ScanData &t) {
  const ScanShape &s = t.s;
  std::string d = dir + "/selective_scan";
  if (!makeDir(dir) || !makeDir(d))
    return false;
  bool ok = true;
  auto w = [&](const char *name, const std::vector<float> &v,
               std::vector<int> shape) {
    ok &= writeNpy(d + "/" + name + ".npy", v, shape);
  };
  w("u", t.u, {s.b, s.d, s.l});
  w("delta", t.delta, {s.b, s.d, s.l});
  w("A", t.A, {s.d, s.n});
  w("B", t.B, {s.b, s.g, s.n, s.l});
  w("C", t.C, {s.b, s.g, s.n, s.l});
  w("D", t.D, {s.d});
  w("z", t.z, {s.b, s.d, s.l});
  w("delta_bias", t.deltaBias, {s.d});
  w("out", t.out, {s.b, s.d, s.l});
  w("last_state", t.lastState, {s.b, s.d, s.n});
  if (FILE *f = std::fopen((d + "/meta.json").c_str(), "w")) {
    std::fprintf(
        f,
        "{\"op\": \"selective_scan\", \"b\": %d, \"d\": %d, \"l\": %d, "
        "\"n\": %d, \"g\": %d, \"delta_softplus\": true, "
        "\"inputs\": [\"u\", \"delta\", \"A\", \"B\", \"C\", \"D\", "
        "\"z\", \"delta_bias\"], \"outputs\": [\"out\", "
        "\"last_state\"]}\n",
        s.b, s.d, s.l, s.n, s.g);
    ok &= std::fclose(f) == 0;
  }
  return ok;
}

static bool dumpSsd(const std::string &dir, const SsdData &t) {
  const SsdShape &s = t.s;
  std::string d = dir + "/ssd";
  if (!makeDir(dir) || !makeDir(d))
    return false;
  bool ok = true;
  auto w = [&](const char *name, const std::vector<float> &v,
               std::vector<int> shape) {
    ok &= writeNpy(d + "/" + name + ".npy", v, shape);
  };
  w("x", t.x, {s.b, s.l, s.h, s.p});
  w("dt", t.dt, {s.b, s.l, s.h});
  w("A", t.A, {s.h});
  w("B", t.B, {s.b, s.l, s.g, s.n});
  w("C", t.C, {s.b, s.l, s.g, s.n});
  w("D", t.D, {s.h});
  w("z", t.z, {s.b, s.l, s.h, s.p});
  w("dt_bias", t.dtBias, {s.h});
  w("out", t.out, {s.b, s.l, s.h, s.p});
  w("final_state", t.finalState, {s.b, s.h, s.p, s.n});
  if (FILE *f = std::fopen((d + "/meta.json").c_str(), "w")) {
    std::fprintf(
        f,
        "{\"op\": \"ssd\", \"b\": %d, \"l\": %d, \"h\": %d, \"p\": %d, "
        "\"n\": %d, \"g\": %d, \"dt_softplus\": true, "
        "\"inputs\": [\"x\", \"dt\", \"A\", \"B\", \"C\", \"D\", \"z\", "
        "\"dt_bias\"], \"outputs\": [\"out\", \"final_state\"]}\n",
        s.b, s.l, s.h, s.p, s.n, s.g);
    ok &= std::fclose(f) == 0;
  }
  return ok;
}

int main(int argc, char **argv) {
  Options opt;
  if (!parseOptions(argc, argv, opt, usage))
    return 2;

  ScanShape scanShape;
  SsdShape ssdShape;
  if (opt.quick)
    scanShape.l = ssdShape.l = 256;
  ScanData scan = makeScanData(scanShape, opt.seed);
  SsdData ssd = makeSsdData(ssdShape, opt.seed + 1);

  std::printf("scalar baseline: 1 thread, %d timed runs after 1 warm-up\n",
              opt.runs);
  printHeader();
  std::vector<Result> results;

  Result r;
  r.impl = "scalar";
  r.runs = opt.runs;
  r.op = "selective_scan";
  r.shape = scanShape.str();
  r.stateUpdates = scanShape.stateUpdates();
  std::tie(r.bestMs, r.medianMs) =
      timeIt([&] { selectiveScanScalar(scan); }, opt.runs);
  r.checksum = checksum(scan.out);
  printResult(r);
  results.push_back(r);

  r.op = "ssd";
  r.shape = ssdShape.str();
  r.stateUpdates = ssdShape.stateUpdates();
  std::tie(r.bestMs, r.medianMs) = timeIt([&] { ssdScalar(ssd); }, opt.runs);
  r.checksum = checksum(ssd.out);
  printResult(r);
  results.push_back(r);

  if (!opt.json.empty() &&
      !writeJson(opt.json, "scalar", " \"threads\": 1,", results)) {
    std::fprintf(stderr, "error: cannot write %s\n", opt.json.c_str());
    return 1;
  }
  if (!opt.dump.empty() &&
      (!dumpScan(opt.dump, scan) || !dumpSsd(opt.dump, ssd))) {
    std::fprintf(stderr, "error: cannot write the dump under %s\n",
                 opt.dump.c_str());
    return 1;
  }
  return 0;
}
