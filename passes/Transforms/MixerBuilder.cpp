//===- MixerBuilder.cpp - the Mamba mixers as primitive ssm ops -----------===//
//
// The bodies of the two mixers (SEMANTICS.md), used by ssm-decompose-mixers
// (no caches) and by the HF model frontend (caches in and out).
//
//===----------------------------------------------------------------------===//
#include "ssmc/Dialect/SSM/Transforms/MixerBuilder.h"

using namespace mlir;

namespace ssmc::ssm {

namespace {

int64_t dimOf(Value v, unsigned i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}

/// A (b, dims...) f32 tensor type with the batch size of `like`, or with
/// packed sequences (`cuSeqlens` (s + 1)) one per sequence: (s, dims...).
RankedTensorType batchType(Value like, ArrayRef<int64_t> dims, Type f32,
                           Value cuSeqlens = Value()) {
  int64_t lead = cast<RankedTensorType>(like.getType()).getDimSize(0);
  if (cuSeqlens) {
    int64_t offsets = dimOf(cuSeqlens, 0);
    lead = ShapedType::isDynamic(offsets) ? ShapedType::kDynamic : offsets - 1;
  }
  SmallVector<int64_t> shape{lead};
  shape.append(dims.begin(), dims.end());
  return RankedTensorType::get(shape, f32);
}

/// Whether `hidden` (b, l, d_model) is one token per sequence with a state to
/// continue: the mixers then take the decode step (ssm.state_update, the
/// state updated in place) instead of a scan over l = 1. Never with packed
/// sequences (`cuSeqlens`), whose states are one per sequence of the row.
bool isDecodeStep(Value hidden, Value ssmState, bool withStates,
                  Value cuSeqlens) {
  return withStates && ssmState && !cuSeqlens && dimOf(hidden, 1) == 1;
}

/// Mamba-2's gated norm of y (b, l, d) by z: per group within the channels,
/// or, for a shard whose norm group spans every rank, across the ranks.
Value gatedNorm(MixerBuilder &mb, Value y, Value z,
                const Mamba2MixerWeights &w, int64_t d) {
  if (w.normGroupSize > d)
    return mb.normOnLinalg(y, z, mb.toF32(w.norm), d, w.normGroupSize,
                           w.worldSize, w.eps);
  return GatedRMSNormOp::create(mb.b, mb.loc, y.getType(), y, z,
                                mb.toF32(w.norm),
                                mb.b.getI64IntegerAttr(w.normGroupSize), w.eps);
}

} // namespace

Value MixerBuilder::convSilu(Value x, Value weight, Value bias, Value state,
                             Value *newState, Value cuSeqlens) {
  Type stateType;
  if (newState) {
    int64_t c = dimOf(weight, 0), k = dimOf(weight, 1);
    stateType = batchType(x, {c, k - 1}, f32, cuSeqlens);
  }
  auto conv = CausalConv1dOp::create(b, loc, x.getType(), stateType, x, weight,
                                     bias, state, cuSeqlens, /*silu=*/true);
  if (newState)
    *newState = conv.getNewConvState();
  return conv.getY();
}

Value MixerBuilder::add(Value x, Value y) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  SmallVector<AffineMap> maps(3, b.getMultiDimIdentityMap(rank));
  SmallVector<IteratorType> iters(rank, IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{x, y},
             ValueRange{empty(tensor::getMixedSizes(b, loc, x))}, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nb, l,
                   arith::AddFOp::create(nb, l, args[0], args[1]).getResult());
             })
      .getResult(0);
}

Value MixerBuilder::embed(Value tokens, Value table) {
  int64_t vocab = dimOf(table, 0), dm = dimOf(table, 1);
  SmallVector<OpFoldResult> shape = tensor::getMixedSizes(b, loc, tokens);
  shape.push_back(b.getIndexAttr(dm));
  MLIRContext *ctx = b.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
  SmallVector<AffineMap> maps{AffineMap::get(3, 0, {d0, d1}, ctx),
                              b.getMultiDimIdentityMap(3)};
  SmallVector<IteratorType> iters(3, IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{empty(shape).getType()}, ValueRange{tokens},
             ValueRange{empty(shape)}, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value id = arith::IndexCastOp::create(nb, l, nb.getIndexType(),
                                                     args[0]);
               // Ids were checked by the runtime; clamped here so that a bad
               // one can never read outside the table.
               Value zero = arith::ConstantIndexOp::create(nb, l, 0);
               Value last = arith::ConstantIndexOp::create(nb, l, vocab - 1);
               id = arith::MaxSIOp::create(nb, l, id, zero);
               id = arith::MinSIOp::create(nb, l, id, last);
               Value col = linalg::IndexOp::create(nb, l, 2);
               Value v = tensor::ExtractOp::create(nb, l, table,
                                                   ValueRange{id, col});
               linalg::YieldOp::create(nb, l,
                                       castScalar(nb, l, v, nb.getF32Type()));
             })
      .getResult(0);
}

