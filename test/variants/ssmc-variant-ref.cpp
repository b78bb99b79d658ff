//===- ssmc-variant-ref.cpp - naive float64 loops for the DSL variants ----===//
//
// The oracle for examples/variants/*.ssm: each recurrence written by hand as
// plain nested loops in double precision, independent of the compiler (the
// .ssm files are never parsed here; the declarations below are copied from
// them by hand). For a variant it draws random inputs, writes them as the
// entry's arguments (float32 .npy), and writes the outputs and final states
// it computes (float64 .npy); `compare` then checks what ssmc produced
// against them by relative L2 error. Plain C++17 and the runtime's .npy
// library, no MLIR or LLVM.
//
//===----------------------------------------------------------------------===//

#include "ssmc/runtime/Npy.h"
#include "ssmc/runtime/SplitMix64.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <sys/stat.h>
#include <utility>
#include <vector>

using namespace ssmc;

namespace {

//===----------------------------------------------------------------------===//
// Tensors, the run's environment and the DSL's functions
//===----------------------------------------------------------------------===//

/// A dense row-major float64 tensor indexed as `x(b, t, h, k)`. Every access
/// checks the rank and the bounds: an index slip in a variant below aborts
/// instead of reading a neighbour.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> data;

  template <typename... Index> double &operator()(Index... index) {
    return data[offset({static_cast<int64_t>(index)...})];
  }
  template <typename... Index> double operator()(Index... index) const {
    return data[offset({static_cast<int64_t>(index)...})];
  }

  size_t offset(std::initializer_list<int64_t> index) const {
    if (index.size() != shape.size()) {
      std::fprintf(stderr,
                   "ssmc-variant-ref: internal error: rank %zu index "
                   "into a tensor of shape %s\n",
                   index.size(), npy::shapeString(shape).c_str());
      std::abort();
    }
    int64_t flat = 0;
    size_t dim = 0;
    for (int64_t i : index) {
      if (i < 0 || i >= shape[dim]) {
        std::fprintf(stderr,
                     "ssmc-variant-ref: internal error: index %lld "
                     "out of bounds in dim %zu of shape %s\n",
                     static_cast<long long>(i), dim,
                     npy::shapeString(shape).c_str());
        std::abort();
      }
      flat = flat * shape[dim++] + i;
    }
    return static_cast<size_t>(flat);
  }
};

/// The dimension sizes and the tensors of one run, by their .ssm names.
struct Env {
  std::map<std::string, int64_t> sizes;
  std::map<std::string, Tensor> tensors;

  int64_t dim(const std::string &name) const {
    auto it = sizes.find(name);
    if (it == sizes.end()) {
      std::fprintf(stderr, "ssmc-variant-ref: internal error: no dim '%s'\n",
                   name.c_str());
      std::abort();
    }
    return it->second;
  }
  Tensor &get(const std::string &name) {
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      std::fprintf(stderr, "ssmc-variant-ref: internal error: no tensor '%s'\n",
                   name.c_str());
      std::abort();
    }
    return it->second;
  }
};

/// log(1 + exp(x)), and x itself above 20 (the DSL's definition).
double softplus(double x) { return x > 20.0 ? x : std::log1p(std::exp(x)); }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double logsigmoid(double x) { return -softplus(-x); }
double silu(double x) { return x * sigmoid(x); }

//===----------------------------------------------------------------------===//
// The variants: one function each, the .ssm file's math as plain loops.
// Tensors keep the .ssm names (A, B, C, D, H, S as in the papers); sizes are
// n<dim> and loop indices the dim's own letter. Each function starts from
// the initial states in the env, leaves the final states there, and fills
// every output. Updates of one step read the previous step's states; outputs
// read the updated ones.
//===----------------------------------------------------------------------===//

/// mamba1.ssm, per batch b, channel d, state index n and step t:
///   dt = softplus(delta + delta_bias[d])
///   h[n] = exp(dt * A[d, n]) * h[n] + dt * B[n] * u
///   y = (sum_n C[n] * h[n] + D[d] * u) * silu(z)
void mamba1(Env &env) {
  const Tensor &u = env.get("u"), &delta = env.get("delta"), &B = env.get("B"),
               &C = env.get("C"), &z = env.get("z"), &A = env.get("A"),
               &D = env.get("D"), &deltaBias = env.get("delta_bias");
  Tensor &h = env.get("h"), &y = env.get("y");
  int64_t nb = env.dim("b"), nd = env.dim("d"), nn = env.dim("n"),
          nt = env.dim("t");
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t d = 0; d < nd; ++d)
      for (int64_t t = 0; t < nt; ++t) {
        double dt = softplus(delta(b, d, t) + deltaBias(d));
        double acc = 0.0;
        for (int64_t n = 0; n < nn; ++n) {
          h(b, d, n) = std::exp(dt * A(d, n)) * h(b, d, n) +
                       dt * B(b, n, t) * u(b, d, t);
          acc += C(b, n, t) * h(b, d, n);
        }
        y(b, d, t) = (acc + D(d) * u(b, d, t)) * silu(z(b, d, t));
      }
}

