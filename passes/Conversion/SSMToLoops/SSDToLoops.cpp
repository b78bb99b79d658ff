//===- SSDToLoops.cpp - ssm.ssd into scf loops on memrefs -----------------===//
//
// The lowering of ssm.ssd for convert-ssm-to-loops (SEMANTICS.md, SSD): the
// chunked dual form when the op carries a CPU chunk size (`ssm.cpu_chunk_size`,
// chosen by `chooseSSDChunkSizeCPU`), else the sequential recurrence.
//
// Chunked form in two scf.parallel phases. First, one task per (batch, group,
// chunk) writes the raw C Bᵀ of the chunk (Q, Q; lower triangle, rows padded
// to 64 columns) into a heap buffer, so that it is computed once for all the
// heads of the group (through Bᵀ (n, Q) on the stack, in 64-column register
// blocks over n). Then one task per (batch, head), the state held transposed
// as Hᵀ (n, p) in a stack buffer, and per chunk of Q steps:
//   1. cum[j] = log2(e) Σ dt·A (inclusive, from the chunk start), the segment
//      counter of seq_idx resets, xs[j] = dt_j x_j (Q, p);
//   2. per block of kRowBlock rows i: r = (C Bᵀ)[i, 0..i] ∘ exp2(cum_i - cum_j)
//      (same segment only), y_i = Σ_j r_j xs_j + exp2(cum_i) C_i Hᵀ (the
//      latter weighted by 0 when a reset precedes i in the chunk), then D and
//      silu(z); rows past the chunk are clamped to its last row;
//   3. Hᵀ = exp2(cum_end) Hᵀ + Σ_j exp2(cum_end - cum_j) Bᵀ[:, j] ⊗ xs_j, in
//      blocks of kStateBlock rows of Hᵀ.
// With a static p that is a multiple of kLanes (f32), the products over p of
// 2 and 3 are vector code whose kRowBlock (kStateBlock) x p/kLanes
// accumulators are iter_args of the loops, independent FMA chains that stay
// in registers; otherwise every innermost loop runs with unit stride over p
// or over the chunk, as math.fma, for LLVM's loop vectoriser. The exponentials
// use a polynomial exp2 that vectorises. Decays are always exp2 of
// differences of cumulative sums (never quotients of exps).
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

using namespace mlir;
using namespace ssmc::ssm;

namespace ssmc::loops {

namespace {

/// The block of columns of L∘CBᵀ kept in registers over n (four AVX-512
/// vectors of f32: four independent FMA chains); rows are padded to it.
constexpr int64_t kRowPad = 64;

/// The output rows computed together (independent FMA chains over p).
constexpr int64_t kRowBlock = 4;

/// The f32 lanes of the vector accumulators over p.
constexpr int64_t kLanes = 16;

/// The rows of Hᵀ updated together over a chunk.
constexpr int64_t kStateBlock = 4;

/// exp2(x) in f32 as a polynomial that vectorises: x = k + f with k integral
/// and |f| <= 1/2, 2^f by its degree-7 Taylor series in f·ln 2 (relative
/// error < 1e-8 before rounding) and 2^k built in the exponent bits. x is
/// clamped to [-127, 127]; 2^-127 and below give 0. f64 uses math.exp2.
Value fastExp2(Emitter &e, Value x) {
  if (!e.ct.isF32())
    return e.exp2(x);
  OpBuilder &b = e.b;
  Location loc = e.loc;
  x = arith::MaximumFOp::create(b, loc, x, e.cst(-127.0));
  x = arith::MinimumFOp::create(b, loc, x, e.cst(127.0));
  Value k = math::FloorOp::create(b, loc, e.add(x, e.cst(0.5)));
  Value f = e.sub(x, k);
  double coeff[8];
  coeff[0] = 1.0;
  for (int i = 1; i < 8; ++i)
    coeff[i] = coeff[i - 1] * 0.6931471805599453 / i;
  Value poly = e.cst(coeff[7]);
  for (int i = 6; i >= 0; --i)
    poly = math::FmaOp::create(b, loc, poly, f, e.cst(coeff[i]));
  Value ki = arith::FPToSIOp::create(b, loc, b.getI32Type(), k);
  Value biased = arith::AddIOp::create(
      b, loc, ki, arith::ConstantIntOp::create(b, loc, b.getI32Type(), 127));
  Value bits = arith::ShLIOp::create(
      b, loc, biased, arith::ConstantIntOp::create(b, loc, b.getI32Type(), 23));
  Value scale = arith::BitcastOp::create(b, loc, e.ct, bits);
  return e.mul(poly, scale);
}

/// silu(x) = x / (1 + 2^(-x log2(e))) with the vectorisable exp2.
Value fastSilu(Emitter &e, Value x) {
  Value negX = arith::NegFOp::create(e.b, e.loc, x);
  return e.div(x, e.add(e.cst(1.0), fastExp2(e, e.mul(negX, e.cst(kLog2E)))));
}

Value fma(Emitter &e, Value x, Value y, Value acc) {
  return math::FmaOp::create(e.b, e.loc, x, y, acc);
}

/// The buffers of an ssm.ssd, its results allocated; `run` emits the op
/// through a callback over (b, l) steps: once for the whole op, or, with
/// packed sequences (`cu_seqlens`), once per sequence with views of its steps
/// (b = 1) and of its initial and final state.
struct SSDBuffers {
  SSDBuffers(Emitter &e, SSDOp op) : e(&e) {
    x = e.buffer(op.getX());
    dt = e.buffer(op.getDt());
    a = e.buffer(op.getA());
    b = e.buffer(op.getB());
    c = e.buffer(op.getC());
    d = e.buffer(op.getD());
    z = e.buffer(op.getZ());
    bias = e.buffer(op.getDtBias());
    h0 = e.buffer(op.getInitialStates());
    seqIdx = e.buffer(op.getSeqIdx());
    cu = e.buffer(op.getCuSeqlens());
    h = e.dim(x, 2);
    p = e.dim(x, 3);
    g = e.dim(b, 2);
    n = e.dim(b, 3);
    out = e.alloc(op.getOut().getType(), {e.dim(x, 0), e.dim(x, 1), h, p});
    if (op.getFinalStates())
      fin = e.alloc(op.getFinalStates().getType(),
                    {cu ? packedCount(e, cu) : e.dim(x, 0), h, p, n});
  }

