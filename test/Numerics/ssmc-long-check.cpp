//===- ssmc-long-check.cpp - 2^20-token scan and SSD vs float64 on the CPU ===//
//
// Runs entries `scan` and `ssd` of a CPU package (long-sequences.mlir) on one
// sequence of 2^20 tokens of fresh random inputs, twice, and checks that
//   - every output is finite,
//   - the outputs of the last 1,000 tokens and the final state are within
//     rel. L2 1e-5 of the float64 reference (ssmc/reference/Reference.h),
//   - the two runs give the same bytes.
// The reference is made cheap without changing it: the state before the last
// 1,000 tokens comes from a flat float64 loop of the same recurrence (no
// outputs, arrays instead of checked indexing), checked first against the
// reference over 4,096 tokens; reference::selectiveScan and
// reference::ssdRecurrent then run the last 1,000 tokens from that state.
// Only the runtime and the reference are linked (no MLIR).
//
//===----------------------------------------------------------------------===//

#include "ssmc/reference/Reference.h"
#include "ssmc/runtime/CPURuntime.h"
#include "ssmc/runtime/SplitMix64.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using ssmc::package::DType;
using ssmc::reference::Tensor;
using ssmc::runtime::HostTensor;

namespace {

using Rng = ssmc::SplitMix64;

/// An f32 tensor of \p shape, uniform in [lo, hi).
HostTensor random(Rng &rng, std::vector<int64_t> shape, double lo, double hi) {
  HostTensor t(DType::F32, std::move(shape));
  for (size_t i = 0; i < t.data.size(); i += 4) {
    float f = static_cast<float>(rng.uniform(lo, hi));
    std::memcpy(&t.data[i], &f, 4);
  }
  return t;
}

/// Element \p i of an f32 tensor.
double at(const HostTensor &t, int64_t i) {
  float f;
  std::memcpy(&f, &t.data[size_t(i) * 4], 4);
  return f;
}

/// Elements [begin, begin + count) of an f32 tensor, as doubles.
void load(const HostTensor &t, int64_t begin, int64_t count, double *out) {
  for (int64_t i = 0; i < count; ++i)
    out[i] = at(t, begin + i);
}

/// The same as the reference's dt processing (softplus after the bias).
double softplus(double x) { return x > 20.0 ? x : std::log1p(std::exp(x)); }

bool allFinite(const HostTensor &t) {
  for (int64_t i = 0, e = t.numElements(); i < e; ++i)
    if (!std::isfinite(at(t, i)))
      return false;
  return true;
}

Tensor toReference(const HostTensor &t) {
  Tensor r(t.shape);
  load(t, 0, t.numElements(), r.data.data());
  return r;
}

/// Steps [begin, end) of \p t, whose dimension \p dim is the sequence, as a
/// float64 tensor.
Tensor steps(const HostTensor &t, size_t dim, int64_t begin, int64_t end) {
  std::vector<int64_t> shape = t.shape;
  int64_t len = shape[dim], count = end - begin;
  shape[dim] = count;
  Tensor r(shape);
  int64_t outer = 1, inner = 1;
  for (size_t i = 0; i < dim; ++i)
    outer *= t.shape[i];
  for (size_t i = dim + 1; i < t.shape.size(); ++i)
    inner *= t.shape[i];
  for (int64_t o = 0; o < outer; ++o)
    load(t, (o * len + begin) * inner, count * inner,
         &r.data[size_t(o * count * inner)]);
  return r;
}

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       since)
      .count();
}

//===----------------------------------------------------------------------===//
// The ops: inputs, the state before a step by the flat loop, the reference
// over some steps
//===----------------------------------------------------------------------===//

/// One op: its entry, its inputs in argument order, and where the sequence
/// dimension is in its inputs and outputs.
struct Op {
  std::string entry, shape;
  std::vector<HostTensor> inputs;
  /// The sequence dimension of every input (-1: none) and of output 0.
  std::vector<int> seqDim;
  int outSeqDim;
  /// The state after steps [0, end) by the flat float64 loop.
  Tensor (*prefixState)(const Op &op, int64_t end);
  /// The reference over steps [begin, end) from state \p h0 (none: zero):
  /// output 0 of those steps and the final state.
  std::string (*reference)(const Op &op, int64_t begin, int64_t end,
                           const Tensor *h0, Tensor &y, Tensor &state);
};

