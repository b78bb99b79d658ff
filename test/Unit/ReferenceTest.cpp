//===- ReferenceTest.cpp - Tests of the float64 reference evaluator -------===//
//
// Hand-worked cases pin each op to SEMANTICS.md; the rest cross-checks the
// ops against each other (chunked vs recurrent SSD, decode step vs scan,
// split vs whole conv, generic vs selective scan, mixer decompositions).
//
//===----------------------------------------------------------------------===//

#include "ssmc/reference/Reference.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace ssmc::reference;

namespace {

Tensor make(std::vector<int64_t> shape, std::vector<double> values) {
  Tensor t(std::move(shape));
  EXPECT_EQ(t.data.size(), values.size());
  t.data = std::move(values);
  return t;
}

/// Elements [start, end) along \p dim.
Tensor slice(const Tensor &t, int64_t dim, int64_t start, int64_t end) {
  int64_t outer = 1, inner = 1, len = t.dim(dim);
  for (int64_t i = 0; i < dim; ++i)
    outer *= t.dim(i);
  for (int64_t i = dim + 1; i < t.rank(); ++i)
    inner *= t.dim(i);
  std::vector<int64_t> shape = t.shape;
  shape[dim] = end - start;
  Tensor r(shape);
  size_t k = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t s = start; s < end; ++s)
      for (int64_t i = 0; i < inner; ++i)
        r.data[k++] = t.data[(o * len + s) * inner + i];
  return r;
}

/// Index \p idx along \p dim, with that dimension dropped.
Tensor select(const Tensor &t, int64_t dim, int64_t idx) {
  Tensor r = slice(t, dim, idx, idx + 1);
  r.shape.erase(r.shape.begin() + dim);
  return r;
}


Tensor reshaped(Tensor t, std::vector<int64_t> shape) {
  t.shape = std::move(shape);
  return t;
}

Tensor negExp(Tensor t) {
  for (double &v : t.data)
    v = -std::exp(v);
  return t;
}

void expectValues(const Tensor &t, const std::vector<double> &expected,
                  double tol = 1e-12) {
  ASSERT_EQ(t.data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(t.data[i], expected[i], tol) << "at flat index " << i;
}

bool allFinite(const Tensor &t) {
  for (double v : t.data)
    if (!std::isfinite(v))
      return false;
  return true;
}

double silu(double x) { return x / (1.0 + std::exp(-x)); }

const double ln2 = std::log(2.0);

} // namespace

//===----------------------------------------------------------------------===//
// Hand-worked cases
//===----------------------------------------------------------------------===//

TEST(SelectiveScan, HandWorkedWithSkipAndInitialState) {
  // d = n = 1, delta = 1, A = -ln 2 so every step decays by exactly 1/2.
  // u = [2,4,6], B = [1,2,1], C = [1,1,2], D = 0.5, h0 = 4:
  //   h0' = 0.5*4 + 1*2 = 4    y = 1*4  + 0.5*2 = 5
  //   h1  = 0.5*4 + 2*4 = 10   y = 1*10 + 0.5*4 = 12
  //   h2  = 0.5*10 + 1*6 = 11  y = 2*11 + 0.5*6 = 25
  SelectiveScanInputs in;
  in.u = make({1, 1, 3}, {2, 4, 6});
  in.delta = make({1, 1, 3}, {1, 1, 1});
  in.A = make({1, 1}, {-ln2});
  in.B = make({1, 1, 1, 3}, {1, 2, 1});
  in.C = make({1, 1, 1, 3}, {1, 1, 2});
  in.D = make({1}, {0.5});
  in.h0 = make({1, 1, 1}, {4});
  SelectiveScanOutputs out;
  ASSERT_EQ(selectiveScan(in, out), "");
  expectValues(out.out, {5, 12, 25});
  expectValues(out.finalState, {11});
}

TEST(SelectiveScan, HandWorkedSoftplusBiasGate) {
  // delta + bias = [0, 0, 26]; softplus gives [ln 2, ln 2, 26] (26 > 20 is
  // passed through); A = -1 so the decays are [1/2, 1/2, e^-26]. u = B = C = 1:
  //   h = [ln2, 1.5 ln2, 1.5 ln2 e^-26 + 26] and y = h * silu(z), z = [0,2,40]
  //   (silu(0) = 0; silu(40) rounds to 40 in double).
  SelectiveScanInputs in;
  in.u = make({1, 1, 3}, {1, 1, 1});
  in.delta = make({1, 1, 3}, {-1, -1, 25});
  in.A = make({1, 1}, {-1});
  in.B = make({1, 1, 1, 3}, {1, 1, 1});
  in.C = make({1, 1, 1, 3}, {1, 1, 1});
  in.z = make({1, 1, 3}, {0, 2, 40});
  in.deltaBias = make({1}, {1});
  in.deltaSoftplus = true;
  SelectiveScanOutputs out;
  ASSERT_EQ(selectiveScan(in, out), "");
  double h2 = 1.5 * ln2 * std::exp(-26.0) + 26.0;
  expectValues(out.out, {0.0, 1.5 * ln2 * silu(2.0), h2 * 40.0});
  expectValues(out.finalState, {h2});
}

