//===- ShardTensorParallel.cpp - a model module over N ranks --------------===//
//
// ssm-shard-tensor-parallel: the program every rank of a tensor-parallel
// group runs, on its own slice of each weight (Megatron-style: column-
// parallel in_proj, row-parallel out_proj and one all-reduce per layer;
// embedding and lm_head split by vocabulary). The weights stay function
// arguments; each one that is split records how (`ssm.shard`) for the
// runtime, which loads only that slice.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Dialect/SSM/IR/SSMOps.h"
#include "ssmc/Dialect/SSM/Transforms/MixerBuilder.h"
#include "ssmc/Dialect/SSM/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"

namespace ssmc::ssm {
#define GEN_PASS_DEF_SSMSHARDTENSORPARALLEL
#include "ssmc/Dialect/SSM/Transforms/Passes.h.inc"
} // namespace ssmc::ssm

using namespace mlir;
using namespace ssmc::ssm;

namespace {

int64_t dimOf(Value v, unsigned i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}

/// One rank's slice of a tensor along `dim`: the concatenation of pieces,
/// each split over the ranks or held whole by every rank.
struct Slice {
  unsigned dim = 0;
  struct Piece {
    int64_t start, size;
    bool split;
  };
  SmallVector<Piece> pieces;

  Slice &split(int64_t start, int64_t size) {
    pieces.push_back({start, size, true});
    return *this;
  }
  Slice &whole(int64_t start, int64_t size) {
    pieces.push_back({start, size, false});
    return *this;
  }
  int64_t localSize() const {
    int64_t n = 0;
    for (const Piece &p : pieces)
      n += p.size;
    return n;
  }
};

Slice along(unsigned dim) {
  Slice s;
  s.dim = dim;
  return s;
}

class Sharder {
public:
  Sharder(func::FuncOp fn, int64_t world) : fn(fn), world(world) {}

  /// Where `v` comes from: a function argument, directly or through one
  /// tensor.collapse_shape (the conv weight (C, 1, k) as (C, k)) that keeps
  /// dimension 0 first in its group. Null with an error otherwise.
  BlockArgument source(Operation *user, Value v, StringRef what,
                       tensor::CollapseShapeOp *through) {
    *through = nullptr;
    if (auto c = v.getDefiningOp<tensor::CollapseShapeOp>()) {
      *through = c;
      v = c.getSrc();
    }
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &fn.front()) {
      user->emitOpError() << "cannot be sharded: " << what
                          << " is not an argument of @" << fn.getSymName();
      return nullptr;
    }
    for (Operation *u : arg.getUsers())
      if (u != user && (!*through || u != through->getOperation())) {
        user->emitOpError() << "cannot be sharded: " << what << " (argument "
                            << arg.getArgNumber() << " of @" << fn.getSymName()
                            << ") has other users";
        return nullptr;
      }
    return arg;
  }