/// Input \p i of \p op over steps [begin, end), or whole when it has no
/// sequence dimension.
Tensor slice(const Op &op, size_t i, int64_t begin, int64_t end) {
  if (op.seqDim[i] < 0)
    return toReference(op.inputs[i]);
  return steps(op.inputs[i], size_t(op.seqDim[i]), begin, end);
}

// The selective scan: u, delta, z (b,d,l); A (d,n); B, C (b,g,n,l); D and
// delta_bias (d); b = g = 1.
const int64_t scanD = 16, scanN = 16;

Op scanOp(Rng &rng, int64_t l) {
  Op op;
  op.entry = "scan";
  op.shape = "b=1 d=" + std::to_string(scanD) + " n=" + std::to_string(scanN) +
             " l=" + std::to_string(l);
  op.inputs.push_back(random(rng, {1, scanD, l}, -1, 1));     // u
  op.inputs.push_back(random(rng, {1, scanD, l}, -4, -1));    // delta
  op.inputs.push_back(random(rng, {scanD, scanN}, -2, -0.1)); // A
  op.inputs.push_back(random(rng, {1, 1, scanN, l}, -1, 1));  // B
  op.inputs.push_back(random(rng, {1, 1, scanN, l}, -1, 1));  // C
  op.inputs.push_back(random(rng, {scanD}, 0.5, 1.5));        // D
  op.inputs.push_back(random(rng, {1, scanD, l}, -2, 2));     // z
  op.inputs.push_back(random(rng, {scanD}, -0.5, 0.5));       // delta_bias
  op.seqDim = {2, 2, -1, 3, 3, -1, 2, -1};
  op.outSeqDim = 2;
  op.prefixState = [](const Op &op, int64_t end) {
    const HostTensor &u = op.inputs[0], &delta = op.inputs[1],
                     &A = op.inputs[2], &B = op.inputs[3],
                     &bias = op.inputs[7];
    int64_t l = u.shape[2];
    Tensor h({1, scanD, scanN});
    size_t count = static_cast<size_t>(end);
    std::vector<double> uc(count), dc(count), bi(count);
    for (int64_t c = 0; c < scanD; ++c) {
      load(u, c * l, end, uc.data());
      load(delta, c * l, end, dc.data());
      double cb = at(bias, c);
      for (int64_t t = 0; t < end; ++t)
        dc[size_t(t)] = softplus(dc[size_t(t)] + cb);
      for (int64_t i = 0; i < scanN; ++i) {
        double a = at(A, c * scanN + i), s = 0.0;
        load(B, i * l, end, bi.data());
        for (int64_t t = 0; t < end; ++t) {
          double dt = dc[size_t(t)];
          s = std::exp(dt * a) * s + dt * bi[size_t(t)] * uc[size_t(t)];
        }
        h.data[size_t(c * scanN + i)] = s;
      }
    }
    return h;
  };
  op.reference = [](const Op &op, int64_t begin, int64_t end,
                    const Tensor *h0, Tensor &y, Tensor &state) {
    ssmc::reference::SelectiveScanInputs in;
    in.u = slice(op, 0, begin, end);
    in.delta = slice(op, 1, begin, end);
    in.A = slice(op, 2, begin, end);
    in.B = slice(op, 3, begin, end);
    in.C = slice(op, 4, begin, end);
    in.D = slice(op, 5, begin, end);
    in.z = slice(op, 6, begin, end);
    in.deltaBias = slice(op, 7, begin, end);
    in.deltaSoftplus = true;
    if (h0)
      in.h0 = *h0;
    ssmc::reference::SelectiveScanOutputs out;
    std::string err = ssmc::reference::selectiveScan(in, out);
    y = std::move(out.out);
    state = std::move(out.finalState);
    return err;
  };
  return op;
}

// The SSD: x (b,l,h,p); dt (b,l,h); A, D and dt_bias (h); B, C (b,l,g,n);
// b = h = g = 1.
const int64_t ssdP = 64, ssdN = 128;