TEST(Ssd, HandWorkedRecurrent) {
  // h = p = n = 1 with the numbers of the first selective scan case; raw dt
  // [1,3,1] clamped by dt_limit (0,1) to 1, so the outputs are the same.
  SsdInputs in;
  in.x = make({1, 3, 1, 1}, {2, 4, 6});
  in.dt = make({1, 3, 1}, {1, 3, 1});
  in.A = make({1}, {-ln2});
  in.B = make({1, 3, 1, 1}, {1, 2, 1});
  in.C = make({1, 3, 1, 1}, {1, 1, 2});
  in.D = make({1}, {0.5});
  in.initialStates = make({1, 1, 1, 1}, {4});
  in.dtLimit = DtLimit(0.0, 1.0);
  SsdOutputs out;
  ASSERT_EQ(ssdRecurrent(in, out), "");
  expectValues(out.out, {5, 12, 25});
  expectValues(out.finalStates, {11});
  // seq_idx [0,0,1] resets the state before t = 2: h2 = 0 + 6, y = 12 + 3.
  in.seqIdx = make({1, 3}, {0, 0, 1});
  ASSERT_EQ(ssdRecurrent(in, out), "");
  expectValues(out.out, {5, 12, 15});
  expectValues(out.finalStates, {6});
}

TEST(CausalConv1d, HandWorked) {
  // w = [1,2,3] (w[2] multiplies the current input), bias 0.5, x = [1,2,3,4]:
  //   y = [3+.5, 6+2+.5, 9+4+1+.5, 12+6+2+.5] = [3.5, 8.5, 14.5, 20.5].
  CausalConv1dInputs in;
  in.x = make({1, 1, 4}, {1, 2, 3, 4});
  in.w = make({1, 3}, {1, 2, 3});
  in.bias = make({1}, {0.5});
  CausalConv1dOutputs out;
  ASSERT_EQ(causalConv1d(in, out), "");
  expectValues(out.y, {3.5, 8.5, 14.5, 20.5});
  expectValues(out.newConvState, {3, 4});
  // History x[-2] = 10, x[-1] = 20: y0 = 3 + 2*20 + 10 + .5, y1 = 6 + 2 + 20 +
  // .5.
  in.convState = make({1, 1, 2}, {10, 20});
  ASSERT_EQ(causalConv1d(in, out), "");
  expectValues(out.y, {53.5, 28.5, 14.5, 20.5});
  expectValues(out.newConvState, {3, 4});
  // l = 1 < k-1: the new state keeps the newest history value, then x.
  in.x = make({1, 1, 1}, {1});
  ASSERT_EQ(causalConv1d(in, out), "");
  expectValues(out.y, {53.5});
  expectValues(out.newConvState, {20, 1});
  // silu with an identity filter: y = silu(x) = [0, 1/(1+e^-1)].
  in = CausalConv1dInputs();
  in.x = make({1, 1, 2}, {0, 1});
  in.w = make({1, 3}, {0, 0, 1});
  in.silu = true;
  ASSERT_EQ(causalConv1d(in, out), "");
  expectValues(out.y, {0.0, 1.0 / (1.0 + std::exp(-1.0))});
}

TEST(Norms, RmsNormHandWorked) {
  // mean([9,16]) = 12.5, so y = [3,4]/sqrt(12.5) * [1,2] =
  // [0.8485.., 2.2627..]; a second row [1,1] has rms 1 and gives [1,2].
  Tensor y;
  ASSERT_EQ(rmsNorm(make({2, 2}, {3, 4, 1, 1}), make({2}, {1, 2}), 0.0, y), "");
  expectValues(y, {3 / std::sqrt(12.5), 8 / std::sqrt(12.5), 1, 2});
  // eps = 3.5 makes the denominator sqrt(16) = 4: [0.75, 2].
  ASSERT_EQ(rmsNorm(make({2}, {3, 4}), make({2}, {1, 2}), 3.5, y), "");
  expectValues(y, {0.75, 2.0});
}

TEST(Norms, GatedRmsNormTwoGroups) {
  // silu(40) rounds to 40, so the gated input is 40 * [3,4 | 1,1]; the norm is
  // scale invariant and each group of 2 is normalised on its own:
  //   [3,4]/sqrt(12.5) * [1,2] and [1,1]/1 * [1,2].
  Tensor x = make({1, 4}, {3, 4, 1, 1}), z({1, 4}, 40.0);
  Tensor w = make({4}, {1, 2, 1, 2}), y;
  ASSERT_EQ(gatedRmsNorm(x, z, w, 0.0, 2, y), "");
  expectValues(y, {3 / std::sqrt(12.5), 8 / std::sqrt(12.5), 1, 2});
  // One group over the whole width: mean([9,16,1,1]) = 6.75.
  ASSERT_EQ(gatedRmsNorm(x, z, w, 0.0, 4, y), "");
  double r = std::sqrt(6.75);
  expectValues(y, {3 / r, 8 / r, 1 / r, 2 / r});
}

