//===- gpu_bench.cpp - checks and times ssmc's GPU kernels ----------------===//
//
// Runs on the GPU machine (the device tool): no MLIR, only the runtime. The
// package is bench/gpu/ops.mlir compiled with `ssmc compile --target cuda`
// (bench/gpu/build.sh).
//   --check: every op in f32 and with bf16 activations, on fresh random
//            inputs at odd shapes (l = 1, l not a multiple of the chunk, d
//            not a multiple of the block, batch 1, g = 2, split sequences),
//            against the float64 reference computed from the same inputs;
//            f32 rel. L2 <= 1e-5, bf16 <= 5e-3.
//   --bench: the shapes of ANCHORS.md with bf16 activations; median of
//            CUDA-event timings after warm-up; time, achieved TB/s, the
//            floor (bytes at the measured copy rate, exps at the MUFU rate)
//            and the ratio to the peer (mamba_ssm) and to the goal.
//   --long:  the selective scan and the SSD over 2^20 tokens in f32 and bf16:
//            every output finite, the last 1,000 tokens' outputs and the
//            final state against the float64 reference.
// Every check and long case runs twice and must give the same bytes (runs
// are deterministic on one device). Prints a table last and writes JSON
// (--json).
//
//===----------------------------------------------------------------------===//
#include "DeviceHarness.h"

#include "ssmc/reference/Reference.h"
#include "ssmc/runtime/SplitMix64.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

using ssmc::reference::Tensor;
using namespace gpubench;

namespace {

//===----------------------------------------------------------------------===//
// Random inputs and conversions
//===----------------------------------------------------------------------===//

using Rng = ssmc::SplitMix64;

float bf16Round(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7F800000u) == 0x7F800000u)
    return f;
  bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000u;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// A reference tensor of `shape` with uniform values in [lo, hi), rounded to
/// bf16 when `bf16` (so that the reference sees what the GPU reads).
Tensor random(Rng &rng, std::vector<int64_t> shape, double lo, double hi,
              bool bf16) {
  Tensor t(std::move(shape));
  for (double &v : t.data) {
    float f = static_cast<float>(rng.uniform(lo, hi));
    v = bf16 ? bf16Round(f) : f;
  }
  return t;
}

HostTensor toHost(const Tensor &t, bool bf16) {
  HostTensor h(bf16 ? DType::BF16 : DType::F32, t.shape);
  for (size_t i = 0; i < t.data.size(); ++i)
    h.set(static_cast<int64_t>(i), t.data[i]);
  return h;
}

Tensor fromHost(const HostTensor &h) {
  Tensor t(h.shape);
  for (size_t i = 0; i < t.data.size(); ++i)
    t.data[i] = h.get(static_cast<int64_t>(i));
  return t;
}

/// Stops the program when the float64 reference refuses its inputs (a bug
/// of this program, not of ssmc).
void requireOk(const std::string &referenceError) {
  if (referenceError.empty())
    return;
  std::fprintf(stderr, "reference: %s\n", referenceError.c_str());
  std::exit(2);
}