  /// Gives the argument behind operand `v` of `user` its local type, records
  /// the slice (`record`: weights; caches are sized by their type alone) and
  /// returns the value to use in its place.
  FailureOr<Value> shard(OpBuilder &b, Operation *user, Value v,
                         StringRef what, const Slice &slice,
                         bool record = true) {
    if (!v)
      return Value();
    tensor::CollapseShapeOp through;
    BlockArgument arg = source(user, v, what, &through);
    if (!arg)
      return failure();
    auto type = cast<RankedTensorType>(arg.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[slice.dim] = slice.localSize();
    arg.setType(RankedTensorType::get(shape, type.getElementType()));
    if (record) {
      SmallVector<int64_t> pieces;
      for (const Slice::Piece &p : slice.pieces)
        pieces.append({p.start, p.size, p.split ? 1 : 0});
      NamedAttribute entries[] = {
          b.getNamedAttr("dim", b.getI64IntegerAttr(slice.dim)),
          b.getNamedAttr("full", b.getDenseI64ArrayAttr(type.getShape())),
          b.getNamedAttr("pieces", b.getDenseI64ArrayAttr(pieces))};
      fn.setArgAttr(arg.getArgNumber(), "ssm.shard",
                    b.getDictionaryAttr(entries));
    }
    if (!through)
      return Value(arg);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(through);
    Value collapsed = tensor::CollapseShapeOp::create(
        b, through.getLoc(), arg, through.getReassociationIndices());
    through.replaceAllUsesWith(collapsed);
    through.erase();
    return collapsed;
  }

  LogicalResult divides(Operation *op, int64_t size, StringRef what) {
    if (size % world == 0)
      return success();
    return op->emitOpError() << "cannot be split over " << world
                             << " ranks: the world size does not divide "
                             << what << " = " << size;
  }

  /// out (b, l, d_model), this rank's partial product: summed over the
  /// ranks, then the bias.
  Value reduceOut(OpBuilder &b, Location loc, Value out, Value bias) {
    Value sum =
        AllReduceOp::create(b, loc, out, b.getI64IntegerAttr(world));
    ++collectives;
    if (!bias)
      return sum;
    MixerBuilder mb(b, loc, sum);
    return mb.addBias(sum, mb.toF32(bias), /*channelDim=*/2);
  }

  LogicalResult rewrite(MambaMixerOp op) {
    OpBuilder b(op);
    int64_t d = dimOf(op.getConvWeight(), 0);
    if (failed(divides(op, d, "the channel count d")))
      return failure();
    int64_t dl = d / world;
    Slice rows = along(0).split(0, dl);
    Slice inProj = along(0).split(0, dl).split(d, dl);
    Slice cols = along(1).split(0, dl);
    SmallVector<Value> w;
    auto add = [&](Value v, StringRef what, const Slice &s,
                   bool record = true) {
      FailureOr<Value> r = shard(b, op, v, what, s, record);
      if (failed(r))
        return false;
      w.push_back(*r);
      return true;
    };
    if (!add(op.getInProjWeight(), "operand 'in_proj_weight'", inProj) ||
        !add(op.getInProjBias(), "operand 'in_proj_bias'", inProj) ||
        !add(op.getConvWeight(), "operand 'conv_weight'", rows) ||
        !add(op.getConvBias(), "operand 'conv_bias'", rows) ||
        !add(op.getXProjWeight(), "operand 'x_proj_weight'", cols) ||
        !add(op.getDtProjWeight(), "operand 'dt_proj_weight'", rows) ||
        !add(op.getDtProjBias(), "operand 'dt_proj_bias'", rows) ||
        !add(op.getALog(), "operand 'A_log'", rows) ||
        !add(op.getD(), "operand 'D'", rows) ||
        !add(op.getOutProjWeight(), "operand 'out_proj_weight'", cols) ||
        !add(op.getConvState(), "operand 'conv_state'", along(1).split(0, dl),
             false) ||
        !add(op.getSsmState(), "operand 'ssm_state'", along(1).split(0, dl),
             false))
      return failure();
    SmallVector<Type> stateTypes = localStates(op.getStatesOut(), {1, 1});
    auto local = MambaMixerOp::create(
        b, op.getLoc(), op.getOut().getType(), stateTypes, op.getHidden(),
        w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9],
        /*out_proj_bias=*/Value(), w[10], w[11], op.getCuSeqlens(),
        op.getAGivenAttr(), b.getI64IntegerAttr(world));
    finish(b, op, local.getOut(), local.getStatesOut(), op.getOutProjBias());
    return success();
  }