TEST(StateUpdate, HandWorkedMamba1) {
  // dt = softplus(-1 + 1) = ln 2 and A = -1 decay by 1/2:
  //   h = 0.5*4 + ln2*1*6 = 2 + 6 ln2;  y = 2h + 0.5*6 = 7 + 12 ln2.
  StateUpdateInputs in;
  in.state = make({1, 1, 1}, {4});
  in.x = make({1, 1}, {6});
  in.dt = make({1, 1}, {-1});
  in.A = make({1, 1}, {-1});
  in.B = make({1, 1, 1}, {1});
  in.C = make({1, 1, 1}, {2});
  in.D = make({1}, {0.5});
  in.dtBias = make({1}, {1});
  in.dtSoftplus = true;
  StateUpdateOutputs out;
  ASSERT_EQ(stateUpdate(in, out), "");
  expectValues(out.newState, {2 + 6 * ln2});
  expectValues(out.y, {7 + 12 * ln2});
}

TEST(StateUpdate, HandWorkedMamba2) {
  // p = 2: dt 3 clamped to 1, A = -ln 2: H = [0.5*4 + 6, 0.5*1 + 2] = [8, 2.5];
  // y = 2H + D x with D (h,p) = [0.5, 1]: [19, 7]; gated by silu([40, 0]).
  StateUpdateInputs in;
  in.state = make({1, 1, 2, 1}, {4, 1});
  in.x = make({1, 1, 2}, {6, 2});
  in.dt = make({1, 1}, {3});
  in.A = make({1}, {-ln2});
  in.B = make({1, 1, 1}, {1});
  in.C = make({1, 1, 1}, {2});
  in.D = make({1, 2}, {0.5, 1});
  in.dtLimit = DtLimit(0.0, 1.0);
  StateUpdateOutputs out;
  ASSERT_EQ(stateUpdate(in, out), "");
  expectValues(out.newState, {8, 2.5});
  expectValues(out.y, {19, 7});
  in.z = make({1, 1, 2}, {40, 0});
  ASSERT_EQ(stateUpdate(in, out), "");
  expectValues(out.y, {760, 0});
}

TEST(Scan, LinearRecurrenceAndSum) {
  // (a,b) o (a',b') = (a a', a' b + b'): with a = [0.5,2,3], b = [1,1,1]
  // the products are [0.5,1,3] and b = [1, 2*1+1, 3*3+1] = [1,3,10].
  Combiner linearRec = [](const std::vector<double> &acc,
                          const std::vector<double> &next) {
    return std::vector<double>{acc[0] * next[0], next[0] * acc[1] + next[1]};
  };
  std::vector<Tensor> outs;
  ASSERT_EQ(scan({make({3}, {0.5, 2, 3}), make({3}, {1, 1, 1})}, 0, false,
                 linearRec, outs),
            "");
  ASSERT_EQ(outs.size(), 2u);
  expectValues(outs[0], {0.5, 1, 3});
  expectValues(outs[1], {1, 3, 10});

  Combiner plus = [](const std::vector<double> &acc,
                     const std::vector<double> &next) {
    return std::vector<double>{acc[0] + next[0]};
  };
  Tensor x = make({2, 3}, {1, 2, 3, 4, 5, 6});
  ASSERT_EQ(scan({x}, 1, /*reverse=*/true, plus, outs), "");
  expectValues(outs[0], {6, 5, 3, 15, 11, 6});
  ASSERT_EQ(scan({x}, 0, /*reverse=*/false, plus, outs), "");
  expectValues(outs[0], {1, 2, 3, 5, 7, 9});
}

//===----------------------------------------------------------------------===//
// Chunked SSD against the recurrence
//===----------------------------------------------------------------------===//

namespace {

/// Random SSD inputs with every option set: h = 4, g = 2, p = 3, n = 5.
SsdInputs randomSsd(int64_t b, int64_t l, bool headDimD, bool withSeqIdx,
                    uint64_t seed) {
  const int64_t h = 4, g = 2, p = 3, n = 5;
  SsdInputs in;
  in.x = randomTensor({b, l, h, p}, seed, -1, 1);
  in.dt = randomTensor({b, l, h}, seed + 1, -3, 1);
  in.A = randomTensor({h}, seed + 2, -2, -0.5);
  in.B = randomTensor({b, l, g, n}, seed + 3, -1, 1);
  in.C = randomTensor({b, l, g, n}, seed + 4, -1, 1);
  in.D = headDimD ? randomTensor({h, p}, seed + 5, -1, 1)
                  : randomTensor({h}, seed + 5, -1, 1);
  in.z = randomTensor({b, l, h, p}, seed + 6, -2, 2);
  in.dtBias = randomTensor({h}, seed + 7, -0.5, 0.5);
  in.initialStates = randomTensor({b, h, p, n}, seed + 8, -1, 1);
  in.dtSoftplus = true;
  in.dtLimit = DtLimit(0.01, 1.5);
  if (withSeqIdx) {
    // Boundaries inside chunks (3+bi, 13, 70+bi, 101), at chunk starts of 4
    // and 64 (8, 32, 64, 128) and at the last position (36, 129).
    Tensor seq({b, l});
    for (int64_t bi = 0; bi < b; ++bi) {
      std::vector<int64_t> starts = {3 + bi, 8,       13,  32,  36,
                                     64,     70 + bi, 101, 128, 129};
      double id = 7;
      for (int64_t t = 0; t < l; ++t) {
        for (int64_t s : starts)
          id += s == t ? 1 : 0;
        seq.at({bi, t}) = id;
      }
    }
    in.seqIdx = seq;
  }
  return in;
}

} // namespace

