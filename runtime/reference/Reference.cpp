//===- Reference.cpp - float64 reference evaluator for ssmc ops -----------===//
//
// Written for clarity, not speed: each op validates every shape first, then
// runs the textbook loops of SEMANTICS.md in double precision.
//
//===----------------------------------------------------------------------===//

#include "ssmc/reference/Reference.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <random>

using namespace ssmc::reference;

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

Tensor::Tensor(std::vector<int64_t> shape, double fill)
    : shape(std::move(shape)) {
  assert(std::all_of(this->shape.begin(), this->shape.end(),
                     [](int64_t s) { return s >= 0; }) &&
         "negative dimension");
  data.assign(static_cast<size_t>(numel()), fill);
}

int64_t Tensor::numel() const {
  int64_t count = 1;
  for (int64_t s : shape)
    count *= s;
  return count;
}

int64_t Tensor::dim(int64_t i) const {
  assert(i >= 0 && i < rank() && "dimension out of range");
  return shape[static_cast<size_t>(i)];
}

int64_t Tensor::offset(std::initializer_list<int64_t> idx) const {
  assert(static_cast<int64_t>(idx.size()) == rank() && "index rank mismatch");
  int64_t off = 0;
  size_t i = 0;
  for (int64_t v : idx) {
    assert(v >= 0 && v < shape[i] && "index out of bounds");
    off = off * shape[i++] + v;
  }
  return off;
}

double &Tensor::at(std::initializer_list<int64_t> idx) {
  return data[static_cast<size_t>(offset(idx))];
}

double Tensor::at(std::initializer_list<int64_t> idx) const {
  return data[static_cast<size_t>(offset(idx))];
}

//===----------------------------------------------------------------------===//
// Validation and small helpers
//===----------------------------------------------------------------------===//

namespace {

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + ")";
}

/// Keeps the first validation error of an entry point. Every check is a no-op
/// once one has failed, so callers can chain checks and test failed() at the
/// points where later checks need dimensions that earlier ones guarantee.
class Checker {
public:
  explicit Checker(const char *op) : op(op) {}

  bool failed() const { return !msg.empty(); }
  const std::string &message() const { return msg; }

  /// Fails unless \p cond holds; \p what describes the violation.
  void require(bool cond, const std::string &what) {
    if (!failed() && !cond)
      msg = std::string(op) + ": " + what;
  }

  /// Fails unless \p t is well formed and has rank \p r; \p layout (such as
  /// "(b,d,l)") goes into the message.
  void rank(const char *name, const Tensor &t, int64_t r, const char *layout) {
    if (!wellFormed(name, t) || t.rank() == r)
      return;
    msg = std::string(op) + ": '" + name + "' has shape " +
          shapeString(t.shape) + ", expected rank " + std::to_string(r) + " " +
          layout;
  }
  void rank(const char *name, const std::optional<Tensor> &t, int64_t r,
            const char *layout) {
    if (t)
      rank(name, *t, r, layout);
  }

  /// Fails unless \p t has exactly the shape \p expected; \p note explains
  /// where the expected dimensions come from.
  void shape(const char *name, const Tensor &t,
             const std::vector<int64_t> &expected,
             const std::string &note = "") {
    if (!wellFormed(name, t) || t.shape == expected)
      return;
    msg = std::string(op) + ": '" + name + "' has shape " +
          shapeString(t.shape) + ", expected " + shapeString(expected) +
          (note.empty() ? "" : " " + note);
  }
  void shape(const char *name, const std::optional<Tensor> &t,
             const std::vector<int64_t> &expected,
             const std::string &note = "") {
    if (t)
      shape(name, *t, expected, note);
  }

  /// Fails when a tensor has a negative dimension or a data size that does
  /// not match its shape: its fields are public, so this can happen.
  bool wellFormed(const char *name, const Tensor &t) {
    if (failed())
      return false;
    bool nonNegative = true;
    for (int64_t s : t.shape)
      nonNegative &= s >= 0;
    if (!nonNegative)
      msg = std::string(op) + ": '" + name + "' has shape " +
            shapeString(t.shape) + " with a negative dimension";
    else if (static_cast<int64_t>(t.data.size()) != t.numel())
      msg = std::string(op) + ": '" + name + "' has shape " +
            shapeString(t.shape) + " but " + std::to_string(t.data.size()) +
            " elements";
    return !failed();
  }

private:
  const char *op;
  std::string msg;
};

double softplus(double x) { return x > 20.0 ? x : std::log1p(std::exp(x)); }

double silu(double x) { return x / (1.0 + std::exp(-x)); }

/// dt -> clamp(softplus(dt + bias)), each step only when requested.
double processDt(double dt, const std::optional<Tensor> &bias, int64_t channel,
                 bool useSoftplus, const std::optional<DtLimit> &limit) {
  if (bias)
    dt += bias->at({channel});
  if (useSoftplus)
    dt = softplus(dt);
  if (limit)
    dt = std::min(std::max(dt, limit->first), limit->second);
  return dt;
}

/// D of shape (h) or (h,p), read for head hh and head-dim index pp.
double headSkip(const std::optional<Tensor> &d, int64_t hh, int64_t pp) {
  if (!d)
    return 0.0;
  return d->rank() == 1 ? d->at({hh}) : d->at({hh, pp});
}

/// Checks an optional D of shape (h) or (h,p).
void checkHeadSkip(Checker &check, const std::optional<Tensor> &d, int64_t h,
                   int64_t p) {
  if (!d || !check.wellFormed("D", *d))
    return;
  if (d->rank() == 2)
    check.shape("D", *d, {h, p});
  else
    check.shape("D", *d, {h}, "or " + shapeString({h, p}));
}

void checkDtLimit(Checker &check, const std::optional<DtLimit> &limit) {
  if (limit)
    check.require(!(limit->first > limit->second),
                  "dt_limit has lo " + std::to_string(limit->first) + " > hi " +
                      std::to_string(limit->second));
}

/// Checks that the group count \p g of 'B' is positive and divides \p total
/// (channels or heads, named \p what).
void checkGroups(Checker &check, int64_t g, int64_t total, const char *what) {
  check.require(g > 0, "'B' has 0 groups");
  check.require(g <= 0 || total % g == 0, "group count g=" + std::to_string(g) +
                                              " of 'B' does not divide " +
                                              what + "=" +
                                              std::to_string(total));
}


