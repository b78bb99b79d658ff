//===- SmallProjectionsToGPU.cpp - ssm-gpu-small-projections -------------===//
//
// A projection of a few rows (the decode step: one token per sequence; the
// lm_head on the last rows of a prefill) by a bf16 or f16 weight is a
// matrix-vector product bound by reading the weight once. cuBLAS multiplies
// operands of one type, so ssm-cpu-projections-to-gemm splits the f32
// activation into two 16-bit parts and reads the weight twice, in three
// launches. Here such a projection becomes one kernel instead, chosen at run
// time when the rows are few and the buffers aligned for 16-byte loads:
//  - a warp owns kFeatures consecutive output features; its lanes run along
//    the input dimension, each loading 8 weights (16 bytes) of every feature
//    and the matching 8 activations of every row per step, so that a warp
//    reads whole 512-byte runs of each weight row; the steps are unrolled
//    (the input size is static), their loads independent of each other;
//  - the activation stays f32 (products and sums in f32, the weight widened
//    exactly), so the result is what the loops compute up to the order of
//    the sums;
//  - each (row, feature) sum is a warp reduction; lane 0 writes it (added to
//    the output unless the output was just zero-filled: the fill then runs
//    only on the other path), or, when a residual add res = a + out follows
//    (out used by nothing else), a + the sum written to res: the add's own
//    kernel runs only on the other path;
//  - a weight with few rows (x_proj, a small model's out_proj: fewer than
//    two blocks per multiprocessor) has its input dimension split over the
//    block's warps instead, each warp taking every kWarps-th step, the warps'
//    sums added through shared memory: four times the blocks, a quarter of
//    the steps each.
//  - when the output, one step per sequence, is read as slices of channels,
//    some of them only transposed to channels first (b, channels, 1) (the
//    in_proj's x and z of Mamba-1, xBC of Mamba-2), the sums of those
//    channels are stored straight to their place in the transposed
//    buffers: the transposes' kernels run only on the other path;
//  - when the input is an RMS norm's output y = x * g(sum of x^2) * w that
//    nothing else reads (the in_proj of every layer), the kernel reads x
//    and the norm weight instead: each warp sums x^2 along with its dot
//    products of x * w (the same loads) and scales its sums by g at the
//    end; the norm's two kernels run only on the other path.
// Otherwise (more rows, misaligned views) the original op runs, which the
// next pass makes cuBLAS calls.
//
//===----------------------------------------------------------------------===//
#include "GPUEmitter.h"
#include "ssmc/Codegen/CPU/Projections.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace ssmc {
#define GEN_PASS_DEF_SSMGPUSMALLPROJECTIONS
#include "ssmc/Codegen/GPU/Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using ssmc::gpu_emit::Emitter;