TEST(Ssd, ChunkedEqualsRecurrent) {
  for (int64_t l : {37, 130})
    for (int64_t chunk : {1, 4, 64})
      for (int64_t b : {1, 3})
        for (bool withSeqIdx : {false, true}) {
          SCOPED_TRACE("l=" + std::to_string(l) + " chunk=" +
                       std::to_string(chunk) + " b=" + std::to_string(b) +
                       " seqIdx=" + std::to_string(withSeqIdx));
          SsdInputs in = randomSsd(b, l, /*headDimD=*/b == 3, withSeqIdx,
                                   static_cast<uint64_t>(l * 100 + b));
          SsdOutputs rec, chunked;
          ASSERT_EQ(ssdRecurrent(in, rec), "");
          ASSERT_EQ(ssdChunked(in, chunk, chunked), "");
          EXPECT_LE(relativeL2(chunked.out, rec.out), 1e-10);
          EXPECT_LE(relativeL2(chunked.finalStates, rec.finalStates), 1e-10);
        }
}

TEST(Ssd, UnscaledInputChunkedEqualsRecurrentAndLinearAttention) {
  // x enters unscaled: the chunked form still agrees with the recurrence,
  // and with A = 1 both are linear attention with log decays dt.
  for (int64_t chunk : {1, 4, 64}) {
    SCOPED_TRACE("chunk=" + std::to_string(chunk));
    SsdInputs in = randomSsd(2, 37, false, true, 77);
    in.unscaledInput = true;
    SsdOutputs rec, chunked;
    ASSERT_EQ(ssdRecurrent(in, rec), "");
    ASSERT_EQ(ssdChunked(in, chunk, chunked), "");
    EXPECT_LE(relativeL2(chunked.out, rec.out), 1e-10);
    EXPECT_LE(relativeL2(chunked.finalStates, rec.finalStates), 1e-10);
  }
  // Against linear attention: (b, l, h, p) x with (b, l, h, n) B and C (one
  // group per head), no D, z or bias.
  int64_t b = 2, l = 21, h = 3, p = 5, n = 4;
  SsdInputs in;
  in.x = randomTensor({b, l, h, p}, 1, -1, 1);
  in.dt = randomTensor({b, l, h}, 2, -1, -0.01);
  in.A = Tensor({h}, 1.0);
  in.B = randomTensor({b, l, h, n}, 3, -1, 1);
  in.C = randomTensor({b, l, h, n}, 4, -1, 1);
  in.unscaledInput = true;
  SsdOutputs ssd;
  ASSERT_EQ(ssdRecurrent(in, ssd), "");
  // Linear attention over (b, h): q = C, k = B, v = x, per (b, h, t).
  auto perHead = [&](const Tensor &t, int64_t last) {
    Tensor r({b, h, l, last});
    for (int64_t bi = 0; bi < b; ++bi)
      for (int64_t hh = 0; hh < h; ++hh)
        for (int64_t ti = 0; ti < l; ++ti)
          for (int64_t k = 0; k < last; ++k)
            r.at({bi, hh, ti, k}) = t.at({bi, ti, hh, k});
    return r;
  };
  Tensor decay({b, h, l});
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t hh = 0; hh < h; ++hh)
      for (int64_t ti = 0; ti < l; ++ti)
        decay.at({bi, hh, ti}) = in.dt.at({bi, ti, hh});
  LinearAttentionInputs la{perHead(in.C, n), perHead(in.B, n),
                           perHead(in.x, p), decay, std::nullopt};
  LinearAttentionOutputs laOut;
  ASSERT_EQ(linearAttention(la, laOut), "");
  double worst = 0;
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t hh = 0; hh < h; ++hh)
      for (int64_t ti = 0; ti < l; ++ti)
        for (int64_t pp = 0; pp < p; ++pp)
          worst = std::max(worst, std::fabs(ssd.out.at({bi, ti, hh, pp}) -
                                            laOut.out.at({bi, hh, ti, pp})));
  EXPECT_LE(worst, 1e-12);
}