/// mamba2.ssm, per batch b, head h and step t:
///   dt = softplus(dt_raw + dt_bias[h])
///   H[p, n] = exp(dt * A[h]) * H[p, n] + dt * x[p] * B[n]
///   y[p] = (sum_n C[n] * H[p, n] + D[h] * x[p]) * silu(z[p])
void mamba2(Env &env) {
  const Tensor &x = env.get("x"), &dtRaw = env.get("dt_raw"), &B = env.get("B"),
               &C = env.get("C"), &z = env.get("z"), &A = env.get("A"),
               &D = env.get("D"), &dtBias = env.get("dt_bias");
  Tensor &H = env.get("H"), &y = env.get("y");
  int64_t nb = env.dim("b"), nt = env.dim("t"), nh = env.dim("h"),
          np = env.dim("p"), nn = env.dim("n");
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t t = 0; t < nt; ++t) {
        double dt = softplus(dtRaw(b, t, h) + dtBias(h));
        double decay = std::exp(dt * A(h));
        for (int64_t p = 0; p < np; ++p) {
          double acc = 0.0;
          for (int64_t n = 0; n < nn; ++n) {
            H(b, h, p, n) =
                decay * H(b, h, p, n) + dt * x(b, t, h, p) * B(b, t, n);
            acc += C(b, t, n) * H(b, h, p, n);
          }
          y(b, t, h, p) = (acc + D(h) * x(b, t, h, p)) * silu(z(b, t, h, p));
        }
      }
}

/// The 1 / sqrt(128) of retnet, simple_gla and gla: a literal in the .ssm
/// files, so it stays 128 when a test shrinks k.
const double attentionScale = 1.0 / std::sqrt(128.0);

/// retnet.ssm, per batch b, head h and step t:
///   S[k, v] = gamma[h] * S[k, v] + key[k] * value[v]
///   o[v] = sum_k q[k] * S[k, v] / sqrt(128)
void retnet(Env &env) {
  const Tensor &q = env.get("q"), &key = env.get("key"),
               &value = env.get("value"), &gamma = env.get("gamma");
  Tensor &S = env.get("S"), &o = env.get("o");
  int64_t nb = env.dim("b"), nt = env.dim("t"), nh = env.dim("h"),
          nk = env.dim("k"), nv = env.dim("v");
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t t = 0; t < nt; ++t) {
        for (int64_t k = 0; k < nk; ++k)
          for (int64_t v = 0; v < nv; ++v)
            S(b, h, k, v) =
                gamma(h) * S(b, h, k, v) + key(b, t, h, k) * value(b, t, h, v);
        for (int64_t v = 0; v < nv; ++v) {
          double acc = 0.0;
          for (int64_t k = 0; k < nk; ++k)
            acc += q(b, t, h, k) * S(b, h, k, v);
          o(b, t, h, v) = acc * attentionScale;
        }
      }
}

/// simple_gla.ssm, per batch b, head h and step t:
///   S[k, v] = exp(g) * S[k, v] + key[k] * value[v]
///   o[v] = sum_k q[k] * S[k, v] / sqrt(128)
void simpleGla(Env &env) {
  const Tensor &q = env.get("q"), &key = env.get("key"),
               &value = env.get("value"), &g = env.get("g");
  Tensor &S = env.get("S"), &o = env.get("o");
  int64_t nb = env.dim("b"), nt = env.dim("t"), nh = env.dim("h"),
          nk = env.dim("k"), nv = env.dim("v");
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t t = 0; t < nt; ++t) {
        double decay = std::exp(g(b, t, h));
        for (int64_t k = 0; k < nk; ++k)
          for (int64_t v = 0; v < nv; ++v)
            S(b, h, k, v) =
                decay * S(b, h, k, v) + key(b, t, h, k) * value(b, t, h, v);
        for (int64_t v = 0; v < nv; ++v) {
          double acc = 0.0;
          for (int64_t k = 0; k < nk; ++k)
            acc += q(b, t, h, k) * S(b, h, k, v);
          o(b, t, h, v) = acc * attentionScale;
        }
      }
}

/// gla.ssm, per batch b, head h and step t:
///   S[k, v] = exp(gk[k]) * S[k, v] + key[k] * value[v]
///   o[v] = sum_k q[k] * S[k, v] / sqrt(128)
void gla(Env &env) {
  const Tensor &q = env.get("q"), &key = env.get("key"),
               &value = env.get("value"), &gk = env.get("gk");
  Tensor &S = env.get("S"), &o = env.get("o");
  int64_t nb = env.dim("b"), nt = env.dim("t"), nh = env.dim("h"),
          nk = env.dim("k"), nv = env.dim("v");
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t t = 0; t < nt; ++t) {
        for (int64_t k = 0; k < nk; ++k) {
          double decay = std::exp(gk(b, t, h, k));
          for (int64_t v = 0; v < nv; ++v)
            S(b, h, k, v) =
                decay * S(b, h, k, v) + key(b, t, h, k) * value(b, t, h, v);
        }
        for (int64_t v = 0; v < nv; ++v) {
          double acc = 0.0;
          for (int64_t k = 0; k < nk; ++k)
            acc += q(b, t, h, k) * S(b, h, k, v);
          o(b, t, h, v) = acc * attentionScale;
        }
      }
}