namespace {

constexpr int64_t kWarp = 32;
/// Warps per block.
constexpr int64_t kWarps = 4;
/// Output features per warp.
constexpr int64_t kFeatures = 2;
/// Weights a lane loads per feature and step (16 bytes of bf16/f16).
constexpr int64_t kPerLane = 8;
/// Input elements a warp covers per step.
constexpr int64_t kStep = kWarp * kPerLane;
/// Below this many blocks (two per multiprocessor of an H100) the input
/// dimension is split over the warps of a block.
constexpr int64_t kMinBlocks = 2 * 132;

struct SmallProjectionsPass
    : ssmc::impl::SSMGPUSmallProjectionsBase<SmallProjectionsPass> {
  using Base::Base;

  void runOnOperation() final {
    if (maxRows < 1) {
      getOperation().emitError()
          << "ssm-gpu-small-projections: max-rows must be at least 1";
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, unsigned>> found;
    getOperation().walk([&](linalg::GenericOp op) {
      unsigned cd;
      if (!op->getParentOfType<gpu::LaunchOp>() &&
          ssmc::isProjection(op, cd) && applies(op, cd))
        found.push_back({op, cd});
    });
    for (auto [op, cd] : found) {
      rewrite(op, cd);
      ++numProjections;
    }
  }

  /// A 16-bit weight of static shape with rows of whole 16-byte vectors; x
  /// contracted along its unit-stride last dimension, or along dimension 1
  /// when dimension 2 is a static 1 (the channels-first decode step).
  static bool applies(linalg::GenericOp op, unsigned channelDim) {
    auto xType = cast<MemRefType>(op.getDpsInputs()[0].getType());
    auto wType = cast<MemRefType>(op.getDpsInputs()[1].getType());
    Type wElt = wType.getElementType();
    if (!wElt.isBF16() && !wElt.isF16())
      return false;
    if (!wType.hasStaticShape() || wType.getDimSize(1) % kPerLane != 0 ||
        wType.getDimSize(0) < 1)
      return false;
    if (channelDim == 1) {
      if (xType.getDimSize(2) != 1)
        return false;
      SmallVector<int64_t> strides;
      int64_t offset;
      if (failed(xType.getStridesAndOffset(strides, offset)) ||
          strides[1] != 1)
        return false;
    }
    return true;
  }

  /// The residual add after a zero-filled channels-last projection: the
  /// next op but allocations and sizes, a linalg.generic res = a + out (or
  /// out + a) on buffers of out's shape, identity maps, out (a fresh
  /// allocation) used by nothing else. Null otherwise; `between` gets the
  /// ops before it.
  static linalg::GenericOp residualAdd(linalg::GenericOp op,
                                       linalg::FillOp zeroFill,
                                       SmallVectorImpl<Operation *> &between) {
    Value out = op.getDpsInits()[0];
    if (!zeroFill || !out.getDefiningOp<memref::AllocOp>())
      return nullptr;
    Operation *next = op->getNextNode();
    while (next && isa<memref::AllocOp, memref::DimOp, arith::ConstantOp>(next)) {
      for (Value v : next->getOperands())
        if (v.getDefiningOp() && v.getDefiningOp()->getBlock() == op->getBlock() &&
            !v.getDefiningOp()->isBeforeInBlock(op))
          return nullptr;
      between.push_back(next);
      next = next->getNextNode();
    }
    auto add = dyn_cast_or_null<linalg::GenericOp>(next);
    if (!add || add.getNumDpsInputs() != 2 || add.getNumDpsInits() != 1 ||
        !add.hasPureBufferSemantics() ||
        !llvm::all_of(add.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isIdentity(); }) ||
        !llvm::all_of(add.getIteratorTypesArray(), [](utils::IteratorType it) {
          return it == utils::IteratorType::parallel;
        }))
      return nullptr;
    Block &body = add.getRegion().front();
    auto sum = dyn_cast<arith::AddFOp>(&body.front());
    auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
    if (!sum || sum->getNextNode() != yield ||
        yield.getValues().size() != 1 || yield.getValues()[0] != sum ||
        !((sum.getLhs() == body.getArgument(0) &&
           sum.getRhs() == body.getArgument(1)) ||
          (sum.getLhs() == body.getArgument(1) &&
           sum.getRhs() == body.getArgument(0))))
      return nullptr;
    Value a = add.getDpsInputs()[0], c = add.getDpsInputs()[1],
          res = add.getDpsInits()[0];
    if (c != out)
      std::swap(a, c);
    if (c != out || a == out || res == out)
      return nullptr;
    auto shape = cast<MemRefType>(out.getType()).getShape();
    for (Value v : {a, res}) {
      auto type = dyn_cast<MemRefType>(v.getType());
      if (!type || type.getShape() != shape || !type.getElementType().isF32())
        return nullptr;
    }
    for (Operation *user : out.getUsers())
      if (user != op && user != add && user != zeroFill)
        return nullptr;
    return add;
  }

  /// An RMS norm whose output is the projection's input x and read by
  /// nothing else: x = collapse_shape(y), y written by an elementwise
  /// linalg.generic (v, s, w) -> v * g(s) * w(w) over v = expand_shape(src)
  /// (one group: the whole row), s a zero-filled reduction s += v * v over
  /// the same v; w either the weight or its extf.
  struct NormPrologue {
    /// src: x row by row (null until rewrite() collapses v when v is a
    /// buffer of its own); weight: the norm weight (1, k).
    Value src, weight;
    linalg::GenericOp apply, reduce;
    linalg::FillOp fill;
    memref::CollapseShapeOp collapse;
    /// When v is a buffer of its own written by an elementwise linalg.generic
    /// that feeds only the norm (Mamba-2's gate y * silu(z)): that op, whose
    /// inputs the kernel loads and whose body it computes instead.
    linalg::GenericOp producer;
    /// The factors of the product that depend on s alone.
    SmallVector<Value> rowFactors;
    explicit operator bool() const { return static_cast<bool>(apply); }
  };

  /// Whether `v` is yield(s += a * a) of a reduction body.
  static bool isSumOfSquares(linalg::GenericOp op) {
    Block &body = op.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    if (yield.getValues().size() != 1)
      return false;
    auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
    if (!add)
      return false;
    Value acc = body.getArgument(1), in = body.getArgument(0);
    Value other = add.getLhs() == acc ? add.getRhs()
                  : add.getRhs() == acc ? add.getLhs()
                                        : Value();
    auto sq = other ? other.getDefiningOp<arith::MulFOp>() : nullptr;
    return sq && sq.getLhs() == in && sq.getRhs() == in;
  }

  /// Which of the body's arguments `v` depends on (bit i: argument i).
  static unsigned argsUsed(Value v, Block &body) {
    if (auto arg = dyn_cast<BlockArgument>(v))
      return arg.getOwner() == &body ? 1u << arg.getArgNumber() : 0u;
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != &body)
      return 0;
    unsigned used = 0;
    for (Value operand : def->getOperands())
      used |= argsUsed(operand, body);
    return used;
  }