Value MixerBuilder::embedShard(Value tokens, Value table, Value offset) {
  int64_t rows = dimOf(table, 0), dm = dimOf(table, 1);
  SmallVector<OpFoldResult> shape = tensor::getMixedSizes(b, loc, tokens);
  shape.push_back(b.getIndexAttr(dm));
  MLIRContext *ctx = b.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
  SmallVector<AffineMap> maps{AffineMap::get(3, 0, {d0, d1}, ctx),
                              b.getMultiDimIdentityMap(3)};
  SmallVector<IteratorType> iters(3, IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{empty(shape).getType()}, ValueRange{tokens},
             ValueRange{empty(shape)}, maps, iters,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value id = arith::IndexCastOp::create(nb, l, nb.getIndexType(),
                                                     args[0]);
               Value row = arith::SubIOp::create(nb, l, id, offset);
               Value zero = arith::ConstantIndexOp::create(nb, l, 0);
               Value last = arith::ConstantIndexOp::create(nb, l, rows - 1);
               Value inside = arith::AndIOp::create(
                   nb, l,
                   arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, row,
                                         zero),
                   arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle, row,
                                         last));
               // The read stays inside the table; its value is dropped when
               // the id is another rank's.
               Value safe = arith::MinSIOp::create(
                   nb, l, arith::MaxSIOp::create(nb, l, row, zero), last);
               Value col = linalg::IndexOp::create(nb, l, 2);
               Value v = castScalar(
                   nb, l,
                   tensor::ExtractOp::create(nb, l, table, ValueRange{safe, col}),
                   nb.getF32Type());
               Value none =
                   arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0.0f));
               linalg::YieldOp::create(
                   nb, l, arith::SelectOp::create(nb, l, inside, v, none)
                              .getResult());
             })
      .getResult(0);
}

Value MixerBuilder::normOnLinalg(Value x, Value z, Value weight,
                                 int64_t groupSize, int64_t total,
                                 int64_t worldSize, FloatAttr eps) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t d = type.getDimSize(2), groups = d / groupSize;
  MLIRContext *ctx = b.getContext();
  SmallVector<OpFoldResult> shape = tensor::getMixedSizes(b, loc, x);
  SmallVector<AffineMap> id3(3, b.getMultiDimIdentityMap(3));
  SmallVector<IteratorType> par(3, IteratorType::parallel);
  // g = x * silu(z), or x.
  Value gated = x;
  if (z)
    gated = linalg::GenericOp::create(
                b, loc, TypeRange{type}, ValueRange{x, z},
                ValueRange{empty(shape)}, id3, par,
                [&](OpBuilder &nb, Location l, ValueRange args) {
                  Value one =
                      arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1));
                  Value e = math::ExpOp::create(
                      nb, l, arith::NegFOp::create(nb, l, args[1]));
                  Value silu = arith::DivFOp::create(
                      nb, l, args[1], arith::AddFOp::create(nb, l, one, e));
                  linalg::YieldOp::create(
                      nb, l,
                      arith::MulFOp::create(nb, l, args[0], silu).getResult());
                })
                .getResult(0);
  // The sum of squares per position and group (b, l, groups), over this
  // rank's channels, then every rank's.
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx), d3 = getAffineDimExpr(3, ctx);
  Value grouped = expand(gated, 2, groups, groupSize);
  Value sums = zeros({shape[0], shape[1], b.getIndexAttr(groups)});
  sums = linalg::GenericOp::create(
             b, loc, TypeRange{sums.getType()}, ValueRange{grouped},
             ValueRange{sums},
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(4),
                                    AffineMap::get(4, 0, {d0, d1, d2}, ctx)},
             SmallVector<IteratorType>{
                 IteratorType::parallel, IteratorType::parallel,
                 IteratorType::parallel, IteratorType::reduction},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value sq = arith::MulFOp::create(nb, l, args[0], args[0]);
               linalg::YieldOp::create(
                   nb, l, arith::AddFOp::create(nb, l, args[1], sq).getResult());
             })
             .getResult(0);
  if (worldSize > 1)
    sums = AllReduceOp::create(b, loc, sums, b.getI64IntegerAttr(worldSize));
  float inv = 1.0f / static_cast<float>(total);
  float epsilon = static_cast<float>(eps.getValueAsDouble());
  Value w = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({groups, groupSize}, f32), weight,
      SmallVector<ReassociationIndices>{{0, 1}});
  SmallVector<OpFoldResult> outShape{shape[0], shape[1],
                                     b.getIndexAttr(groups),
                                     b.getIndexAttr(groupSize)};
  Value out =
      linalg::GenericOp::create(
          b, loc, TypeRange{grouped.getType()}, ValueRange{grouped, sums, w},
          ValueRange{empty(outShape)},
          SmallVector<AffineMap>{b.getMultiDimIdentityMap(4),
                                 AffineMap::get(4, 0, {d0, d1, d2}, ctx),
                                 AffineMap::get(4, 0, {d2, d3}, ctx),
                                 b.getMultiDimIdentityMap(4)},
          SmallVector<IteratorType>(4, IteratorType::parallel),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value mean = arith::MulFOp::create(
                nb, l, args[1],
                arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(inv)));
            Value scale = math::RsqrtOp::create(
                nb, l,
                arith::AddFOp::create(
                    nb, l, mean,
                    arith::ConstantOp::create(nb, l,
                                              nb.getF32FloatAttr(epsilon))));
            Value v = arith::MulFOp::create(nb, l, args[0], scale);
            linalg::YieldOp::create(
                nb, l, arith::MulFOp::create(nb, l, v, args[2]).getResult());
          })
          .getResult(0);
  return collapse(out, 2);
}