  LogicalResult run(SSDOp op, PatternRewriter &rewriter,
                    function_ref<void(const SSDBuffers &)> emit) {
    if (!cu) {
      emit(*this);
    } else {
      zeroFill(*e, out);
      forEachSequence(
          *e, cu, e->dim(x, 1), [&](Value i, Value start, Value len) {
            SSDBuffers v = *this;
            Value one = e->idx(1);
            for (Value *mem : {&v.x, &v.dt, &v.b, &v.c, &v.z, &v.out})
              *mem = sliceAlong(*e, *mem, 1, start, len);
            v.h0 = sliceAlong(*e, h0, 0, i, one);
            v.fin = sliceAlong(*e, fin, 0, i, one);
            emit(v);
          });
    }
    SmallVector<Value> results{e->toTensor(op.getOut().getType(), out)};
    if (fin)
      results.push_back(e->toTensor(op.getFinalStates().getType(), fin));
    rewriter.replaceOp(op, results);
    return success();
  }

  Emitter *e;
  Value x, dt, a, b, c, d, z, bias, h0, seqIdx, cu, out, fin;
  Value h, p, g, n;
};

/// The chunked dual form with chunk length `q` (see the file comment).
LogicalResult lowerSSDChunked(SSDOp op, PatternRewriter &rewriter, int64_t q) {
  Emitter e(rewriter, op.getLoc(), computeType(op));
  Location loc = op.getLoc();
  SSDBuffers all(e, op);
  Value a = all.a, dBuf = all.d, bias = all.bias, seqIdx = all.seqIdx;
  bool softplus = op.getDtSoftplus();
  bool unscaled = op.getUnscaledInput();
  std::optional<ArrayRef<double>> limit = op.getDtLimit();
  bool dPerChannel =
      op.getD() && cast<ShapedType>(op.getD().getType()).getRank() == 2;

  Value h = all.h, p = all.p, n = all.n;
  Value perGroup = e.idiv(h, all.g);
  Value zero = e.idx(0), one = e.idx(1), qv = e.idx(q);

  // The op over (b, l) steps from x .. h0 into out and fin: the whole op, or
  // one packed sequence (b = 1) through views.
  auto chunked = [&](const SSDBuffers &v) {
    Value x = v.x, dtBuf = v.dt, bMat = v.b, cMat = v.c, z = v.z, h0 = v.h0,
          out = v.out, fin = v.fin;
    Value batch = e.dim(x, 0), l = e.dim(x, 1), g = all.g;
    Value numChunks = e.idiv(e.iadd(l, e.idx(q - 1)), qv);
    // The row padding: a power of two dividing q, at most kRowPad.
    int64_t width = std::min<int64_t>(kRowPad, q & -q);

    Value widthV = e.idx(width);

    // Phase 1, one task per (batch, group, chunk): the raw C Bᵀ of the chunk
    // (rows i < len, columns up to i padded to `width`), shared by the heads of
    // the group, into a heap buffer of (batch, g, chunks, Q, Q).
    Value cbAll;
    {
      auto cbType = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic,
                                     ShapedType::kDynamic, q, q},
                                    e.ct);
      cbAll = memref::AllocOp::create(rewriter, loc, cbType,
                                      ValueRange{batch, g, numChunks});
      auto par1 = scf::ParallelOp::create(
          rewriter, loc, ValueRange{zero, zero, zero},
          ValueRange{batch, g, numChunks}, ValueRange{one, one, one});
      OpBuilder::InsertionGuard guard1(rewriter);
      rewriter.setInsertionPoint(par1.getBody()->getTerminator());
      auto scope1 = memref::AllocaScopeOp::create(rewriter, loc, TypeRange{});
      Block *scope1Body = rewriter.createBlock(&scope1.getBodyRegion());
      memref::AllocaScopeReturnOp::create(rewriter, loc, ValueRange{});
      rewriter.setInsertionPointToStart(scope1Body);
      Value bi = par1.getInductionVars()[0], gi = par1.getInductionVars()[1],
            c = par1.getInductionVars()[2];
      Value bt = stackBuffer(e, {n, qv});
      Value row = stackBuffer(e, {qv});
      Value start = e.imul(c, qv);
      Value len = arith::MinUIOp::create(rewriter, loc, qv, e.isub(l, start));
      e.forEach(len, [&](Value j) {
        Value t = e.iadd(start, j);
        e.forEach(n, [&](Value k) {
          e.store(e.load(bMat, {bi, t, gi, k}), bt, {k, j});
        });
      });
      e.forEach(len, [&](Value i) {
        Value t = e.iadd(start, i);
        Value rowPad = e.imul(e.idiv(e.iadd(i, widthV), widthV), widthV);
        // C_i Bᵀ in blocks of `width` columns, so that each block stays in
        // registers over the loop over n.
        e.forEach(e.idiv(rowPad, widthV), [&](Value jb) {
          Value j0 = e.imul(jb, widthV);
          e.forEach(widthV, [&](Value jj) {
            e.store(e.cst(0.0), row, e.iadd(j0, jj));
          });
          e.forEach(n, [&](Value k) {
            Value ck = e.load(cMat, {bi, t, gi, k});
            e.forEach(widthV, [&](Value jj) {
              Value j = e.iadd(j0, jj);
              e.store(fma(e, ck, e.load(bt, {k, j}), e.load(row, j)), row, j);
            });
          });
          e.forEach(widthV, [&](Value jj) {
            Value j = e.iadd(j0, jj);
            e.store(e.load(row, j), cbAll, {bi, gi, c, i, j});
          });
        });
      });
    }