bool allFinite(const Tensor &t) {
  for (double v : t.data)
    if (!std::isfinite(v))
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// The ops: inputs, the reference, the entry
//===----------------------------------------------------------------------===//

struct Case {
  std::string op, shape;
  std::vector<Tensor> inputs;     // in the entry's argument order
  std::vector<bool> activation;   // stored in bf16 by the bf16 entry
  std::vector<bool> integer;      // stored as i32 (empty: none)
  std::vector<Tensor> reference;  // float64 results
};

Case scanCase(Rng &rng, int64_t b, int64_t d, int64_t l, int64_t g, bool bf16,
              bool withReference) {
  const int64_t n = 16;
  Case c;
  c.op = "scan";
  c.shape = "b=" + std::to_string(b) + " d=" + std::to_string(d) +
            " l=" + std::to_string(l) + " g=" + std::to_string(g);
  ssmc::reference::SelectiveScanInputs in;
  in.u = random(rng, {b, d, l}, -1, 1, bf16);
  in.delta = random(rng, {b, d, l}, -4, -1, bf16); // dt = softplus(-4..-1 + bias)
  in.A = random(rng, {d, n}, -2, -0.1, false);
  in.B = random(rng, {b, g, n, l}, -1, 1, bf16);
  in.C = random(rng, {b, g, n, l}, -1, 1, bf16);
  in.D = random(rng, {d}, 0.5, 1.5, false);
  in.z = random(rng, {b, d, l}, -2, 2, bf16);
  in.deltaBias = random(rng, {d}, -0.5, 0.5, false);
  in.deltaSoftplus = true;
  c.inputs = {in.u, in.delta, in.A, in.B, in.C, *in.D, *in.z, *in.deltaBias};
  c.activation = {true, true, false, true, true, false, true, false};
  if (withReference) {
    ssmc::reference::SelectiveScanOutputs out;
    requireOk(ssmc::reference::selectiveScan(in, out));
    c.reference = {out.out, out.finalState};
  }
  return c;
}

Case convCase(Rng &rng, int64_t b, int64_t ch, int64_t l, bool cache,
              bool bf16, bool withReference) {
  const int64_t k = 4;
  Case c;
  c.op = cache ? "conv_cache" : "conv";
  c.shape = "b=" + std::to_string(b) + " d=" + std::to_string(ch) +
            " l=" + std::to_string(l);
  ssmc::reference::CausalConv1dInputs in;
  in.x = random(rng, {b, ch, l}, -1, 1, bf16);
  in.w = random(rng, {ch, k}, -1, 1, false);
  in.bias = random(rng, {ch}, -0.5, 0.5, false);
  in.silu = true;
  c.inputs = {in.x, in.w, *in.bias};
  c.activation = {true, false, false};
  if (cache) {
    in.convState = random(rng, {b, ch, k - 1}, -1, 1, bf16);
    c.inputs.push_back(*in.convState);
    c.activation.push_back(true);
  }
  if (withReference) {
    ssmc::reference::CausalConv1dOutputs out;
    requireOk(ssmc::reference::causalConv1d(in, out));
    c.reference = {out.y};
    if (cache)
      c.reference.push_back(out.newConvState);
  }
  return c;
}

Case step2Case(Rng &rng, int64_t b, int64_t h, int64_t p, int64_t n,
               int64_t g, bool bf16, bool withReference) {
  Case c;
  c.op = "step2";
  c.shape = "b=" + std::to_string(b) + " h=" + std::to_string(h) +
            " p=" + std::to_string(p) + " n=" + std::to_string(n) +
            " g=" + std::to_string(g);
  ssmc::reference::StateUpdateInputs in;
  in.state = random(rng, {b, h, p, n}, -1, 1, false);
  in.x = random(rng, {b, h, p}, -1, 1, bf16);
  in.dt = random(rng, {b, h}, -4, -1, bf16);
  in.A = random(rng, {h}, -2, -0.1, false);
  in.B = random(rng, {b, g, n}, -1, 1, bf16);
  in.C = random(rng, {b, g, n}, -1, 1, bf16);
  in.D = random(rng, {h}, 0.5, 1.5, false);
  in.z = random(rng, {b, h, p}, -2, 2, bf16);
  in.dtBias = random(rng, {h}, -0.5, 0.5, false);
  in.dtSoftplus = true;
  c.inputs = {in.state, in.x, in.dt, in.A, in.B, in.C, *in.D, *in.z,
              *in.dtBias};
  c.activation = {false, true, true, false, true, true, false, true, false};
  if (withReference) {
    ssmc::reference::StateUpdateOutputs out;
    requireOk(ssmc::reference::stateUpdate(in, out));
    c.reference = {out.y, out.newState};
  }
  return c;
}

Case step1Case(Rng &rng, int64_t b, int64_t d, int64_t g, bool bf16,
               bool withReference) {
  const int64_t n = 16;
  Case c;
  c.op = "step1";
  c.shape = "b=" + std::to_string(b) + " d=" + std::to_string(d) +
            " g=" + std::to_string(g);
  ssmc::reference::StateUpdateInputs in;
  in.state = random(rng, {b, d, n}, -1, 1, false);
  in.x = random(rng, {b, d}, -1, 1, bf16);
  in.dt = random(rng, {b, d}, -4, -1, bf16);
  in.A = random(rng, {d, n}, -2, -0.1, false);
  in.B = random(rng, {b, g, n}, -1, 1, bf16);
  in.C = random(rng, {b, g, n}, -1, 1, bf16);
  in.D = random(rng, {d}, 0.5, 1.5, false);
  in.z = random(rng, {b, d}, -2, 2, bf16);
  in.dtBias = random(rng, {d}, -0.5, 0.5, false);
  in.dtSoftplus = true;
  c.inputs = {in.state, in.x, in.dt, in.A, in.B, in.C, *in.D, *in.z,
              *in.dtBias};
  c.activation = {false, true, true, false, true, true, false, true, false};
  if (withReference) {
    ssmc::reference::StateUpdateOutputs out;
    requireOk(ssmc::reference::stateUpdate(in, out));
    c.reference = {out.y, out.newState};
  }
  return c;
}

Case ssdCase(Rng &rng, int64_t b, int64_t l, int64_t h, int64_t g, bool bf16,
             bool withReference) {
  const int64_t p = 64, n = 128;
  Case c;
  c.op = "ssd";
  c.shape = "b=" + std::to_string(b) + " l=" + std::to_string(l) +
            " h=" + std::to_string(h) + " g=" + std::to_string(g);
  ssmc::reference::SsdInputs in;
  in.x = random(rng, {b, l, h, p}, -1, 1, bf16);
  in.dt = random(rng, {b, l, h}, -4, -1, bf16);
  in.A = random(rng, {h}, -2, -0.1, false);
  in.B = random(rng, {b, l, g, n}, -1, 1, bf16);
  in.C = random(rng, {b, l, g, n}, -1, 1, bf16);
  in.D = random(rng, {h}, 0.5, 1.5, false);
  in.z = random(rng, {b, l, h, p}, -2, 2, bf16);
  in.dtBias = random(rng, {h}, -0.5, 0.5, false);
  in.dtSoftplus = true;
  c.inputs = {in.x, in.dt, in.A, in.B, in.C, *in.D, *in.z, *in.dtBias};
  c.activation = {true, true, false, true, true, false, true, false};
  if (withReference) {
    ssmc::reference::SsdOutputs out;
    requireOk(ssmc::reference::ssdRecurrent(in, out));
    c.reference = {out.out, out.finalStates};
  }
  return c;
}

/// SSD with D per channel, no gate, an initial state and packed sequences
/// (seq_idx changes inside chunks, at a chunk start and at step 1).
Case ssdSeqCase(Rng &rng, int64_t b, int64_t l, int64_t h, int64_t g,
                bool bf16) {
  const int64_t p = 64, n = 128;
  Case c;
  c.op = "ssdseq";
  c.shape = "b=" + std::to_string(b) + " l=" + std::to_string(l) +
            " h=" + std::to_string(h) + " g=" + std::to_string(g) + " seq";
  ssmc::reference::SsdInputs in;
  in.x = random(rng, {b, l, h, p}, -1, 1, bf16);
  in.dt = random(rng, {b, l, h}, -4, -1, bf16);
  in.A = random(rng, {h}, -2, -0.1, false);
  in.B = random(rng, {b, l, g, n}, -1, 1, bf16);
  in.C = random(rng, {b, l, g, n}, -1, 1, bf16);
  in.D = random(rng, {h, p}, 0.5, 1.5, false);
  in.dtBias = random(rng, {h}, -0.5, 0.5, false);
  in.initialStates = random(rng, {b, h, p, n}, -1, 1, false);
  in.dtSoftplus = true;
  Tensor seq({b, l});
  for (int64_t bi = 0; bi < b; ++bi) {
    int64_t id = 0;
    for (int64_t t = 0; t < l; ++t) {
      if (t == 1 || t == 64 || (t > 1 && rng.uniform(0, 1) < 0.02))
        ++id;
      seq.data[bi * l + t] = static_cast<double>(id);
    }
  }
  in.seqIdx = seq;
  c.inputs = {in.x, in.dt, in.A, in.B, in.C, *in.D, *in.dtBias,
              *in.initialStates, seq};
  c.activation = {true, true, false, true, true, false, false, false, false};
  c.integer = {false, false, false, false, false, false, false, false, true};
  ssmc::reference::SsdOutputs out;
  requireOk(ssmc::reference::ssdRecurrent(in, out));
  c.reference = {out.out, out.finalStates};
  return c;
}

std::vector<HostTensor> hostInputs(const Case &c, bool bf16) {
  std::vector<HostTensor> in;
  for (size_t i = 0; i < c.inputs.size(); ++i)
    if (i < c.integer.size() && c.integer[i]) {
      HostTensor h(DType::I32, c.inputs[i].shape);
      for (size_t k = 0; k < c.inputs[i].data.size(); ++k)
        h.set(static_cast<int64_t>(k), c.inputs[i].data[k]);
      in.push_back(std::move(h));
    } else {
      in.push_back(toHost(c.inputs[i], bf16 && c.activation[i]));
    }
  return in;
}

/// Whether two runs' outputs are the same bytes.
bool sameBytes(const std::vector<HostTensor> &a,
               const std::vector<HostTensor> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].dtype != b[i].dtype || a[i].shape != b[i].shape ||
        a[i].data != b[i].data)
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// --check
//===----------------------------------------------------------------------===//