Tensor reshaped(Tensor t, std::vector<int64_t> shape) {
  t.shape = std::move(shape);
  assert(static_cast<int64_t>(t.data.size()) == t.numel());
  return t;
}

/// Validation shared by both SSD forms; fills the dimensions on success.
struct SsdDims {
  int64_t b, l, h, p, g, n;
};

std::string checkSsd(const char *op, const SsdInputs &in, SsdDims &dims) {
  Checker check(op);
  check.rank("x", in.x, 4, "(b,l,h,p)");
  check.rank("dt", in.dt, 3, "(b,l,h)");
  check.rank("A", in.A, 1, "(h)");
  check.rank("B", in.B, 4, "(b,l,g,n)");
  check.rank("C", in.C, 4, "(b,l,g,n)");
  check.rank("z", in.z, 4, "(b,l,h,p)");
  check.rank("dtBias", in.dtBias, 1, "(h)");
  check.rank("initialStates", in.initialStates, 4, "(b,h,p,n)");
  check.rank("seqIdx", in.seqIdx, 2, "(b,l)");
  if (check.failed())
    return check.message();
  int64_t b = in.x.dim(0), l = in.x.dim(1), h = in.x.dim(2), p = in.x.dim(3);
  int64_t g = in.B.dim(2), n = in.B.dim(3);
  check.shape("dt", in.dt, {b, l, h}, "(from 'x')");
  check.shape("A", in.A, {h});
  checkGroups(check, g, h, "h");
  check.shape("B", in.B, {b, l, g, n}, "(b,l from 'x')");
  check.shape("C", in.C, {b, l, g, n}, "(same as 'B')");
  checkHeadSkip(check, in.D, h, p);
  check.shape("z", in.z, {b, l, h, p}, "(same as 'x')");
  check.shape("dtBias", in.dtBias, {h});
  check.shape("initialStates", in.initialStates, {b, h, p, n});
  check.shape("seqIdx", in.seqIdx, {b, l});
  checkDtLimit(check, in.dtLimit);
  dims = {b, l, h, p, g, n};
  return check.message();
}

/// Sequence number of every position of batch row bi: it grows by one at
/// each seqIdx change, so positions i and j share a sequence iff no state
/// reset lies in (j, i], even for non-monotone seqIdx values.
std::vector<int64_t> segments(const std::optional<Tensor> &seqIdx, int64_t bi,
                              int64_t l) {
  std::vector<int64_t> seg(static_cast<size_t>(l), 0);
  for (int64_t t = 1; seqIdx && t < l; ++t)
    seg[t] =
        seg[t - 1] + (seqIdx->at({bi, t}) != seqIdx->at({bi, t - 1}) ? 1 : 0);
  return seg;
}

/// D skip and z gate, the last step of both SSD forms.
double ssdEpilogue(const SsdInputs &in, double y, int64_t bi, int64_t t,
                   int64_t hh, int64_t pp) {
  y += headSkip(in.D, hh, pp) * in.x.at({bi, t, hh, pp});
  if (in.z)
    y *= silu(in.z->at({bi, t, hh, pp}));
  return y;
}

} // namespace

//===----------------------------------------------------------------------===//
// Selective scan
//===----------------------------------------------------------------------===//

std::string ssmc::reference::selectiveScan(const SelectiveScanInputs &in,
                                           SelectiveScanOutputs &out) {
  Checker check("selective_scan");
  check.rank("u", in.u, 3, "(b,d,l)");
  check.rank("delta", in.delta, 3, "(b,d,l)");
  check.rank("A", in.A, 2, "(d,n)");
  check.rank("B", in.B, 4, "(b,g,n,l)");
  check.rank("C", in.C, 4, "(b,g,n,l)");
  check.rank("D", in.D, 1, "(d)");
  check.rank("z", in.z, 3, "(b,d,l)");
  check.rank("deltaBias", in.deltaBias, 1, "(d)");
  check.rank("h0", in.h0, 3, "(b,d,n)");
  if (check.failed())
    return check.message();
  int64_t b = in.u.dim(0), d = in.u.dim(1), l = in.u.dim(2);
  int64_t n = in.A.dim(1), g = in.B.dim(1);
  check.shape("delta", in.delta, {b, d, l}, "(same as 'u')");
  check.shape("A", in.A, {d, n}, "(d from 'u')");
  checkGroups(check, g, d, "d");
  check.shape("B", in.B, {b, g, n, l}, "(b,l from 'u', n from 'A')");
  check.shape("C", in.C, {b, g, n, l}, "(same as 'B')");
  check.shape("D", in.D, {d});
  check.shape("z", in.z, {b, d, l}, "(same as 'u')");
  check.shape("deltaBias", in.deltaBias, {d});
  check.shape("h0", in.h0, {b, d, n});
  if (check.failed())
    return check.message();

  Tensor y({b, d, l});
  Tensor last({b, d, n});
  std::vector<double> state(static_cast<size_t>(n));
  for (int64_t bi = 0; bi < b; ++bi) {
    for (int64_t c = 0; c < d; ++c) {
      int64_t grp = c / (d / g);
      for (int64_t i = 0; i < n; ++i)
        state[i] = in.h0 ? in.h0->at({bi, c, i}) : 0.0;
      for (int64_t t = 0; t < l; ++t) {
        double dt = processDt(in.delta.at({bi, c, t}), in.deltaBias, c,
                              in.deltaSoftplus, std::nullopt);
        double u = in.u.at({bi, c, t});
        double acc = 0.0;
        for (int64_t i = 0; i < n; ++i) {
          state[i] = std::exp(dt * in.A.at({c, i})) * state[i] +
                     dt * in.B.at({bi, grp, i, t}) * u;
          acc += in.C.at({bi, grp, i, t}) * state[i];
        }
        if (in.D)
          acc += in.D->at({c}) * u;
        if (in.z)
          acc *= silu(in.z->at({bi, c, t}));
        y.at({bi, c, t}) = acc;
      }
      for (int64_t i = 0; i < n; ++i)
        last.at({bi, c, i}) = state[i];
    }
  }
  out.out = std::move(y);
  out.finalState = std::move(last);
  return "";
}

//===----------------------------------------------------------------------===//
// SSD
//===----------------------------------------------------------------------===//