    // Phase 2, one task per (batch, head).
    auto par =
        scf::ParallelOp::create(rewriter, loc, ValueRange{zero, zero},
                                ValueRange{batch, h}, ValueRange{one, one});
    par->setAttr("ssm.chunk_size", rewriter.getI64IntegerAttr(q));
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(par.getBody()->getTerminator());
    // The task's scratch is freed when it ends.
    auto scope = memref::AllocaScopeOp::create(rewriter, loc, TypeRange{});
    Block *scopeBody = rewriter.createBlock(&scope.getBodyRegion());
    memref::AllocaScopeReturnOp::create(rewriter, loc, ValueRange{});
    rewriter.setInsertionPointToStart(scopeBody);

    Value bi = par.getInductionVars()[0], hh = par.getInductionVars()[1];
    Value gi = e.idiv(hh, perGroup);
    Value a2 = e.mul(e.load(a, hh), e.cst(kLog2E));
    Value biasH = bias ? e.load(bias, hh) : Value();
    Value dH = dBuf && !dPerChannel ? e.load(dBuf, hh) : Value();

    // Hᵀ (n, p) and the chunk's intermediates.
    Value ht = stackBuffer(e, {n, p});
    Value cum = stackBuffer(e, {qv});
    Value seg =
        seqIdx ? stackBuffer(e, {qv}, rewriter.getIndexType()) : Value();
    Value xs = stackBuffer(e, {qv, p});
    // With a static p that is a multiple of kLanes (f32), the products over p
    // are vector code with their accumulators carried through the loops.
    std::optional<int64_t> pConst = getConstantIntValue(p);
    bool vecP = e.ct.isF32() && pConst && *pConst % kLanes == 0;
    int64_t numVecs = vecP ? *pConst / kLanes : 0;
    // dt·x weighted by the decay to the chunk's end (the vector state update).
    Value xw = vecP ? stackBuffer(e, {qv, p}) : Value();
    // The output rows computed together: kRowBlock with the vector code.
    int64_t rowBlock = vecP ? kRowBlock : 1;
    Value rows = stackBuffer(e, {e.idx(rowBlock), qv});
    Value yAcc = stackBuffer(e, {e.idx(rowBlock), p});