int runChecks(Device &dev, uint64_t seed, bool small, FILE *json) {
  Rng rng(seed);
  int failures = 0;
  std::printf("%-11s %-5s %-34s %12s %12s %s\n", "op", "dtype", "shape",
              "rel L2 out0", "rel L2 out1", "");
  for (bool bf16 : {false, true}) {
    const char *dt = bf16 ? "bf16" : "f32";
    double tol = bf16 ? 5e-3 : 1e-5;
    std::vector<Case> cases;
    // Selective scan: odd sizes, batch 1, l = 1, l not a multiple of the
    // chunk (32), d not a multiple of the block (64), two groups, and
    // sequences long enough with few channels to take the split path.
    cases.push_back(scanCase(rng, 1, 37, 1, 1, bf16, true));
    cases.push_back(scanCase(rng, 2, 37, 45, 1, bf16, true));
    cases.push_back(scanCase(rng, 3, 130, 100, 2, bf16, true));
    cases.push_back(scanCase(rng, 1, 64, 4099, 1, bf16, true));
    cases.push_back(scanCase(rng, 2, 128, 257, 2, bf16, true));
    if (!small)
      cases.push_back(scanCase(rng, 1, 96, 20000, 1, bf16, true));
    cases.push_back(convCase(rng, 1, 5, 1, false, bf16, true));
    cases.push_back(convCase(rng, 2, 37, 1100, false, bf16, true));
    cases.push_back(convCase(rng, 3, 6, 2, true, bf16, true));
    cases.push_back(convCase(rng, 2, 37, 1025, true, bf16, true));
    cases.push_back(step2Case(rng, 1, 3, 5, 128, 1, bf16, true));
    cases.push_back(step2Case(rng, 3, 8, 64, 128, 2, bf16, true));
    Case any = step2Case(rng, 2, 4, 17, 48, 1, bf16, true);
    any.op = "step2any";
    cases.push_back(any);
    cases.push_back(step1Case(rng, 1, 37, 1, bf16, true));
    cases.push_back(step1Case(rng, 3, 300, 3, bf16, true));
    cases.push_back(ssdCase(rng, 1, 1, 3, 1, bf16, true));
    cases.push_back(ssdCase(rng, 2, 37, 4, 2, bf16, true));
    cases.push_back(ssdCase(rng, 1, small ? 100 : 1000, 3, 1, bf16, true));
    cases.push_back(ssdSeqCase(rng, 1, small ? 200 : 777, 2, 1, bf16));
    cases.push_back(ssdSeqCase(rng, 3, 150, 4, 2, bf16));
    for (Case &c : cases) {
      std::string entry = (c.op == "conv_cache" ? std::string("conv_") + dt +
                                                      "_cache"
                                                : c.op + "_" + dt);
      std::vector<HostTensor> outs, again;
      std::vector<HostTensor> inputs = hostInputs(c, bf16);
      std::string err = dev.run(entry, inputs, outs);
      // A second run on the same inputs must give the same bytes (not under
      // the sanitizers: --small).
      if (err.empty() && !small) {
        err = dev.run(entry, inputs, again);
        if (err.empty() && !sameBytes(outs, again))
          err = "two runs on the same inputs differ";
      }
      std::vector<double> rel;
      bool ok = err.empty() && outs.size() == c.reference.size();
      if (ok) {
        for (size_t i = 0; i < outs.size(); ++i) {
          Tensor got = fromHost(outs[i]);
          double r = got.shape == c.reference[i].shape
                         ? ssmc::reference::relativeL2(got, c.reference[i])
                         : INFINITY;
          if (!allFinite(got))
            r = INFINITY;
          rel.push_back(r);
          ok &= r <= tol;
        }
      }
      failures += !ok;
      std::printf("%-11s %-5s %-34s %12.2e %12.2e %s%s\n", c.op.c_str(), dt,
                  c.shape.c_str(), rel.size() > 0 ? rel[0] : NAN,
                  rel.size() > 1 ? rel[1] : NAN, ok ? "ok" : "FAILED ",
                  err.c_str());
      if (json)
        std::fprintf(json,
                     "{\"kind\": \"check\", \"op\": \"%s\", \"dtype\": "
                     "\"%s\", \"shape\": \"%s\", \"rel_l2\": [%.3e, %.3e], "
                     "\"tolerance\": %.1e, \"ok\": %s},\n",
                     c.op.c_str(), dt, c.shape.c_str(),
                     rel.size() > 0 ? rel[0] : -1.0,
                     rel.size() > 1 ? rel[1] : -1.0, tol,
                     ok ? "true" : "false");
    }
  }
  std::printf("check: %s (%d failure%s)\n", failures ? "FAILED" : "all ok",
              failures, failures == 1 ? "" : "s");
  return failures;
}