  LogicalResult rewrite(Mamba2MixerOp op) {
    OpBuilder b(op);
    int64_t d = dimOf(op.getNormWeight(), 0), h = dimOf(op.getALog(), 0);
    int64_t convDim = dimOf(op.getConvWeight(), 0);
    int64_t g = static_cast<int64_t>(op.getNGroups());
    int64_t gn = (convDim - d) / 2;
    if (failed(divides(op, h, "the head count h")))
      return failure();
    if (g != 1 && g % world != 0)
      return op.emitOpError()
             << "cannot be split over " << world
             << " ranks: the world size must divide the group count g = " << g
             << " (or g be 1, its B and C then held by every rank)";
    int64_t hl = h / world, dl = d / world;
    int64_t gl = g == 1 ? 1 : g / world, gnl = gl * (gn / g);
    // The B/C rows of a rank: its own groups', or the single group's.
    auto groups = [&](Slice &s, int64_t start) -> Slice & {
      return g == 1 ? s.whole(start, gn) : s.split(start, gnl);
    };
    Slice inProj = along(0).split(0, dl).split(d, dl);
    groups(inProj, 2 * d);
    groups(inProj, 2 * d + gn);
    inProj.split(2 * d + 2 * gn, hl);
    Slice conv = along(0).split(0, dl);
    groups(conv, d);
    groups(conv, d + gn);
    Slice convState = along(1).split(0, dl);
    groups(convState, d);
    groups(convState, d + gn);
    Slice heads = along(0).split(0, hl), channels = along(0).split(0, dl);
    // The gated norm: within a rank's channels, or across every rank.
    int64_t group = static_cast<int64_t>(
        op.getNormGroupSize().value_or(static_cast<uint64_t>(d / g)));
    int64_t localGroup;
    if (dl % group == 0)
      localGroup = group;
    else if (group == d)
      localGroup = d;
    else
      return op.emitOpError()
             << "cannot be split over " << world
             << " ranks: the gated norm's group of " << group
             << " channels would span some ranks but not all (each holds "
             << dl << ")";
    SmallVector<Value> w;
    auto add = [&](Value v, StringRef what, const Slice &s,
                   bool record = true) {
      FailureOr<Value> r = shard(b, op, v, what, s, record);
      if (failed(r))
        return false;
      w.push_back(*r);
      return true;
    };
    if (!add(op.getInProjWeight(), "operand 'in_proj_weight'", inProj) ||
        !add(op.getInProjBias(), "operand 'in_proj_bias'", inProj) ||
        !add(op.getConvWeight(), "operand 'conv_weight'", conv) ||
        !add(op.getConvBias(), "operand 'conv_bias'", conv) ||
        !add(op.getDtBias(), "operand 'dt_bias'", heads) ||
        !add(op.getALog(), "operand 'A_log'", heads) ||
        !add(op.getD(), "operand 'D'", heads) ||
        !add(op.getNormWeight(), "operand 'norm_weight'", channels) ||
        !add(op.getOutProjWeight(), "operand 'out_proj_weight'",
             along(1).split(0, dl)) ||
        !add(op.getConvState(), "operand 'conv_state'", convState, false) ||
        !add(op.getSsmState(), "operand 'ssm_state'", along(1).split(0, hl),
             false))
      return failure();
    int64_t convLocal = dl + 2 * gnl;
    SmallVector<Type> stateTypes;
    if (!op.getStatesOut().empty()) {
      stateTypes.push_back(withDim(op.getStatesOut()[0].getType(), 1,
                                   convLocal));
      stateTypes.push_back(withDim(op.getStatesOut()[1].getType(), 1, hl));
    }
    auto local = Mamba2MixerOp::create(
        b, op.getLoc(), op.getOut().getType(), stateTypes, op.getHidden(),
        w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8],
        /*out_proj_bias=*/Value(), w[9], w[10], op.getCuSeqlens(),
        b.getI64IntegerAttr(gl), op.getHeadDimAttr(), op.getChunkSizeAttr(),
        op.getEpsAttr(), op.getDtLimitAttr(), b.getI64IntegerAttr(localGroup),
        op.getAGivenAttr(), b.getI64IntegerAttr(world));
    finish(b, op, local.getOut(), local.getStatesOut(), op.getOutProjBias());
    return success();
  }

  LogicalResult rewrite(EmbeddingOp op) {
    OpBuilder b(op);
    int64_t vocab = dimOf(op.getTable(), 0);
    if (failed(divides(op, vocab, "the vocabulary size")))
      return failure();
    FailureOr<Value> table = shard(b, op, op.getTable(), "operand 'table'",
                                   along(0).split(0, vocab / world));
    if (failed(table))
      return failure();
    Value rows = EmbeddingOp::create(b, op.getLoc(), op.getOut().getType(),
                                     op.getTokens(), *table,
                                     b.getI64IntegerAttr(world));
    Value sum = AllReduceOp::create(b, op.getLoc(), rows,
                                    b.getI64IntegerAttr(world));
    ++collectives;
    op.getOut().replaceAllUsesWith(sum);
    op.erase();
    return success();
  }

  LogicalResult rewrite(LinearOp op) {
    OpBuilder b(op);
    int64_t out = dimOf(op.getWeight(), 0);
    if (failed(divides(op, out, "the output features")))
      return failure();
    Slice rows = along(0).split(0, out / world);
    FailureOr<Value> weight =
        shard(b, op, op.getWeight(), "operand 'weight'", rows);
    if (failed(weight))
      return failure();
    FailureOr<Value> bias = shard(b, op, op.getBias(), "operand 'bias'", rows);
    if (failed(bias))
      return failure();
    Value part = LinearOp::create(
        b, op.getLoc(), withDim(op.getY().getType(), 2, out / world),
        op.getX(), *weight, *bias);
    Value all = AllGatherOp::create(b, op.getLoc(), op.getY().getType(), part,
                                    b.getI64IntegerAttr(2),
                                    b.getI64IntegerAttr(world));
    ++collectives;
    op.getY().replaceAllUsesWith(all);
    op.erase();
    return success();
  }

  /// The function's type from its (retyped) arguments and returned values.
  void updateSignature() {
    SmallVector<Type> results;
    fn.walk([&](func::ReturnOp r) {
      results.assign(r.getOperandTypes().begin(), r.getOperandTypes().end());
    });
    fn.setType(FunctionType::get(fn.getContext(), fn.front().getArgumentTypes(),
                                 results));
  }

  unsigned collectives = 0;