    e.forEach(n, [&](Value k) {
      e.forEach(p, [&](Value pi) {
        e.store(h0 ? e.load(h0, {bi, hh, pi, k}) : e.cst(0.0), ht, {k, pi});
      });
    });

    Value rIdx0 = zero;
    auto vecType = mlir::VectorType::get({kLanes}, e.ct);
    Value zeroVec;
    if (vecP)
      zeroVec = arith::ConstantOp::create(
          rewriter, loc, mlir::DenseElementsAttr::get(vecType, 0.0f));
    auto splat = [&](Value s) -> Value {
      return vector::BroadcastOp::create(rewriter, loc, vecType, s);
    };
    auto vecLoad = [&](Value mem, ValueRange ivs) -> Value {
      return vector::LoadOp::create(rewriter, loc, vecType, mem, ivs);
    };
    // The rows of Hᵀ updated together: kStateBlock with the vector code when it
    // divides n.
    std::optional<int64_t> nConst = getConstantIntValue(n);
    int64_t stateBlock =
        vecP && nConst && *nConst % kStateBlock == 0 ? kStateBlock : 1;

    e.forEach(numChunks, [&](Value c) {
      Value start = e.imul(c, qv);
      Value len = arith::MinUIOp::create(rewriter, loc, qv, e.isub(l, start));

      // 1. dt, the cumulative sum of dt·A·log2(e), the count of seq_idx changes
      // since the position before the chunk, dt·x and Bᵀ.
      e.loop(len, ValueRange{e.cst(0.0), zero}, [&](Value j, ValueRange acc) {
        Value t = e.iadd(start, j);
        Value dt =
            e.processDt(e.load(dtBuf, {bi, t, hh}), biasH, softplus, limit);
        Value cumJ = e.add(acc[0], e.mul(dt, a2));
        e.store(cumJ, cum, j);
        Value segJ = acc[1];
        if (seqIdx) {
          Value isFirst = e.icmp(arith::CmpIPredicate::eq, t, zero);
          Value prevT = e.select(isFirst, zero, e.isub(t, one));
          Value changed =
              e.icmp(arith::CmpIPredicate::ne, e.loadRaw(seqIdx, {bi, t}),
                     e.loadRaw(seqIdx, {bi, prevT}));
          segJ = e.iadd(segJ, e.select(changed, one, zero));
          memref::StoreOp::create(rewriter, loc, segJ, seg, j);
        }
        e.forEach(p, [&](Value pi) {
          Value xv = e.load(x, {bi, t, hh, pi});
          e.store(unscaled ? xv : e.mul(dt, xv), xs, {j, pi});
        });
        return SmallVector<Value>{cumJ, segJ};
      });

      // 2. The outputs, rowBlock rows at a time so that the products over p
      // run rowBlock independent accumulator chains. The rows of a block past
      // the chunk are clamped to its last row (recomputed and stored again).
      Value lenM1 = e.isub(len, one);
      Value rowBlockV = e.idx(rowBlock);
      Value numRowBlocks = e.idiv(e.iadd(len, e.idx(rowBlock - 1)), rowBlockV);
      e.forEach(numRowBlocks, [&](Value m) {
        Value i0 = e.imul(m, rowBlockV);
        SmallVector<Value> is, ts, cumIs, segIs, rIdx;
        for (int64_t r = 0; r < rowBlock; ++r) {
          Value i = arith::MinUIOp::create(rewriter, loc, e.iadd(i0, e.idx(r)),
                                           lenM1);
          is.push_back(i);
          ts.push_back(e.iadd(start, i));
          cumIs.push_back(e.load(cum, i));
          if (seqIdx)
            segIs.push_back(memref::LoadOp::create(rewriter, loc, seg, i));
          rIdx.push_back(e.idx(r));
        }
        Value rowLen = e.iadd(is.back(), one);
        // The rows are computed up to a multiple of `width` (at most Q) so that
        // their loops have no scalar remainder; the columns past each row's i
        // are selected away (they may read stale scratch).
        Value widthC = e.idx(width);
        Value rowPad =
            e.imul(e.idiv(e.iadd(rowLen, e.idx(width - 1)), widthC), widthC);
        e.forEach(rowPad, [&](Value j) {
          Value cumJ = e.load(cum, j);
          Value segJ =
              seqIdx ? memref::LoadOp::create(rewriter, loc, seg, j).getResult()
                     : Value();
          for (int64_t r = 0; r < rowBlock; ++r) {
            Value w = fastExp2(e, e.sub(cumIs[r], cumJ));
            Value keep = e.icmp(arith::CmpIPredicate::ule, j, is[r]);
            if (seqIdx) {
              Value same = e.icmp(arith::CmpIPredicate::eq, segIs[r], segJ);
              keep = arith::AndIOp::create(rewriter, loc, keep, same);
            }
            Value cb = e.load(cbAll, {bi, gi, c, is[r], j});
            e.store(e.select(keep, e.mul(cb, w), e.cst(0.0)), rows,
                    {rIdx[r], j});
          }
        });
        // The carried-in state, weighted by 0 in the rows after a new sequence
        // started in the chunk.
        SmallVector<Value> decays;
        for (int64_t r = 0; r < rowBlock; ++r) {
          Value decay = fastExp2(e, cumIs[r]);
          if (seqIdx)
            decay = e.select(e.icmp(arith::CmpIPredicate::eq, segIs[r], zero),
                             decay, e.cst(0.0));
          decays.push_back(decay);
        }
        if (vecP) {
          // kRowBlock x p/kLanes vector accumulators carried through the loops:
          // first C_i Hᵀ (C broadcast straight from memory), scaled by the
          // rows' decays once, then the masked rows against dt·x.
          SmallVector<Value> init(rowBlock * numVecs, zeroVec);
          SmallVector<Value> accs =
              e.loop(n, init, [&](Value k, ValueRange acc) {
                SmallVector<Value> cks;
                for (int64_t r = 0; r < rowBlock; ++r)
                  cks.push_back(splat(e.load(cMat, {bi, ts[r], gi, k})));
                SmallVector<Value> next(acc);
                for (int64_t v = 0; v < numVecs; ++v) {
                  Value hv = vecLoad(ht, {k, e.idx(v * kLanes)});
                  for (int64_t r = 0; r < rowBlock; ++r)
                    next[r * numVecs + v] =
                        fma(e, cks[r], hv, next[r * numVecs + v]);
                }
                return next;
              });
          for (int64_t r = 0; r < rowBlock; ++r) {
            Value decayV = splat(decays[r]);
            for (int64_t v = 0; v < numVecs; ++v)
              accs[r * numVecs + v] = e.mul(decayV, accs[r * numVecs + v]);
          }
          accs = e.loop(rowLen, accs, [&](Value j, ValueRange acc) {
            SmallVector<Value> rv;
            for (int64_t r = 0; r < rowBlock; ++r)
              rv.push_back(splat(e.load(rows, {rIdx[r], j})));
            SmallVector<Value> next(acc);
            for (int64_t v = 0; v < numVecs; ++v) {
              Value xv = vecLoad(xs, {j, e.idx(v * kLanes)});
              for (int64_t r = 0; r < rowBlock; ++r)
                next[r * numVecs + v] =
                    fma(e, rv[r], xv, next[r * numVecs + v]);
            }
            return next;
          });
          for (int64_t r = 0; r < rowBlock; ++r)
            for (int64_t v = 0; v < numVecs; ++v)
              vector::StoreOp::create(rewriter, loc, accs[r * numVecs + v],
                                      yAcc,
                                      ValueRange{rIdx[r], e.idx(v * kLanes)});
        } else {
          e.forEach(p, [&](Value pi) {
            for (int64_t r = 0; r < rowBlock; ++r)
              e.store(e.cst(0.0), yAcc, {rIdx[r], pi});
          });
          e.forEach(rowLen, [&](Value j) {
            SmallVector<Value> rv;
            for (int64_t r = 0; r < rowBlock; ++r)
              rv.push_back(e.load(rows, {rIdx[r], j}));
            e.forEach(p, [&](Value pi) {
              Value xv = e.load(xs, {j, pi});
              for (int64_t r = 0; r < rowBlock; ++r)
                e.store(fma(e, rv[r], xv, e.load(yAcc, {rIdx[r], pi})), yAcc,
                        {rIdx[r], pi});
            });
          });
          e.forEach(n, [&](Value k) {
            SmallVector<Value> cks;
            for (int64_t r = 0; r < rowBlock; ++r)
              cks.push_back(e.mul(e.load(cMat, {bi, ts[r], gi, k}), decays[r]));
            e.forEach(p, [&](Value pi) {
              Value hv = e.load(ht, {k, pi});
              for (int64_t r = 0; r < rowBlock; ++r)
                e.store(fma(e, cks[r], hv, e.load(yAcc, {rIdx[r], pi})), yAcc,
                        {rIdx[r], pi});
            });
          });
        }
        e.forEach(p, [&](Value pi) {
          for (int64_t r = 0; r < rowBlock; ++r) {
            Value y = e.load(yAcc, {rIdx[r], pi});
            if (dBuf) {
              Value d = dPerChannel ? e.load(dBuf, {hh, pi}) : dH;
              y = fma(e, d, e.load(x, {bi, ts[r], hh, pi}), y);
            }
            if (z)
              y = e.mul(y, fastSilu(e, e.load(z, {bi, ts[r], hh, pi})));
            e.store(y, out, {bi, ts[r], hh, pi});
          }
        });
      });

      // 3. The state leaving the chunk, kStateBlock rows of Hᵀ at a time kept
      // in registers over the chunk.
      Value cumEnd = e.load(cum, lenM1);
      Value segEnd =
          seqIdx ? memref::LoadOp::create(rewriter, loc, seg, lenM1).getResult()
                 : Value();
      Value decay = fastExp2(e, cumEnd);
      if (seqIdx)
        decay = e.select(e.icmp(arith::CmpIPredicate::eq, segEnd, zero), decay,
                         e.cst(0.0));
      Value wRow = rIdx0;
      e.forEach(len, [&](Value j) {
        Value w = fastExp2(e, e.sub(cumEnd, e.load(cum, j)));
        if (seqIdx) {
          Value same = e.icmp(arith::CmpIPredicate::eq, segEnd,
                              memref::LoadOp::create(rewriter, loc, seg, j));
          w = e.select(same, w, e.cst(0.0));
        }
        e.store(w, rows, {wRow, j});
      });
      if (vecP && stateBlock > 1) {
        // xw_j = w_j dt_j x_j once per chunk, so that the rank-Q update takes
        // B straight from memory as its broadcast operand.
        e.forEach(len, [&](Value j) {
          Value w = splat(e.load(rows, {wRow, j}));
          for (int64_t v = 0; v < numVecs; ++v) {
            Value pv = e.idx(v * kLanes);
            vector::StoreOp::create(rewriter, loc,
                                    e.mul(w, vecLoad(xs, {j, pv})), xw,
                                    ValueRange{j, pv});
          }
        });
        Value stateBlockV = e.idx(stateBlock);
        Value decayV = splat(decay);
        e.forEach(e.idiv(n, stateBlockV), [&](Value kb) {
          SmallVector<Value> ks, init;
          for (int64_t r = 0; r < stateBlock; ++r)
            ks.push_back(e.iadd(e.imul(kb, stateBlockV), e.idx(r)));
          for (int64_t r = 0; r < stateBlock; ++r)
            for (int64_t v = 0; v < numVecs; ++v)
              init.push_back(
                  e.mul(decayV, vecLoad(ht, {ks[r], e.idx(v * kLanes)})));
          SmallVector<Value> accs =
              e.loop(len, init, [&](Value j, ValueRange acc) {
                Value t = e.iadd(start, j);
                SmallVector<Value> coefs;
                for (int64_t r = 0; r < stateBlock; ++r)
                  coefs.push_back(splat(e.load(bMat, {bi, t, gi, ks[r]})));
                SmallVector<Value> next(acc);
                for (int64_t v = 0; v < numVecs; ++v) {
                  Value xv = vecLoad(xw, {j, e.idx(v * kLanes)});
                  for (int64_t r = 0; r < stateBlock; ++r)
                    next[r * numVecs + v] =
                        fma(e, coefs[r], xv, next[r * numVecs + v]);
                }
                return next;
              });
          for (int64_t r = 0; r < stateBlock; ++r)
            for (int64_t v = 0; v < numVecs; ++v)
              vector::StoreOp::create(rewriter, loc, accs[r * numVecs + v], ht,
                                      ValueRange{ks[r], e.idx(v * kLanes)});
        });
      } else {
        Value stateBlockV = e.idx(stateBlock);
        e.forEach(e.idiv(n, stateBlockV), [&](Value kb) {
          SmallVector<Value> ks;
          for (int64_t r = 0; r < stateBlock; ++r)
            ks.push_back(e.iadd(e.imul(kb, stateBlockV), e.idx(r)));
          e.forEach(p, [&](Value pi) {
            for (int64_t r = 0; r < stateBlock; ++r)
              e.store(e.mul(decay, e.load(ht, {ks[r], pi})), ht, {ks[r], pi});
          });
          e.forEach(len, [&](Value j) {
            Value w = e.load(rows, {wRow, j});
            Value t = e.iadd(start, j);
            SmallVector<Value> coefs;
            for (int64_t r = 0; r < stateBlock; ++r)
              coefs.push_back(e.mul(w, e.load(bMat, {bi, t, gi, ks[r]})));
            e.forEach(p, [&](Value pi) {
              Value xv = e.load(xs, {j, pi});
              for (int64_t r = 0; r < stateBlock; ++r)
                e.store(fma(e, coefs[r], xv, e.load(ht, {ks[r], pi})), ht,
                        {ks[r], pi});
            });
          });
        });
      }
    });