//===----------------------------------------------------------------------===//
// --long
//===----------------------------------------------------------------------===//

/// The last \p count steps of \p t along dimension \p dim.
Tensor lastSteps(const Tensor &t, size_t dim, int64_t count) {
  std::vector<int64_t> shape = t.shape;
  int64_t len = shape[dim];
  count = std::min(count, len);
  shape[dim] = count;
  Tensor r(shape);
  int64_t outer = 1, inner = 1;
  for (size_t i = 0; i < dim; ++i)
    outer *= t.shape[i];
  for (size_t i = dim + 1; i < t.shape.size(); ++i)
    inner *= t.shape[i];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t s = 0; s < count; ++s)
      for (int64_t k = 0; k < inner; ++k)
        r.data[(o * count + s) * inner + k] =
            t.data[(o * len + (len - count + s)) * inner + k];
  return r;
}

/// The selective scan (b = 1, d = 32) and the SSD (b = 1, h = 1) over 2^20
/// tokens, f32 and bf16: finite, the last 1,000 tokens and the final state
/// within the check tolerances of the float64 reference, two runs equal.
int runLong(Device &dev, uint64_t seed, FILE *json) {
  const int64_t l = int64_t(1) << 20, tail = 1000;
  Rng rng(seed);
  std::vector<Case> cases;
  std::vector<bool> isBf16;
  for (bool bf16 : {false, true}) {
    cases.push_back(scanCase(rng, 1, 32, l, 1, bf16, false));
    isBf16.push_back(bf16);
    cases.push_back(ssdCase(rng, 1, l, 1, 1, bf16, false));
    isBf16.push_back(bf16);
  }
  // The references, one thread each (seconds each in float64).
  std::vector<std::thread> threads;
  for (Case &c : cases)
    threads.emplace_back([&c] {
      if (c.op == "scan") {
        ssmc::reference::SelectiveScanInputs in;
        in.u = c.inputs[0];
        in.delta = c.inputs[1];
        in.A = c.inputs[2];
        in.B = c.inputs[3];
        in.C = c.inputs[4];
        in.D = c.inputs[5];
        in.z = c.inputs[6];
        in.deltaBias = c.inputs[7];
        in.deltaSoftplus = true;
        ssmc::reference::SelectiveScanOutputs out;
        requireOk(ssmc::reference::selectiveScan(in, out));
        c.reference = {out.out, out.finalState};
      } else {
        ssmc::reference::SsdInputs in;
        in.x = c.inputs[0];
        in.dt = c.inputs[1];
        in.A = c.inputs[2];
        in.B = c.inputs[3];
        in.C = c.inputs[4];
        in.D = c.inputs[5];
        in.z = c.inputs[6];
        in.dtBias = c.inputs[7];
        in.dtSoftplus = true;
        ssmc::reference::SsdOutputs out;
        requireOk(ssmc::reference::ssdRecurrent(in, out));
        c.reference = {out.out, out.finalStates};
      }
    });
  for (std::thread &t : threads)
    t.join();
  int failures = 0;
  std::printf("%-6s %-5s %-22s %8s %14s %14s %s\n", "op", "dtype", "shape",
              "finite", "rel L2 last1k", "rel L2 state", "");
  for (size_t i = 0; i < cases.size(); ++i) {
    Case &c = cases[i];
    bool bf16 = isBf16[i];
    const char *dt = bf16 ? "bf16" : "f32";
    double tol = bf16 ? 5e-3 : 1e-5;
    std::vector<HostTensor> inputs = hostInputs(c, bf16), outs, again;
    std::string err = dev.run(c.op + "_" + dt, inputs, outs);
    if (err.empty())
      err = dev.run(c.op + "_" + dt, inputs, again);
    if (err.empty() && !sameBytes(outs, again))
      err = "two runs on the same inputs differ";
    bool finite = false;
    double relTail = INFINITY, relState = INFINITY;
    if (err.empty() && outs.size() == 2) {
      Tensor y = fromHost(outs[0]), state = fromHost(outs[1]);
      finite = allFinite(y) && allFinite(state);
      size_t dim = c.op == "scan" ? 2 : 1; // (b,d,l) or (b,l,h,p)
      if (y.shape == c.reference[0].shape)
        relTail = ssmc::reference::relativeL2(
            lastSteps(y, dim, tail), lastSteps(c.reference[0], dim, tail));
      if (state.shape == c.reference[1].shape)
        relState = ssmc::reference::relativeL2(state, c.reference[1]);
    }
    bool ok = err.empty() && finite && relTail <= tol && relState <= tol;
    failures += !ok;
    std::printf("%-6s %-5s %-22s %8s %14.2e %14.2e %s%s\n", c.op.c_str(), dt,
                c.shape.c_str(), finite ? "yes" : "NO", relTail, relState,
                ok ? "ok, deterministic" : "FAILED ", err.c_str());
    if (json)
      std::fprintf(json,
                   "{\"kind\": \"long\", \"op\": \"%s\", \"dtype\": \"%s\", "
                   "\"shape\": \"%s\", \"finite\": %s, \"rel_l2_last1000\": "
                   "%.3e, \"rel_l2_state\": %.3e, \"deterministic\": %s, "
                   "\"ok\": %s},\n",
                   c.op.c_str(), dt, c.shape.c_str(), finite ? "true" : "false",
                   relTail, relState, err.empty() ? "true" : "false",
                   ok ? "true" : "false");
  }
  std::printf("long: %s (%d failure%s)\n", failures ? "FAILED" : "all ok",
              failures, failures == 1 ? "" : "s");
  return failures;
}