MixerResults buildMambaMixer(MixerBuilder &mb, Value hidden,
                             const MambaMixerWeights &w, Value convState,
                             Value ssmState, bool withStates, Value cuSeqlens) {
  OpBuilder &b = mb.b;
  int64_t d = dimOf(w.conv, 0), n = dimOf(w.aLog, 1), r = dimOf(w.dtProj, 1);
  MixerResults res;
  // [x, z] = in_proj(hidden), then to the scan's (b, d, l) layout.
  Value xz = mb.project(hidden, mb.toF32(w.inProj), mb.toF32(w.inProjBias),
                        /*channelDim=*/2);
  Value x = mb.transpose(mb.slice(xz, 2, 0, d), {0, 2, 1});
  Value z = mb.transpose(mb.slice(xz, 2, d, d), {0, 2, 1});
  x = mb.convSilu(x, mb.toF32(w.conv), mb.toF32(w.convBias), convState,
                  withStates ? &res.convState : nullptr, cuSeqlens);
  // [dt_low, B, C] = x_proj(x), all (b, ., l).
  Value xdbl = mb.project(x, mb.toF32(w.xProj), Value(), /*channelDim=*/1);
  // A shard's x_proj has seen only its own channels.
  if (w.worldSize > 1)
    xdbl = AllReduceOp::create(b, mb.loc, xdbl,
                               b.getI64IntegerAttr(w.worldSize));
  Value dtLow = mb.slice(xdbl, 1, 0, r);
  Value bMat = mb.expand(mb.slice(xdbl, 1, r, n), 1, 1, n);
  Value cMat = mb.expand(mb.slice(xdbl, 1, r + n, n), 1, 1, n);
  Value dt = mb.project(dtLow, mb.toF32(w.dtProj), Value(), /*channelDim=*/1);
  Value a = w.a ? mb.toF32(w.a) : mb.negExp(mb.toF32(w.aLog));
  if (isDecodeStep(hidden, ssmState, withStates, cuSeqlens)) {
    // One token: x, dt, z (b, d, 1) -> (b, d); B, C (b, 1, n, 1) -> (b, 1, n).
    auto step = StateUpdateOp::create(
        b, mb.loc, TypeRange{batchType(x, {d}, mb.f32), ssmState.getType()},
        ssmState, mb.collapse(x, 1), mb.collapse(dt, 1), a,
        mb.collapse(bMat, 2), mb.collapse(cMat, 2), mb.toF32(w.d),
        mb.collapse(z, 1), mb.toF32(w.dtProjBias), /*dt_softplus=*/true,
        /*dt_limit=*/nullptr);
    res.ssmState = step.getNewState();
    Value y = mb.expand(step.getY(), 1, 1, d);
    res.out = mb.project(y, mb.toF32(w.outProj), mb.toF32(w.outProjBias),
                         /*channelDim=*/2);
    return res;
  }
  Type finalType =
      withStates ? batchType(x, {d, n}, mb.f32, cuSeqlens) : Type();
  auto scan = SelectiveScanOp::create(
      b, mb.loc, x.getType(), finalType, x, dt, a, bMat, cMat, mb.toF32(w.d), z,
      mb.toF32(w.dtProjBias), ssmState, cuSeqlens, /*delta_softplus=*/true);
  if (withStates)
    res.ssmState = scan.getFinalState();
  Value y = mb.transpose(scan.getOut(), {0, 2, 1});
  res.out = mb.project(y, mb.toF32(w.outProj), mb.toF32(w.outProjBias),
                       /*channelDim=*/2);
  return res;
}

