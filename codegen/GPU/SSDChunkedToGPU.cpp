//===- SSDChunkedToGPU.cpp - SSD in its chunked dual form on tensor cores -===//
//
// ssm-gpu-lower-ops for ssm.ssd with bf16 x, B and C: the chunked dual form,
// its matrix products on tensor cores (mma.sync m16n8k16, bf16 in, f32
// accumulate), fused into one kernel per (batch, head) that walks the chunks
// with the (p, n) state on chip.
//
// A block has W = p / 16 warps; a chunk has Q = 16 W steps. Warp w owns
// steps 16w .. 16w + 15 of the chunk (rows of C B^T and of y) and head
// channels 16w .. 16w + 15 of the state (its 16 x n accumulators stay in
// registers for the whole sequence). Per chunk:
//   1. x, B, C (bf16) and z (as f32) are staged in shared memory with 16-byte
//      loads; warp 0 processes dt (bias, softplus, clamp) and scans the
//      chunk's log2 decays (and, with seq_idx, its resets);
//   2. y = diag(exp(cum)) C S^T, from a bf16 copy of the incoming state;
//   3. for each 16 x 16 block j <= w of the causal C B^T: G = C_w B_j^T,
//      masked and scaled by exp(cum_t - cum_s) dt_s in registers, narrowed to
//      bf16 and used at once as the A operand of y += G X_j (the accumulator
//      layout of m16n8 is that of the A operand of m16n8k16);
//   4. y += D x, y *= silu(z), through shared memory to HBM as whole rows;
//   5. S = exp(cum_last) S + (X diag(w))^T B, w_s = exp(cum_last - cum_s) dt_s,
//      and the bf16 copy of S for the next chunk.
// The per-chunk intermediates (C B^T, the decays, the chunk state) never
// leave the multiprocessor. Operands come from shared memory by ldmatrix
// (transposed where the product needs the other major order); rows are
// padded by 16 bytes so that its eight row addresses hit distinct banks.
//
// When batch x heads cannot fill the GPU the sequence is split into segments
// (chosen at run time): a first kernel computes every segment's end state
// from zero (step 5 only), the main kernel starts segment k from the carry
// of segments 0 .. k-1.
//
//===----------------------------------------------------------------------===//
#include "GPUEmitter.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

using namespace mlir;
using namespace ssmc::ssm;

namespace ssmc::gpu_emit {

namespace {

constexpr int64_t kWarp = 32;
/// Multiprocessors of an H100: the segment split aims at one full wave of
/// the output kernel's resident blocks (three at p = 64, n = 128; one at
/// p = 128, where its shared tiles take most of a multiprocessor).
constexpr int64_t kMultiprocessors = 132;
/// Shared memory per multiprocessor of sm_80 / sm_90 (bytes).
constexpr int64_t kSharedPerSM = 228 * 1024;

/// The sizes of one chunked SSD kernel.
struct ChunkPlan {
  int64_t p, n, warps, q;
  /// Padded row lengths (elements) of the shared tiles.
  int64_t ldX, ldBC, ldS;
  bool hasZ, hasD, dPerChannel, hasSeq, softplus;
  /// x enters unscaled by dt (ssm.ssd's unscaled_input).
  bool unscaled = false;
  std::optional<ArrayRef<double>> limit;
  Type outElt, zElt;
};

/// Operands of the op as buffers, and the sizes read from them.
struct ChunkOperands {
  Value x, dt, a, bMat, cMat, d, z, bias, h0, seqIdx;
  Value batch, len, heads, perGroup;
};

enum class ChunkPhase {
  /// Segments 0 .. S-2 from a zero state: end states and decays.
  SegmentStates,
  /// Every segment from its carried state: outputs and the final state.
  Outputs,
};

/// Tensor-core and fragment helpers over the common Emitter.
struct TC {
  Emitter &e;
  OpBuilder &b;
  Location loc;
  Type i32, bf16;
  Value lane, g4, t4;
  // Per-lane row / column offsets of the ldmatrix addresses.
  Value l16, l8, h16, h8;

  TC(Emitter &e, Value laneV)
      : e(e), b(e.b), loc(e.loc), i32(e.b.getI32Type()),
        bf16(e.b.getBF16Type()), lane(laneV) {
    g4 = e.idiv(lane, e.idx(4));
    t4 = e.irem(lane, e.idx(4));
    l16 = e.irem(lane, e.idx(16));
    l8 = e.irem(lane, e.idx(8));
    h16 = e.imul(e.idiv(lane, e.idx(16)), e.idx(8));
    h8 = e.imul(e.irem(e.idiv(lane, e.idx(8)), e.idx(2)), e.idx(8));
  }

  /// Four 8x8 b16 matrices from `mem` at this lane's (row, col), as i32.
  std::array<Value, 4> ldmatrix4(Value mem, Value row, Value col, bool trans) {
    auto vt = VectorType::get({4, 2}, bf16);
    Value m = nvgpu::LdMatrixOp::create(b, loc, vt, mem, ValueRange{row, col},
                                        trans, 4);
    std::array<Value, 4> r;
    for (int64_t i = 0; i < 4; ++i) {
      Value v = vector::ExtractOp::create(b, loc, m, i);
      r[i] = LLVM::BitcastOp::create(b, loc, i32, v);
    }
    return r;
  }
  /// A operand (16 x 16) at (r0, c0) of a row-major [m][k] tile.
  std::array<Value, 4> loadA(Value mem, Value r0, Value c0) {
    return ldmatrix4(mem, e.iadd(r0, l16), e.iadd(c0, h16), false);
  }
  /// A operand (16 x 16, m x k) from a [k][m] tile at (k0, m0).
  std::array<Value, 4> loadAT(Value mem, Value k0, Value m0) {
    return ldmatrix4(mem, e.iadd(e.iadd(k0, l8), h16), e.iadd(m0, h8), true);
  }
  /// B operands of two n-tiles (n0 .. n0 + 15, k0 .. k0 + 15) from a [n][k]
  /// tile: {b0, b1} of tile n0, {b0, b1} of tile n0 + 8.
  std::array<Value, 4> loadBNK(Value mem, Value n0, Value k0) {
    return ldmatrix4(mem, e.iadd(e.iadd(n0, l8), h16), e.iadd(k0, h8), false);
  }
  /// The same from a [k][n] tile at (k0, n0).
  std::array<Value, 4> loadBKN(Value mem, Value k0, Value n0) {
    return ldmatrix4(mem, e.iadd(e.iadd(k0, l8), h8), e.iadd(n0, h16), true);
  }