TEST(Ssd, SeqIdxResetsChangeTheResult) {
  // Guards the test above against resets that do nothing in both forms.
  SsdInputs in = randomSsd(1, 37, false, true, 5);
  SsdOutputs withReset, without;
  ASSERT_EQ(ssdRecurrent(in, withReset), "");
  in.seqIdx.reset();
  ASSERT_EQ(ssdRecurrent(in, without), "");
  EXPECT_GT(relativeL2(withReset.out, without.out), 1e-3);
}

//===----------------------------------------------------------------------===//
// Consistency between ops
//===----------------------------------------------------------------------===//

TEST(Consistency, Mamba1DecodeStepContinuesScan) {
  const int64_t b = 2, d = 6, n = 4, g = 2, l = 7;
  SelectiveScanInputs in;
  in.u = randomTensor({b, d, l}, 1, -1, 1);
  in.delta = randomTensor({b, d, l}, 2, -2, 1);
  in.A = randomTensor({d, n}, 3, -2, -0.1);
  in.B = randomTensor({b, g, n, l}, 4, -1, 1);
  in.C = randomTensor({b, g, n, l}, 5, -1, 1);
  in.D = randomTensor({d}, 6, -1, 1);
  in.z = randomTensor({b, d, l}, 7, -2, 2);
  in.deltaBias = randomTensor({d}, 8, -0.5, 0.5);
  in.h0 = randomTensor({b, d, n}, 9, -1, 1);
  in.deltaSoftplus = true;
  SelectiveScanOutputs full, prefix;
  ASSERT_EQ(selectiveScan(in, full), "");
  SelectiveScanInputs head = in;
  head.u = slice(in.u, 2, 0, l - 1);
  head.delta = slice(in.delta, 2, 0, l - 1);
  head.B = slice(in.B, 3, 0, l - 1);
  head.C = slice(in.C, 3, 0, l - 1);
  head.z = slice(*in.z, 2, 0, l - 1);
  ASSERT_EQ(selectiveScan(head, prefix), "");

  StateUpdateInputs step;
  step.state = prefix.finalState;
  step.x = select(in.u, 2, l - 1);
  step.dt = select(in.delta, 2, l - 1);
  step.A = in.A;
  step.B = select(in.B, 3, l - 1);
  step.C = select(in.C, 3, l - 1);
  step.D = in.D;
  step.z = select(*in.z, 2, l - 1);
  step.dtBias = in.deltaBias;
  step.dtSoftplus = true;
  StateUpdateOutputs out;
  ASSERT_EQ(stateUpdate(step, out), "");
  EXPECT_LE(relativeL2(out.y, select(full.out, 2, l - 1)), 1e-12);
  EXPECT_LE(relativeL2(out.newState, full.finalState), 1e-12);
}

TEST(Consistency, Mamba2DecodeStepContinuesScan) {
  const int64_t l = 7;
  SsdInputs in = randomSsd(2, l, /*headDimD=*/true, false, 11);
  SsdOutputs full, prefix;
  ASSERT_EQ(ssdRecurrent(in, full), "");
  SsdInputs head = in;
  head.x = slice(in.x, 1, 0, l - 1);
  head.dt = slice(in.dt, 1, 0, l - 1);
  head.B = slice(in.B, 1, 0, l - 1);
  head.C = slice(in.C, 1, 0, l - 1);
  head.z = slice(*in.z, 1, 0, l - 1);
  ASSERT_EQ(ssdRecurrent(head, prefix), "");

  StateUpdateInputs step;
  step.state = prefix.finalStates;
  step.x = select(in.x, 1, l - 1);
  step.dt = select(in.dt, 1, l - 1);
  step.A = in.A;
  step.B = select(in.B, 1, l - 1);
  step.C = select(in.C, 1, l - 1);
  step.D = in.D;
  step.z = select(*in.z, 1, l - 1);
  step.dtBias = in.dtBias;
  step.dtSoftplus = true;
  step.dtLimit = in.dtLimit;
  StateUpdateOutputs out;
  ASSERT_EQ(stateUpdate(step, out), "");
  EXPECT_LE(relativeL2(out.y, select(full.out, 1, l - 1)), 1e-12);
  EXPECT_LE(relativeL2(out.newState, full.finalStates), 1e-12);
}

TEST(Consistency, ConvSplitWithCarriedState) {
  const int64_t b = 2, c = 3, l = 9, k = 4, cut = 5;
  CausalConv1dInputs whole;
  whole.x = randomTensor({b, c, l}, 21, -1, 1);
  whole.w = randomTensor({c, k}, 22, -1, 1);
  whole.bias = randomTensor({c}, 23, -1, 1);
  whole.convState = randomTensor({b, c, k - 1}, 24, -1, 1);
  whole.silu = true;
  CausalConv1dOutputs all, first, second;
  ASSERT_EQ(causalConv1d(whole, all), "");
  CausalConv1dInputs part = whole;
  part.x = slice(whole.x, 2, 0, cut);
  ASSERT_EQ(causalConv1d(part, first), "");
  part.x = slice(whole.x, 2, cut, l);
  part.convState = first.newConvState;
  ASSERT_EQ(causalConv1d(part, second), "");
  EXPECT_LE(relativeL2(first.y, slice(all.y, 2, 0, cut)), 1e-15);
  EXPECT_LE(relativeL2(second.y, slice(all.y, 2, cut, l)), 1e-15);
  EXPECT_EQ(second.newConvState.data, all.newConvState.data);
}

