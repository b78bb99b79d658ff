//===- Reference.h - float64 reference evaluator for ssmc ops --*- C++ -*-===//
//
// The oracle that all numeric tests compare against: plain, unoptimised float64
// loops that follow docs SEMANTICS.md to the letter. No MLIR, no LLVM.
//
// Conventions shared by every entry point:
//  - Tensors are dense and row-major. Shape letters: b batch, l length,
//    d channels, n state, h heads, p head dim, g groups, k conv width.
//  - An entry point returns an empty string on success. Otherwise it returns a
//    one-line message naming the op, the tensor and the expected vs actual
//    shape, and leaves its outputs untouched. All shapes (and group counts,
//    chunk sizes, ...) are validated before anything is computed, so a bad
//    shape never crashes or asserts.
//  - softplus(x) = x for x > 20, else log1p(exp(x)); silu(x) = x * sigmoid(x).
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_REFERENCE_REFERENCE_H
#define SSMC_REFERENCE_REFERENCE_H

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ssmc {
namespace reference {

/// A dense row-major float64 tensor.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> data;

  Tensor() = default;
  /// Creates a tensor of \p shape with every element set to \p fill.
  explicit Tensor(std::vector<int64_t> shape, double fill = 0.0);

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  /// The product of the dimensions (1 for a rank-0 tensor).
  int64_t numel() const;
  int64_t dim(int64_t i) const;
  /// Element access by full index; asserts that the index is in bounds.
  double &at(std::initializer_list<int64_t> idx);
  double at(std::initializer_list<int64_t> idx) const;

private:
  int64_t offset(std::initializer_list<int64_t> idx) const;
};

/// A value pair (lo, hi) to clamp dt to.
using DtLimit = std::pair<double, double>;

//===----------------------------------------------------------------------===//
// Mamba-1 selective scan (S6)
//===----------------------------------------------------------------------===//

/// Inputs of the selective scan. Channel c uses group c / (d/g) of B and C.
struct SelectiveScanInputs {
  Tensor u;                        ///< (b,d,l)
  Tensor delta;                    ///< (b,d,l)
  Tensor A;                        ///< (d,n)
  Tensor B;                        ///< (b,g,n,l)
  Tensor C;                        ///< (b,g,n,l)
  std::optional<Tensor> D;         ///< (d)
  std::optional<Tensor> z;         ///< (b,d,l)
  std::optional<Tensor> deltaBias; ///< (d)
  std::optional<Tensor> h0;        ///< (b,d,n) initial state
  bool deltaSoftplus = false;
};

struct SelectiveScanOutputs {
  Tensor out;        ///< (b,d,l)
  Tensor finalState; ///< (b,d,n): the state after the last position
};

/// h_t = exp(dt_t A) h_{t-1} + dt_t B_t u_t; y_t = C_t . h_t + D u_t, gated
/// by silu(z) when z is given.
std::string selectiveScan(const SelectiveScanInputs &in,
                          SelectiveScanOutputs &out);

//===----------------------------------------------------------------------===//
// Mamba-2 SSD
//===----------------------------------------------------------------------===//

/// Inputs of the SSD. Head hh uses group hh / (h/g) of B and C. dt is
/// processed as clamp(softplus(dt + dtBias)) with each step only when its
/// input/flag is present.
///
/// seqIdx packs several sequences in one batch row: at a position t > 0 of
/// row bi, if seqIdx[bi,t] != seqIdx[bi,t-1] the state is reset to zero
/// before the update at t. initialStates applies at t = 0 only (whatever
/// seqIdx[bi,0] is), and finalStates is the state after the last position
/// (that of the row's last sequence). Because only neighbouring values are
/// compared, a non-monotone seqIdx such as 0,1,0 holds three sequences.
struct SsdInputs {
  Tensor x;                            ///< (b,l,h,p)
  Tensor dt;                           ///< (b,l,h)
  Tensor A;                            ///< (h)
  Tensor B;                            ///< (b,l,g,n)
  Tensor C;                            ///< (b,l,g,n)
  std::optional<Tensor> D;             ///< (h) or (h,p)
  std::optional<Tensor> z;             ///< (b,l,h,p)
  std::optional<Tensor> dtBias;        ///< (h)
  std::optional<Tensor> initialStates; ///< (b,h,p,n)
  std::optional<Tensor> seqIdx; ///< (b,l), integer values stored as double
  bool dtSoftplus = false;
  std::optional<DtLimit> dtLimit;
  /// x enters the state unscaled by dt (dt only sets the decay).
  bool unscaledInput = false;
};

struct SsdOutputs {
  Tensor out;         ///< (b,l,h,p)
  Tensor finalStates; ///< (b,h,p,n)
};

/// The SSD as a recurrence: H_t = exp(dt_t A) H_{t-1} + dt_t x_t B_t^T,
/// y_t = H_t C_t + D x_t, gated by silu(z) when z is given.
std::string ssdRecurrent(const SsdInputs &in, SsdOutputs &out);

/// The same function in the chunked dual form (chunks of \p chunkSize, the
/// last one shorter): intra-chunk (L o C B^T)(dt x), per-chunk states,
/// inter-chunk state passing and the carried-in state's contribution.
std::string ssdChunked(const SsdInputs &in, int64_t chunkSize, SsdOutputs &out);

//===----------------------------------------------------------------------===//
// Decayed linear attention (the chunkable form of a DSL recurrence)
//===----------------------------------------------------------------------===//

/// "..." is any number of leading (outer) dimensions, one recurrence each.
struct LinearAttentionInputs {
  Tensor q;                           ///< (...,T,K)
  Tensor k;                           ///< (...,T,K)
  Tensor v;                           ///< (...,T,V)
  Tensor logDecay;                    ///< (...,T) or (...,T,K)
  std::optional<Tensor> initialState; ///< (...,K,V)
};

struct LinearAttentionOutputs {
  Tensor out;        ///< (...,T,V)
  Tensor finalState; ///< (...,K,V)
};

/// S_t = diag(exp(log_decay_t)) S_{t-1} + k_t v_t^T, out_t = S_t^T q_t,
/// for every index of the outer dimensions.
std::string linearAttention(const LinearAttentionInputs &in,
                            LinearAttentionOutputs &out);

//===----------------------------------------------------------------------===//
// Causal depthwise conv1d
//===----------------------------------------------------------------------===//

struct CausalConv1dInputs {
  Tensor x;                   ///< (b,c,l)
  Tensor w;                   ///< (c,k); w[k-1] multiplies the current input
  std::optional<Tensor> bias; ///< (c)
  std::optional<Tensor> convState; ///< (b,c,k-1): previous inputs, oldest first
  bool silu = false;
};

struct CausalConv1dOutputs {
  Tensor y; ///< (b,c,l)
  Tensor
      newConvState; ///< (b,c,k-1): last k-1 inputs of history+x, oldest first
};

/// y[t] = bias + sum_{j<k} w[k-1-j] x[t-j], with x at negative times taken
/// from convState (or zero), then silu when requested.
std::string causalConv1d(const CausalConv1dInputs &in,
                         CausalConv1dOutputs &out);

//===----------------------------------------------------------------------===//
// Decode step
//===----------------------------------------------------------------------===//

/// One token of either recurrence; the layout is chosen by the rank of state.
///  - Mamba-1 (state rank 3): state (b,d,n), x (b,d), dt (b,d), A (d,n),
///    B,C (b,g,n), D (d), z (b,d), dtBias (d); dtLimit must be absent.
///  - Mamba-2 (state rank 4): state (b,h,p,n), x (b,h,p), dt (b,h), A (h),
///    B,C (b,g,n), D (h) or (h,p), z (b,h,p), dtBias (h).
struct StateUpdateInputs {
  Tensor state, x, dt, A, B, C;
  std::optional<Tensor> D, z, dtBias;
  bool dtSoftplus = false;
  std::optional<DtLimit> dtLimit;
};

struct StateUpdateOutputs {
  Tensor y;        ///< shaped like x
  Tensor newState; ///< shaped like state
};

std::string stateUpdate(const StateUpdateInputs &in, StateUpdateOutputs &out);

//===----------------------------------------------------------------------===//
// Generic associative scan
//===----------------------------------------------------------------------===//

/// Combines the running value (one element per scanned tensor) with the next
/// input; must return as many values as there are inputs.
using Combiner = std::function<std::vector<double>(
    const std::vector<double> &acc, const std::vector<double> &next)>;

/// Inclusive scan of same-shaped \p inputs along \p dim: out[0] = in[0],
/// out[t] = combine(out[t-1], in[t]); with \p reverse the scan starts at the
/// end (out[t] = combine(out[t+1], in[t])).
std::string scan(const std::vector<Tensor> &inputs, int64_t dim, bool reverse,
                 const Combiner &combine, std::vector<Tensor> &outputs);

//===----------------------------------------------------------------------===//
// Norms over the last dimension
//===----------------------------------------------------------------------===//

/// y = x / sqrt(mean(x^2) + eps) * w with x (..., d) and w (d).
std::string rmsNorm(const Tensor &x, const Tensor &w, double eps, Tensor &y);

/// y = rmsnorm(x * silu(z)) * w, the mean of squares taken over each
/// contiguous group of \p groupSize channels (groupSize must divide d).
std::string gatedRmsNorm(const Tensor &x, const Tensor &z, const Tensor &w,
                         double eps, int64_t groupSize, Tensor &y);

//===----------------------------------------------------------------------===//
// Whole mixers, composed of the ops above
//===----------------------------------------------------------------------===//

/// y = x w^T (+ bias) with x (..., in), w (out, in), bias (out): the
/// projections of the mixers, public so that decompositions can be rebuilt.
std::string linear(const Tensor &x, const Tensor &w,
                   const std::optional<Tensor> &bias, Tensor &y);

/// A Mamba-1 mixer layer (HF "mamba" layout); dm is d_model, r the dt rank.
struct MambaMixerWeights {
  Tensor inProj;                     ///< (2d,dm)
  Tensor convW;                      ///< (d,k)
  Tensor xProj;                      ///< (r+2n,d)
  Tensor dtProjW;                    ///< (d,r)
  Tensor dtProjB;                    ///< (d)
  Tensor ALog;                       ///< (d,n)
  Tensor D;                          ///< (d)
  Tensor outProj;                    ///< (dm,d)
  std::optional<Tensor> inProjBias;  ///< (2d)
  std::optional<Tensor> convB;       ///< (d)
  std::optional<Tensor> outProjBias; ///< (dm)
};

/// hidden (b,l,dm) -> out (b,l,dm): in_proj, conv + silu, x_proj, dt_proj,
/// selective scan with delta_bias = dt_proj bias and softplus, out_proj.
std::string mambaMixer(const MambaMixerWeights &w, const Tensor &hidden,
                       Tensor &out);

/// A Mamba-2 mixer layer (HF "mamba2" layout).
struct Mamba2MixerWeights {
  Tensor inProj;  ///< (2d+2gn+h,dm)
  Tensor convW;   ///< (d+2gn,k)
  std::optional<Tensor> convB; ///< (d+2gn)
  Tensor dtBias;  ///< (h)
  Tensor ALog;    ///< (h)
  Tensor D;       ///< (h)
  Tensor normW;   ///< (d)
  Tensor outProj; ///< (dm,d)
  std::optional<Tensor> inProjBias;  ///< (2d+2gn+h)
  std::optional<Tensor> outProjBias; ///< (dm)
};

struct Mamba2MixerConfig {
  int64_t nGroups = 1;
  int64_t headDim = 64;
  int64_t chunkSize = 256;
  double eps = 1e-5;
  std::optional<DtLimit> dtLimit;
  /// The gated norm's group in channels (0: d / nGroups).
  int64_t normGroupSize = 0;
};

/// hidden (b,l,dm) -> out (b,l,dm): in_proj, conv + silu over xBC, chunked
/// SSD, gated RMSNorm over groups of normGroupSize (d/nGroups) channels,
/// out_proj.
std::string mamba2Mixer(const Mamba2MixerWeights &w,
                        const Mamba2MixerConfig &cfg, const Tensor &hidden,
                        Tensor &out);

//===----------------------------------------------------------------------===//
// Layout helpers shared by the mixers, the interpreter and the tests
//===----------------------------------------------------------------------===//

/// (b,x,y) -> (b,y,x).
Tensor transpose12(const Tensor &t);

/// Elements [start, end) of the last dimension.
Tensor sliceLast(const Tensor &t, int64_t start, int64_t end);

/// Elements [start, end) of dimension `dim`.
Tensor sliceDim(const Tensor &t, int64_t dim, int64_t start, int64_t end);

/// Writes `src` into `dst` at offset `start` of dimension `dim` (the other
/// dimensions equal).
void placeDim(Tensor &dst, const Tensor &src, int64_t dim, int64_t start);

/// Packed sequences: the offsets of `cuSeqlens` (s + 1 values), which must
/// start at 0, never decrease and end at the length `l`; "" or why not.
std::string packedOffsets(const Tensor &cuSeqlens, int64_t l,
                          std::vector<int64_t> &offsets);

//===----------------------------------------------------------------------===//
// Test helpers
//===----------------------------------------------------------------------===//

/// ||a - b|| / ||b|| in the L2 norm; 0 when both are zero, +inf when only b
/// is zero or when the shapes differ.
double relativeL2(const Tensor &a, const Tensor &b);

/// A tensor of uniform values in [lo, hi), the same for a given seed on every
/// platform (std::mt19937_64, mapped to doubles without std distributions).
Tensor randomTensor(std::vector<int64_t> shape, uint64_t seed, double lo,
                    double hi);

} // namespace reference
} // namespace ssmc

#endif // SSMC_REFERENCE_REFERENCE_H