  /// d = a b + c on one m16n8k16 tile (bf16 in, f32 accumulate).
  void mma(ArrayRef<Value> a, Value b0, Value b1, MutableArrayRef<Value> c) {
    MLIRContext *ctx = b.getContext();
    Type f32 = e.f32;
    auto st = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
    Value r = NVVM::MmaOp::create(
        b, loc, st, a, ValueRange{b0, b1}, c, {16, 8, 16}, std::nullopt,
        std::nullopt,
        std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                      NVVM::MMATypes::bf16},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
    for (int64_t i = 0; i < 4; ++i)
      c[i] = LLVM::ExtractValueOp::create(b, loc, r, i);
  }

  /// (lo, hi) rounded to bf16, as a vector<2xbf16>.
  Value pack2(Value lo, Value hi) {
    auto v2 = VectorType::get({2}, e.f32);
    Value v = vector::FromElementsOp::create(b, loc, v2, ValueRange{lo, hi});
    return arith::TruncFOp::create(b, loc, VectorType::get({2}, bf16), v);
  }
  /// The same as one i32 register.
  Value pack(Value lo, Value hi) {
    return LLVM::BitcastOp::create(b, loc, i32, pack2(lo, hi));
  }
  /// The two bf16 of a register, widened (a bf16 is the top half of an f32).
  std::pair<Value, Value> unpack(Value r) {
    Value lo = arith::ShLIOp::create(
        b, loc, r, arith::ConstantIntOp::create(b, loc, i32, 16));
    Value hi = arith::AndIOp::create(
        b, loc, r,
        arith::ConstantIntOp::create(b, loc, i32,
                                     static_cast<int32_t>(0xffff0000u)));
    return {arith::BitcastOp::create(b, loc, e.f32, lo),
            arith::BitcastOp::create(b, loc, e.f32, hi)};
  }
};

/// Starts the copy of rows [t0, t0 + tl) of `src` (b, l, k, width) at (bi,
/// ., head, .) into the [q][ld] tile `dst` with 16-byte cp.async (no
/// registers, nothing waits until the group is waited on); rows past tl are
/// filled with zeros (source size 0, from a clamped, valid address).
void stageAsync(Emitter &e, Value src, Value dst, Value bi, Value head,
                Value t0, Value tl, int64_t q, int64_t width, Value tid,
                int64_t threads, SmallVectorImpl<Value> &tokens) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Type elt = cast<MemRefType>(src.getType()).getElementType();
  int64_t vec = 16 / (elt.getIntOrFloatBitWidth() / 8);
  int64_t perRow = width / vec, total = q * perRow;
  Value lastRow = e.isub(tl, e.idx(1));
  for (int64_t k = 0; k * threads < total; ++k) {
    Value el = e.iaddConst(tid, k * threads);
    auto body = [&] {
      Value t = e.idiv(el, e.idx(perRow));
      Value c = e.imul(e.irem(el, e.idx(perRow)), e.idx(vec));
      Value ok = e.icmp(arith::CmpIPredicate::ult, t, tl);
      Value srcRow = e.iadd(t0, e.imin(t, lastRow));
      Value count = e.select(ok, e.idx(vec), e.idx(0));
      Value token = nvgpu::DeviceAsyncCopyOp::create(
          b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), dst,
          ValueRange{t, c}, src, ValueRange{bi, srcRow, head, c},
          b.getIndexAttr(vec), count, b.getUnitAttr());
      return token;
    };
    if ((k + 1) * threads <= total) {
      tokens.push_back(body());
    } else {
      // The last, partial round: threads past the tile copy nothing.
      auto ifOp = scf::IfOp::create(
          b, loc, e.icmp(arith::CmpIPredicate::ult, el, e.idx(total)), false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      body();
    }
  }
}

/// The inclusive prefix sum of `v` over the warp (Hillis-Steele, shuffles
/// up); `v` is f32 or i32.
Value warpScan(Emitter &e, Value v, Value lane) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Value width = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 32);
  for (int64_t off = 1; off < kWarp; off *= 2) {
    Value o = arith::ConstantIntOp::create(b, loc, b.getI32Type(), off);
    Value other = gpu::ShuffleOp::create(b, loc, v, o, width,
                                         gpu::ShuffleMode::UP)
                      .getShuffleResult();
    Value sum = isa<FloatType>(v.getType())
                    ? e.add(v, other)
                    : arith::AddIOp::create(b, loc, v, other).getResult();
    v = e.select(e.icmp(arith::CmpIPredicate::uge, lane, e.idx(off)), sum, v);
  }
  return v;
}

/// Lane 31's `v`, in every lane.
Value fromLastLane(Emitter &e, Value v) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Value width = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 32);
  Value src = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 31);
  return gpu::ShuffleOp::create(b, loc, v, src, width, gpu::ShuffleMode::IDX)
      .getShuffleResult();
}

/// Blocks of `bytes` of shared memory each that a multiprocessor holds (at
/// most three: 168 registers a thread at 4 warps).
int64_t residentBlocks(int64_t bytes) {
  return std::max<int64_t>(
      1, std::min<int64_t>(3, kSharedPerSM / (bytes + 1024)));
}