std::string ssmc::reference::ssdRecurrent(const SsdInputs &in,
                                          SsdOutputs &out) {
  SsdDims s;
  std::string err = checkSsd("ssd_recurrent", in, s);
  if (!err.empty())
    return err;

  Tensor y({s.b, s.l, s.h, s.p});
  Tensor last({s.b, s.h, s.p, s.n});
  std::vector<double> H(static_cast<size_t>(s.p * s.n));
  for (int64_t bi = 0; bi < s.b; ++bi) {
    for (int64_t hh = 0; hh < s.h; ++hh) {
      int64_t grp = hh / (s.h / s.g);
      double a = in.A.at({hh});
      for (int64_t pp = 0; pp < s.p; ++pp)
        for (int64_t i = 0; i < s.n; ++i)
          H[pp * s.n + i] =
              in.initialStates ? in.initialStates->at({bi, hh, pp, i}) : 0.0;
      for (int64_t t = 0; t < s.l; ++t) {
        if (in.seqIdx && t > 0 &&
            in.seqIdx->at({bi, t}) != in.seqIdx->at({bi, t - 1}))
          std::fill(H.begin(), H.end(), 0.0);
        double dt = processDt(in.dt.at({bi, t, hh}), in.dtBias, hh,
                              in.dtSoftplus, in.dtLimit);
        double decay = std::exp(dt * a);
        for (int64_t pp = 0; pp < s.p; ++pp) {
          double xv = in.x.at({bi, t, hh, pp});
          double acc = 0.0;
          for (int64_t i = 0; i < s.n; ++i) {
            double &hv = H[pp * s.n + i];
            hv = decay * hv + (in.unscaledInput ? 1.0 : dt) * xv *
                                  in.B.at({bi, t, grp, i});
            acc += hv * in.C.at({bi, t, grp, i});
          }
          y.at({bi, t, hh, pp}) = ssdEpilogue(in, acc, bi, t, hh, pp);
        }
      }
      for (int64_t pp = 0; pp < s.p; ++pp)
        for (int64_t i = 0; i < s.n; ++i)
          last.at({bi, hh, pp, i}) = H[pp * s.n + i];
    }
  }
  out.out = std::move(y);
  out.finalStates = std::move(last);
  return "";
}

//===----------------------------------------------------------------------===//
// Linear attention
//===----------------------------------------------------------------------===//

std::string
ssmc::reference::linearAttention(const LinearAttentionInputs &in,
                                 LinearAttentionOutputs &out) {
  Checker c("linear_attention");
  if (in.q.rank() < 2)
    c.require(false, "'q' must have rank 2 or more (..., T, K)");
  if (c.failed())
    return c.message();
  // The outer dimensions, flattened into n recurrences.
  std::vector<int64_t> outer(in.q.shape.begin(), in.q.shape.end() - 2);
  int64_t n = 1;
  for (int64_t d : outer)
    n *= d;
  int64_t l = in.q.shape[outer.size()], kd = in.q.shape[outer.size() + 1];
  auto with = [&](std::initializer_list<int64_t> tail) {
    std::vector<int64_t> shape = outer;
    shape.insert(shape.end(), tail);
    return shape;
  };
  c.shape("k", in.k, with({l, kd}), "(..., T, K) from 'q'");
  c.rank("v", in.v, in.q.rank(), "(..., T, V)");
  if (c.failed())
    return c.message();
  int64_t vd = in.v.shape.back();
  c.shape("v", in.v, with({l, vd}), "(..., T, V) from 'q'");
  bool perKey = in.logDecay.rank() == in.q.rank();
  c.shape("log_decay", in.logDecay, perKey ? with({l, kd}) : with({l}),
          "(..., T) or (..., T, K) from 'q'");
  c.shape("initial_state", in.initialState, with({kd, vd}), "(..., K, V)");
  if (c.failed())
    return c.message();
  // Row-major data is the same under the flattened (n, ...) view.
  auto flat = [&](const Tensor &t, std::vector<int64_t> shape) {
    Tensor r = t;
    r.shape = std::move(shape);
    return r;
  };
  LinearAttentionInputs f{
      flat(in.q, {n, l, kd}), flat(in.k, {n, l, kd}), flat(in.v, {n, l, vd}),
      flat(in.logDecay, perKey ? std::vector<int64_t>{n, l, kd}
                               : std::vector<int64_t>{n, l}),
      in.initialState
          ? std::optional<Tensor>(flat(*in.initialState, {n, kd, vd}))
          : std::nullopt};
  Tensor y({n, l, vd}), last({n, kd, vd});
  std::vector<double> s(static_cast<size_t>(kd * vd));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t a = 0; a < kd; ++a)
      for (int64_t b = 0; b < vd; ++b)
        s[a * vd + b] = f.initialState ? f.initialState->at({i, a, b}) : 0.0;
    for (int64_t t = 0; t < l; ++t) {
      for (int64_t a = 0; a < kd; ++a) {
        double decay = std::exp(perKey ? f.logDecay.at({i, t, a})
                                       : f.logDecay.at({i, t}));
        double ka = f.k.at({i, t, a});
        for (int64_t b = 0; b < vd; ++b)
          s[a * vd + b] = decay * s[a * vd + b] + ka * f.v.at({i, t, b});
      }
      for (int64_t b = 0; b < vd; ++b) {
        double acc = 0.0;
        for (int64_t a = 0; a < kd; ++a)
          acc += f.q.at({i, t, a}) * s[a * vd + b];
        y.at({i, t, b}) = acc;
      }
    }
    for (int64_t a = 0; a < kd; ++a)
      for (int64_t b = 0; b < vd; ++b)
        last.at({i, a, b}) = s[a * vd + b];
  }
  y.shape = with({l, vd});
  last.shape = with({kd, vd});
  out.out = std::move(y);
  out.finalState = std::move(last);
  return "";
}