TEST(Consistency, GenericScanMatchesSelectiveScanState) {
  // n = 1, g = 1, C = 1 and no D, so the scan's output is its state h_t, and
  // h_t is the b part of the linear recurrence (exp(dt A), dt B u).
  const int64_t b = 2, d = 3, l = 9;
  SelectiveScanInputs in;
  in.u = randomTensor({b, d, l}, 31, -1, 1);
  in.delta = randomTensor({b, d, l}, 32, 0.1, 1);
  in.A = randomTensor({d, 1}, 33, -2, -0.1);
  in.B = randomTensor({b, 1, 1, l}, 34, -1, 1);
  in.C = Tensor({b, 1, 1, l}, 1.0);
  SelectiveScanOutputs ref;
  ASSERT_EQ(selectiveScan(in, ref), "");

  Tensor decay({b, d, l}), input({b, d, l});
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t c = 0; c < d; ++c)
      for (int64_t t = 0; t < l; ++t) {
        double dt = in.delta.at({bi, c, t});
        decay.at({bi, c, t}) = std::exp(dt * in.A.at({c, 0}));
        input.at({bi, c, t}) =
            dt * in.B.at({bi, 0, 0, t}) * in.u.at({bi, c, t});
      }
  Combiner linearRec = [](const std::vector<double> &acc,
                          const std::vector<double> &next) {
    return std::vector<double>{acc[0] * next[0], next[0] * acc[1] + next[1]};
  };
  std::vector<Tensor> outs;
  ASSERT_EQ(scan({decay, input}, 2, false, linearRec, outs), "");
  EXPECT_LE(relativeL2(outs[1], ref.out), 1e-13);
  EXPECT_LE(relativeL2(reshaped(select(outs[1], 2, l - 1), {b, d, 1}),
                       ref.finalState),
            1e-13);
}

//===----------------------------------------------------------------------===//
// Mixers
//===----------------------------------------------------------------------===//

TEST(Mixers, MambaMixerRuns) {
  const int64_t b = 2, l = 5, dm = 8, d = 16, n = 4, r = 2, k = 4;
  MambaMixerWeights w;
  w.inProj = randomTensor({2 * d, dm}, 41, -0.3, 0.3);
  w.convW = randomTensor({d, k}, 42, -0.5, 0.5);
  w.xProj = randomTensor({r + 2 * n, d}, 43, -0.3, 0.3);
  w.dtProjW = randomTensor({d, r}, 44, -0.5, 0.5);
  w.dtProjB = randomTensor({d}, 45, -3, -1);
  w.ALog = randomTensor({d, n}, 46, 0, 1.5);
  w.D = Tensor({d}, 1.0);
  w.outProj = randomTensor({dm, d}, 47, -0.3, 0.3);
  w.inProjBias = randomTensor({2 * d}, 48, -0.1, 0.1);
  w.convB = randomTensor({d}, 49, -0.1, 0.1);
  w.outProjBias = randomTensor({dm}, 50, -0.1, 0.1);
  Tensor out;
  ASSERT_EQ(mambaMixer(w, randomTensor({b, l, dm}, 51, -1, 1), out), "");
  EXPECT_EQ(out.shape, (std::vector<int64_t>{b, l, dm}));
  EXPECT_TRUE(allFinite(out));
  EXPECT_GT(relativeL2(out, Tensor({b, l, dm})), 0.0) << "all zero";
}