/// The shared memory of the output kernel: the tiles emitChunkKernel
/// carves for ChunkPhase::Outputs (it checks that the two agree).
int64_t outputsSharedBytes(const ChunkPlan &pl) {
  int64_t bytes = 0;
  auto add = [&](int64_t r, int64_t c, int64_t bits) {
    bytes += (r * c * bits / 8 + 15) / 16 * 16;
  };
  auto padded = [&](Type t) { return pl.p + 128 / t.getIntOrFloatBitWidth(); };
  add(pl.q, pl.ldX, 16);
  add(pl.q, pl.ldBC, 16);
  add(pl.q, pl.ldBC, 16);
  add(pl.p, pl.ldS, 16);
  if (pl.hasZ)
    add(pl.q, padded(pl.zElt), pl.zElt.getIntOrFloatBitWidth());
  if (!(pl.hasZ && pl.zElt == pl.outElt))
    add(pl.q, padded(pl.outElt), pl.outElt.getIntOrFloatBitWidth());
  add(4, pl.q, 32);
  add(1, pl.q, 32);
  add(1, 4, 32);
  add(1, 4, 32);
  return bytes;
}

/// Emits one chunked SSD kernel at the builder's point (grid: heads x batch x
/// `gridSegments`). `segChunks` is the chunks per segment; `ends` (f32, in
/// fragment order) and `decays` (f32) the segment scratch.
void emitChunkKernel(Emitter &e, const ChunkOperands &o, const ChunkPlan &pl,
                     ChunkPhase phase, Value gridSegments, Value segChunks,
                     Value numSegments, Value ends, Value decays, Value out,
                     Value fin) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  MLIRContext *ctx = b.getContext();
  bool outputs = phase == ChunkPhase::Outputs;
  const int64_t p = pl.p, n = pl.n, q = pl.q, W = pl.warps;
  const int64_t threads = W * kWarp;
  const int64_t nTiles = n / 8, pTiles = p / 8;
  Type bf16 = b.getBF16Type(), i32 = b.getI32Type();
  auto wg = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  auto tileType = [&](int64_t r, int64_t c, Type t) {
    return MemRefType::get({r, c}, t, MemRefLayoutAttrInterface(), wg);
  };
  // Shared tiles, carved from dynamic shared memory (more than the 48 KB of
  // static shared memory a kernel may have).
  struct Slot {
    MemRefType type;
    int64_t offset;
  };
  SmallVector<Slot> slots;
  int64_t bytes = 0;
  auto addSlot = [&](MemRefType t) {
    int64_t size = t.getNumElements() * t.getElementTypeBitWidth() / 8;
    slots.push_back({t, bytes});
    bytes += (size + 15) / 16 * 16;
    return slots.size() - 1;
  };
  size_t xSlot = addSlot(tileType(q, pl.ldX, bf16));
  size_t bSlot = addSlot(tileType(q, pl.ldBC, bf16));
  size_t cSlot = 0, sSlot = 0, zSlot = 0;
  size_t ySlot = 0;
  // Rows of z and y padded by 16 bytes.
  auto padded = [&](Type t) { return p + 128 / t.getIntOrFloatBitWidth(); };
  if (outputs) {
    cSlot = addSlot(tileType(q, pl.ldBC, bf16));
    sSlot = addSlot(tileType(p, pl.ldS, bf16));
    if (pl.hasZ)
      zSlot = addSlot(tileType(q, padded(pl.zElt), pl.zElt));
    // y overwrites z in place when they have one type.
    ySlot = pl.hasZ && pl.zElt == pl.outElt
                ? zSlot
                : addSlot(tileType(q, padded(pl.outElt), pl.outElt));
  }
  // Per step: cum (log2 decay from the chunk start), dt, the weight of the
  // step in the chunk's end state, the scale of the incoming state in the
  // step's output; the step's segment (resets since the chunk start); and
  // the chunk's decay of the incoming state.
  size_t stepSlot = addSlot(tileType(4, q, e.f32));
  size_t segSlot = addSlot(tileType(1, q, i32));
  size_t decaySlot = addSlot(tileType(1, 4, e.f32));
  size_t zeroSlot = addSlot(tileType(1, 4, i32));

  Value one = e.idx(1);
  Value smemBytes = arith::ConstantIntOp::create(b, loc, i32, bytes);
  auto launch = gpu::LaunchOp::create(
      b, loc, o.heads, o.batch, gridSegments, e.idx(threads), one, one,
      smemBytes, e.tokenType(), ValueRange{e.token});
  e.token = launch.getAsyncToken();
  launch->setAttr(kSinkConstantsAttrName, b.getUnitAttr());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  auto dynOp = gpu::DynamicSharedMemoryOp::create(
      b, loc,
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                      MemRefLayoutAttrInterface(), wg));
  Value dyn = dynOp;
  // Registers for as many resident blocks as shared memory allows (at most
  // three: 168 registers a thread at 4 warps), so that one block's staging
  // waits are covered by the others' products.
  if (outputs && bytes != outputsSharedBytes(pl))
    llvm::report_fatal_error("ssm-gpu-lower-ops: the chunked SSD's shared "
                             "tiles and outputsSharedBytes disagree");
  int64_t perSM = residentBlocks(bytes);
  if (outputs && perSM >= 2)
    dynOp->setAttr(kMinBlocksAttrName, b.getI64IntegerAttr(perSM));
  // The tiles are views of it at `shift` + their offset. Inside the chunk
  // loop `shift` is a zero read back from shared memory in every iteration:
  // the lane-dependent addresses of the loop's hundreds of shared accesses
  // are then computed where they are used instead of being hoisted out of
  // the loop and kept live in registers for its whole length.
  auto view = [&](size_t i, Value shift) -> Value {
    return memref::ViewOp::create(b, loc, slots[i].type, dyn,
                                  e.iaddConst(shift, slots[i].offset),
                                  ValueRange{});
  };
  Value zero = e.idx(0);
  Value zeroS = view(zeroSlot, zero);
  Value sS = outputs ? view(sSlot, zero) : Value();

  Value hh = launch.getBlockIds().x, bi = launch.getBlockIds().y,
        seg = launch.getBlockIds().z, tid = launch.getThreadIds().x;
  Value tidOuter = tid;
  Value warp = e.idiv(tid, e.idx(kWarp)), lane = e.irem(tid, e.idx(kWarp));
  TC tc(e, lane);
  Value gi = e.idiv(hh, o.perGroup);
  Value aH = e.mul(e.loadF32(o.a, {hh}), e.f(kLog2E));
  Value biasH = o.bias ? e.loadF32(o.bias, {hh}) : Value();
  Value zeroF = e.f(0.0);
  Value qV = e.idx(q);
  // This warp's 16 steps of the chunk and 16 channels of the state.
  Value r0 = e.imul(warp, e.idx(16));
  Value rowA = e.iadd(r0, tc.g4), rowB = e.iaddConst(rowA, 8);
  Value col2 = e.imul(tc.t4, e.idx(2));

  // The chunks of this segment.
  Value nChunks = e.idiv(e.iadd(o.len, e.isub(qV, one)), qV);
  Value cBegin = e.imul(seg, segChunks);
  Value cEnd = e.imin(nChunks, e.iadd(cBegin, segChunks));

  // State accumulators: n-tile j, register r: channel r0 + g4 + 8 (r / 2),
  // state column 8 j + 2 t4 + r % 2.
  auto stateRow = [&](int64_t r, Value ra, Value rb) { return r < 2 ? ra : rb; };
  auto stateCol = [&](int64_t j, int64_t r, Value c2) {
    return e.iaddConst(c2, 8 * j + r % 2);
  };
  int64_t stateRegs = nTiles * 4;
  // Linear index of register r of this thread in the fragment-ordered
  // segment scratch of segment `s`.
  auto endIndex = [&](Value s, int64_t r) {
    Value blockIdx =
        e.iadd(e.imul(e.iadd(e.imul(bi, o.heads), hh), numSegments), s);
    Value base = e.imul(e.iadd(e.imul(blockIdx, e.idx(W)), warp),
                        e.idx(stateRegs * kWarp));
    return e.iadd(base, e.iaddConst(lane, r * kWarp));
  };
  SmallVector<Value> state(stateRegs, zeroF);
  if (outputs) {
    if (o.h0) {
      for (int64_t j = 0; j < nTiles; ++j)
        for (int64_t r = 0; r < 4; r += 2) {
          SmallVector<Value> v = e.loadVecF32(
              o.h0, {bi, hh, stateRow(r, rowA, rowB), stateCol(j, r, col2)}, 2);
          state[4 * j + r] = v[0];
          state[4 * j + r + 1] = v[1];
        }
    }
    if (ends) {
      // The carry over the segments before this one.
      state = e.loop(zero, seg, one, state, [&](Value s, ValueRange h) {
        Value decay = e.load(decays, {e.iadd(e.imul(e.iadd(e.imul(bi, o.heads),
                                                            hh),
                                                     numSegments),
                                              s)});
        SmallVector<Value> next;
        for (int64_t r = 0; r < stateRegs; ++r)
          next.push_back(e.fma(decay, h[r], e.load(ends, {endIndex(s, r)})));
        return next;
      });
    }
  }
  // The bf16 copy of the state that C S^T reads.
  auto writeStateCopy = [&](ArrayRef<Value> h, Value sS, Value ra, Value rb,
                            Value c2) {
    for (int64_t j = 0; j < nTiles; ++j)
      for (int64_t r = 0; r < 4; r += 2)
        vector::StoreOp::create(
            b, loc, tc.pack2(h[4 * j + r], h[4 * j + r + 1]), sS,
            ValueRange{stateRow(r, ra, rb), stateCol(j, r, c2)}, false,
            llvm::MaybeAlign(4));
  };
  if (outputs)
    writeStateCopy(state, sS, rowA, rowB, col2);
  e.ifThen(e.icmp(arith::CmpIPredicate::eq, tid, zero), [&] {
    e.store(arith::ConstantIntOp::create(b, loc, i32, 0), zeroS,
            {zero, zero});
  });
  gpu::BarrierOp::create(b, loc);

  // Per-channel D of this thread's output columns 8 j + 2 t4 + {0, 1}.
  Value dHead;
  SmallVector<Value> dCols;
  if (outputs && pl.hasD) {
    if (pl.dPerChannel) {
      for (int64_t j = 0; j < pTiles; ++j)
        for (int64_t k = 0; k < 2; ++k)
          dCols.push_back(e.loadF32(o.d, {hh, e.iaddConst(col2, 8 * j + k)}));
    } else {
      dHead = e.loadF32(o.d, {hh});
    }
  }
  Value decayAll = e.f(1.0);

  SmallVector<Value> carried = state;
  carried.push_back(decayAll);
  SmallVector<Value> endState = e.loop(
      cBegin, cEnd, one, carried, [&](Value c, ValueRange cur) {
        SmallVector<Value> h(cur.begin(), cur.begin() + stateRegs);
        Value decayAcc = cur[stateRegs];
        Value shift = arith::IndexCastOp::create(
            b, loc, b.getIndexType(), e.load(zeroS, {zero, zero}));
        Value xS = view(xSlot, shift), bS = view(bSlot, shift);
        Value cS = outputs ? view(cSlot, shift) : Value();
        Value sS = outputs ? view(sSlot, shift) : Value();
        Value zS = outputs && pl.hasZ ? view(zSlot, shift) : Value();
        Value yS = outputs ? view(ySlot, shift) : Value();
        Value stepS = view(stepSlot, shift), segS = view(segSlot, shift),
              decayS = view(decaySlot, shift);
        // The lane geometry again, from the loop-variant zero (see `view`).
        Value tid = e.iadd(tidOuter, shift);
        TC tc(e, e.iadd(lane, shift));
        Value rowA = e.iadd(r0, tc.g4), rowB = e.iaddConst(rowA, 8);
        Value col2 = e.imul(tc.t4, e.idx(2));
        Value t0 = e.imul(c, qV);
        Value tl = e.imin(qV, e.isub(o.len, t0));

        // 1. Staging: asynchronous copies, waited for after dt.
        SmallVector<Value> tokens;
        stageAsync(e, o.x, xS, bi, hh, t0, tl, q, p, tid, threads, tokens);
        stageAsync(e, o.bMat, bS, bi, gi, t0, tl, q, n, tid, threads, tokens);
        if (outputs) {
          stageAsync(e, o.cMat, cS, bi, gi, t0, tl, q, n, tid, threads,
                     tokens);
          if (pl.hasZ)
            stageAsync(e, o.z, zS, bi, hh, t0, tl, q, p, tid, threads,
                       tokens);
        }
        auto asyncToken = nvgpu::DeviceAsyncTokenType::get(ctx);
        Value group =
            nvgpu::DeviceAsyncCreateGroupOp::create(b, loc, asyncToken, tokens);
        // dt, the decays and their prefix sums: warp 0, q / 32 consecutive
        // steps per lane.
        e.ifThen(e.icmp(arith::CmpIPredicate::eq, warp, zero), [&] {
          int64_t per = q / kWarp;
          SmallVector<Value> dts, cums, segs;
          Value run = zeroF;
          Value runSeg = arith::ConstantIntOp::create(b, loc, i32, 0);
          for (int64_t k = 0; k < per; ++k) {
            Value i = e.iaddConst(e.imul(lane, e.idx(per)), k);
            Value ok = e.icmp(arith::CmpIPredicate::ult, i, tl);
            Value at = e.iadd(t0, i);
            // (Clamped rather than guarded: an unconditional load.)
            Value atC = e.iadd(t0, e.imin(i, e.isub(tl, one)));
            Value dt = e.processDt(e.loadF32(o.dt, {bi, atC, hh}), biasH,
                                   pl.softplus, pl.limit);
            dt = e.select(ok, dt, zeroF);
            run = e.fma(dt, aH, run);
            // The step's input weight: dt, or 1 with an unscaled input.
            dts.push_back(pl.unscaled ? e.select(ok, e.f(1.0), zeroF) : dt);
            cums.push_back(run);
            if (pl.hasSeq) {
              Value prevOk =
                  e.andi(ok, e.icmp(arith::CmpIPredicate::ugt, at, zero));
              auto ifOp = scf::IfOp::create(b, loc, TypeRange{i32}, prevOk,
                                            true);
              {
                OpBuilder::InsertionGuard g(b);
                b.setInsertionPointToStart(ifOp.thenBlock());
                Value curI = e.load(o.seqIdx, {bi, at});
                Value prevI = e.load(o.seqIdx, {bi, e.isub(at, one)});
                Value differ = arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::ne, curI, prevI);
                scf::YieldOp::create(
                    b, loc,
                    arith::ExtUIOp::create(b, loc, i32, differ).getResult());
                b.setInsertionPointToStart(ifOp.elseBlock());
                scf::YieldOp::create(
                    b, loc,
                    arith::ConstantIntOp::create(b, loc, i32, 0).getResult());
              }
              runSeg = arith::AddIOp::create(b, loc, runSeg, ifOp.getResult(0));
              segs.push_back(runSeg);
            }
          }
          Value incl = warpScan(e, run, lane);
          Value excl = arith::SubFOp::create(b, loc, incl, run);
          Value cumLast = fromLastLane(e, incl);
          Value segExcl, segLast;
          if (pl.hasSeq) {
            Value segIncl = warpScan(e, runSeg, lane);
            segExcl = arith::SubIOp::create(b, loc, segIncl, runSeg);
            segLast = fromLastLane(e, segIncl);
          }
          Value zeroI = arith::ConstantIntOp::create(b, loc, i32, 0);
          for (int64_t k = 0; k < per; ++k) {
            Value i = e.iaddConst(e.imul(lane, e.idx(per)), k);
            Value cum = e.add(excl, cums[k]);
            Value w = e.mul(e.exp2(arith::SubFOp::create(b, loc, cumLast, cum)),
                            dts[k]);
            Value in = e.exp2(cum);
            if (pl.hasSeq) {
              Value s = arith::AddIOp::create(b, loc, segExcl, segs[k]);
              w = e.select(arith::CmpIOp::create(
                               b, loc, arith::CmpIPredicate::eq, s, segLast),
                           w, zeroF);
              in = e.select(arith::CmpIOp::create(
                                b, loc, arith::CmpIPredicate::eq, s, zeroI),
                            in, zeroF);
              e.store(s, segS, {zero, i});
            }
            e.store(cum, stepS, {zero, i});
            e.store(dts[k], stepS, {one, i});
            e.store(w, stepS, {e.idx(2), i});
            e.store(in, stepS, {e.idx(3), i});
          }
          e.ifThen(e.icmp(arith::CmpIPredicate::eq, lane, zero), [&] {
            Value d = e.exp2(cumLast);
            if (pl.hasSeq)
              d = e.select(arith::CmpIOp::create(
                               b, loc, arith::CmpIPredicate::eq, segLast,
                               zeroI),
                           d, zeroF);
            e.store(d, decayS, {zero, zero});
          });
        });
        nvgpu::DeviceAsyncWaitOp::create(b, loc, group, b.getI32IntegerAttr(0));
        gpu::BarrierOp::create(b, loc);

        if (outputs) {
          // 2. y = diag(in) C S^T.
          // (C fragments are loaded where they are used: kept for the
          // whole chunk they would take n / 4 registers.)
          SmallVector<Value> y(pTiles * 4, zeroF);
          for (int64_t kk = 0; kk < n / 16; ++kk) {
            auto cFr = tc.loadA(cS, r0, e.idx(16 * kk));
            for (int64_t jp = 0; jp < p / 16; ++jp) {
              auto bf = tc.loadBNK(sS, e.idx(16 * jp), e.idx(16 * kk));
              tc.mma(cFr, bf[0], bf[1],
                     MutableArrayRef<Value>(y).slice(8 * jp, 4));
              tc.mma(cFr, bf[2], bf[3],
                     MutableArrayRef<Value>(y).slice(8 * jp + 4, 4));
            }
          }
          Value cumA = e.load(stepS, {zero, rowA});
          Value cumB = e.load(stepS, {zero, rowB});
          Value inA = e.load(stepS, {e.idx(3), rowA});
          Value inB = e.load(stepS, {e.idx(3), rowB});
          Value segA, segB;
          if (pl.hasSeq) {
            segA = e.load(segS, {zero, rowA});
            segB = e.load(segS, {zero, rowB});
          }
          for (int64_t r = 0; r < pTiles * 4; ++r)
            y[r] = e.mul(y[r], r % 4 < 2 ? inA : inB);

          // 3. The causal blocks j <= warp of C B^T, each used at once (a
          // loop, not unrolled: unrolled, the blocks' loads are hoisted and
          // their registers add up).
          y = e.loop(zero, e.iadd(warp, one), one, y, [&](Value j,
                                                          ValueRange yc) {
            Value s0 = e.imul(j, e.idx(16));
            // Even and odd k-steps in separate accumulators: four chains of
            // n / 32 dependent products instead of two of n / 16.
            SmallVector<Value> gAcc(16, zeroF);
            for (int64_t kk = 0; kk < n / 16; ++kk) {
              auto cFr = tc.loadA(cS, r0, e.idx(16 * kk));
              auto bf = tc.loadBNK(bS, s0, e.idx(16 * kk));
              int64_t half = 8 * (kk % 2);
              tc.mma(cFr, bf[0], bf[1],
                     MutableArrayRef<Value>(gAcc).slice(half, 4));
              tc.mma(cFr, bf[2], bf[3],
                     MutableArrayRef<Value>(gAcc).slice(half + 4, 4));
            }
            for (int64_t r = 0; r < 8; ++r)
              gAcc[r] = e.add(gAcc[r], gAcc[8 + r]);
            gAcc.resize(8);
            // Element (tile tt, register r): step row = r < 2 ? rowA :
            // rowB, source step s = 16 j + 8 tt + 2 t4 + r % 2.
            Value sBase = e.iadd(s0, col2);
            for (int64_t tt = 0; tt < 2; ++tt)
              for (int64_t k = 0; k < 2; ++k) {
                Value s = e.iaddConst(sBase, 8 * tt + k);
                Value cumS = e.load(stepS, {zero, s});
                Value dtS = e.load(stepS, {one, s});
                Value segSrc = pl.hasSeq ? e.load(segS, {zero, s}) : Value();
                for (int64_t half = 0; half < 2; ++half) {
                  Value row = half ? rowB : rowA;
                  Value cumT = half ? cumB : cumA;
                  Value ok = e.icmp(arith::CmpIPredicate::ule, s, row);
                  if (pl.hasSeq)
                    ok = e.andi(ok, arith::CmpIOp::create(
                                        b, loc, arith::CmpIPredicate::eq,
                                        segSrc, half ? segB : segA));
                  Value f = e.mul(
                      e.exp2(arith::SubFOp::create(b, loc, cumT, cumS)), dtS);
                  Value &g = gAcc[4 * tt + 2 * half + k];
                  g = e.select(ok, e.mul(g, f), zeroF);
                }
              }
            std::array<Value, 4> aFr{
                tc.pack(gAcc[0], gAcc[1]), tc.pack(gAcc[2], gAcc[3]),
                tc.pack(gAcc[4], gAcc[5]), tc.pack(gAcc[6], gAcc[7])};
            SmallVector<Value> yn(yc.begin(), yc.end());
            for (int64_t jp = 0; jp < p / 16; ++jp) {
              auto bf = tc.loadBKN(xS, s0, e.idx(16 * jp));
              tc.mma(aFr, bf[0], bf[1],
                     MutableArrayRef<Value>(yn).slice(8 * jp, 4));
              tc.mma(aFr, bf[2], bf[3],
                     MutableArrayRef<Value>(yn).slice(8 * jp + 4, 4));
            }
            return yn;
          });

          // 4. y += D x, y *= silu(z); into the z tile, in place.
          for (int64_t jp = 0; jp < pTiles; ++jp)
            for (int64_t half = 0; half < 2; ++half) {
              Value row = half ? rowB : rowA;
              Value col = e.iaddConst(col2, 8 * jp);
              Value &y0 = y[4 * jp + 2 * half], &y1 = y[4 * jp + 2 * half + 1];
              if (pl.hasD) {
                auto xv = vector::LoadOp::create(
                    b, loc, VectorType::get({2}, bf16), xS,
                    ValueRange{row, col}, false, llvm::MaybeAlign(4));
                Value x0 = e.toF32(vector::ExtractOp::create(b, loc, xv, 0));
                Value x1 = e.toF32(vector::ExtractOp::create(b, loc, xv, 1));
                Value d0 = pl.dPerChannel ? dCols[2 * jp] : dHead;
                Value d1 = pl.dPerChannel ? dCols[2 * jp + 1] : dHead;
                y0 = e.fma(d0, x0, y0);
                y1 = e.fma(d1, x1, y1);
              }
              if (pl.hasZ) {
                auto zt = VectorType::get({2}, pl.zElt);
                Value zv = vector::LoadOp::create(
                    b, loc, zt, zS, ValueRange{row, col}, false,
                    llvm::MaybeAlign(pl.zElt.getIntOrFloatBitWidth() / 4));
                y0 = e.mul(y0, e.silu(e.toF32(
                                   vector::ExtractOp::create(b, loc, zv, 0))));
                y1 = e.mul(y1, e.silu(e.toF32(
                                   vector::ExtractOp::create(b, loc, zv, 1))));
              }
              e.storeVecAs({y0, y1}, yS, {row, col}, pl.outElt);
            }
        }

        // 5. The state: S = decay S + (X diag(w))^T B.
        Value decay = e.load(decayS, {zero, zero});
        for (Value &v : h)
          v = e.mul(v, decay);
        for (int64_t kk = 0; kk < q / 16; ++kk) {
          auto aFr = tc.loadAT(xS, e.idx(16 * kk), r0);
          // Registers 0, 1 hold steps 16 kk + 2 t4 + {0, 1}; 2, 3 those + 8.
          std::array<Value, 4> w;
          for (int64_t k = 0; k < 4; ++k)
            w[k] = e.load(stepS, {e.idx(2), e.iaddConst(col2, 16 * kk +
                                                                  8 * (k / 2) +
                                                                  k % 2)});
          for (int64_t r = 0; r < 4; ++r) {
            auto [lo, hi] = tc.unpack(aFr[r]);
            Value wl = w[r < 2 ? 0 : 2], wh = w[r < 2 ? 1 : 3];
            aFr[r] = tc.pack(e.mul(lo, wl), e.mul(hi, wh));
          }
          for (int64_t jn = 0; jn < n / 16; ++jn) {
            auto bf = tc.loadBKN(bS, e.idx(16 * kk), e.idx(16 * jn));
            tc.mma(aFr, bf[0], bf[1], MutableArrayRef<Value>(h).slice(8 * jn, 4));
            tc.mma(aFr, bf[2], bf[3],
                   MutableArrayRef<Value>(h).slice(8 * jn + 4, 4));
          }
        }
        decayAcc = e.mul(decayAcc, decay);
        gpu::BarrierOp::create(b, loc);

        if (outputs) {
          writeStateCopy(h, sS, rowA, rowB, col2);
          // The chunk's outputs: whole rows of p, 8 elements per thread.
          int64_t perRow = p / 8, total = q * perRow;
          for (int64_t k = 0; k * threads < total; ++k) {
            Value el = e.iaddConst(tid, k * threads);
            Value t = e.idiv(el, e.idx(perRow));
            Value col = e.imul(e.irem(el, e.idx(perRow)), e.idx(8));
            Value ok = e.icmp(arith::CmpIPredicate::ult, t, tl);
            if ((k + 1) * threads > total)
              ok = e.andi(ok, e.icmp(arith::CmpIPredicate::ult, el,
                                     e.idx(total)));
            e.ifThen(ok, [&] {
              int64_t vo = 16 / (pl.outElt.getIntOrFloatBitWidth() / 8);
              auto vt = VectorType::get({vo}, pl.outElt);
              for (int64_t s = 0; s < 8; s += vo) {
                Value cs = e.iaddConst(col, s);
                Value v = vector::LoadOp::create(b, loc, vt, yS,
                                                 ValueRange{t, cs}, false,
                                                 llvm::MaybeAlign(16));
                vector::StoreOp::create(
                    b, loc, v, out, ValueRange{bi, e.iadd(t0, t), hh, cs},
                    false, llvm::MaybeAlign(16));
              }
            });
          }
          gpu::BarrierOp::create(b, loc);
        }
        SmallVector<Value> next(h.begin(), h.end());
        next.push_back(decayAcc);
        return next;
      });

  if (!outputs) {
    // The segment's end state from zero and its decay.
    for (int64_t r = 0; r < stateRegs; ++r)
      e.store(endState[r], ends, {endIndex(seg, r)});
    e.ifThen(e.icmp(arith::CmpIPredicate::eq, tid, zero), [&] {
      e.store(endState[stateRegs], decays,
              {e.iadd(e.imul(e.iadd(e.imul(bi, o.heads), hh), numSegments),
                      seg)});
    });
  } else if (fin) {
    Value last = e.icmp(arith::CmpIPredicate::eq, seg,
                        e.isub(numSegments, one));
    e.ifThen(last, [&] {
      for (int64_t j = 0; j < nTiles; ++j)
        for (int64_t r = 0; r < 4; r += 2)
          e.storeVecAs({endState[4 * j + r], endState[4 * j + r + 1]}, fin,
                       {bi, hh, stateRow(r, rowA, rowB), stateCol(j, r, col2)},
                       e.f32);
    });
  }
  gpu::TerminatorOp::create(b, loc);
}

} // namespace