// The dual form follows the stages of mamba_ssm's ssd_combined: (1) chunk
// cumsum of dt*A, (2) per-chunk states from zero, (3) state passing between
// chunks with the scalar decay exp(cum[last]), (4) per chunk, the intra-chunk
// output (L o C B^T)(dt x) plus the carried-in state's C (decay * state).
// Sequence resets only mask terms: L[i,j] = 0 and the carried-in state is
// dropped when a reset lies between the two positions.
std::string ssmc::reference::ssdChunked(const SsdInputs &in, int64_t chunkSize,
                                        SsdOutputs &out) {
  SsdDims s;
  std::string err = checkSsd("ssd_chunked", in, s);
  if (err.empty() && chunkSize <= 0)
    err = "ssd_chunked: chunk size " + std::to_string(chunkSize) +
          " must be positive";
  if (!err.empty())
    return err;

  const int64_t q = chunkSize, pn = s.p * s.n;
  const int64_t numChunks = (s.l + q - 1) / q;
  Tensor y({s.b, s.l, s.h, s.p});
  Tensor last({s.b, s.h, s.p, s.n});
  for (int64_t bi = 0; bi < s.b; ++bi) {
    std::vector<int64_t> seg = segments(in.seqIdx, bi, s.l);
    // The sequence that a chunk's carried-in state belongs to: the initial
    // state flows into position 0 whatever its seqIdx.
    auto segBefore = [&](int64_t start) {
      return start == 0 ? seg[0] : seg[start - 1];
    };
    for (int64_t hh = 0; hh < s.h; ++hh) {
      int64_t grp = hh / (s.h / s.g);
      double a = in.A.at({hh});
      std::vector<double> dt(static_cast<size_t>(s.l)), cum(dt.size());
      // (1) Inclusive cumulative sum of dt*A restarting at each chunk.
      for (int64_t t = 0; t < s.l; ++t) {
        dt[t] = processDt(in.dt.at({bi, t, hh}), in.dtBias, hh, in.dtSoftplus,
                          in.dtLimit);
        cum[t] = (t % q == 0 ? 0.0 : cum[t - 1]) + dt[t] * a;
      }
      // (2) The state each chunk would produce from a zero start.
      std::vector<std::vector<double>> local(static_cast<size_t>(numChunks),
                                             std::vector<double>(pn, 0.0));
      for (int64_t c = 0; c < numChunks; ++c) {
        int64_t end = std::min(s.l, (c + 1) * q), lastPos = end - 1;
        for (int64_t j = c * q; j < end; ++j) {
          if (seg[j] != seg[lastPos])
            continue;
          double w = std::exp(cum[lastPos] - cum[j]) *
                     (in.unscaledInput ? 1.0 : dt[j]);
          for (int64_t pp = 0; pp < s.p; ++pp)
            for (int64_t i = 0; i < s.n; ++i)
              local[c][pp * s.n + i] +=
                  w * in.x.at({bi, j, hh, pp}) * in.B.at({bi, j, grp, i});
        }
      }
      // (3) State passing: carried[c] is the state entering chunk c.
      std::vector<std::vector<double>> carried(static_cast<size_t>(numChunks));
      std::vector<double> state(pn, 0.0);
      for (int64_t pp = 0; pp < s.p; ++pp)
        for (int64_t i = 0; i < s.n; ++i)
          if (in.initialStates)
            state[pp * s.n + i] = in.initialStates->at({bi, hh, pp, i});
      for (int64_t c = 0; c < numChunks; ++c) {
        carried[c] = state;
        int64_t start = c * q, lastPos = std::min(s.l, start + q) - 1;
        bool reset = seg[lastPos] != segBefore(start);
        double decay = reset ? 0.0 : std::exp(cum[lastPos]);
        for (int64_t e = 0; e < pn; ++e)
          state[e] = decay * state[e] + local[c][e];
      }
      for (int64_t e = 0; e < pn; ++e)
        last.at({bi, hh, e / s.n, e % s.n}) = state[e];
      // (4) Outputs, chunk by chunk.
      for (int64_t c = 0; c < numChunks; ++c) {
        int64_t start = c * q, len = std::min(s.l, start + q) - start;
        // Masked decay times C B^T, (len x len), lower triangular.
        std::vector<double> lcb(static_cast<size_t>(len * len), 0.0);
        for (int64_t i = 0; i < len; ++i)
          for (int64_t j = 0; j <= i; ++j) {
            if (seg[start + i] != seg[start + j])
              continue;
            double cb = 0.0;
            for (int64_t k = 0; k < s.n; ++k)
              cb += in.C.at({bi, start + i, grp, k}) *
                    in.B.at({bi, start + j, grp, k});
            lcb[i * len + j] = std::exp(cum[start + i] - cum[start + j]) * cb;
          }
        for (int64_t i = 0; i < len; ++i) {
          int64_t t = start + i;
          bool seesCarried = seg[t] == segBefore(start);
          double carriedDecay = std::exp(cum[t]);
          for (int64_t pp = 0; pp < s.p; ++pp) {
            double acc = 0.0;
            for (int64_t j = 0; j <= i; ++j)
              acc += lcb[i * len + j] *
                     (in.unscaledInput ? 1.0 : dt[start + j]) *
                     in.x.at({bi, start + j, hh, pp});
            if (seesCarried) {
              double fromState = 0.0;
              for (int64_t k = 0; k < s.n; ++k)
                fromState +=
                    carried[c][pp * s.n + k] * in.C.at({bi, t, grp, k});
              acc += carriedDecay * fromState;
            }
            y.at({bi, t, hh, pp}) = ssdEpilogue(in, acc, bi, t, hh, pp);
          }
        }
      }
    }
  }
  out.out = std::move(y);
  out.finalStates = std::move(last);
  return "";
}

//===----------------------------------------------------------------------===//
// Causal conv1d
//===----------------------------------------------------------------------===//

std::string ssmc::reference::causalConv1d(const CausalConv1dInputs &in,
                                          CausalConv1dOutputs &out) {
  Checker check("causal_conv1d");
  check.rank("x", in.x, 3, "(b,c,l)");
  check.rank("w", in.w, 2, "(c,k)");
  check.rank("bias", in.bias, 1, "(c)");
  check.rank("convState", in.convState, 3, "(b,c,k-1)");
  if (check.failed())
    return check.message();
  int64_t b = in.x.dim(0), c = in.x.dim(1), l = in.x.dim(2), k = in.w.dim(1);
  check.shape("w", in.w, {c, k}, "(c from 'x')");
  check.require(k >= 1, "'w' has shape " + shapeString(in.w.shape) +
                            ", expected a width k >= 1");
  check.shape("bias", in.bias, {c});
  check.shape("convState", in.convState, {b, c, k - 1},
              "(b,c from 'x', k from 'w')");
  if (check.failed())
    return check.message();

  Tensor y({b, c, l});
  Tensor newState({b, c, k - 1});
  // history holds the k-1 previous inputs followed by x.
  std::vector<double> history(static_cast<size_t>(k - 1 + l));
  for (int64_t bi = 0; bi < b; ++bi) {
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t j = 0; j < k - 1; ++j)
        history[j] = in.convState ? in.convState->at({bi, ch, j}) : 0.0;
      for (int64_t t = 0; t < l; ++t)
        history[k - 1 + t] = in.x.at({bi, ch, t});
      for (int64_t t = 0; t < l; ++t) {
        double acc = in.bias ? in.bias->at({ch}) : 0.0;
        for (int64_t j = 0; j < k; ++j)
          acc += in.w.at({ch, k - 1 - j}) * history[k - 1 + t - j];
        y.at({bi, ch, t}) = in.silu ? silu(acc) : acc;
      }
      for (int64_t j = 0; j < k - 1; ++j)
        newState.at({bi, ch, j}) = history[l + j];
    }
  }
  out.y = std::move(y);
  out.newConvState = std::move(newState);
  return "";
}