Op ssdOp(Rng &rng, int64_t l) {
  Op op;
  op.entry = "ssd";
  op.shape = "b=1 h=1 p=" + std::to_string(ssdP) +
             " n=" + std::to_string(ssdN) + " l=" + std::to_string(l);
  op.inputs.push_back(random(rng, {1, l, 1, ssdP}, -1, 1));  // x
  op.inputs.push_back(random(rng, {1, l, 1}, -4, -1));       // dt
  op.inputs.push_back(random(rng, {1}, -2, -0.1));           // A
  op.inputs.push_back(random(rng, {1, l, 1, ssdN}, -1, 1));  // B
  op.inputs.push_back(random(rng, {1, l, 1, ssdN}, -1, 1));  // C
  op.inputs.push_back(random(rng, {1}, 0.5, 1.5));           // D
  op.inputs.push_back(random(rng, {1}, -0.5, 0.5));          // dt_bias
  op.seqDim = {1, 1, -1, 1, 1, -1, -1};
  op.outSeqDim = 1;
  op.prefixState = [](const Op &op, int64_t end) {
    const HostTensor &x = op.inputs[0], &dtIn = op.inputs[1],
                     &B = op.inputs[3];
    double a = at(op.inputs[2], 0), bias = at(op.inputs[6], 0);
    std::vector<double> H(size_t(ssdP * ssdN), 0.0), xt(ssdP), bt(ssdN);
    for (int64_t t = 0; t < end; ++t) {
      double dt = softplus(at(dtIn, t) + bias), decay = std::exp(dt * a);
      load(x, t * ssdP, ssdP, xt.data());
      load(B, t * ssdN, ssdN, bt.data());
      for (int64_t p = 0; p < ssdP; ++p) {
        double coef = dt * xt[size_t(p)];
        double *row = &H[size_t(p * ssdN)];
        for (int64_t i = 0; i < ssdN; ++i)
          row[i] = decay * row[i] + coef * bt[size_t(i)];
      }
    }
    Tensor h({1, 1, ssdP, ssdN});
    h.data = std::move(H);
    return h;
  };
  op.reference = [](const Op &op, int64_t begin, int64_t end,
                    const Tensor *h0, Tensor &y, Tensor &state) {
    ssmc::reference::SsdInputs in;
    in.x = slice(op, 0, begin, end);
    in.dt = slice(op, 1, begin, end);
    in.A = slice(op, 2, begin, end);
    in.B = slice(op, 3, begin, end);
    in.C = slice(op, 4, begin, end);
    in.D = slice(op, 5, begin, end);
    in.dtBias = slice(op, 6, begin, end);
    in.dtSoftplus = true;
    if (h0)
      in.initialStates = *h0;
    ssmc::reference::SsdOutputs out;
    std::string err = ssmc::reference::ssdRecurrent(in, out);
    y = std::move(out.out);
    state = std::move(out.finalStates);
    return err;
  };
  return op;
}

/// Stops the program when the reference refuses its inputs (a bug of this
/// program, not of ssmc).
void requireOk(const std::string &referenceError) {
  if (referenceError.empty())
    return;
  std::fprintf(stderr, "ssmc-long-check: reference: %s\n",
               referenceError.c_str());
  std::exit(2);
}

/// The flat loop against the reference over the first \p count steps.
double checkPrefix(const Op &op, int64_t count) {
  Tensor y, state;
  requireOk(op.reference(op, 0, count, nullptr, y, state));
  return ssmc::reference::relativeL2(op.prefixState(op, count), state);
}