//===----------------------------------------------------------------------===//
// --bench
//===----------------------------------------------------------------------===//

/// The machine's ceilings of ANCHORS.md (H100), used for the floor.
struct Ceilings {
  double copyTBs = 3.02;   // device-to-device copy, read + written
  double expPerS = 4.15e12; // MUFU ex2
};

struct BenchRow {
  std::string op, shape;
  double ms = 0, bytes = 0, exps = 0, peerMs = 0, goalMs = 0;
};

int runBench(Device &dev, uint64_t seed, int reps, FILE *json,
             const Ceilings &ceil, const std::string &only) {
  Rng rng(seed);
  std::vector<BenchRow> rows;
  // Whether --only selects op \p op (tested before its inputs are drawn:
  // the large shapes take a while).
  auto wanted = [&](const std::string &op) {
    return only.empty() || op.find(only) != std::string::npos;
  };
  auto timeCase = [&](const Case &c, const std::string &entry, double bytes,
                      double exps, double peer, double goal) {
    if (!wanted(c.op))
      return;
    BenchRow r;
    r.op = c.op;
    r.shape = c.shape;
    r.bytes = bytes;
    r.exps = exps;
    r.peerMs = peer;
    r.goalMs = goal;
    std::string err = dev.time(entry, hostInputs(c, true), reps, r.ms);
    if (!err.empty()) {
      std::printf("%s %s: %s\n", c.op.c_str(), c.shape.c_str(), err.c_str());
      return;
    }
    std::printf("  %-10s %-30s %9.3f ms\n", r.op.c_str(), r.shape.c_str(),
                r.ms);
    std::fflush(stdout);
    rows.push_back(r);
  };
  // Selective scan, bf16 activations, n = 16, g = 1 (ANCHORS.md).
  struct ScanShape {
    int64_t b, d, l;
    double peer, goal;
  };
  for (ScanShape s : {ScanShape{8, 5120, 2048, 1.455, 0.64},
                      ScanShape{8, 5120, 8192, 6.64, 2.9},
                      ScanShape{1, 5120, 65536, 7.53, 3.3},
                      ScanShape{64, 1536, 1024, 1.66, 0.75}}) {
    if (!wanted("scan"))
      break;
    Case c = scanCase(rng, s.b, s.d, s.l, 1, true, false);
    double bdl = double(s.b) * s.d * s.l;
    double bytes = 2 * (4 * bdl + 2.0 * s.b * 16 * s.l);
    timeCase(c, "scan_bf16", bytes, bdl * 16, s.peer, s.goal);
  }
  // Causal conv1d with silu, width 4.
  struct ConvShape {
    int64_t b, d, l;
    double peer;
  };
  for (ConvShape s : {ConvShape{8, 5120, 2048, 0.122},
                      ConvShape{1, 5120, 65536, 0.493}}) {
    if (!wanted("conv"))
      break;
    Case c = convCase(rng, s.b, s.d, s.l, false, true, false);
    double bdl = double(s.b) * s.d * s.l;
    timeCase(c, "conv_bf16", 2 * 2 * bdl, 0, s.peer, 0);
  }
  // SSD (recurrent form on the CUDA cores for now), p = 64, n = 128, g = 1.
  struct SsdShape {
    int64_t b, l, h;
    double peer, goal;
  };
  for (SsdShape s : {SsdShape{8, 2048, 80, 0.860, 0.35},
                     SsdShape{8, 8192, 80, 4.09, 1.6},
                     SsdShape{1, 65536, 80, 4.13, 1.6},
                     SsdShape{8, 2048, 24, 0.581, 0.15}}) {
    if (!wanted("ssd"))
      break;
    Case c = ssdCase(rng, s.b, s.l, s.h, 1, true, false);
    double blh = double(s.b) * s.l * s.h;
    double bytes = 2 * (3 * blh * 64 + blh + 2.0 * s.b * s.l * 128);
    timeCase(c, "ssd_bf16", bytes, 0, s.peer, s.goal);
  }
  // Decode step, Mamba-2 shapes, float32 state.
  for (int64_t b : {64, 1}) {
    if (!wanted("step2"))
      break;
    Case c = step2Case(rng, b, 80, 64, 128, 1, true, false);
    double state = double(b) * 80 * 64 * 128 * 4;
    double peer = b == 64 ? 0.1616 : 0.064, goal = b == 64 ? 0.125 : 0.010;
    timeCase(c, "step2_bf16", 2 * state, double(b) * 80, peer, goal);
  }

  std::printf("\n%-10s %-30s %9s %8s %9s %7s %9s %8s %8s\n", "op", "shape",
              "ms", "TB/s", "floor ms", "floor%", "peer ms", "vs peer",
              "vs goal");
  for (const BenchRow &r : rows) {
    double floorMs = std::max(r.bytes / (ceil.copyTBs * 1e12),
                              r.exps / ceil.expPerS) *
                     1e3;
    double tbs = r.bytes / (r.ms * 1e-3) / 1e12;
    std::printf("%-10s %-30s %9.3f %8.2f %9.3f %6.0f%% %9.3f %7.2fx %7s\n",
                r.op.c_str(), r.shape.c_str(), r.ms, tbs, floorMs,
                100 * floorMs / r.ms, r.peerMs, r.peerMs / r.ms,
                r.goalMs > 0
                    ? (std::to_string(r.goalMs / r.ms).substr(0, 4) + "x")
                          .c_str()
                    : "-");
    if (json)
      std::fprintf(json,
                   "{\"kind\": \"bench\", \"op\": \"%s\", \"shape\": \"%s\", "
                   "\"ms\": %.5f, \"tb_per_s\": %.3f, \"floor_ms\": %.5f, "
                   "\"peer_ms\": %.4f, \"goal_ms\": %.4f},\n",
                   r.op.c_str(), r.shape.c_str(), r.ms, tbs, floorMs,
                   r.peerMs, r.goalMs);
  }
  return 0;
}