//===----------------------------------------------------------------------===//
// Decode step
//===----------------------------------------------------------------------===//

namespace {

// Both layouts validate their own names and shapes, then run one step of the
// full recurrence on a length-1 sequence, so the decode step cannot drift
// from the scans.

std::string mamba1StateUpdate(const StateUpdateInputs &in,
                              StateUpdateOutputs &out) {
  Checker check("state_update");
  check.rank("x", in.x, 2, "(b,d)");
  check.rank("dt", in.dt, 2, "(b,d)");
  check.rank("A", in.A, 2, "(d,n)");
  check.rank("B", in.B, 3, "(b,g,n)");
  check.rank("C", in.C, 3, "(b,g,n)");
  check.rank("D", in.D, 1, "(d)");
  check.rank("z", in.z, 2, "(b,d)");
  check.rank("dtBias", in.dtBias, 1, "(d)");
  check.require(!in.dtLimit, "dt_limit is not supported for the Mamba-1 "
                             "layout (state of rank 3)");
  if (check.failed())
    return check.message();
  int64_t b = in.state.dim(0), d = in.state.dim(1), n = in.state.dim(2);
  int64_t g = in.B.dim(1);
  check.shape("x", in.x, {b, d}, "(b,d from 'state')");
  check.shape("dt", in.dt, {b, d}, "(b,d from 'state')");
  check.shape("A", in.A, {d, n}, "(d,n from 'state')");
  checkGroups(check, g, d, "d");
  check.shape("B", in.B, {b, g, n}, "(b,n from 'state')");
  check.shape("C", in.C, {b, g, n}, "(same as 'B')");
  check.shape("D", in.D, {d});
  check.shape("z", in.z, {b, d});
  check.shape("dtBias", in.dtBias, {d});
  if (check.failed())
    return check.message();

  SelectiveScanInputs s;
  s.u = reshaped(in.x, {b, d, 1});
  s.delta = reshaped(in.dt, {b, d, 1});
  s.A = in.A;
  s.B = reshaped(in.B, {b, g, n, 1});
  s.C = reshaped(in.C, {b, g, n, 1});
  s.D = in.D;
  if (in.z)
    s.z = reshaped(*in.z, {b, d, 1});
  s.deltaBias = in.dtBias;
  s.h0 = in.state;
  s.deltaSoftplus = in.dtSoftplus;
  SelectiveScanOutputs r;
  std::string err = selectiveScan(s, r);
  if (!err.empty())
    return "state_update: " + err;
  out.y = reshaped(std::move(r.out), {b, d});
  out.newState = std::move(r.finalState);
  return "";
}

std::string mamba2StateUpdate(const StateUpdateInputs &in,
                              StateUpdateOutputs &out) {
  Checker check("state_update");
  check.rank("x", in.x, 3, "(b,h,p)");
  check.rank("dt", in.dt, 2, "(b,h)");
  check.rank("A", in.A, 1, "(h)");
  check.rank("B", in.B, 3, "(b,g,n)");
  check.rank("C", in.C, 3, "(b,g,n)");
  check.rank("z", in.z, 3, "(b,h,p)");
  check.rank("dtBias", in.dtBias, 1, "(h)");
  if (check.failed())
    return check.message();
  int64_t b = in.state.dim(0), h = in.state.dim(1), p = in.state.dim(2),
          n = in.state.dim(3);
  int64_t g = in.B.dim(1);
  check.shape("x", in.x, {b, h, p}, "(b,h,p from 'state')");
  check.shape("dt", in.dt, {b, h}, "(b,h from 'state')");
  check.shape("A", in.A, {h}, "(h from 'state')");
  checkGroups(check, g, h, "h");
  check.shape("B", in.B, {b, g, n}, "(b,n from 'state')");
  check.shape("C", in.C, {b, g, n}, "(same as 'B')");
  checkHeadSkip(check, in.D, h, p);
  check.shape("z", in.z, {b, h, p});
  check.shape("dtBias", in.dtBias, {h});
  checkDtLimit(check, in.dtLimit);
  if (check.failed())
    return check.message();

  SsdInputs s;
  s.x = reshaped(in.x, {b, 1, h, p});
  s.dt = reshaped(in.dt, {b, 1, h});
  s.A = in.A;
  s.B = reshaped(in.B, {b, 1, g, n});
  s.C = reshaped(in.C, {b, 1, g, n});
  s.D = in.D;
  if (in.z)
    s.z = reshaped(*in.z, {b, 1, h, p});
  s.dtBias = in.dtBias;
  s.initialStates = in.state;
  s.dtSoftplus = in.dtSoftplus;
  s.dtLimit = in.dtLimit;
  SsdOutputs r;
  std::string err = ssdRecurrent(s, r);
  if (!err.empty())
    return "state_update: " + err;
  out.y = reshaped(std::move(r.out), {b, h, p});
  out.newState = std::move(r.finalStates);
  return "";
}

} // namespace

std::string ssmc::reference::stateUpdate(const StateUpdateInputs &in,
                                         StateUpdateOutputs &out) {
  Checker check("state_update");
  if (!check.wellFormed("state", in.state))
    return check.message();
  if (in.state.rank() == 3)
    return mamba1StateUpdate(in, out);
  if (in.state.rank() == 4)
    return mamba2StateUpdate(in, out);
  return "state_update: 'state' has shape " + shapeString(in.state.shape) +
         ", expected rank 3 (b,d,n) or rank 4 (b,h,p,n)";
}

//===----------------------------------------------------------------------===//
// Generic scan
//===----------------------------------------------------------------------===//