private:
  static Type withDim(Type t, unsigned dim, int64_t size) {
    auto type = cast<RankedTensorType>(t);
    SmallVector<int64_t> shape(type.getShape());
    shape[dim] = size;
    return RankedTensorType::get(shape, type.getElementType());
  }

  /// Mamba-1's caches: dimension 1 of each is the channels.
  SmallVector<Type> localStates(ValueRange states, ArrayRef<unsigned> dims) {
    SmallVector<Type> out;
    for (auto [v, dim] : llvm::zip(states, dims))
      out.push_back(withDim(v.getType(), dim,
                            dimOf(v, dim) / world));
    return out;
  }

  /// Replaces the mixer `op` by its shard's results: out summed over the
  /// ranks (then the bias), the caches as they are.
  void finish(OpBuilder &b, Operation *op, Value out, ValueRange states,
              Value bias) {
    b.setInsertionPoint(op);
    SmallVector<Value> results{reduceOut(b, op->getLoc(), out, bias)};
    results.append(states.begin(), states.end());
    op->replaceAllUsesWith(results);
    op->erase();
  }

  func::FuncOp fn;
  int64_t world;
};

struct SSMShardTensorParallelPass
    : ssmc::ssm::impl::SSMShardTensorParallelBase<SSMShardTensorParallelPass> {
  using Base::Base;

  void runOnOperation() final {
    if (worldSize < 1) {
      getOperation().emitError()
          << "ssm-shard-tensor-parallel: world-size must be positive, got "
          << worldSize;
      return signalPassFailure();
    }
    if (worldSize == 1)
      return;
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      SmallVector<Operation *> ops;
      fn.walk([&](Operation *op) {
        if (auto m = dyn_cast<MambaMixerOp>(op); m && !m.getWorldSize())
          ops.push_back(op);
        else if (auto m = dyn_cast<Mamba2MixerOp>(op); m && !m.getWorldSize())
          ops.push_back(op);
        else if (auto e = dyn_cast<EmbeddingOp>(op); e && !e.getWorldSize())
          ops.push_back(op);
        else if (isa<LinearOp>(op) &&
                 !(op->hasOneUse() && isa<AllGatherOp>(*op->user_begin())))
          ops.push_back(op);
      });
      if (ops.empty())
        continue;
      Sharder sharder(fn, worldSize);
      for (Operation *op : ops) {
        LogicalResult r =
            TypeSwitch<Operation *, LogicalResult>(op)
                .Case<MambaMixerOp, Mamba2MixerOp, EmbeddingOp, LinearOp>(
                    [&](auto o) { return sharder.rewrite(o); });
        if (failed(r))
          return signalPassFailure();
        ++numShardedOps;
      }
      sharder.updateSignature();
      numCollectives += sharder.collectives;
    }
  }
};

} // namespace