namespace {

const int64_t m2B = 2, m2L = 5, m2Dm = 8, m2H = 4, m2P = 4, m2G = 2, m2N = 4,
              m2K = 4, m2D = m2H * m2P, m2Conv = m2D + 2 * m2G * m2N;

Mamba2MixerWeights randomMamba2Weights() {
  Mamba2MixerWeights w;
  w.inProj = randomTensor({2 * m2D + 2 * m2G * m2N + m2H, m2Dm}, 61, -0.3, 0.3);
  w.convW = randomTensor({m2Conv, m2K}, 62, -0.5, 0.5);
  w.convB = randomTensor({m2Conv}, 63, -0.1, 0.1);
  w.dtBias = randomTensor({m2H}, 64, -3, -1);
  w.ALog = randomTensor({m2H}, 65, 0, 1.5);
  w.D = randomTensor({m2H}, 66, 0.5, 1.5);
  w.normW = randomTensor({m2D}, 67, 0.5, 1.5);
  w.outProj = randomTensor({m2Dm, m2D}, 68, -0.3, 0.3);
  return w;
}

/// The Mamba-2 mixer rebuilt step by step from the public ops, with the
/// recurrent SSD in place of the chunked one.
Tensor mamba2ByHand(const Mamba2MixerWeights &w, const Mamba2MixerConfig &cfg,
                    const Tensor &hidden) {
  Tensor zxbcdt, normed, out;
  EXPECT_EQ(linear(hidden, w.inProj, std::nullopt, zxbcdt), "");
  CausalConv1dInputs conv;
  conv.x = transpose12(slice(zxbcdt, 2, m2D, m2D + m2Conv));
  conv.w = w.convW;
  conv.bias = w.convB;
  conv.silu = true;
  CausalConv1dOutputs convOut;
  EXPECT_EQ(causalConv1d(conv, convOut), "");
  Tensor xBC = transpose12(convOut.y);
  SsdInputs s;
  s.x = reshaped(slice(xBC, 2, 0, m2D), {m2B, m2L, m2H, m2P});
  s.B = reshaped(slice(xBC, 2, m2D, m2D + m2G * m2N), {m2B, m2L, m2G, m2N});
  s.C = reshaped(slice(xBC, 2, m2D + m2G * m2N, m2Conv), {m2B, m2L, m2G, m2N});
  s.dt = slice(zxbcdt, 2, m2D + m2Conv, m2D + m2Conv + m2H);
  s.A = negExp(w.ALog);
  s.D = w.D;
  s.dtBias = w.dtBias;
  s.dtSoftplus = true;
  s.dtLimit = cfg.dtLimit;
  SsdOutputs y;
  EXPECT_EQ(ssdRecurrent(s, y), "");
  EXPECT_EQ(gatedRmsNorm(reshaped(y.out, {m2B, m2L, m2D}),
                         slice(zxbcdt, 2, 0, m2D), w.normW, cfg.eps, m2D / m2G,
                         normed),
            "");
  EXPECT_EQ(linear(normed, w.outProj, std::nullopt, out), "");
  return out;
}

} // namespace