/// hgrn.ssm, per batch b, channel d and step t:
///   h = exp(g) * h + x
///   o = h
void hgrn(Env &env) {
  const Tensor &x = env.get("x"), &g = env.get("g");
  Tensor &h = env.get("h"), &o = env.get("o");
  int64_t nb = env.dim("b"), nt = env.dim("t"), nd = env.dim("d");
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t d = 0; d < nd; ++d)
      for (int64_t t = 0; t < nt; ++t) {
        h(b, d) = std::exp(g(b, t, d)) * h(b, d) + x(b, t, d);
        o(b, t, d) = h(b, d);
      }
}

/// hgrn2.ssm, per batch b, head h and step t:
///   g[k] = logsigmoid(f[k])
///   S[k, v] = exp(g[k]) * S[k, v] + (1 - exp(g[k])) * i[v]
///   o[v] = sum_k q[k] * S[k, v]
void hgrn2(Env &env) {
  const Tensor &q = env.get("q"), &f = env.get("f"), &i = env.get("i");
  Tensor &S = env.get("S"), &o = env.get("o");
  int64_t nb = env.dim("b"), nt = env.dim("t"), nh = env.dim("h"),
          nk = env.dim("k"), nv = env.dim("v");
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t t = 0; t < nt; ++t) {
        for (int64_t k = 0; k < nk; ++k) {
          double forget = std::exp(logsigmoid(f(b, t, h, k)));
          for (int64_t v = 0; v < nv; ++v)
            S(b, h, k, v) =
                forget * S(b, h, k, v) + (1.0 - forget) * i(b, t, h, v);
        }
        for (int64_t v = 0; v < nv; ++v) {
          double acc = 0.0;
          for (int64_t k = 0; k < nk; ++k)
            acc += q(b, t, h, k) * S(b, h, k, v);
          o(b, t, h, v) = acc;
        }
      }
}

/// rotary.ssm, per batch b, head h and step t (both updates read the old
/// Sr and Si):
///   dt = softplus(dt_raw + dt_bias[h]); a = exp(dt * A[h])
///   c[n] = cos(dt * theta[h, n]); s[n] = sin(dt * theta[h, n])
///   Sr[p, n] = a * (c[n] * Sr[p, n] - s[n] * Si[p, n]) + dt * x[p] * B[n]
///   Si[p, n] = a * (s[n] * Sr[p, n] + c[n] * Si[p, n])
///   y[p] = sum_n C[n] * Sr[p, n]
void rotary(Env &env) {
  const Tensor &x = env.get("x"), &dtRaw = env.get("dt_raw"), &B = env.get("B"),
               &C = env.get("C"), &A = env.get("A"), &theta = env.get("theta"),
               &dtBias = env.get("dt_bias");
  Tensor &Sr = env.get("Sr"), &Si = env.get("Si"), &y = env.get("y");
  int64_t nb = env.dim("b"), nt = env.dim("t"), nh = env.dim("h"),
          np = env.dim("p"), nn = env.dim("n");
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t t = 0; t < nt; ++t) {
        double dt = softplus(dtRaw(b, t, h) + dtBias(h));
        double a = std::exp(dt * A(h));
        for (int64_t p = 0; p < np; ++p) {
          double acc = 0.0;
          for (int64_t n = 0; n < nn; ++n) {
            double c = std::cos(dt * theta(h, n));
            double s = std::sin(dt * theta(h, n));
            double oldR = Sr(b, h, p, n), oldI = Si(b, h, p, n);
            Sr(b, h, p, n) =
                a * (c * oldR - s * oldI) + dt * x(b, t, h, p) * B(b, t, n);
            Si(b, h, p, n) = a * (s * oldR + c * oldI);
            acc += C(b, t, n) * Sr(b, h, p, n);
          }
          y(b, t, h, p) = acc;
        }
      }
}

/// deltanet.ssm, per batch b, head h and step t (kS from the old S):
///   kS[v] = sum_k key[k] * S[k, v]
///   S[k, v] = S[k, v] + beta * key[k] * (value[v] - kS[v])
///   o[v] = sum_k q[k] * S[k, v]
void deltanet(Env &env) {
  const Tensor &q = env.get("q"), &key = env.get("key"),
               &value = env.get("value"), &beta = env.get("beta");
  Tensor &S = env.get("S"), &o = env.get("o");
  int64_t nb = env.dim("b"), nt = env.dim("t"), nh = env.dim("h"),
          nk = env.dim("k"), nv = env.dim("v");
  std::vector<double> kS(nv);
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t t = 0; t < nt; ++t) {
        for (int64_t v = 0; v < nv; ++v) {
          kS[v] = 0.0;
          for (int64_t k = 0; k < nk; ++k)
            kS[v] += key(b, t, h, k) * S(b, h, k, v);
        }
        for (int64_t k = 0; k < nk; ++k)
          for (int64_t v = 0; v < nv; ++v)
            S(b, h, k, v) +=
                beta(b, t, h) * key(b, t, h, k) * (value(b, t, h, v) - kS[v]);
        for (int64_t v = 0; v < nv; ++v) {
          double acc = 0.0;
          for (int64_t k = 0; k < nk; ++k)
            acc += q(b, t, h, k) * S(b, h, k, v);
          o(b, t, h, v) = acc;
        }
      }
}