    if (fin) {
      e.forEach(p, [&](Value pi) {
        e.forEach(n, [&](Value k) {
          e.store(e.load(ht, {k, pi}), fin, {bi, hh, pi, k});
        });
      });
    }

    rewriter.setInsertionPointAfter(par);
  };
  return all.run(op, rewriter, chunked);
}

} // namespace

/// The sequential recurrence per (batch, head, head channel).
LogicalResult lowerSSDSequential(SSDOp op, PatternRewriter &rewriter,
                                 int64_t maxUnrolled) {
  Emitter e(rewriter, op.getLoc(), computeType(op));
  SSDBuffers all(e, op);
  Value a = all.a, dBuf = all.d, bias = all.bias, seqIdx = all.seqIdx;
  bool softplus = op.getDtSoftplus();
  bool unscaled = op.getUnscaledInput();
  std::optional<ArrayRef<double>> limit = op.getDtLimit();
  bool dPerChannel =
      op.getD() && cast<ShapedType>(op.getD().getType()).getRank() == 2;

  Value h = all.h, p = all.p, n = all.n;
  Value perGroup = e.idiv(h, all.g);
  std::optional<int64_t> nStatic = staticSize(op.getB(), 3, maxUnrolled);
  Value hRow;
  if (!nStatic)
    hRow = e.scratch(n);
  Value zero = e.idx(0), one = e.idx(1);

  // The recurrence over (b, l) steps: the whole op, or one packed sequence.
  auto sequential = [&](const SSDBuffers &v) {
    Value x = v.x, dtBuf = v.dt, bMat = v.b, cMat = v.c, z = v.z, h0 = v.h0,
          out = v.out, fin = v.fin;
    Value batch = e.dim(x, 0), l = e.dim(x, 1);

    // One (batch, head, head channel) row of the (p, n) state at a time.
    e.nest({batch, h, p}, [&](ValueRange ivs) {
      Value bi = ivs[0], hh = ivs[1], pi = ivs[2];
      Value gi = e.idiv(hh, perGroup);
      Value a2 = e.mul(e.load(a, hh), e.cst(kLog2E));
      Value biasH = bias ? e.load(bias, hh) : Value();
      Value dH;
      if (dBuf)
        dH = dPerChannel ? e.load(dBuf, {hh, pi}) : e.load(dBuf, hh);
      SmallVector<Value> init;
      if (nStatic) {
        for (int64_t j = 0; j < *nStatic; ++j)
          init.push_back(h0 ? e.load(h0, {bi, hh, pi, e.idx(j)}) : e.cst(0.0));
      } else {
        e.forEach(n, [&](Value j) {
          e.store(h0 ? e.load(h0, {bi, hh, pi, j}) : e.cst(0.0), hRow, j);
        });
      }
      SmallVector<Value> last =
          e.loop(l, init, [&](Value t, ValueRange carried) {
            Value dt =
                e.processDt(e.load(dtBuf, {bi, t, hh}), biasH, softplus, limit);
            Value xv = e.load(x, {bi, t, hh, pi});
            Value decay = e.exp2(e.mul(dt, a2));
            Value dtx = unscaled ? xv : e.mul(dt, xv);
            // A new sequence of a packed row starts with a zero state.
            Value reset;
            if (seqIdx) {
              Value isFirst = e.icmp(arith::CmpIPredicate::eq, t, zero);
              Value prevT = e.select(isFirst, zero, e.isub(t, one));
              reset =
                  e.icmp(arith::CmpIPredicate::ne, e.loadRaw(seqIdx, {bi, t}),
                         e.loadRaw(seqIdx, {bi, prevT}));
            }
            Value zeroF = e.cst(0.0);
            auto update = [&](Value j, int64_t, Value prev) {
              if (reset)
                prev = e.select(reset, zeroF, prev);
              Value inc = e.mul(dtx, e.load(bMat, {bi, t, gi, j}));
              return e.add(e.mul(decay, prev), inc);
            };
            auto output = [&](Value j, Value hv) {
              return e.mul(e.load(cMat, {bi, t, gi, j}), hv);
            };
            SmallVector<Value> regs(carried);
            Value y = rowStep(e, n, nStatic ? &regs : nullptr, hRow,
                              RowStep{update, output});
            if (dH)
              y = e.add(y, e.mul(dH, xv));
            if (z)
              y = e.mul(y, e.silu(e.load(z, {bi, t, hh, pi})));
            e.store(y, out, {bi, t, hh, pi});
            return regs;
          });
      if (fin) {
        if (nStatic) {
          for (auto [j, hv] : llvm::enumerate(last))
            e.store(hv, fin, {bi, hh, pi, e.idx(j)});
        } else {
          e.forEach(n, [&](Value j) {
            e.store(e.load(hRow, j), fin, {bi, hh, pi, j});
          });
        }
      }
    });
  };
  return all.run(op, rewriter, sequential);
}