bool ssdChunkedApplies(SSDOp op, std::string *why) {
  auto xType = cast<ShapedType>(op.getX().getType());
  auto bType = cast<ShapedType>(op.getB().getType());
  auto cType = cast<ShapedType>(op.getC().getType());
  auto fail = [&](const Twine &msg) {
    if (why)
      *why = msg.str();
    return false;
  };
  if (!xType.getElementType().isBF16() || !bType.getElementType().isBF16() ||
      !cType.getElementType().isBF16())
    return fail("the tensor-core form takes bf16 x, B and C");
  if (xType.isDynamicDim(3) || bType.isDynamicDim(3))
    return fail("the tensor-core form needs static p and n");
  int64_t p = xType.getDimSize(3), n = bType.getDimSize(3);
  if (p % 32 != 0 || p < 32 || p > 128)
    return fail("the tensor-core form needs p in {32, 64, 96, 128}");
  if (n % 16 != 0 || n < 16 || n > 128)
    return fail("the tensor-core form needs n a multiple of 16, at most 128");
  if (op.getZ()) {
    Type zt = cast<ShapedType>(op.getZ().getType()).getElementType();
    if (!zt.isBF16() && !zt.isF16() && !zt.isF32())
      return fail("z must be f32, f16 or bf16");
  }
  return true;
}