/// DeltaNet's keys are L2-normalised over k for each (b, t, h); done on the
/// uniform draws, before the rounding to f32 / bf16.
void normaliseDeltanetKeys(Env &env) {
  Tensor &key = env.get("key");
  int64_t nb = env.dim("b"), nt = env.dim("t"), nh = env.dim("h"),
          nk = env.dim("k");
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t t = 0; t < nt; ++t)
      for (int64_t h = 0; h < nh; ++h) {
        double norm = 0.0;
        for (int64_t k = 0; k < nk; ++k)
          norm += key(b, t, h, k) * key(b, t, h, k);
        norm = std::sqrt(norm);
        for (int64_t k = 0; k < nk; ++k)
          key(b, t, h, k) /= norm;
      }
}

//===----------------------------------------------------------------------===//
// The declarations of the .ssm files, copied by hand
//===----------------------------------------------------------------------===//

/// An input, param, state or output: its name, dims, declared element type
/// and, for inputs and params, the uniform range its values are drawn from.
struct Decl {
  std::string name;
  std::vector<std::string> dims;
  bool bf16;
  double lo, hi;
};

Decl bf16(std::string name, std::vector<std::string> dims, double lo = -1.0,
          double hi = 1.0) {
  return {std::move(name), std::move(dims), true, lo, hi};
}

Decl f32(std::string name, std::vector<std::string> dims, double lo = -1.0,
         double hi = 1.0) {
  return {std::move(name), std::move(dims), false, lo, hi};
}

/// One .ssm file: its dims (size 0 = given on the command line) and its
/// declarations, each list in file order.
struct Variant {
  std::string name;
  std::vector<std::pair<std::string, int64_t>> dims;
  /// The `input` and `param` declarations: the entry's arguments.
  std::vector<Decl> args;
  std::vector<Decl> states;
  std::vector<Decl> outputs;
  void (*compute)(Env &);
  /// Adjusts the drawn arguments before they are rounded (may be null), and
  /// says how for `list`.
  void (*prepare)(Env &);
  const char *prepareNote;
};