std::string ssmc::reference::scan(const std::vector<Tensor> &inputs,
                                  int64_t dim, bool reverse,
                                  const Combiner &combine,
                                  std::vector<Tensor> &outputs) {
  Checker check("scan");
  check.require(!inputs.empty(), "no inputs");
  check.require(static_cast<bool>(combine), "no combiner");
  for (size_t i = 0; i < inputs.size() && !check.failed(); ++i) {
    std::string name = "inputs[" + std::to_string(i) + "]";
    check.shape(name.c_str(), inputs[i], inputs[0].shape,
                "(same as 'inputs[0]')");
  }
  if (check.failed())
    return check.message();
  const Tensor &first = inputs[0];
  check.require(dim >= 0 && dim < first.rank(),
                "dim " + std::to_string(dim) + " is out of range for rank " +
                    std::to_string(first.rank()));
  if (check.failed())
    return check.message();

  int64_t len = first.dim(dim), outer = 1, inner = 1;
  for (int64_t i = 0; i < dim; ++i)
    outer *= first.dim(i);
  for (int64_t i = dim + 1; i < first.rank(); ++i)
    inner *= first.dim(i);
  std::vector<Tensor> result(inputs.size(), Tensor(first.shape));
  std::vector<double> acc(inputs.size()), next(inputs.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in)
      for (int64_t step = 0; step < len; ++step) {
        int64_t t = reverse ? len - 1 - step : step;
        size_t off = static_cast<size_t>((o * len + t) * inner + in);
        for (size_t v = 0; v < inputs.size(); ++v)
          next[v] = inputs[v].data[off];
        if (step == 0) {
          acc = next;
        } else {
          acc = combine(acc, next);
          if (acc.size() != inputs.size())
            return "scan: the combiner returned " + std::to_string(acc.size()) +
                   " values, expected " + std::to_string(inputs.size());
        }
        for (size_t v = 0; v < inputs.size(); ++v)
          result[v].data[off] = acc[v];
      }
  outputs = std::move(result);
  return "";
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

namespace {

/// Normalises each group of groupSize contiguous values of v (the gate
/// already applied) and scales by w; shared by both norms.
Tensor normalise(Tensor v, const Tensor &w, double eps, int64_t groupSize) {
  int64_t d = w.dim(0);
  int64_t rows = d == 0 ? 0 : v.numel() / d;
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t g0 = 0; g0 < d; g0 += groupSize) {
      double *base = v.data.data() + row * d + g0;
      double sumSq = 0.0;
      for (int64_t i = 0; i < groupSize; ++i)
        sumSq += base[i] * base[i];
      double scale = 1.0 / std::sqrt(sumSq / groupSize + eps);
      for (int64_t i = 0; i < groupSize; ++i)
        base[i] *= scale * w.at({g0 + i});
    }
  return v;
}

} // namespace

std::string ssmc::reference::rmsNorm(const Tensor &x, const Tensor &w,
                                     double eps, Tensor &y) {
  Checker check("rms_norm");
  if (check.wellFormed("x", x))
    check.require(x.rank() >= 1,
                  "'x' has shape (), expected rank >= 1 (...,d)");
  if (check.failed())
    return check.message();
  check.shape("w", w, {x.shape.back()}, "(d from 'x')");
  if (check.failed())
    return check.message();
  y = normalise(x, w, eps, std::max<int64_t>(x.shape.back(), 1));
  return "";
}

std::string ssmc::reference::gatedRmsNorm(const Tensor &x, const Tensor &z,
                                          const Tensor &w, double eps,
                                          int64_t groupSize, Tensor &y) {
  Checker check("gated_rms_norm");
  if (check.wellFormed("x", x))
    check.require(x.rank() >= 1,
                  "'x' has shape (), expected rank >= 1 (...,d)");
  if (check.failed())
    return check.message();
  int64_t d = x.shape.back();
  check.shape("z", z, x.shape, "(same as 'x')");
  check.shape("w", w, {d}, "(d from 'x')");
  check.require(groupSize > 0 && d % groupSize == 0,
                "group size " + std::to_string(groupSize) +
                    " does not divide d=" + std::to_string(d));
  if (check.failed())
    return check.message();
  Tensor gated = x;
  for (size_t i = 0; i < gated.data.size(); ++i)
    gated.data[i] *= silu(z.data[i]);
  y = normalise(std::move(gated), w, eps, groupSize);
  return "";
}

//===----------------------------------------------------------------------===//
// Mixers
//===----------------------------------------------------------------------===//

std::string ssmc::reference::linear(const Tensor &x, const Tensor &w,
                                    const std::optional<Tensor> &bias,
                                    Tensor &y) {
  Checker check("linear");
  if (check.wellFormed("x", x))
    check.require(x.rank() >= 1,
                  "'x' has shape (), expected rank >= 1 (...,in)");
  check.rank("w", w, 2, "(out,in)");
  if (check.failed())
    return check.message();
  int64_t inDim = x.shape.back(), outDim = w.dim(0);
  check.shape("w", w, {outDim, inDim}, "(in from 'x')");
  check.shape("bias", bias, {outDim}, "(out from 'w')");
  if (check.failed())
    return check.message();
  std::vector<int64_t> shape = x.shape;
  shape.back() = outDim;
  Tensor r(shape);
  int64_t rows =
      inDim == 0 ? r.numel() / std::max<int64_t>(outDim, 1) : x.numel() / inDim;
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t o = 0; o < outDim; ++o) {
      double acc = bias ? bias->at({o}) : 0.0;
      for (int64_t i = 0; i < inDim; ++i)
        acc += x.data[row * inDim + i] * w.data[o * inDim + i];
      r.data[row * outDim + o] = acc;
    }
  y = std::move(r);
  return "";
}