/// Runs \p op twice and checks it; prints one line, returns whether it
/// passed.
bool check(const ssmc::runtime::Package &pkg, const Op &op, int64_t tail) {
  const double tolerance = 1e-5;
  auto start = std::chrono::steady_clock::now();
  std::vector<HostTensor> outs, again;
  std::string err = pkg.run(op.entry, op.inputs, outs);
  if (err.empty())
    err = pkg.run(op.entry, op.inputs, again);
  double runTime = seconds(start);
  bool same = err.empty() && outs.size() == again.size();
  for (size_t i = 0; same && i < outs.size(); ++i)
    same = outs[i].shape == again[i].shape && outs[i].data == again[i].data;
  again.clear();
  if (err.empty() && outs.size() != 2)
    err = "expected 2 results, got " + std::to_string(outs.size());
  if (!err.empty()) {
    std::printf("%s %s FAILED: %s\n", op.entry.c_str(), op.shape.c_str(),
                err.c_str());
    return false;
  }

  start = std::chrono::steady_clock::now();
  int64_t l = op.inputs[0].shape[size_t(op.seqDim[0])];
  int64_t from = l - std::min(tail, l);
  Tensor h0 = op.prefixState(op, from), y, state;
  requireOk(op.reference(op, from, l, &h0, y, state));
  double referenceTime = seconds(start);

  bool finite = allFinite(outs[0]) && allFinite(outs[1]);
  double relTail = ssmc::reference::relativeL2(
      steps(outs[0], size_t(op.outSeqDim), from, l), y);
  double relState =
      ssmc::reference::relativeL2(toReference(outs[1]), state);
  bool ok = finite && same && relTail <= tolerance && relState <= tolerance;
  std::printf("%s %s %s, tail %.2e, state %.2e, %s: %s\n", op.entry.c_str(),
              op.shape.c_str(), finite ? "finite" : "NOT FINITE", relTail,
              relState, same ? "deterministic" : "TWO RUNS DIFFER",
              ok ? "ok" : "FAILED");
  std::printf("  time: 2 runs %.1f s, reference %.1f s\n", runTime,
              referenceTime);
  return ok;
}

const char *usage =
    "usage: ssmc-long-check PACKAGE [--length L] [--tail N] [--seed S]\n"
    "\n"
    "Runs entries scan and ssd of PACKAGE (test/Numerics/long-sequences.mlir\n"
    "compiled for the CPU) on one sequence of L tokens (default 2^20), twice,\n"
    "and checks that the outputs are finite, equal from run to run, and within\n"
    "rel. L2 1e-5 of the float64 reference on the last N tokens (default\n"
    "1000) and in the final state. Exit status 0 when every check passes, 1\n"
    "when one fails, 2 on a bad command line or package.\n";

bool parseCount(const char *text, int64_t &out) {
  char *end = nullptr;
  long long v = std::strtoll(text, &end, 10);
  if (!*text || *end || v <= 0)
    return false;
  out = v;
  return true;
}

} // namespace

int main(int argc, char **argv) {
  std::string path;
  int64_t length = int64_t(1) << 20, tail = 1000, seed = 7;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      return 0;
    }
    int64_t *value = arg == "--length" ? &length
                     : arg == "--tail" ? &tail
                     : arg == "--seed" ? &seed
                                       : nullptr;
    if (value) {
      if (i + 1 >= argc || !parseCount(argv[i + 1], *value)) {
        std::fprintf(stderr, "ssmc-long-check: %s needs a positive count\n",
                     arg.c_str());
        return 2;
      }
      ++i;
    } else if (path.empty() && arg[0] != '-') {
      path = arg;
    } else {
      std::fprintf(stderr, "ssmc-long-check: unexpected argument '%s'\n%s",
                   arg.c_str(), usage);
      return 2;
    }
  }
  if (path.empty()) {
    std::fputs(usage, stderr);
    return 2;
  }
  std::string error;
  std::unique_ptr<ssmc::runtime::Package> pkg =
      ssmc::runtime::Package::load(path, error);
  if (!pkg) {
    std::fprintf(stderr, "ssmc-long-check: %s\n", error.c_str());
    return 2;
  }

  Rng rng(static_cast<uint64_t>(seed));
  bool ok = true;
  {
    // The flat loops are the reference's recurrence: check that first.
    const int64_t count = std::min<int64_t>(4096, length);
    double scan = checkPrefix(scanOp(rng, count), count);
    double ssd = checkPrefix(ssdOp(rng, count), count);
    bool same = scan <= 1e-12 && ssd <= 1e-12;
    std::printf("prefix vs reference: scan %.1e, ssd %.1e %s\n", scan, ssd,
                same ? "ok" : "FAILED");
    ok &= same;
  }
  ok &= check(*pkg, scanOp(rng, length), tail);
  ok &= check(*pkg, ssdOp(rng, length), tail);
  std::printf("long: %s\n", ok ? "all ok" : "FAILED");
  return ok ? 0 : 1;
}