TEST(Mixers, Mamba2MixerMatchesRecurrentComposition) {
  Mamba2MixerWeights w = randomMamba2Weights();
  Mamba2MixerConfig cfg;
  cfg.nGroups = m2G;
  cfg.headDim = m2P;
  cfg.chunkSize = 4;
  cfg.eps = 1e-5;
  cfg.dtLimit = DtLimit(0.0, 0.5);
  Tensor hidden = randomTensor({m2B, m2L, m2Dm}, 69, -1, 1), out;
  ASSERT_EQ(mamba2Mixer(w, cfg, hidden, out), "");
  EXPECT_EQ(out.shape, (std::vector<int64_t>{m2B, m2L, m2Dm}));
  EXPECT_TRUE(allFinite(out));
  EXPECT_GT(relativeL2(out, Tensor(out.shape)), 0.0) << "all zero";
  EXPECT_LE(relativeL2(out, mamba2ByHand(w, cfg, hidden)), 1e-12);
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

namespace {

void expectNames(const std::string &msg, const std::string &what) {
  EXPECT_NE(msg.find(what), std::string::npos) << msg;
}

} // namespace

TEST(Errors, SelectiveScan) {
  SelectiveScanInputs in;
  in.u = Tensor({2, 4, 8});
  in.delta = Tensor({2, 4, 7});
  in.A = Tensor({4, 3});
  in.B = Tensor({2, 1, 3, 8});
  in.C = Tensor({2, 1, 3, 8});
  SelectiveScanOutputs out;
  std::string msg = selectiveScan(in, out);
  EXPECT_EQ(msg, "selective_scan: 'delta' has shape (2,4,7), expected (2,4,8) "
                 "(same as 'u')");
  EXPECT_TRUE(out.out.data.empty()) << "outputs are left untouched";
  in.delta = in.u;
  in.B = in.C = Tensor({2, 3, 3, 8}); // g = 3 does not divide d = 4
  expectNames(selectiveScan(in, out), "does not divide d=4");
  in.B = in.C = Tensor({2, 1, 3, 8});
  in.h0 = Tensor({2, 4});
  expectNames(selectiveScan(in, out), "'h0'");
  in.h0.reset();
  in.A.data.pop_back(); // data that does not match the shape
  expectNames(selectiveScan(in, out), "'A' has shape (4,3) but 11 elements");
}

TEST(Errors, Ssd) {
  SsdInputs in = randomSsd(1, 6, false, false, 3);
  SsdOutputs out;
  EXPECT_EQ(ssdChunked(in, 0, out),
            "ssd_chunked: chunk size 0 must be positive");
  in.D = Tensor({4, 2});
  expectNames(ssdRecurrent(in, out), "'D' has shape (4,2), expected (4,3)");
  in.D = Tensor({3});
  expectNames(ssdChunked(in, 4, out), "'D'");
  in.D.reset();
  in.seqIdx = Tensor({1, 5});
  expectNames(ssdRecurrent(in, out), "'seqIdx'");
  in.seqIdx.reset();
  in.B = in.C = Tensor({1, 6, 3, 5}); // g = 3 does not divide h = 4
  expectNames(ssdRecurrent(in, out), "does not divide h=4");
}

TEST(Errors, ConvNormsScanLinear) {
  CausalConv1dInputs conv;
  conv.x = Tensor({1, 2, 5});
  conv.w = Tensor({2, 3});
  conv.convState = Tensor({1, 2, 3});
  CausalConv1dOutputs convOut;
  expectNames(causalConv1d(conv, convOut), "'convState'");
  conv.convState.reset();
  conv.w = Tensor({2});
  expectNames(causalConv1d(conv, convOut),
              "'w' has shape (2), expected rank 2");

  Tensor y;
  expectNames(rmsNorm(Tensor({2, 3}), Tensor({2}), 1e-5, y), "'w'");
  expectNames(
      gatedRmsNorm(Tensor({2, 6}), Tensor({2, 6}), Tensor({6}), 1e-5, 4, y),
      "group size 4 does not divide d=6");
  expectNames(
      gatedRmsNorm(Tensor({2, 6}), Tensor({2, 5}), Tensor({6}), 1e-5, 3, y),
      "'z'");

  Combiner plus = [](const std::vector<double> &a,
                     const std::vector<double> &b) {
    return std::vector<double>{a[0] + b[0]};
  };
  std::vector<Tensor> outs;
  expectNames(scan({Tensor({2, 3}), Tensor({3, 2})}, 0, false, plus, outs),
              "'inputs[1]'");
  expectNames(scan({Tensor({2, 3})}, 2, false, plus, outs), "dim 2");
  // The combiner returns 1 value for 2 inputs.
  expectNames(scan({Tensor({3}), Tensor({3})}, 0, false, plus, outs),
              "returned 1 values, expected 2");
  expectNames(linear(Tensor({2, 3}), Tensor({4, 2}), std::nullopt, y), "'w'");
}

TEST(Errors, StateUpdate) {
  StateUpdateInputs in;
  in.state = Tensor({1, 4, 2});
  in.x = Tensor({1, 4});
  in.dt = Tensor({1, 3});
  in.A = Tensor({4, 2});
  in.B = in.C = Tensor({1, 1, 2});
  StateUpdateOutputs out;
  expectNames(stateUpdate(in, out), "'dt' has shape (1,3), expected (1,4)");
  in.dt = Tensor({1, 4});
  ASSERT_EQ(stateUpdate(in, out), "");
  in.dtLimit = DtLimit(0, 1);
  expectNames(stateUpdate(in, out), "dt_limit");
  in.state = Tensor({1, 4});
  expectNames(stateUpdate(in, out), "'state'");
  in = StateUpdateInputs();
  in.state = Tensor({1, 2, 3, 4});
  in.x = Tensor({1, 2, 3});
  in.dt = Tensor({1, 2});
  in.A = Tensor({2});
  in.B = Tensor({1, 1, 4});
  in.C = Tensor({1, 1, 5});
  expectNames(stateUpdate(in, out), "'C'");
}

TEST(Errors, Mixers) {
  Mamba2MixerWeights w = randomMamba2Weights();
  Mamba2MixerConfig cfg;
  cfg.nGroups = m2G;
  cfg.headDim = m2P;
  cfg.chunkSize = 4;
  Tensor hidden({m2B, m2L, m2Dm}), out;
  ASSERT_EQ(mamba2Mixer(w, cfg, hidden, out), "");
  cfg.chunkSize = 0;
  expectNames(mamba2Mixer(w, cfg, hidden, out), "chunk size 0");
  cfg.chunkSize = 4;
  cfg.nGroups = 3;
  expectNames(mamba2Mixer(w, cfg, hidden, out), "nGroups 3 does not divide");
  cfg.nGroups = m2G;
  cfg.headDim = 3;
  expectNames(mamba2Mixer(w, cfg, hidden, out), "'normW'");
  cfg.headDim = m2P;
  w.outProj = Tensor({m2Dm, m2D + 1});
  expectNames(mamba2Mixer(w, cfg, hidden, out), "'outProj'");

  MambaMixerWeights m;
  m.inProj = Tensor({32, 8});
  m.convW = Tensor({16, 4});
  m.xProj = Tensor({10, 16});
  m.dtProjW = Tensor({16, 2});
  m.dtProjB = Tensor({16});
  m.ALog = Tensor({16, 4});
  m.D = Tensor({16});
  m.outProj = Tensor({8, 16});
  ASSERT_EQ(mambaMixer(m, Tensor({1, 3, 8}), out), "");
  m.xProj = Tensor({11, 16});
  expectNames(mambaMixer(m, Tensor({1, 3, 8}), out),
              "'xProj' has shape (11,16), expected (10,16)");
  m.xProj = Tensor({10, 16});
  expectNames(mambaMixer(m, Tensor({1, 3, 9}), out), "'inProj'");
}