std::string ssmc::reference::mambaMixer(const MambaMixerWeights &w,
                                        const Tensor &hidden, Tensor &out) {
  Checker check("mamba_mixer");
  check.rank("hidden", hidden, 3, "(b,l,dm)");
  check.rank("inProj", w.inProj, 2, "(2d,dm)");
  check.rank("convW", w.convW, 2, "(d,k)");
  check.rank("xProj", w.xProj, 2, "(r+2n,d)");
  check.rank("dtProjW", w.dtProjW, 2, "(d,r)");
  check.rank("dtProjB", w.dtProjB, 1, "(d)");
  check.rank("ALog", w.ALog, 2, "(d,n)");
  check.rank("D", w.D, 1, "(d)");
  check.rank("outProj", w.outProj, 2, "(dm,d)");
  check.rank("inProjBias", w.inProjBias, 1, "(2d)");
  check.rank("convB", w.convB, 1, "(d)");
  check.rank("outProjBias", w.outProjBias, 1, "(dm)");
  if (check.failed())
    return check.message();
  int64_t b = hidden.dim(0), l = hidden.dim(1), dm = hidden.dim(2);
  int64_t d = w.convW.dim(0), k = w.convW.dim(1);
  int64_t n = w.ALog.dim(1), r = w.dtProjW.dim(1);
  const char *from = "(d from 'convW', dm from 'hidden')";
  check.shape("inProj", w.inProj, {2 * d, dm}, from);
  check.require(k >= 1, "'convW' has shape " + shapeString(w.convW.shape) +
                            ", expected a width k >= 1");
  check.shape("xProj", w.xProj, {r + 2 * n, d},
              "(r from 'dtProjW', n from 'ALog', d from 'convW')");
  check.shape("dtProjW", w.dtProjW, {d, r}, "(d from 'convW')");
  check.shape("dtProjB", w.dtProjB, {d}, "(d from 'convW')");
  check.shape("ALog", w.ALog, {d, n}, "(d from 'convW')");
  check.shape("D", w.D, {d}, "(d from 'convW')");
  check.shape("outProj", w.outProj, {dm, d}, from);
  check.shape("inProjBias", w.inProjBias, {2 * d});
  check.shape("convB", w.convB, {d});
  check.shape("outProjBias", w.outProjBias, {dm});
  if (check.failed())
    return check.message();

  Tensor xz, dt, result;
  std::string err = linear(hidden, w.inProj, w.inProjBias, xz);
  CausalConv1dInputs conv{transpose12(sliceLast(xz, 0, d)), w.convW, w.convB,
                          std::nullopt, /*silu=*/true};
  CausalConv1dOutputs convOut;
  if (err.empty())
    err = causalConv1d(conv, convOut);
  Tensor xdbl;
  if (err.empty())
    err = linear(transpose12(convOut.y), w.xProj, std::nullopt, xdbl);
  if (err.empty())
    err = linear(sliceLast(xdbl, 0, r), w.dtProjW, std::nullopt, dt);
  if (!err.empty())
    return "mamba_mixer: " + err;

  SelectiveScanInputs s;
  s.u = convOut.y;
  s.delta = transpose12(dt);
  s.A = w.ALog;
  for (double &v : s.A.data)
    v = -std::exp(v);
  // (b,l,n) -> (b,n,l) -> (b,1,n,l): g = 1 in Mamba-1 checkpoints.
  s.B = reshaped(transpose12(sliceLast(xdbl, r, r + n)), {b, 1, n, l});
  s.C = reshaped(transpose12(sliceLast(xdbl, r + n, r + 2 * n)), {b, 1, n, l});
  s.D = w.D;
  s.z = transpose12(sliceLast(xz, d, 2 * d));
  s.deltaBias = w.dtProjB;
  s.deltaSoftplus = true;
  SelectiveScanOutputs scanOut;
  err = selectiveScan(s, scanOut);
  if (err.empty())
    err = linear(transpose12(scanOut.out), w.outProj, w.outProjBias, result);
  if (!err.empty())
    return "mamba_mixer: " + err;
  out = std::move(result);
  return "";
}

std::string ssmc::reference::mamba2Mixer(const Mamba2MixerWeights &w,
                                         const Mamba2MixerConfig &cfg,
                                         const Tensor &hidden, Tensor &out) {
  Checker check("mamba2_mixer");
  check.rank("hidden", hidden, 3, "(b,l,dm)");
  check.rank("inProj", w.inProj, 2, "(2d+2gn+h,dm)");
  check.rank("convW", w.convW, 2, "(d+2gn,k)");
  check.rank("convB", w.convB, 1, "(d+2gn)");
  check.rank("dtBias", w.dtBias, 1, "(h)");
  check.rank("ALog", w.ALog, 1, "(h)");
  check.rank("D", w.D, 1, "(h)");
  check.rank("normW", w.normW, 1, "(d)");
  check.rank("outProj", w.outProj, 2, "(dm,d)");
  check.rank("inProjBias", w.inProjBias, 1, "(2d+2gn+h)");
  check.rank("outProjBias", w.outProjBias, 1, "(dm)");
  if (check.failed())
    return check.message();
  int64_t b = hidden.dim(0), l = hidden.dim(1), dm = hidden.dim(2);
  int64_t h = w.ALog.dim(0), d = w.normW.dim(0), g = cfg.nGroups;
  int64_t conv = w.convW.dim(0), k = w.convW.dim(1);
  check.require(g > 0, "nGroups " + std::to_string(g) + " must be positive");
  check.require(h > 0, "'ALog' has shape (0), expected at least one head");
  check.require(g <= 0 || h % g == 0,
                "nGroups " + std::to_string(g) +
                    " does not divide the head count h=" + std::to_string(h));
  check.require(cfg.headDim > 0,
                "headDim " + std::to_string(cfg.headDim) + " must be positive");
  if (check.failed())
    return check.message();
  check.shape("normW", w.normW, {h * cfg.headDim},
              "(h*headDim with h from 'ALog')");
  check.require(conv > d && (conv - d) % (2 * g) == 0,
                "'convW' has shape " + shapeString(w.convW.shape) +
                    ", expected (d+2gn,k) with d=" + std::to_string(d) +
                    ", g=" + std::to_string(g) + " and some n >= 1");
  check.require(k >= 1, "'convW' has shape " + shapeString(w.convW.shape) +
                            ", expected a width k >= 1");
  check.require(cfg.chunkSize > 0, "chunk size " +
                                       std::to_string(cfg.chunkSize) +
                                       " must be positive");
  if (check.failed())
    return check.message();
  int64_t n = (conv - d) / (2 * g), p = cfg.headDim;
  check.shape("inProj", w.inProj, {2 * d + 2 * g * n + h, dm},
              "(2d+2gn+h,dm), dm from 'hidden'");
  check.shape("convB", w.convB, {conv}, "(rows of 'convW')");
  check.shape("dtBias", w.dtBias, {h}, "(h from 'ALog')");
  check.shape("D", w.D, {h}, "(h from 'ALog')");
  check.shape("outProj", w.outProj, {dm, d},
              "(dm from 'hidden', d from 'normW')");
  check.shape("inProjBias", w.inProjBias, {2 * d + 2 * g * n + h},
              "(rows of 'inProj')");
  check.shape("outProjBias", w.outProjBias, {dm}, "(dm from 'hidden')");
  checkDtLimit(check, cfg.dtLimit);
  if (check.failed())
    return check.message();

  Tensor zxbcdt, result;
  std::string err = linear(hidden, w.inProj, w.inProjBias, zxbcdt);
  CausalConv1dInputs convIn{transpose12(sliceLast(zxbcdt, d, d + conv)),
                            w.convW, w.convB, std::nullopt, /*silu=*/true};
  CausalConv1dOutputs convOut;
  if (err.empty())
    err = causalConv1d(convIn, convOut);
  if (!err.empty())
    return "mamba2_mixer: " + err;
  Tensor xBC = transpose12(convOut.y);

  SsdInputs s;
  s.x = reshaped(sliceLast(xBC, 0, d), {b, l, h, p});
  s.dt = sliceLast(zxbcdt, d + conv, d + conv + h);
  s.A = w.ALog;
  for (double &v : s.A.data)
    v = -std::exp(v);
  s.B = reshaped(sliceLast(xBC, d, d + g * n), {b, l, g, n});
  s.C = reshaped(sliceLast(xBC, d + g * n, conv), {b, l, g, n});
  s.D = w.D;
  s.dtBias = w.dtBias;
  s.dtSoftplus = true;
  s.dtLimit = cfg.dtLimit;
  SsdOutputs ssdOut;
  err = ssdChunked(s, cfg.chunkSize, ssdOut);
  Tensor normed;
  if (err.empty())
    err = gatedRmsNorm(reshaped(ssdOut.out, {b, l, d}), sliceLast(zxbcdt, 0, d),
                       w.normW, cfg.eps,
                       cfg.normGroupSize > 0 ? cfg.normGroupSize : d / g,
                       normed);
  if (err.empty())
    err = linear(normed, w.outProj, w.outProjBias, result);
  if (!err.empty())
    return "mamba2_mixer: " + err;
  out = std::move(result);
  return "";
}