const std::vector<Variant> &variants() {
  // Ranges keep the recurrences well-behaved: log-decays in [-1, -0.01],
  // dt = softplus([-4, -1] + [-0.5, 0.5]) small, A < 0.
  static const std::vector<Variant> all = {
      {"mamba1",
       {{"b", 0}, {"d", 0}, {"n", 16}, {"t", 0}},
       {bf16("u", {"b", "d", "t"}), bf16("delta", {"b", "d", "t"}, -4, -1),
        bf16("B", {"b", "n", "t"}), bf16("C", {"b", "n", "t"}),
        bf16("z", {"b", "d", "t"}), f32("A", {"d", "n"}, -2, -0.1),
        f32("D", {"d"}, 0.5, 1.5), f32("delta_bias", {"d"}, -0.5, 0.5)},
       {f32("h", {"b", "d", "n"})},
       {bf16("y", {"b", "d", "t"})},
       mamba1,
       nullptr,
       nullptr},
      {"mamba2",
       {{"b", 0}, {"t", 0}, {"h", 0}, {"p", 64}, {"n", 128}},
       {bf16("x", {"b", "t", "h", "p"}),
        bf16("dt_raw", {"b", "t", "h"}, -4, -1), bf16("B", {"b", "t", "n"}),
        bf16("C", {"b", "t", "n"}), bf16("z", {"b", "t", "h", "p"}),
        f32("A", {"h"}, -2, -0.1), f32("D", {"h"}, 0.5, 1.5),
        f32("dt_bias", {"h"}, -0.5, 0.5)},
       {f32("H", {"b", "h", "p", "n"})},
       {bf16("y", {"b", "t", "h", "p"})},
       mamba2,
       nullptr,
       nullptr},
      {"retnet",
       {{"b", 0}, {"t", 0}, {"h", 0}, {"k", 128}, {"v", 128}},
       {bf16("q", {"b", "t", "h", "k"}), bf16("key", {"b", "t", "h", "k"}),
        bf16("value", {"b", "t", "h", "v"}), f32("gamma", {"h"}, 0.8, 0.999)},
       {f32("S", {"b", "h", "k", "v"})},
       {bf16("o", {"b", "t", "h", "v"})},
       retnet,
       nullptr,
       nullptr},
      {"simple_gla",
       {{"b", 0}, {"t", 0}, {"h", 0}, {"k", 128}, {"v", 128}},
       {bf16("q", {"b", "t", "h", "k"}), bf16("key", {"b", "t", "h", "k"}),
        bf16("value", {"b", "t", "h", "v"}),
        f32("g", {"b", "t", "h"}, -1, -0.01)},
       {f32("S", {"b", "h", "k", "v"})},
       {bf16("o", {"b", "t", "h", "v"})},
       simpleGla,
       nullptr,
       nullptr},
      {"gla",
       {{"b", 0}, {"t", 0}, {"h", 0}, {"k", 128}, {"v", 128}},
       {bf16("q", {"b", "t", "h", "k"}), bf16("key", {"b", "t", "h", "k"}),
        bf16("value", {"b", "t", "h", "v"}),
        f32("gk", {"b", "t", "h", "k"}, -1, -0.01)},
       {f32("S", {"b", "h", "k", "v"})},
       {bf16("o", {"b", "t", "h", "v"})},
       gla,
       nullptr,
       nullptr},
      {"hgrn",
       {{"b", 0}, {"t", 0}, {"d", 0}},
       {bf16("x", {"b", "t", "d"}), f32("g", {"b", "t", "d"}, -1, -0.01)},
       {f32("h", {"b", "d"})},
       {bf16("o", {"b", "t", "d"})},
       hgrn,
       nullptr,
       nullptr},
      {"hgrn2",
       {{"b", 0}, {"t", 0}, {"h", 0}, {"k", 128}, {"v", 128}},
       {bf16("q", {"b", "t", "h", "k"}), bf16("f", {"b", "t", "h", "k"}, -3, 3),
        bf16("i", {"b", "t", "h", "v"})},
       {f32("S", {"b", "h", "k", "v"})},
       {bf16("o", {"b", "t", "h", "v"})},
       hgrn2,
       nullptr,
       nullptr},
      {"rotary",
       {{"b", 0}, {"t", 0}, {"h", 0}, {"p", 64}, {"n", 32}},
       {bf16("x", {"b", "t", "h", "p"}),
        bf16("dt_raw", {"b", "t", "h"}, -4, -1), bf16("B", {"b", "t", "n"}),
        bf16("C", {"b", "t", "n"}), f32("A", {"h"}, -2, -0.1),
        f32("theta", {"h", "n"}, -1, 1), f32("dt_bias", {"h"}, -0.5, 0.5)},
       {f32("Sr", {"b", "h", "p", "n"}), f32("Si", {"b", "h", "p", "n"})},
       {bf16("y", {"b", "t", "h", "p"})},
       rotary,
       nullptr,
       nullptr},
      {"deltanet",
       {{"b", 0}, {"t", 0}, {"h", 0}, {"k", 64}, {"v", 64}},
       {bf16("q", {"b", "t", "h", "k"}), bf16("key", {"b", "t", "h", "k"}),
        bf16("value", {"b", "t", "h", "v"}),
        bf16("beta", {"b", "t", "h"}, 0.1, 0.9)},
       {f32("S", {"b", "h", "k", "v"})},
       {bf16("o", {"b", "t", "h", "v"})},
       deltanet,
       normaliseDeltanetKeys,
       "key is L2-normalised over k for each (b, t, h) before rounding"},
  };
  return all;
}

//===----------------------------------------------------------------------===//
// Random inputs and rounding
//===----------------------------------------------------------------------===//

using ssmc::SplitMix64;

/// The bf16 value nearest to \p x (ties to even): 8 significant bits, the
/// exponent range of f32 (bf16 subnormals step by 2^-133).
double roundToBf16(double x) {
  if (x == 0.0 || !std::isfinite(x))
    return x;
  int exponent;
  std::frexp(x, &exponent); // x = m * 2^exponent, 0.5 <= |m| < 1
  int ulpExponent = std::max(exponent, -125) - 8;
  // nearbyint rounds ties to even in the default rounding mode.
  return std::ldexp(std::nearbyint(std::ldexp(x, -ulpExponent)), ulpExponent);
}

//===----------------------------------------------------------------------===//
// The command line
//===----------------------------------------------------------------------===//

const char *usage =
    "usage: ssmc-variant-ref VARIANT --dims NAME=N,... --dir DIR [--seed N]\n"
    "                        [--bf16] [--init] [--step] [--no-expected]\n"
    "       ssmc-variant-ref compare --expected DIR --actual PREFIX\n"
    "                        --tolerance T\n"
    "       ssmc-variant-ref list\n"
    "\n"
    "The first form draws random arguments of examples/variants/VARIANT.ssm\n"
    "and computes its outputs and final states with naive float64 loops:\n"
    "  DIR/arg<i>.npy       the entry's arguments (float32): the inputs and\n"
    "                       params in file order, then with --init one "
    "initial\n"
    "                       state per state (uniform [-1, 1]) in file order\n"
    "  DIR/expected<i>.npy  the outputs in file order, then the final states\n"
    "                       (float64)\n"
    "  --dims NAME=N,...    the size of every dim the .ssm leaves open; fixed\n"
    "                       ones (k = 128) may be overridden\n"
    "  --seed N             random seed (0)\n"
    "  --bf16               round every tensor declared bf16 to bf16 first\n"
    "  --init               draw initial states (otherwise they are zero)\n"
    "  --no-expected        write the arguments only (for benchmarks)\n"
    "  --step               one token for the VARIANT_step entry: needs t=1,\n"
    "                       implies --init, and writes every tensor without\n"
    "                       its time dim t\n"
    "\n"
    "compare reads DIR/expected<i>.npy and PREFIX<i>.npy (as `ssmc eval\n"
    "--output PREFIX` writes them) for every i in DIR, prints the relative L2\n"
    "error of each, and exits 1 when one exceeds T or holds NaN or Inf.\n"
    "\n"
    "list prints every variant's arguments and results.\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 bad command line.\n";