MixerResults buildMamba2Mixer(MixerBuilder &mb, Value hidden,
                              const Mamba2MixerWeights &w, Value convState,
                              Value ssmState, bool withStates,
                              Value cuSeqlens) {
  OpBuilder &b = mb.b;
  int64_t d = dimOf(w.norm, 0), h = dimOf(w.aLog, 0);
  int64_t convDim = dimOf(w.conv, 0);
  int64_t g = w.nGroups, p = w.headDim;
  int64_t gn = (convDim - d) / 2, n = gn / g;
  MixerResults res;
  // [z, xBC, dt] = in_proj(hidden), all (b, l, .).
  Value zxbcdt = mb.project(hidden, mb.toF32(w.inProj), mb.toF32(w.inProjBias),
                            /*channelDim=*/2);
  Value z = mb.slice(zxbcdt, 2, 0, d);
  Value xbc = mb.slice(zxbcdt, 2, d, convDim);
  Value dt = mb.slice(zxbcdt, 2, d + convDim, h);
  // The conv runs over l in the (b, c, l) layout.
  xbc = mb.transpose(mb.convSilu(mb.transpose(xbc, {0, 2, 1}), mb.toF32(w.conv),
                                 mb.toF32(w.convBias), convState,
                                 withStates ? &res.convState : nullptr,
                                 cuSeqlens),
                     {0, 2, 1});
  Value x = mb.expand(mb.slice(xbc, 2, 0, d), 2, h, p);
  Value bMat = mb.expand(mb.slice(xbc, 2, d, gn), 2, g, n);
  Value cMat = mb.expand(mb.slice(xbc, 2, d + gn, gn), 2, g, n);
  Value a = w.a ? mb.toF32(w.a) : mb.negExp(mb.toF32(w.aLog));
  if (isDecodeStep(hidden, ssmState, withStates, cuSeqlens)) {
    // One token: x (b, 1, h, p) -> (b, h, p); dt (b, 1, h) -> (b, h);
    // B, C (b, 1, g, n) -> (b, g, n); z gates the norm below.
    auto step = StateUpdateOp::create(
        b, mb.loc, TypeRange{batchType(x, {h, p}, mb.f32), ssmState.getType()},
        ssmState, mb.collapse(x, 0), mb.collapse(dt, 0), a,
        mb.collapse(bMat, 0), mb.collapse(cMat, 0), mb.toF32(w.d),
        /*z=*/Value(), mb.toF32(w.dtBias), /*dt_softplus=*/true, w.dtLimit);
    res.ssmState = step.getNewState();
    Value y = mb.collapse(mb.expand(step.getY(), 1, 1, h), 2);
    y = gatedNorm(mb, y, z, w, d);
    res.out = mb.project(y, mb.toF32(w.outProj), mb.toF32(w.outProjBias),
                         /*channelDim=*/2);
    return res;
  }
  Type finalType =
      withStates ? batchType(x, {h, p, n}, mb.f32, cuSeqlens) : Type();
  auto ssd = SSDOp::create(
      b, mb.loc, x.getType(), finalType, x, dt, a, bMat, cMat, mb.toF32(w.d),
      /*z=*/Value(), mb.toF32(w.dtBias), ssmState, /*seq_idx=*/Value(),
      cuSeqlens, b.getI64IntegerAttr(w.chunkSize), b.getUnitAttr(), w.dtLimit,
      /*unscaled_input=*/UnitAttr());
  if (withStates)
    res.ssmState = ssd.getFinalStates();
  Value y = mb.collapse(ssd.getOut(), 2);
  y = gatedNorm(mb, y, z, w, d);
  res.out = mb.project(y, mb.toF32(w.outProj), mb.toF32(w.outProjBias),
                       /*channelDim=*/2);
  return res;
}

} // namespace ssmc::ssm