/// (b,x,y) -> (b,y,x).
Tensor ssmc::reference::transpose12(const Tensor &t) {
  Tensor r({t.dim(0), t.dim(2), t.dim(1)});
  for (int64_t i = 0; i < t.dim(0); ++i)
    for (int64_t j = 0; j < t.dim(1); ++j)
      for (int64_t k = 0; k < t.dim(2); ++k)
        r.at({i, k, j}) = t.at({i, j, k});
  return r;
}

/// Elements [start, end) of the last dimension.
Tensor ssmc::reference::sliceLast(const Tensor &t, int64_t start, int64_t end) {
  std::vector<int64_t> shape = t.shape;
  int64_t width = shape.back();
  shape.back() = end - start;
  Tensor r(shape);
  int64_t rows = width == 0 ? 0 : t.numel() / width;
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t c = start; c < end; ++c)
      r.data[static_cast<size_t>(row * (end - start) + c - start)] =
          t.data[static_cast<size_t>(row * width + c)];
  return r;
}

namespace {
/// The sizes before, at and after dimension `dim` of `shape`.
struct Around {
  int64_t outer = 1, size = 1, inner = 1;
  Around(const std::vector<int64_t> &shape, int64_t dim) {
    for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
      int64_t s = shape[static_cast<size_t>(i)];
      if (i < dim)
        outer *= s;
      else if (i == dim)
        size = s;
      else
        inner *= s;
    }
  }
};
} // namespace

Tensor ssmc::reference::sliceDim(const Tensor &t, int64_t dim, int64_t start,
                                 int64_t end) {
  std::vector<int64_t> shape = t.shape;
  shape[static_cast<size_t>(dim)] = end - start;
  Tensor r(shape);
  Around from(t.shape, dim);
  for (int64_t o = 0; o < from.outer; ++o)
    for (int64_t i = start; i < end; ++i)
      for (int64_t k = 0; k < from.inner; ++k)
        r.data[static_cast<size_t>(
            (o * (end - start) + i - start) * from.inner + k)] =
            t.data[static_cast<size_t>((o * from.size + i) * from.inner + k)];
  return r;
}

void ssmc::reference::placeDim(Tensor &dst, const Tensor &src, int64_t dim,
                               int64_t start) {
  Around to(dst.shape, dim), from(src.shape, dim);
  for (int64_t o = 0; o < from.outer; ++o)
    for (int64_t i = 0; i < from.size; ++i)
      for (int64_t k = 0; k < from.inner; ++k)
        dst.data[static_cast<size_t>((o * to.size + start + i) * to.inner +
                                     k)] =
            src.data[static_cast<size_t>((o * from.size + i) * from.inner + k)];
}

std::string ssmc::reference::packedOffsets(const Tensor &cuSeqlens, int64_t l,
                                           std::vector<int64_t> &offsets) {
  if (cuSeqlens.rank() != 1 || cuSeqlens.numel() < 1)
    return "cu_seqlens must be a rank-1 tensor of at least one offset";
  offsets.clear();
  for (double v : cuSeqlens.data)
    offsets.push_back(static_cast<int64_t>(v));
  if (offsets.front() != 0)
    return "cu_seqlens must start at 0, got " + std::to_string(offsets.front());
  for (size_t i = 1; i < offsets.size(); ++i)
    if (offsets[i] < offsets[i - 1])
      return "cu_seqlens must not decrease, got " +
             std::to_string(offsets[i - 1]) + " then " +
             std::to_string(offsets[i]) + " at " + std::to_string(i);
  if (offsets.back() != l)
    return "cu_seqlens must end at the length l = " + std::to_string(l) +
           ", got " + std::to_string(offsets.back());
  return "";
}

//===----------------------------------------------------------------------===//
// Test helpers
//===----------------------------------------------------------------------===//

double ssmc::reference::relativeL2(const Tensor &a, const Tensor &b) {
  if (a.shape != b.shape || a.data.size() != b.data.size())
    return std::numeric_limits<double>::infinity();
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    diff += (a.data[i] - b.data[i]) * (a.data[i] - b.data[i]);
    norm += b.data[i] * b.data[i];
  }
  if (diff == 0.0)
    return 0.0;
  return norm == 0.0 ? std::numeric_limits<double>::infinity()
                     : std::sqrt(diff / norm);
}

Tensor ssmc::reference::randomTensor(std::vector<int64_t> shape, uint64_t seed,
                                     double lo, double hi) {
  Tensor t(std::move(shape));
  std::mt19937_64 gen(seed);
  // The top 53 bits as a fraction in [0, 1): std::uniform_real_distribution
  // differs between standard libraries, this does not.
  for (double &v : t.data)
    v = lo + (hi - lo) * (static_cast<double>(gen() >> 11) * 0x1.0p-53);
  return t;
}