int64_t chooseSSDChunkSizeCPU(SSDOp op) {
  int64_t limit = std::max<int64_t>(op.getChunkSize(), 1);
  auto xType = cast<ShapedType>(op.getX().getType());
  auto bType = cast<ShapedType>(op.getB().getType());
  int64_t p = xType.isDynamicDim(3) ? 64 : xType.getDimSize(3);
  int64_t n = bType.isDynamicDim(3) ? 128 : bType.getDimSize(3);
  // Per step and head the chunked form costs about Q p multiply-adds inside
  // the chunk (the masked C Bᵀ block against dt·x, half of Q² p per chunk)
  // and 2 n p for the carried state (its output and its update), whatever
  // Q; each chunk also loads and stores Hᵀ and restarts the register blocks,
  // about 8 n p per chunk. Q p + 8 n p / Q is least at Q = sqrt(8 n): 32 for
  // n = 128, where it measured fastest on AVX-512 (16..256 tried, see
  // bench/cpu/README.md). Powers of two, not past the op's chunk_size.
  int64_t q = 16;
  auto cost = [&](int64_t c) { return double(c) * p + 8.0 * n * p / c; };
  while (q * 2 <= limit && cost(q * 2) < cost(q))
    q *= 2;
  q = std::min(q, limit);
  // Per task: Hᵀ (n, p), dt·x (Q, p), and Bᵀ (n, Q) (of the C Bᵀ phase) and
  // a few rows of Q.
  auto bytes = [&](int64_t c) { return 4 * (n * p + c * (p + n + 3) + p); };
  while (q > 16 && bytes(q) > kSSDScratchBytesCPU)
    q /= 2;
  return q;
}

void annotateSSDChunkSizes(Operation *root, bool sequential) {
  root->walk([&](SSDOp op) {
    if (op->hasAttr(kSSDChunkAttr) && !sequential)
      return;
    op->setAttr(kSSDChunkAttr, Builder(op).getI64IntegerAttr(
                                   sequential ? 0 : chooseSSDChunkSizeCPU(op)));
  });
}

LogicalResult lowerSSD(SSDOp op, PatternRewriter &rewriter,
                       int64_t maxUnrolled) {
  auto chunk = op->getAttrOfType<IntegerAttr>(kSSDChunkAttr);
  if (chunk && chunk.getInt() > 0)
    return lowerSSDChunked(op, rewriter, chunk.getInt());
  return lowerSSDSequential(op, rewriter, maxUnrolled);
}

} // namespace ssmc::loops