// Both flush stdout first, so that a message follows the results it sums up.
int usageError(const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "ssmc-variant-ref: %s\n(run with --help for usage)\n",
               message.c_str());
  return 2;
}

int fail(const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "ssmc-variant-ref: %s\n", message.c_str());
  return 1;
}

/// Parses a whole decimal integer in [lo, hi].
bool parseInt(const std::string &text, int64_t lo, int64_t hi, int64_t &out) {
  if (text.empty() || !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
    return false;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi)
    return false;
  out = v;
  return true;
}

bool parseSeed(const std::string &text, uint64_t &out) {
  if (text.empty() || text[0] < '0' || text[0] > '9')
    return false;
  errno = 0;
  char *end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  out = v;
  return true;
}

bool parseDouble(const std::string &text, double &out) {
  if (text.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(v))
    return false;
  out = v;
  return true;
}

bool fileExists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

/// Creates \p dir and its missing parents.
std::string makeDirs(const std::string &dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/')
      continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST)
      return "cannot create " + prefix + ": " + std::strerror(errno);
  }
  struct stat info;
  if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    return dir + " is not a directory";
  return "";
}

/// "b, d, n=16, t".
std::string dimList(const Variant &variant) {
  std::string text;
  for (const auto &[name, size] : variant.dims) {
    if (!text.empty())
      text += ", ";
    text += name;
    if (size != 0)
      text += "=" + std::to_string(size);
  }
  return text;
}

/// "bf16[b, d, t]".
std::string declType(const Decl &decl) {
  std::string text = decl.bf16 ? "bf16[" : "f32[";
  for (size_t i = 0; i < decl.dims.size(); ++i)
    text += (i ? ", " : "") + decl.dims[i];
  return text + "]";
}

const Variant *findVariant(const std::string &name) {
  for (const Variant &variant : variants())
    if (variant.name == name)
      return &variant;
  return nullptr;
}

std::string variantNames() {
  std::string text;
  for (const Variant &variant : variants())
    text += (text.empty() ? "" : ", ") + variant.name;
  return text;
}

int runList() {
  for (const Variant &variant : variants()) {
    std::printf("%s (dims %s)\n", variant.name.c_str(),
                dimList(variant).c_str());
    size_t i = 0;
    for (const Decl &decl : variant.args)
      std::printf("  arg%zu %s: %s [%g, %g]\n", i++, decl.name.c_str(),
                  declType(decl).c_str(), decl.lo, decl.hi);
    if (variant.prepareNote)
      std::printf("  (%s)\n", variant.prepareNote);
    for (const Decl &decl : variant.states)
      std::printf("  arg%zu %s: %s initial state (--init)\n", i++,
                  decl.name.c_str(), declType(decl).c_str());
    size_t e = 0;
    for (const Decl &decl : variant.outputs)
      std::printf("  expected%zu %s: %s output\n", e++, decl.name.c_str(),
                  declType(decl).c_str());
    for (const Decl &decl : variant.states)
      std::printf("  expected%zu %s: %s final state\n", e++, decl.name.c_str(),
                  declType(decl).c_str());
  }
  return 0;
}

/// Parses "b=2,t=37,..." into \p sizes for \p variant: every open dim must be
/// given, every name must be one of its dims, each at most once.
std::string parseDims(const Variant &variant, const std::string &text,
                      std::map<std::string, int64_t> &sizes) {
  std::map<std::string, int64_t> given;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? text.size() + 1 : comma + 1;
    size_t eq = item.find('=');
    int64_t size;
    if (eq == std::string::npos || eq == 0 ||
        !parseInt(item.substr(eq + 1), 1, int64_t(1) << 30, size))
      return "--dims: expected NAME=N with N >= 1, got '" + item + "'";
    std::string name = item.substr(0, eq);
    if (given.count(name))
      return "--dims: '" + name + "' given twice";
    given[name] = size;
  }
  sizes.clear();
  for (const auto &[name, fixed] : variant.dims) {
    auto it = given.find(name);
    if (it != given.end()) {
      sizes[name] = it->second;
      given.erase(it);
    } else if (fixed != 0) {
      sizes[name] = fixed;
    } else {
      return "--dims: missing '" + name + "' (" + variant.name + " has dims " +
             dimList(variant) + ")";
    }
  }
  if (!given.empty())
    return "--dims: unknown dim '" + given.begin()->first + "' (" +
           variant.name + " has dims " + dimList(variant) + ")";
  return "";
}