const char *kUsage =
    "usage: ssmc-gpu-bench PACKAGE [--check] [--small] [--long] [--bench] [--only OP]\n"
    "                      [--reps N (20)] [--seed S] [--json FILE]\n"
    "  PACKAGE  bench/gpu/ops.mlir compiled with ssmc compile --target cuda\n";

} // namespace

int main(int argc, char **argv) {
  std::string package, jsonPath, only;
  bool check = false, bench = false, small = false, longRuns = false;
  int reps = 20;
  uint64_t seed = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--check")
      check = true;
    else if (a == "--bench")
      bench = true;
    else if (a == "--small")
      small = true;
    else if (a == "--long")
      longRuns = true;
    else if (a == "--reps" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--seed" && i + 1 < argc)
      seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--json" && i + 1 < argc)
      jsonPath = argv[++i];
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
    else if (!a.empty() && a[0] != '-' && package.empty())
      package = a;
    else {
      std::fprintf(stderr, "%s", kUsage);
      return 2;
    }
  }
  if (package.empty() || (!check && !bench && !longRuns) || reps < 1) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  if (seed == 0)
    seed = 0x5eed0000ull ^ static_cast<uint64_t>(std::time(nullptr));
  Device dev;
  if (std::string err = dev.open(package); !err.empty()) {
    std::fprintf(stderr, "ssmc-gpu-bench: %s\n", err.c_str());
    return 1;
  }
  std::printf("device: %s; package %s; seed %llu\n", dev.describe().c_str(),
              package.c_str(), static_cast<unsigned long long>(seed));
  FILE *json = jsonPath.empty() ? nullptr : std::fopen(jsonPath.c_str(), "w");
  if (json)
    std::fprintf(json, "{\"device\": \"%s\", \"results\": [\n",
                 dev.describe().c_str());
  int status = 0;
  if (check)
    status |= runChecks(dev, seed, small, json) != 0;
  if (longRuns)
    status |= runLong(dev, seed + 2, json) != 0;
  if (bench)
    status |= runBench(dev, seed + 1, reps, json, Ceilings(), only) != 0;
  if (json) {
    std::fprintf(json, "{\"kind\": \"end\"}\n]}\n");
    std::fclose(json);
  }
  return status;
}