  static NormPrologue normPrologue(linalg::GenericOp op) {
    NormPrologue norm;
    Value x = op.getDpsInputs()[0];
    auto collapse = x.getDefiningOp<memref::CollapseShapeOp>();
    if (!collapse || collapse->getBlock() != op->getBlock() ||
        collapse.getReassociationIndices() !=
            SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}})
      return {};
    Value y = collapse.getSrc();
    if (!y.getDefiningOp<memref::AllocOp>())
      return {};
    linalg::GenericOp apply;
    for (Operation *user : y.getUsers()) {
      if (user == collapse)
        continue;
      auto g = dyn_cast<linalg::GenericOp>(user);
      if (!g || apply || g.getNumDpsInits() != 1 || g.getDpsInits()[0] != y)
        return {};
      apply = g;
    }
    for (Operation *user : collapse->getUsers())
      if (user != op && !isa<memref::DimOp>(user))
        return {};
    if (!apply || apply.getNumDpsInputs() != 3 ||
        !apply.hasPureBufferSemantics() ||
        apply->getBlock() != op->getBlock() ||
        !llvm::all_of(apply.getIteratorTypesArray(), [](utils::IteratorType it) {
          return it == utils::IteratorType::parallel;
        }))
      return {};
    MLIRContext *ctx = op.getContext();
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
               d2 = getAffineDimExpr(2, ctx), d3 = getAffineDimExpr(3, ctx);
    auto maps = apply.getIndexingMapsArray();
    if (!maps[0].isIdentity() || !maps[3].isIdentity() ||
        maps[1] != AffineMap::get(4, 0, {d0, d1, d2}, ctx) ||
        maps[2] != AffineMap::get(4, 0, {d2, d3}, ctx))
      return {};
    Value v = apply.getDpsInputs()[0], sums = apply.getDpsInputs()[1],
          w = apply.getDpsInputs()[2];
    // The input row by row: the source of v's expand_shape, or v itself
    // (a buffer of its own) collapsed.
    auto expand = v.getDefiningOp<memref::ExpandShapeOp>();
    auto vType = cast<MemRefType>(v.getType());
    auto wType = cast<MemRefType>(w.getType());
    if (expand && expand.getReassociationIndices() !=
                      SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}})
      return {};
    if (!expand && (!v.getDefiningOp<memref::AllocOp>() ||
                    v.getDefiningOp()->getBlock() != op->getBlock()))
      return {};
    if (vType.getDimSize(2) != 1 || !vType.getElementType().isF32() ||
        !wType.hasStaticShape() || wType.getRank() != 2 ||
        !wType.getLayout().isIdentity() ||
        !(wType.getElementType().isF32() || wType.getElementType().isBF16() ||
          wType.getElementType().isF16()))
      return {};
    // The sums: a zero fill and the reduction, nothing else but the apply.
    if (!sums.getDefiningOp<memref::AllocOp>())
      return {};
    linalg::GenericOp reduce;
    linalg::FillOp fill;
    for (Operation *user : sums.getUsers()) {
      if (user == apply)
        continue;
      if (auto f = dyn_cast<linalg::FillOp>(user)) {
        auto c = f.getInputs()[0].getDefiningOp<arith::ConstantOp>();
        auto fa = c ? dyn_cast<FloatAttr>(c.getValue()) : nullptr;
        if (fill || !fa || !fa.getValue().isPosZero())
          return {};
        fill = f;
        continue;
      }
      auto g = dyn_cast<linalg::GenericOp>(user);
      if (reduce || !g || g.getNumDpsInputs() != 1 ||
          g.getDpsInputs()[0] != v || g.getDpsInits()[0] != sums ||
          !g.hasPureBufferSemantics())
        return {};
      reduce = g;
    }
    if (!fill || !reduce || fill->getBlock() != op->getBlock() ||
        reduce->getBlock() != op->getBlock() ||
        !fill->isBeforeInBlock(reduce) || !reduce->isBeforeInBlock(apply) ||
        !apply->isBeforeInBlock(op))
      return {};
    auto rmaps = reduce.getIndexingMapsArray();
    auto its = reduce.getIteratorTypesArray();
    if (!rmaps[0].isIdentity() ||
        rmaps[1] != AffineMap::get(4, 0, {d0, d1, d2}, ctx) ||
        its[0] != utils::IteratorType::parallel ||
        its[1] != utils::IteratorType::parallel ||
        its[2] != utils::IteratorType::parallel ||
        its[3] != utils::IteratorType::reduction || !isSumOfSquares(reduce))
      return {};
    // Between the fill and the projection only views, sizes, allocations
    // and fills of other buffers: nothing writes the norm's input.
    Value src = expand ? expand.getSrc() : v;
    for (Operation *o = fill->getNextNode(); o != op; o = o->getNextNode()) {
      if (o == reduce || o == apply)
        continue;
      if (isa<memref::AllocOp, memref::DimOp, arith::ConstantOp,
              memref::ExpandShapeOp, memref::CollapseShapeOp,
              memref::SubViewOp>(o))
        continue;
      if (auto f = dyn_cast<linalg::FillOp>(o))
        if (f.getOutputs()[0] != src && f.getOutputs()[0] != v)
          continue;
      return {};
    }
    // The body: a product with the factor v once, w (or its extf) once,
    // the others functions of s alone.
    Block &body = apply.getRegion().front();
    Value out = cast<linalg::YieldOp>(body.getTerminator()).getValues()[0];
    SmallVector<Value> leaves, stack{out};
    while (!stack.empty()) {
      Value cur = stack.pop_back_val();
      auto mul = cur.getDefiningOp<arith::MulFOp>();
      if (mul && mul->getBlock() == &body && argsUsed(cur, body) & 5u) {
        stack.push_back(mul.getLhs());
        stack.push_back(mul.getRhs());
        continue;
      }
      leaves.push_back(cur);
    }
    int vSeen = 0, wSeen = 0;
    for (Value leaf : leaves) {
      unsigned used = argsUsed(leaf, body);
      if (leaf == body.getArgument(0)) {
        ++vSeen;
        continue;
      }
      if (leaf == body.getArgument(2) ||
          (leaf.getDefiningOp<arith::ExtFOp>() &&
           leaf.getDefiningOp<arith::ExtFOp>().getIn() ==
               body.getArgument(2) &&
           leaf.getType().isF32())) {
        ++wSeen;
        continue;
      }
      if (used & 5u)
        return {};
      norm.rowFactors.push_back(leaf);
    }
    if (vSeen != 1 || wSeen != 1)
      return {};
    if (!expand)
      norm.producer = elementwiseProducer(v, reduce, apply, fill, op);
    // Without an expand_shape, rewrite() collapses v (the match changes
    // no IR).
    norm.src = expand ? src : Value();
    norm.weight = w;
    norm.apply = apply;
    norm.reduce = reduce;
    norm.fill = fill;
    norm.collapse = collapse;
    return norm;
  }

  /// The elementwise linalg.generic that writes `v` before the norm's fill,
  /// when nothing else uses v: identity maps, f32 inputs of v's rank with a
  /// static unit innermost stride, a body that reads no output, and only
  /// views, sizes, allocations and fills of other buffers between it and
  /// the fill. Null otherwise.
  static linalg::GenericOp elementwiseProducer(Value v, linalg::GenericOp reduce,
                                               linalg::GenericOp apply,
                                               linalg::FillOp fill,
                                               linalg::GenericOp op) {
    linalg::GenericOp producer;
    for (Operation *user : v.getUsers()) {
      if (user == reduce || user == apply)
        continue;
      auto g = dyn_cast<linalg::GenericOp>(user);
      if (!g || producer)
        return nullptr;
      producer = g;
    }
    if (!producer || producer->getBlock() != op->getBlock() ||
        !producer->isBeforeInBlock(fill) || producer.getNumDpsInits() != 1 ||
        producer.getDpsInits()[0] != v || !producer.hasPureBufferSemantics() ||
        !llvm::all_of(producer.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isIdentity(); }) ||
        !llvm::all_of(producer.getIteratorTypesArray(),
                      [](utils::IteratorType it) {
                        return it == utils::IteratorType::parallel;
                      }))
      return nullptr;
    Block &body = producer.getRegion().front();
    if (!body.getArguments().back().use_empty())
      return nullptr;
    for (Value in : producer.getDpsInputs()) {
      auto type = dyn_cast<MemRefType>(in.getType());
      SmallVector<int64_t> strides;
      int64_t offset;
      if (!type || type.getRank() != 4 || !type.getElementType().isF32() ||
          failed(type.getStridesAndOffset(strides, offset)) || strides[3] != 1)
        return nullptr;
    }
    for (Operation *o = producer->getNextNode(); o != fill;
         o = o->getNextNode()) {
      if (isa<memref::AllocOp, memref::DimOp, arith::ConstantOp,
              memref::ExpandShapeOp, memref::CollapseShapeOp,
              memref::SubViewOp>(o))
        continue;
      if (auto f = dyn_cast<linalg::FillOp>(o))
        if (!llvm::is_contained(producer.getDpsInputs(), f.getOutputs()[0]))
          continue;
      return nullptr;
    }
    return producer;
  }

  /// A copy of the body's computation of `v` (a function of its argument 1
  /// alone) with that argument replaced by `s`.
  static Value cloneRowFactor(OpBuilder &b, Value v, Block &body, Value s,
                              IRMapping &map) {
    if (map.contains(v))
      return map.lookup(v);
    if (auto arg = dyn_cast<BlockArgument>(v))
      return arg.getOwner() == &body ? s : v;
    Operation *def = v.getDefiningOp();
    if (def->getBlock() != &body)
      return v;
    for (Value operand : def->getOperands())
      cloneRowFactor(b, operand, body, s, map);
    Operation *copy = b.clone(*def, map);
    return copy->getResult(cast<OpResult>(v).getResultNumber());
  }

  /// The output read only as channel slices transposed to channels first:
  /// slice j, channels [offset_j, offset_j + size_j), goes to dest_j.
  struct Scatter {
    SmallVector<int64_t> offsets, sizes;
    SmallVector<Value> dests;
    /// The subviews and transposes, in order.
    SmallVector<Operation *> ops;
    explicit operator bool() const { return !dests.empty(); }
  };

  /// The transposed slices after a zero-filled channels-last projection
  /// with one step (out (b, 1, n)): out read only through slices
  /// out[0, 0, c] [b, 1, s]; those read only by a linalg.transpose (0, 2, 1)
  /// into a fresh (b, s, 1) buffer are transposed slices, the others must
  /// not overlap them; only allocations, sizes, slices and those transposes
  /// between the projection and the last of them (their buffers' sizes
  /// known before it). Empty otherwise.
  static Scatter scatterEpilogue(linalg::GenericOp op, linalg::FillOp zeroFill) {
    Value out = op.getDpsInits()[0];
    auto outType = cast<MemRefType>(out.getType());
    auto alloc = out.getDefiningOp<memref::AllocOp>();
    if (!zeroFill || !alloc || outType.getDimSize(1) != 1 ||
        outType.isDynamicDim(2))
      return {};
    Scatter sc;
    Operation *last = op;
    SmallVector<std::pair<int64_t, std::pair<int64_t, Value>>> slices;
    SmallVector<std::pair<int64_t, int64_t>> direct;
    for (Operation *user : out.getUsers()) {
      if (user == op || user == zeroFill)
        continue;
      auto sub = dyn_cast<memref::SubViewOp>(user);
      if (!sub || sub->getBlock() != op->getBlock() ||
          !op->isBeforeInBlock(sub) || !sub->hasOneUse())
        return {};
      auto offs = sub.getStaticOffsets(), sizes = sub.getStaticSizes(),
           strides = sub.getStaticStrides();
      if (offs.size() != 3 || offs[0] != 0 || offs[1] != 0 ||
          ShapedType::isDynamic(offs[2]) || sizes[1] != 1 ||
          ShapedType::isDynamic(sizes[2]) ||
          llvm::any_of(strides, [](int64_t st) { return st != 1; }))
        return {};
      // The whole batch: the allocation's own size.
      if (ShapedType::isDynamic(sizes[0])) {
        if (alloc.getDynamicSizes().size() != 1 || sub.getSizes().size() != 1 ||
            sub.getSizes()[0] != alloc.getDynamicSizes()[0])
          return {};
      } else if (sizes[0] != outType.getDimSize(0)) {
        return {};
      }
      auto tr = dyn_cast<linalg::TransposeOp>(*sub->getUsers().begin());
      Value dest = tr ? tr.getInit() : Value();
      auto destType = dest ? dyn_cast<MemRefType>(dest.getType()) : nullptr;
      auto destAlloc = dest ? dest.getDefiningOp<memref::AllocOp>() : nullptr;
      if (!tr || tr.getInput() != sub.getResult() ||
          tr.getPermutation() != ArrayRef<int64_t>{0, 2, 1} ||
          tr->getBlock() != op->getBlock() || !destType || !destAlloc ||
          !destType.getLayout().isIdentity() ||
          !destType.getElementType().isF32() ||
          destType.getDimSize(1) != sizes[2] || destType.getDimSize(2) != 1) {
        // Read otherwise: the kernel keeps writing these channels to out.
        direct.push_back({offs[2], offs[2] + sizes[2]});
        continue;
      }
      // The buffer's sizes are known before the projection.
      for (Value v : destAlloc->getOperands())
        if (Operation *def = v.getDefiningOp())
          if (def->getBlock() == op->getBlock() && !def->isBeforeInBlock(op))
            return {};
      slices.push_back({offs[2], {sizes[2], dest}});
      sc.ops.push_back(sub);
      sc.ops.push_back(tr);
      if (last->isBeforeInBlock(tr))
        last = tr;
    }
    if (slices.empty())
      return {};
    llvm::sort(slices, [](auto &a, auto &b) { return a.first < b.first; });
    int64_t end = 0;
    for (auto &[off, rest] : slices) {
      if (off < end)
        return {};
      end = off + rest.first;
      for (auto [lo, hi] : direct)
        if (lo < end && off < hi)
          return {};
      sc.offsets.push_back(off);
      sc.sizes.push_back(rest.first);
      sc.dests.push_back(rest.second);
    }
    // Nothing else in between.
    llvm::SmallPtrSet<Operation *, 8> mine(sc.ops.begin(), sc.ops.end());
    for (Operation *o = op->getNextNode(); o != last; o = o->getNextNode())
      if (!mine.contains(o) && !isa<memref::AllocOp, memref::DimOp,
                                    arith::ConstantOp, memref::SubViewOp>(o))
        return {};
    llvm::sort(sc.ops, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    return sc;
  }

  void rewrite(linalg::GenericOp op, unsigned channelDim) {
    Location loc = op.getLoc();
    linalg::FillOp zeroFill = ssmc::zeroFillBefore(op);
    OpBuilder b(op);
    Emitter e(b, loc);
    Value x = op.getDpsInputs()[0], w = op.getDpsInputs()[1],
          out = op.getDpsInits()[0];
    auto wType = cast<MemRefType>(w.getType());
    int64_t n = wType.getDimSize(0), k = wType.getDimSize(1);
    // Rows r of x and out: (r / t, r % t, .) channels last; channels first
    // with t = 1, the views collapsed to (b, channels).
    Value rows, t;
    // A residual add after the projection joins the kernel's epilogue.
    SmallVector<Operation *> between;
    linalg::GenericOp add =
        channelDim == 2 ? residualAdd(op, zeroFill, between) : nullptr;
    NormPrologue norm =
        channelDim == 2 ? normPrologue(op) : NormPrologue();
    if (norm && !norm.src) {
      // v, a buffer of its own, collapsed right after its allocation.
      Value v = norm.apply.getDpsInputs()[0];
      OpBuilder vb(v.getContext());
      vb.setInsertionPointAfter(v.getDefiningOp());
      norm.src = memref::CollapseShapeOp::create(
          vb, v.getLoc(), v,
          SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
    }
    if (norm) {
      // The sizes of x taken from the norm's input (same shape), so that
      // the norm's own buffers can move to the other path.
      for (Operation *user : llvm::make_early_inc_range(
               norm.collapse->getUsers()))
        if (auto dim = dyn_cast<memref::DimOp>(user))
          dim.getSourceMutable().assign(norm.src);
      x = norm.src;
    }
    Scatter scatter;
    if (channelDim == 2 && !add)
      scatter = scatterEpilogue(op, zeroFill);
    if (scatter)
      for (Value dest : scatter.dests)
        dest.getDefiningOp()->moveBefore(op);
    Residual residual;
    if (add) {
      for (Operation *o : between)
        o->moveBefore(op);
      residual.addend = add.getDpsInputs()[0] == out ? add.getDpsInputs()[1]
                                                      : add.getDpsInputs()[0];
      residual.result = add.getDpsInits()[0];
    }
    if (channelDim == 1) {
      SmallVector<ReassociationIndices> merge{{0}, {1, 2}};
      x = memref::CollapseShapeOp::create(b, loc, x, merge);
      out = memref::CollapseShapeOp::create(b, loc, out, merge);
      rows = e.dim(x, 0);
    } else {
      t = e.dim(x, 1);
      rows = e.imul(e.dim(x, 0), t);
    }
    // The run-time choice: 1 <= rows <= maxRows, x and w 16-byte aligned
    // at every row.
    Value zero = e.idx(0);
    auto eq0 = [&](Value v, int64_t m) {
      return e.icmp(arith::CmpIPredicate::eq, e.irem(v, e.idx(m)), zero);
    };
    auto alignedRows = [&](Value mem, int64_t eltBytes, int64_t rowDims) {
      auto md = memref::ExtractStridedMetadataOp::create(b, loc, mem);
      Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, mem);
      Value addr = e.iadd(base, e.imul(md.getOffset(), e.idx(eltBytes)));
      Value ok = eq0(addr, 16);
      for (int64_t d = 0; d < rowDims; ++d)
        ok = e.andi(ok, eq0(md.getStrides()[d], 16 / eltBytes));
      return ok;
    };
    Value fast = e.andi(
        e.icmp(arith::CmpIPredicate::uge, rows, e.idx(1)),
        e.icmp(arith::CmpIPredicate::ule, rows, e.idx(maxRows)));
    fast = e.andi(fast, alignedRows(x, 4, channelDim == 1 ? 1 : 2));
    fast = e.andi(fast, alignedRows(w, 2, 1));
    if (norm.producer)
      for (Value in : norm.producer.getDpsInputs())
        fast = e.andi(fast, alignedRows(in, 4, 2));
    if (norm) {
      Type nElt = cast<MemRefType>(norm.weight.getType()).getElementType();
      fast = e.andi(fast, alignedRows(norm.weight,
                                      nElt.getIntOrFloatBitWidth() / 8, 0));
    }
    auto ifFast = scf::IfOp::create(b, loc, fast, /*withElse=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(ifFast.thenBlock()->getTerminator());
      auto ifOne = scf::IfOp::create(
          b, loc, e.icmp(arith::CmpIPredicate::eq, rows, e.idx(1)),
          /*withElse=*/maxRows > 1);
      b.setInsertionPoint(ifOne.thenBlock()->getTerminator());
      launch(e, x, w, out, rows, t, n, k, 1, !zeroFill, residual, norm,
             scatter);
      if (maxRows > 1) {
        b.setInsertionPoint(ifOne.elseBlock()->getTerminator());
        launch(e, x, w, out, rows, t, n, k, maxRows, !zeroFill, residual,
               norm, scatter);
      }
    }
    op->moveBefore(ifFast.elseBlock()->getTerminator());
    if (zeroFill)
      zeroFill->moveBefore(op);
    if (norm) {
      // The norm's kernels and buffers only on the other path, in order.
      Operation *anchor = zeroFill ? zeroFill.getOperation() : op.getOperation();
      SmallVector<Operation *> moved;
      for (Value mem : SmallVector<Value>{norm.apply.getDpsInputs()[1],
                                          norm.collapse.getSrc()})
        moved.push_back(mem.getDefiningOp());
      moved.append({norm.fill, norm.reduce, norm.apply, norm.collapse});
      if (norm.producer)
        moved.push_back(norm.producer);
      llvm::sort(moved, [](Operation *a, Operation *b) {
        return a->isBeforeInBlock(b);
      });
      for (Operation *o : moved)
        o->moveBefore(anchor);
      ++numNorms;
    }
    if (scatter) {
      // The slices and transposes after the projection, on that path only.
      Operation *after = op;
      for (Operation *o : scatter.ops) {
        o->moveAfter(after);
        after = o;
      }
      ++numScatters;
    }
    if (add) {
      add->moveAfter(op);
      ++numResiduals;
    }
    if (add || scatter) {
      // The projection's own buffer is needed only on that path.
      Operation *alloc = out.getDefiningOp();
      if (llvm::all_of(alloc->getUsers(), [&](Operation *user) {
            return ifFast.getElseRegion().isAncestor(user->getParentRegion());
          }))
        alloc->moveBefore(&ifFast.elseBlock()->front());
    }
  }

  /// A residual add in the epilogue: result = addend + the projection.
  struct Residual {
    Value addend, result;
  };

  /// One kernel for up to `maxR` rows: out[r, o] (+)= sum_i x[r, i] w[o, i]
  /// (with a residual: result[r, o] = addend[r, o] + that sum instead).
  void launch(Emitter &e, Value x, Value w, Value out, Value rows, Value t,
              int64_t n, int64_t k, int64_t maxR, bool accumulate,
              Residual residual, NormPrologue norm, const Scatter &scatter) {
    OpBuilder &b = e.b;
    Location loc = e.loc;
    Value one = e.idx(1);
    int64_t steps = (k + kStep - 1) / kStep;
    bool split = (n + kWarps * kFeatures - 1) / (kWarps * kFeatures) <
                     kMinBlocks &&
                 steps >= kWarps;
    int64_t perBlock = split ? kFeatures : kWarps * kFeatures;
    // The dot products, then (with a norm) each row's sum of squares.
    int64_t sums = maxR * kFeatures + (norm ? maxR : 0);
    SmallVector<Type> attributions;
    if (split)
      attributions.push_back(MemRefType::get(
          {kWarps, sums}, e.f32, MemRefLayoutAttrInterface(),
          gpu::AddressSpaceAttr::get(b.getContext(),
                                     gpu::AddressSpace::Workgroup)));
    e.beginStream();
    auto launchOp = gpu::LaunchOp::create(
        b, loc, e.idx((n + perBlock - 1) / perBlock), one, one,
        e.idx(kWarps * kWarp), one, one,
        /*dynamicSharedMemorySize=*/nullptr, e.tokenType(),
        ValueRange{e.token}, attributions);
    e.token = launchOp.getAsyncToken();
    launchOp->setAttr(ssmc::kSinkConstantsAttrName, b.getUnitAttr());
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&launchOp.getBody().front());
      Value tid = launchOp.getThreadIds().x, bx = launchOp.getBlockIds().x;
      Value warp = e.idiv(tid, e.idx(kWarp)),
            lane = e.irem(tid, e.idx(kWarp));
      Value o0 = split ? e.imul(bx, e.idx(kFeatures))
                       : e.imul(e.iadd(e.imul(bx, e.idx(kWarps)), warp),
                                e.idx(kFeatures));
      // Features past n and rows past `rows` read feature n - 1 and row 0
      // (in bounds) and store nothing.
      SmallVector<Value> features, featureOk;
      for (int64_t f = 0; f < kFeatures; ++f) {
        Value o = e.iaddConst(o0, f);
        Value ok = e.icmp(arith::CmpIPredicate::ult, o, e.idx(n));
        features.push_back(o);
        featureOk.push_back(ok);
      }
      SmallVector<Value> featureAt;
      for (int64_t f = 0; f < kFeatures; ++f)
        featureAt.push_back(e.select(featureOk[f], features[f], e.idx(n - 1)));
      // Per row: the index of its x and out elements but the last.
      SmallVector<SmallVector<Value>> rowIdx;
      SmallVector<Value> rowOk;
      for (int64_t r = 0; r < maxR; ++r) {
        Value ok = maxR == 1 ? Value()
                             : e.icmp(arith::CmpIPredicate::ult, e.idx(r), rows);
        Value rc = maxR == 1 ? e.idx(0) : e.select(ok, e.idx(r), e.idx(0));
        rowOk.push_back(ok);
        if (t)
          rowIdx.push_back({e.idiv(rc, t), e.irem(rc, t)});
        else
          rowIdx.push_back({rc});
      }
      auto at = [](ArrayRef<Value> prefix, Value last) {
        SmallVector<Value> ivs(prefix.begin(), prefix.end());
        ivs.push_back(last);
        return ivs;
      };
      SmallVector<Value> acc(sums, e.f(0.0));
      Value laneOff = e.imul(lane, e.idx(kPerLane));
      // Split: warp w takes steps w, w + kWarps, ...; all of them guarded
      // (the last is partial, or past the end, for some warps).
      int64_t rounds = split ? (steps + kWarps - 1) / kWarps : steps;
      Value warpOff = split ? e.imul(warp, e.idx(kStep)) : Value();
      for (int64_t s = 0; s < rounds; ++s) {
        // A last, partial step: lanes past k read element 0 and add 0.
        bool partial = split ? (s + 1) * kWarps * kStep > k
                             : (s + 1) * kStep > k;
        Value i = split ? e.iaddConst(e.iadd(laneOff, warpOff),
                                      s * kWarps * kStep)
                        : e.iaddConst(laneOff, s * kStep);
        Value inK;
        if (partial) {
          inK = e.icmp(arith::CmpIPredicate::ult, i, e.idx(k));
          i = e.select(inK, i, e.idx(0));
        }
        SmallVector<SmallVector<Value>> wv, xv;
        for (int64_t f = 0; f < kFeatures; ++f)
          wv.push_back(e.loadVecF32(w, {featureAt[f], i}, kPerLane));
        // Eight consecutive f32 of a row of `mem` (its last index i).
        auto loadRow = [&](Value mem, ArrayRef<Value> prefix) {
          SmallVector<Value> v = e.loadVecF32(mem, at(prefix, i), 4);
          SmallVector<Value> hi =
              e.loadVecF32(mem, at(prefix, e.iaddConst(i, 4)), 4);
          v.append(hi.begin(), hi.end());
          return v;
        };
        for (int64_t r = 0; r < maxR; ++r) {
          if (!norm.producer) {
            xv.push_back(loadRow(x, rowIdx[r]));
            continue;
          }
          // x computed from the producer's inputs, element by element.
          SmallVector<Value> prefix(rowIdx[r]);
          prefix.push_back(e.idx(0));
          SmallVector<SmallVector<Value>> ins;
          for (Value in : norm.producer.getDpsInputs())
            ins.push_back(loadRow(in, prefix));
          Block &body = norm.producer.getRegion().front();
          SmallVector<Value> v;
          for (int64_t j = 0; j < kPerLane; ++j) {
            IRMapping map;
            for (auto [k2, in] : llvm::enumerate(ins))
              map.map(body.getArgument(k2), in[j]);
            for (Operation &bodyOp : body.without_terminator())
              b.clone(bodyOp, map);
            v.push_back(map.lookupOrDefault(
                cast<linalg::YieldOp>(body.getTerminator()).getValues()[0]));
          }
          xv.push_back(v);
        }
        if (norm) {
          // x^2 summed from the same loads; the products then take x * w.
          Value zero = e.idx(0);
          SmallVector<Value> nw;
          if (cast<MemRefType>(norm.weight.getType()).getElementType().isF32()) {
            nw = e.loadVecF32(norm.weight, {zero, i}, 4);
            SmallVector<Value> hi =
                e.loadVecF32(norm.weight, {zero, e.iaddConst(i, 4)}, 4);
            nw.append(hi.begin(), hi.end());
          } else {
            nw = e.loadVecF32(norm.weight, {zero, i}, kPerLane);
          }
          for (int64_t r = 0; r < maxR; ++r) {
            Value sq = e.mul(xv[r][0], xv[r][0]);
            for (int64_t j = 1; j < kPerLane; ++j)
              sq = e.fma(xv[r][j], xv[r][j], sq);
            Value &a = acc[maxR * kFeatures + r];
            a = e.add(a, partial ? e.select(inK, sq, e.f(0.0)) : sq);
            for (int64_t j = 0; j < kPerLane; ++j)
              xv[r][j] = e.mul(xv[r][j], nw[j]);
          }
        }
        for (int64_t r = 0; r < maxR; ++r)
          for (int64_t f = 0; f < kFeatures; ++f) {
            Value &a = acc[r * kFeatures + f];
            if (!partial) {
              for (int64_t j = 0; j < kPerLane; ++j)
                a = e.fma(xv[r][j], wv[f][j], a);
              continue;
            }
            Value dot = e.mul(xv[r][0], wv[f][0]);
            for (int64_t j = 1; j < kPerLane; ++j)
              dot = e.fma(xv[r][j], wv[f][j], dot);
            a = e.add(a, e.select(inK, dot, e.f(0.0)));
          }
      }
      Value lane0 = e.icmp(arith::CmpIPredicate::eq, lane, e.idx(0));
      SmallVector<Value> total;
      for (Value a : acc)
        total.push_back(e.warpSum(a, kWarp));
      Value writer = lane0;
      if (split) {
        // The warps' sums through shared memory; thread 0 adds them.
        Value partials = launchOp.getWorkgroupAttributions()[0];
        e.ifThen(lane0, [&] {
          for (int64_t j = 0; j < sums; ++j)
            e.store(total[j], partials, {warp, e.idx(j)});
        });
        gpu::BarrierOp::create(b, loc);
        writer = e.icmp(arith::CmpIPredicate::eq, tid, e.idx(0));
        auto ifWriter = scf::IfOp::create(b, loc, TypeRange(total), writer,
                                          /*withElse=*/true);
        {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPointToStart(ifWriter.thenBlock());
          SmallVector<Value> added;
          for (int64_t j = 0; j < sums; ++j) {
            Value v = e.load(partials, {e.idx(0), e.idx(j)});
            for (int64_t w = 1; w < kWarps; ++w)
              v = e.add(v, e.load(partials, {e.idx(w), e.idx(j)}));
            added.push_back(v);
          }
          scf::YieldOp::create(b, loc, added);
          b.setInsertionPointToStart(ifWriter.elseBlock());
          scf::YieldOp::create(b, loc, total);
        }
        total.assign(ifWriter.getResults().begin(),
                     ifWriter.getResults().end());
      }
      // With a norm: each row's factor g(sum of squares), the norm's own
      // arithmetic on the row's total.
      SmallVector<Value> rowScale(maxR);
      if (norm) {
        Block &body = norm.apply.getRegion().front();
        for (int64_t r = 0; r < maxR; ++r) {
          IRMapping map;
          Value ssq = total[maxR * kFeatures + r];
          map.map(body.getArgument(1), ssq);
          for (Value factor : norm.rowFactors) {
            Value v = cloneRowFactor(b, factor, body, ssq, map);
            rowScale[r] = rowScale[r] ? e.mul(rowScale[r], v) : v;
          }
        }
      }
      for (int64_t r = 0; r < maxR; ++r)
        for (int64_t f = 0; f < kFeatures; ++f) {
          Value sum = total[r * kFeatures + f];
          if (rowScale[r])
            sum = e.mul(sum, rowScale[r]);
          Value ok = e.andi(writer, featureOk[f]);
          if (rowOk[r])
            ok = e.andi(ok, rowOk[r]);
          e.ifThen(ok, [&] {
            SmallVector<Value> ivs = at(rowIdx[r], features[f]);
            if (residual.result) {
              e.store(e.add(e.load(residual.addend, ivs), sum),
                      residual.result, ivs);
              return;
            }
            // One step per row: row r is batch r, its slice's channel
            // o - offset; the other channels to out.
            Value inAny;
            for (auto [off, size, dest] : llvm::zip(
                     scatter.offsets, scatter.sizes, scatter.dests)) {
              Value o = features[f];
              Value in = e.andi(
                  e.icmp(arith::CmpIPredicate::uge, o, e.idx(off)),
                  e.icmp(arith::CmpIPredicate::ult, o, e.idx(off + size)));
              inAny = inAny ? e.ori(inAny, in) : in;
              e.ifThen(in, [&] {
                e.store(sum, dest,
                        {rowIdx[r][0], e.isub(o, e.idx(off)), e.idx(0)});
              });
            }
            if (inAny) {
              Value outside = e.icmp(arith::CmpIPredicate::eq, inAny,
                                     arith::ConstantIntOp::create(
                                         b, loc, b.getI1Type(), 0));
              e.ifThen(outside, [&] {
                Value v = accumulate ? e.add(e.load(out, ivs), sum) : sum;
                e.store(v, out, ivs);
              });
              return;
            }
            Value v = accumulate ? e.add(e.load(out, ivs), sum) : sum;
            e.store(v, out, ivs);
          });
        }
      gpu::TerminatorOp::create(b, loc);
    }
    // The norm's and the producer's math (rsqrt, exp) as NVVM intrinsics.
    ssmc::gpu_emit::mathToIntrinsics(launchOp);
    e.endStream();
  }
};

} // namespace