std::vector<int64_t> shapeOf(const Decl &decl,
                             const std::map<std::string, int64_t> &sizes) {
  std::vector<int64_t> shape;
  for (const std::string &dim : decl.dims)
    shape.push_back(sizes.at(dim));
  return shape;
}

Tensor zeros(std::vector<int64_t> shape) {
  int64_t count = 1;
  for (int64_t size : shape)
    count *= size;
  return {std::move(shape), std::vector<double>(count, 0.0)};
}

int runVariant(const Variant &variant, int argc, char **argv) {
  std::string dimsText, dir;
  bool haveDims = false, useBf16 = false, init = false, step = false,
       expected = true;
  uint64_t seed = 0;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    std::string text;
    if (arg == "--dims") {
      if (!value(dimsText))
        return usageError("--dims needs a value");
      haveDims = true;
    } else if (arg == "--dir") {
      if (!value(dir) || dir.empty())
        return usageError("--dir needs a directory");
    } else if (arg == "--seed") {
      if (!value(text) || !parseSeed(text, seed))
        return usageError("--seed needs a non-negative integer");
    } else if (arg == "--bf16") {
      useBf16 = true;
    } else if (arg == "--init") {
      init = true;
    } else if (arg == "--step") {
      step = init = true;
    } else if (arg == "--no-expected") {
      expected = false;
    } else {
      return usageError("unknown argument '" + arg + "'");
    }
  }
  if (!haveDims)
    return usageError("--dims is required (" + variant.name + " has dims " +
                      dimList(variant) + ")");
  if (dir.empty())
    return usageError("--dir is required");

  Env env;
  if (std::string error = parseDims(variant, dimsText, env.sizes);
      !error.empty())
    return usageError(error);
  if (step && env.sizes.count("t") && env.sizes.at("t") != 1)
    return usageError("--step needs t=1");
  if (std::string error = makeDirs(dir); !error.empty())
    return fail(error);
  // The shape a tensor is written with: without t for --step (its data is
  // the same, t being 1).
  auto fileShape = [&](const Decl &decl, std::vector<int64_t> shape) {
    if (!step)
      return shape;
    for (size_t i = decl.dims.size(); i-- > 0;)
      if (decl.dims[i] == "t")
        shape.erase(shape.begin() + i);
    return shape;
  };

  // Draw the arguments, then the initial states, in file order.
  SplitMix64 rng{seed};
  for (const Decl &decl : variant.args) {
    Tensor tensor = zeros(shapeOf(decl, env.sizes));
    for (double &value : tensor.data)
      value = rng.uniform(decl.lo, decl.hi);
    env.tensors[decl.name] = std::move(tensor);
  }
  for (const Decl &decl : variant.states) {
    Tensor tensor = zeros(shapeOf(decl, env.sizes));
    if (init)
      for (double &value : tensor.data)
        value = rng.uniform(-1.0, 1.0);
    env.tensors[decl.name] = std::move(tensor);
  }
  if (variant.prepare)
    variant.prepare(env);

  // Round to what the kernel reads: f32 files, bf16 values where declared.
  auto roundDecl = [&](const Decl &decl) {
    for (double &value : env.get(decl.name).data)
      value = useBf16 && decl.bf16
                  ? roundToBf16(value)
                  : static_cast<double>(static_cast<float>(value));
  };
  std::vector<const Decl *> written;
  for (const Decl &decl : variant.args)
    written.push_back(&decl);
  if (init)
    for (const Decl &decl : variant.states)
      written.push_back(&decl);
  for (size_t i = 0; i < written.size(); ++i) {
    roundDecl(*written[i]);
    const Tensor &tensor = env.get(written[i]->name);
    std::string path = dir + "/arg" + std::to_string(i) + ".npy";
    if (std::string error =
            npy::writeNpy(path, fileShape(*written[i], tensor.shape),
                          tensor.data, npy::DType::F32);
        !error.empty())
      return fail(error);
  }

  if (!expected) {
    std::printf("%s: wrote %zu arguments to %s\n", variant.name.c_str(),
                written.size(), dir.c_str());
    return 0;
  }
  for (const Decl &decl : variant.outputs)
    env.tensors[decl.name] = zeros(shapeOf(decl, env.sizes));
  variant.compute(env);

  std::vector<const Decl *> results;
  for (const Decl &decl : variant.outputs)
    results.push_back(&decl);
  for (const Decl &decl : variant.states)
    results.push_back(&decl);
  for (size_t i = 0; i < results.size(); ++i) {
    const Tensor &tensor = env.get(results[i]->name);
    for (double value : tensor.data)
      if (!std::isfinite(value))
        return fail(variant.name + ": " + results[i]->name +
                    " is not finite; the inputs are out of range");
    std::string path = dir + "/expected" + std::to_string(i) + ".npy";
    if (std::string error =
            npy::writeNpy(path, fileShape(*results[i], tensor.shape),
                          tensor.data, npy::DType::F64);
        !error.empty())
      return fail(error);
  }
  // Files of an earlier, longer run in DIR would pass for this run's.
  for (const char *stem : {"/arg", "/expected"}) {
    size_t first = stem[1] == 'a' ? written.size() : results.size();
    for (size_t i = first;; ++i) {
      std::string path = dir + stem + std::to_string(i) + ".npy";
      if (!fileExists(path))
        break;
      if (std::remove(path.c_str()) != 0)
        return fail("cannot remove the stale " + path);
    }
  }
  std::printf("%s: wrote %zu arguments and %zu expected results to %s\n",
              variant.name.c_str(), written.size(), results.size(),
              dir.c_str());
  return 0;
}