LogicalResult lowerSSDChunked(SSDOp op, PatternRewriter &rewriter,
                              DictionaryAttr tileAttr, int64_t &kernels) {
  Location loc = op.getLoc();
  std::string why;
  if (!ssdChunkedApplies(op, &why))
    return op.emitOpError() << "cannot use the chunked tensor-core form: "
                            << why;
  int64_t segmentsFixed = 0;
  if (auto v = tileAttr.getAs<IntegerAttr>("segments"))
    segmentsFixed = v.getInt();
  if (segmentsFixed < 0)
    return op.emitOpError() << "invalid " << kGPUTileAttrName << " "
                            << tileAttr;

  auto xType = cast<ShapedType>(op.getX().getType());
  auto bType = cast<ShapedType>(op.getB().getType());
  ChunkPlan pl;
  pl.p = xType.getDimSize(3);
  pl.n = bType.getDimSize(3);
  pl.warps = pl.p / 16;
  pl.q = 16 * pl.warps;
  pl.ldX = pl.p + 8;
  pl.ldBC = pl.n + 8;
  pl.ldS = pl.n + 8;
  pl.hasZ = static_cast<bool>(op.getZ());
  pl.hasD = static_cast<bool>(op.getD());
  pl.dPerChannel =
      pl.hasD && cast<ShapedType>(op.getD().getType()).getRank() == 2;
  pl.hasSeq = static_cast<bool>(op.getSeqIdx());
  pl.softplus = op.getDtSoftplus();
  pl.unscaled = op.getUnscaledInput();
  pl.limit = op.getDtLimit();
  auto outType = cast<RankedTensorType>(op.getOut().getType());
  pl.outElt = outType.getElementType();
  pl.zElt = pl.hasZ ? cast<ShapedType>(op.getZ().getType()).getElementType()
                    : Type();

  Emitter e(rewriter, loc);
  ChunkOperands o;
  o.x = toDenseBuffer(rewriter, loc, op.getX());
  o.dt = toDenseBuffer(rewriter, loc, op.getDt());
  o.a = toDenseBuffer(rewriter, loc, op.getA());
  o.bMat = toDenseBuffer(rewriter, loc, op.getB());
  o.cMat = toDenseBuffer(rewriter, loc, op.getC());
  o.d = toDenseBuffer(rewriter, loc, op.getD());
  o.z = toDenseBuffer(rewriter, loc, op.getZ());
  o.bias = toDenseBuffer(rewriter, loc, op.getDtBias());
  o.h0 = toDenseBuffer(rewriter, loc, op.getInitialStates());
  o.seqIdx = toDenseBuffer(rewriter, loc, op.getSeqIdx());
  o.batch = e.dim(o.x, 0);
  o.len = e.dim(o.x, 1);
  o.heads = e.dim(o.x, 2);
  o.perGroup = e.idiv(o.heads, e.dim(o.bMat, 2));
  Value one = e.idx(1);

  e.beginStream();
  Value out = e.gpuAlloc(outType, {o.batch, o.len, o.heads, e.idx(pl.p)});
  Value fin;
  RankedTensorType finType;
  if (op.getFinalStates()) {
    finType = cast<RankedTensorType>(op.getFinalStates().getType());
    fin = e.gpuAlloc(finType, {o.batch, o.heads, e.idx(pl.p), e.idx(pl.n)});
  }
  e.endStream();

  // Segments: fixed, or enough to fill one wave of blocks, at least four
  // chunks each.
  Value qV = e.idx(pl.q);
  Value chunks = e.imax(one, e.idiv(e.iadd(o.len, e.isub(qV, one)), qV));
  Value wanted;
  if (segmentsFixed > 0) {
    wanted = e.idx(segmentsFixed);
  } else {
    Value blocks = e.imul(o.batch, o.heads);
    int64_t slots = residentBlocks(outputsSharedBytes(pl)) * kMultiprocessors;
    wanted = e.imax(one, e.idiv(e.idx(slots), e.imax(blocks, one)));
  }
  Value maxSeg = e.imax(one, e.idiv(chunks, e.idx(4)));
  if (segmentsFixed > 0)
    maxSeg = chunks;
  Value s = e.imax(one, e.imin(wanted, maxSeg));
  Value segChunks = e.idiv(e.iadd(chunks, e.isub(s, one)), s);
  Value numSegments = e.idiv(e.iadd(chunks, e.isub(segChunks, one)),
                             segChunks);

  auto emitOutputs = [&](Value ends, Value decays) {
    emitChunkKernel(e, o, pl, ChunkPhase::Outputs, numSegments, segChunks,
                    numSegments, ends, decays, out, fin);
    ++kernels;
  };
  Value split = e.icmp(arith::CmpIPredicate::ugt, numSegments, one);
  auto ifOp = scf::IfOp::create(rewriter, loc, split, /*withElse=*/true);
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    auto flat = MemRefType::get({ShapedType::kDynamic}, e.f32);
    Value blocks = e.imul(e.imul(o.batch, o.heads), numSegments);
    e.beginStream();
    Value ends = e.gpuAlloc(flat, {e.imul(blocks, e.idx(pl.p * pl.n))});
    Value decays = e.gpuAlloc(flat, {blocks});
    emitChunkKernel(e, o, pl, ChunkPhase::SegmentStates,
                    e.isub(numSegments, one), segChunks, numSegments, ends,
                    decays, Value(), Value());
    ++kernels;
    emitOutputs(ends, decays);
    e.gpuDealloc(ends);
    e.gpuDealloc(decays);
    e.endStream();
    rewriter.setInsertionPoint(ifOp.elseBlock()->getTerminator());
    e.beginStream();
    emitOutputs(Value(), Value());
    e.endStream();
  }

  auto toTensor = [&](Type type, Value mem) -> Value {
    return bufferization::ToTensorOp::create(rewriter, loc, type, mem,
                                             /*restrict=*/true,
                                             /*writable=*/true);
  };
  SmallVector<Value> results{toTensor(outType, out)};
  if (fin)
    results.push_back(toTensor(finType, fin));
  rewriter.replaceOp(op, results);
  return success();
}

} // namespace ssmc::gpu_emit