int runCompare(int argc, char **argv) {
  std::string expectedDir, actualPrefix, text;
  double tolerance = -1.0;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    bool hasValue = i + 1 < argc;
    if (arg == "--expected" && hasValue) {
      expectedDir = argv[++i];
    } else if (arg == "--actual" && hasValue) {
      actualPrefix = argv[++i];
    } else if (arg == "--tolerance" && hasValue) {
      text = argv[++i];
      if (!parseDouble(text, tolerance) || tolerance < 0)
        return usageError("--tolerance needs a non-negative number, got '" +
                          text + "'");
    } else if (arg == "--expected" || arg == "--actual" ||
               arg == "--tolerance") {
      return usageError(arg + " needs a value");
    } else {
      return usageError("compare: unknown argument '" + arg + "'");
    }
  }
  if (expectedDir.empty() || actualPrefix.empty() || tolerance < 0)
    return usageError(
        "compare needs --expected DIR, --actual PREFIX and --tolerance T");

  auto expectedPath = [&](size_t i) {
    return expectedDir + "/expected" + std::to_string(i) + ".npy";
  };
  if (!fileExists(expectedPath(0)))
    return fail("no " + expectedPath(0) +
                " (write it with ssmc-variant-ref VARIANT --dir " +
                expectedDir + ")");

  std::vector<size_t> failed;
  size_t count = 0;
  for (; fileExists(expectedPath(count)); ++count) {
    size_t i = count;
    std::string actualPath = actualPrefix + std::to_string(i) + ".npy";
    npy::Array expected, actual;
    if (std::string error = npy::readNpy(expectedPath(i), expected);
        !error.empty()) {
      std::printf("result %zu: %s\n", i, error.c_str());
      failed.push_back(i);
      continue;
    }
    if (std::string error = npy::readNpy(actualPath, actual); !error.empty()) {
      std::printf("result %zu: %s\n", i, error.c_str());
      failed.push_back(i);
      continue;
    }
    std::string shape = npy::shapeString(expected.shape);
    if (actual.shape != expected.shape) {
      std::printf("result %zu: shape mismatch: expected %s, actual %s\n", i,
                  shape.c_str(), npy::shapeString(actual.shape).c_str());
      failed.push_back(i);
      continue;
    }
    double diff = 0.0, norm = 0.0;
    bool finite = true;
    for (size_t j = 0; j < expected.data.size(); ++j) {
      double a = actual.data[j], b = expected.data[j];
      finite = finite && std::isfinite(a) && std::isfinite(b);
      diff += (a - b) * (a - b);
      norm += b * b;
    }
    if (!finite) {
      std::printf("result %zu: shape %s, NaN or Inf (FAIL)\n", i,
                  shape.c_str());
      failed.push_back(i);
      continue;
    }
    // An all-zero expected tensor has no relative error: compare absolutely.
    double error = norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff);
    bool over = !(error <= tolerance);
    std::printf("result %zu: shape %s, %s L2 = %.3g%s\n", i, shape.c_str(),
                norm > 0.0 ? "rel" : "abs", error,
                over ? " (FAIL: above tolerance)" : "");
    if (over)
      failed.push_back(i);
  }
  if (fileExists(actualPrefix + std::to_string(count) + ".npy"))
    std::printf("note: %s%zu.npy has no expected counterpart; ignored\n",
                actualPrefix.c_str(), count);
  if (failed.empty()) {
    std::printf("all %zu results within tolerance %g\n", count, tolerance);
    return 0;
  }
  std::string list;
  for (size_t i : failed)
    list += (list.empty() ? "" : ", ") + std::to_string(i);
  char toleranceText[32];
  std::snprintf(toleranceText, sizeof(toleranceText), "%g", tolerance);
  return fail(std::to_string(failed.size()) + " of " + std::to_string(count) +
              " results failed (tolerance " + toleranceText + "): " + list);
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return usageError("expected a variant (" + variantNames() +
                      "), compare or list");
  std::string command = argv[1];
  if (command == "--help" || command == "-h") {
    std::fputs(usage, stdout);
    return 0;
  }
  if (command == "list")
    return argc == 2 ? runList() : usageError("list takes no arguments");
  if (command == "compare")
    return runCompare(argc, argv);
  if (const Variant *variant = findVariant(command))
    return runVariant(*variant, argc, argv);
  return usageError("unknown variant '" + command + "' (expected one of " +
                    variantNames() + ", or compare, list)");
}
