//===- ParallelLoopsToGPU.cpp - ssm-gpu-parallel-loops ---------------------===//
//
// The GPU's generic path, after bufferization, for the work that has no
// kernel of its own: the elementwise linalg ops (as parallel loops), the
// sequential ssm.recurrence and ssm.linear_attention (as the loop nests of
// their CPU lowering, one scf.parallel task per independent recurrence).
// On every host function:
//   - each host-level memref.alloc becomes a device buffer (gpu.alloc), freed
//     at the function's end unless the function returns it (or a view of it),
//     or, made inside a branch, at the end of its block;
//     each host-level memref.copy becomes gpu.memcpy;
//   - each outermost scf.parallel becomes a gpu.launch of one thread per
//     iteration (blocks of 128 threads over the flattened iteration space),
//     its task's stack buffers per-thread local memory;
//   - inside those kernels, math ops become NVVM's approximate intrinsics
//     (ex2, lg2, sin, cos, tanh, sqrt), so that no libdevice is needed.
// Each conversion is ordered on one stream and waited for, as the kernels of
// ssm-gpu-lower-ops are.
//
//===----------------------------------------------------------------------===//
#include "GPUEmitter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace ssmc {
#define GEN_PASS_DEF_SSMGPUPARALLELLOOPS
#include "ssmc/Codegen/GPU/Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using ssmc::gpu_emit::Emitter;

namespace {

constexpr int64_t kThreads = 128;

bool inKernel(Operation *op) {
  return op->getParentOfType<scf::ParallelOp>() ||
         op->getParentOfType<gpu::LaunchOp>();
}

/// Whether `v` or a view of it is returned by its function.
bool isReturned(Value v) {
  SmallVector<Value> work{v};
  while (!work.empty()) {
    Value x = work.pop_back_val();
    for (Operation *user : x.getUsers()) {
      if (isa<func::ReturnOp>(user))
        return true;
      if (isa<memref::ExpandShapeOp, memref::CollapseShapeOp, memref::CastOp,
              memref::SubViewOp, memref::ReinterpretCastOp>(user))
        work.push_back(user->getResult(0));
    }
  }
  return false;
}

/// A gpu.launch of `count` threads in blocks of kThreads (at least one
/// block: a launch of zero blocks is an error; threads past `count` must do
/// nothing), ordered on e's stream.
gpu::LaunchOp launchThreads(Emitter &e, OpBuilder &b, Location loc,
                            Value count) {
  Value threads = e.idx(kThreads);
  Value blocks = e.imax(
      e.idiv(e.iadd(count, e.idx(kThreads - 1)), threads), e.idx(1));
  Value one = e.idx(1);
  auto launch = gpu::LaunchOp::create(b, loc, blocks, one, one, threads, one,
                                      one,
                                      /*dynamicSharedMemorySize=*/nullptr,
                                      e.tokenType(), ValueRange{e.token});
  e.token = launch.getAsyncToken();
  return launch;
}

/// A parallel loop whose every iteration is one sum (the row reductions of
/// the norms, as linalg's parallel loops write them):
///   scf.parallel (ivs) { scf.for k { ...; o = load out[I]; s = addf o, v;
///                                     store s, out[I] } }
/// with I independent of k and `o` used only by the addf.
struct RowSum {
  scf::ForOp loop;
  memref::LoadOp load;
  arith::AddFOp add;
  memref::StoreOp store;
  Value term;
};

bool matchRowSum(scf::ParallelOp par, RowSum &m) {
  Block *body = par.getBody();
  if (!llvm::hasSingleElement(body->without_terminator()))
    return false;
  m.loop = dyn_cast<scf::ForOp>(&body->front());
  if (!m.loop || m.loop.getNumRegionIterArgs() != 0)
    return false;
  Block *inner = m.loop.getBody();
  m.store = nullptr;
  for (Operation &op : inner->without_terminator()) {
    if (auto st = dyn_cast<memref::StoreOp>(op)) {
      if (m.store)
        return false;
      m.store = st;
      continue;
    }
    if (!isPure(&op) && !isa<memref::LoadOp>(op))
      return false;
    if (op.getNumRegions() != 0)
      return false;
  }
  if (!m.store || m.store->getNextNode() != inner->getTerminator())
    return false;
  m.add = m.store.getValue().getDefiningOp<arith::AddFOp>();
  if (!m.add || !m.add->hasOneUse() || !m.add.getType().isF32())
    return false;
  for (int side = 0; side < 2; ++side) {
    auto ld = m.add->getOperand(side).getDefiningOp<memref::LoadOp>();
    if (ld && ld.getMemRef() == m.store.getMemRef() &&
        ld.getIndices() == m.store.getIndices() && ld->hasOneUse()) {
      m.load = ld;
      m.term = m.add->getOperand(1 - side);
      break;
    }
  }
  if (!m.load || m.term.getDefiningOp() == m.load.getOperation())
    return false;
  // The sum's element is the same for every k: its indices come from
  // outside the loop's body.
  for (Value i : m.store.getIndices())
    if (i.getParentBlock() == inner)
      return false;
  // Nothing else in the body reads the sum's buffer.
  for (Operation &op : inner->without_terminator())
    if (auto ld = dyn_cast<memref::LoadOp>(op))
      if (ld != m.load && ld.getMemRef() == m.store.getMemRef())
        return false;
  return true;
}

/// `v` as (buffer, dimension) when it is the size of a buffer's dimension,
/// seen through expand/collapse_shape groups of one dimension.
std::optional<std::pair<Value, int64_t>> sizeOf(Value v) {
  auto dim = v.getDefiningOp<memref::DimOp>();
  std::optional<int64_t> d = dim ? dim.getConstantIndex() : std::nullopt;
  if (!d)
    return std::nullopt;
  Value src = dim.getSource();
  while (true) {
    if (auto ex = src.getDefiningOp<memref::ExpandShapeOp>()) {
      auto groups = ex.getReassociationIndices();
      auto it = llvm::find_if(groups, [&](const ReassociationIndices &g) {
        return llvm::is_contained(g, *d);
      });
      if (it == groups.end() || it->size() != 1)
        break;
      d = it - groups.begin();
      src = ex.getSrc();
      continue;
    }
    if (auto co = src.getDefiningOp<memref::CollapseShapeOp>()) {
      auto groups = co.getReassociationIndices();
      if (static_cast<size_t>(*d) >= groups.size() || groups[*d].size() != 1)
        break;
      d = groups[*d][0];
      src = co.getSrc();
      continue;
    }
    break;
  }
  return std::make_pair(src, *d);
}

/// Whether the index values `a` and `b` are known to be equal.
bool sameExtent(Value a, Value b) {
  if (a == b)
    return true;
  APInt ca, cb;
  if (matchPattern(a, m_ConstantInt(&ca)) && matchPattern(b, m_ConstantInt(&cb)))
    return ca == cb;
  auto sa = sizeOf(a), sb = sizeOf(b);
  return sa && sb && *sa == *sb;
}

/// Whether `par` runs from 0 by steps of 1 and stores at exactly its
/// induction variables into `buf`.
bool unitBoundsIdentity(scf::ParallelOp par, memref::StoreOp store,
                        Value buf) {
  if (store.getMemRef() != buf ||
      store.getIndices().size() != par.getInductionVars().size())
    return false;
  for (auto [i, iv] : llvm::zip(store.getIndices(), par.getInductionVars()))
    if (i != iv)
      return false;
  for (Value lb : par.getLowerBound())
    if (!matchPattern(lb, m_Zero()))
      return false;
  for (Value st : par.getStep())
    if (!matchPattern(st, m_One()))
      return false;
  return true;
}

/// The scf.parallel (a linalg.fill) that stores +0 into every element of the
/// row sums' buffer just before `par` (only pure ops in between, none of them
/// using the buffer), when `par` itself writes every element of it: the row
/// sums can store their totals and the fill go. Null otherwise.
scf::ParallelOp redundantZeroFill(scf::ParallelOp par, RowSum &m) {
  Value buf = m.store.getMemRef();
  if (!unitBoundsIdentity(par, m.store, buf))
    return nullptr;
  Operation *prev = par->getPrevNode();
  while (prev && !isa<scf::ParallelOp>(prev)) {
    if (prev->getNumRegions() != 0 || !isPure(prev))
      return nullptr;
    if (llvm::is_contained(prev->getOperands(), buf) &&
        !isa<memref::DimOp>(prev))
      return nullptr;
    prev = prev->getPrevNode();
  }
  auto fill = dyn_cast_or_null<scf::ParallelOp>(prev);
  if (!fill || !llvm::hasSingleElement(fill.getBody()->without_terminator()))
    return nullptr;
  auto store = dyn_cast<memref::StoreOp>(&fill.getBody()->front());
  FloatAttr zero;
  if (!store || !unitBoundsIdentity(fill, store, buf) ||
      !matchPattern(store.getValue(), m_Constant(&zero)) ||
      !zero.getValue().isPosZero())
    return nullptr;
  for (auto [a, b] : llvm::zip(fill.getUpperBound(), par.getUpperBound()))
    if (!sameExtent(a, b))
      return nullptr;
  return fill;
}

/// The iteration indices of flattened iteration `id` of `par` (row-major:
/// the last dimension varies fastest).
SmallVector<Value> iterationIndices(Emitter &e, scf::ParallelOp par,
                                    ArrayRef<Value> extents, Value id) {
  Value rest = id;
  SmallVector<Value> ivs(extents.size());
  for (int64_t d = static_cast<int64_t>(extents.size()) - 1; d >= 0; --d) {
    Value i = d == 0 ? rest : e.irem(rest, extents[d]);
    if (d > 0)
      rest = e.idiv(rest, extents[d]);
    ivs[d] = e.iadd(par.getLowerBound()[d], e.imul(i, par.getStep()[d]));
  }
  return ivs;
}

/// A RowSum loop as one warp per sum (with `overwrite`, its zero fill was
/// dropped: the total is stored instead): lane j adds the terms j, j + 32, ...
/// of its row (consecutive lanes read consecutive elements; four terms at a
/// time into four partial sums, so that their loads overlap), the warp's
/// shuffles add the lanes' partial sums, lane 0 adds the total to the
/// element. One thread per row would walk its row alone, with the rows'
/// loads 4 * row length bytes apart across the warp.
gpu::LaunchOp launchRowSums(scf::ParallelOp par, RowSum &m, Value total,
                            ArrayRef<Value> extents, bool overwrite, Emitter &e,
                            OpBuilder &b) {
  constexpr int64_t warp = 32;
  Value threads = e.idx(kThreads);
  gpu::LaunchOp launch =
      launchThreads(e, b, par.getLoc(), e.imul(total, e.idx(warp)));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Location loc = par.getLoc();
  Value id = e.iadd(e.imul(launch.getBlockIds().x, threads),
                    launch.getThreadIds().x);
  Value row = e.idiv(id, e.idx(warp)), lane = e.irem(id, e.idx(warp));
  // Whole warps take the branch or skip it (kThreads is a multiple of 32),
  // so the shuffles inside see every lane.
  Value inside = e.icmp(arith::CmpIPredicate::ult, row, total);
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{}, inside,
                                /*withElseRegion=*/false);
  gpu::TerminatorOp::create(b, loc);
  b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  IRMapping map;
  for (auto [iv, v] : llvm::zip(par.getInductionVars(),
                                iterationIndices(e, par, extents, row)))
    map.map(iv, v);
  scf::ForOp loop = m.loop;
  Value lb = map.lookupOrDefault(loop.getLowerBound());
  Value ub = map.lookupOrDefault(loop.getUpperBound());
  Value step = map.lookupOrDefault(loop.getStep());
  Value start = e.iadd(lb, e.imul(lane, step));
  Value stride = e.imul(step, e.idx(warp));
  // The term of iteration k (the loop body's ops but the sum's load, add
  // and store, cloned at `nb`).
  auto term = [&](OpBuilder &nb, Value k) {
    IRMapping inner = map;
    inner.map(loop.getInductionVar(), k);
    for (Operation &op : loop.getBody()->without_terminator()) {
      if (&op == m.load.getOperation() || &op == m.add.getOperation() ||
          &op == m.store.getOperation())
        continue;
      nb.clone(op, inner);
    }
    return inner.lookupOrDefault(m.term);
  };
  // The lane's terms in groups of kUnroll with an accumulator each (their
  // loads in flight together), then the rest one by one.
  constexpr int64_t kUnroll = 4;
  Value count = e.select(
      e.icmp(arith::CmpIPredicate::ult, start, ub),
      e.idiv(e.iadd(e.isub(ub, start), e.isub(stride, e.idx(1))), stride),
      e.idx(0));
  Value groupStride = e.imul(stride, e.idx(kUnroll));
  Value mainEnd = e.iadd(
      start, e.imul(e.idiv(count, e.idx(kUnroll)), groupStride));
  SmallVector<Value> zeros(kUnroll, e.f(0.0));
  auto groups = scf::ForOp::create(
      b, loc, start, mainEnd, groupStride, zeros,
      [&](OpBuilder &nb, Location l, Value k, ValueRange acc) {
        SmallVector<Value> next;
        for (int64_t u = 0; u < kUnroll; ++u) {
          Value ku = u == 0 ? k
                            : arith::AddIOp::create(
                                  nb, l, k,
                                  arith::MulIOp::create(
                                      nb, l, stride,
                                      arith::ConstantIndexOp::create(nb, l, u)))
                                  .getResult();
          next.push_back(
              arith::AddFOp::create(nb, l, acc[u], term(nb, ku)).getResult());
        }
        scf::YieldOp::create(nb, l, next);
      });
  Value grouped = e.add(e.add(groups.getResult(0), groups.getResult(1)),
                        e.add(groups.getResult(2), groups.getResult(3)));
  auto partial = scf::ForOp::create(
      b, loc, mainEnd, ub, stride, ValueRange{grouped},
      [&](OpBuilder &nb, Location l, Value k, ValueRange acc) {
        scf::YieldOp::create(
            nb, l,
            ValueRange{
                arith::AddFOp::create(nb, l, acc[0], term(nb, k)).getResult()});
      });
  Value sum = e.warpSum(partial.getResult(0), warp);
  Value first = e.icmp(arith::CmpIPredicate::eq, lane, e.idx(0));
  auto write = scf::IfOp::create(b, loc, TypeRange{}, first,
                                 /*withElseRegion=*/false);
  b.setInsertionPoint(write.thenBlock()->getTerminator());
  SmallVector<Value> at;
  for (Value i : m.store.getIndices())
    at.push_back(map.lookupOrDefault(i));
  if (!overwrite)
    sum = arith::AddFOp::create(
        b, loc, memref::LoadOp::create(b, loc, m.store.getMemRef(), at), sum);
  memref::StoreOp::create(b, loc, sum, m.store.getMemRef(), at);
  return launch;
}

/// One outermost scf.parallel as a gpu.launch of one thread per iteration
/// (one warp per iteration for row sums; `overwrite`: see launchRowSums).
void launchParallel(scf::ParallelOp par, bool overwrite) {
  OpBuilder b(par);
  Emitter e(b, par.getLoc());
  Value total = e.idx(1);
  SmallVector<Value> extents;
  for (auto [lb, ub, step] :
       llvm::zip(par.getLowerBound(), par.getUpperBound(), par.getStep())) {
    // ceil((ub - lb) / step) iterations along this dimension.
    Value span = e.isub(ub, lb);
    Value n = e.idiv(e.iadd(span, e.isub(step, e.idx(1))), step);
    extents.push_back(n);
    total = e.imul(total, n);
  }
  RowSum rowSum;
  if (matchRowSum(par, rowSum)) {
    e.beginStream();
    gpu::LaunchOp launch = launchRowSums(par, rowSum, total, extents, overwrite, e, b);
    e.endStream();
    par.erase();
    ssmc::gpu_emit::mathToIntrinsics(launch);
    return;
  }
  Value threads = e.idx(kThreads);
  e.beginStream();
  gpu::LaunchOp launch = launchThreads(e, b, par.getLoc(), total);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&launch.getBody().front());
    Value id = e.iadd(e.imul(launch.getBlockIds().x, threads),
                      launch.getThreadIds().x);
    Value inside = e.icmp(arith::CmpIPredicate::ult, id, total);
    auto ifOp = scf::IfOp::create(b, par.getLoc(), TypeRange{}, inside,
                                  /*withElseRegion=*/false);
    gpu::TerminatorOp::create(b, par.getLoc());
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    // Row-major: the last dimension varies fastest across threads, as the
    // innermost loop would.
    IRMapping map;
    SmallVector<Value> ivs = iterationIndices(e, par, extents, id);
    for (auto [iv, v] : llvm::zip(par.getInductionVars(), ivs))
      map.map(iv, v);
    for (Operation &op : par.getBody()->without_terminator())
      b.clone(op, map);
  }
  e.endStream();
  par.erase();
  // The task's stack scope is the thread's whole life: inline it.
  SmallVector<memref::AllocaScopeOp> scopes;
  launch.getBody().walk([&](memref::AllocaScopeOp s) { scopes.push_back(s); });
  for (memref::AllocaScopeOp scope : scopes) {
    Block &inner = scope.getBodyRegion().front();
    Operation *ret = inner.getTerminator();
    if (ret->getNumOperands() != 0)
      continue;
    ret->erase();
    scope->getBlock()->getOperations().splice(Block::iterator(scope),
                                              inner.getOperations());
    scope.erase();
  }
  ssmc::gpu_emit::mathToIntrinsics(launch);
}

struct ParallelLoopsToGPUPass
    : ssmc::impl::SSMGPUParallelLoopsBase<ParallelLoopsToGPUPass> {
  using Base::Base;

  void runOnOperation() final {
    for (func::FuncOp func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      // Device buffers for the host's allocations.
      SmallVector<memref::AllocOp> allocs;
      func.walk([&](memref::AllocOp a) {
        if (!inKernel(a))
          allocs.push_back(a);
      });
      SmallVector<Value> toFree;
      for (memref::AllocOp a : allocs) {
        OpBuilder b(a);
        Emitter e(b, a.getLoc());
        e.beginStream();
        auto alloc = gpu::AllocOp::create(
            b, a.getLoc(), a.getType(), e.tokenType(), ValueRange{e.token},
            a.getDynamicSizes(), a.getSymbolOperands(), UnitAttr());
        e.token = alloc.getAsyncToken();
        e.endStream();
        a.replaceAllUsesWith(alloc.getMemref());
        a.erase();
        if (alloc->getParentRegion() != &func.getBody()) {
          // Inside a branch (a projection's cuBLAS path): freed at the end
          // of its block, where it goes out of scope.
          Operation *end = alloc->getBlock()->getTerminator();
          OpBuilder eb(end);
          Emitter fe(eb, end->getLoc());
          fe.beginStream();
          fe.gpuDealloc(alloc.getMemref());
          fe.endStream();
        } else if (!isReturned(alloc.getMemref())) {
          toFree.push_back(alloc.getMemref());
        }
        ++numAllocs;
      }
      SmallVector<memref::CopyOp> copies;
      func.walk([&](memref::CopyOp c) {
        if (!inKernel(c))
          copies.push_back(c);
      });
      for (memref::CopyOp c : copies) {
        OpBuilder b(c);
        // A strided view (a slice of channels) is no block for gpu.memcpy:
        // it is copied element by element, a parallel loop (a kernel below).
        auto identity = [](Value m) {
          return cast<MemRefType>(m.getType()).getLayout().isIdentity();
        };
        if (!identity(c.getSource()) || !identity(c.getTarget())) {
          Location loc = c.getLoc();
          int64_t rank = cast<MemRefType>(c.getSource().getType()).getRank();
          Value zero = arith::ConstantIndexOp::create(b, loc, 0);
          Value one = arith::ConstantIndexOp::create(b, loc, 1);
          SmallVector<Value> lbs(rank, zero), steps(rank, one), ubs;
          for (int64_t d = 0; d < rank; ++d)
            ubs.push_back(memref::DimOp::create(b, loc, c.getSource(), d));
          Value src = c.getSource(), dst = c.getTarget();
          scf::ParallelOp::create(
              b, loc, lbs, ubs, steps,
              [&](OpBuilder &nb, Location l, ValueRange ivs) {
                Value v = memref::LoadOp::create(nb, l, src, ivs);
                memref::StoreOp::create(nb, l, v, dst, ivs);
              });
          c.erase();
          ++numStridedCopies;
          continue;
        }
        Emitter e(b, c.getLoc());
        e.beginStream();
        e.token = gpu::MemcpyOp::create(b, c.getLoc(), e.tokenType(),
                                        ValueRange{e.token}, c.getTarget(),
                                        c.getSource())
                      .getAsyncToken();
        e.endStream();
        c.erase();
      }
      SmallVector<scf::ParallelOp> loops;
      func.walk([&](scf::ParallelOp p) {
        if (!p->getParentOfType<scf::ParallelOp>() &&
            !p->getParentOfType<gpu::LaunchOp>())
          loops.push_back(p);
      });
      // A norm's zero fill that its row sums overwrite entirely goes (one
      // launch fewer per norm).
      llvm::SmallPtrSet<Operation *, 8> folded, overwrite;
      for (scf::ParallelOp p : loops) {
        RowSum m;
        if (!matchRowSum(p, m))
          continue;
        if (scf::ParallelOp fill = redundantZeroFill(p, m)) {
          folded.insert(fill);
          overwrite.insert(p);
        }
      }
      for (scf::ParallelOp p : loops) {
        if (folded.contains(p)) {
          p.erase();
          ++numFoldedFills;
          continue;
        }
        launchParallel(p, overwrite.contains(p));
        ++numLaunches;
      }
      // Intermediates are freed before each return.
      func.walk([&](func::ReturnOp ret) {
        if (toFree.empty())
          return;
        OpBuilder b(ret);
        Emitter e(b, ret.getLoc());
        e.beginStream();
        for (Value mem : toFree)
          e.gpuDealloc(mem);
        e.endStream();
      });
    }
  }
};

} // namespace

/// The f32 math ops of a kernel body on NVVM intrinsics (declared in
/// GPUEmitter.h).
void ssmc::gpu_emit::mathToIntrinsics(gpu::LaunchOp launch) {
  constexpr double kLn2 = 0.6931471805599453;
  SmallVector<Operation *> ops;
  launch.getBody().walk([&](Operation *op) {
    if (isa<math::MathDialect>(op->getDialect()) &&
        op->getResult(0).getType().isF32())
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    OpBuilder b(op);
    Emitter e(b, op->getLoc());
    Value x = op->getOperand(0), r;
    if (isa<math::ExpOp>(op))
      r = e.exp2(e.mul(x, e.f(ssmc::gpu_emit::kLog2E)));
    else if (isa<math::Exp2Op>(op))
      r = e.exp2(x);
    else if (isa<math::LogOp>(op))
      r = e.mul(e.intrinsic("llvm.nvvm.lg2.approx.ftz.f", x), e.f(kLn2));
    else if (isa<math::Log1pOp>(op))
      r = e.mul(e.intrinsic("llvm.nvvm.lg2.approx.ftz.f", e.add(x, e.f(1.0))),
                e.f(kLn2));
    else if (isa<math::SinOp>(op))
      r = e.intrinsic("llvm.nvvm.sin.approx.ftz.f", x);
    else if (isa<math::CosOp>(op))
      r = e.intrinsic("llvm.nvvm.cos.approx.ftz.f", x);
    else if (isa<math::TanhOp>(op)) {
      // 1 - 2 / (exp(2x) + 1), and its odd series near 0 where that
      // subtraction would cancel.
      Value big = e.exp2(e.mul(x, e.f(2.0 * ssmc::gpu_emit::kLog2E)));
      Value t = arith::SubFOp::create(
          b, op->getLoc(), e.f(1.0),
          arith::DivFOp::create(b, op->getLoc(), e.f(2.0),
                                e.add(big, e.f(1.0))));
      Value x2 = e.mul(x, x);
      Value series = e.mul(
          x, e.fma(x2, e.fma(x2, e.f(2.0 / 15.0), e.f(-1.0 / 3.0)), e.f(1.0)));
      Value small = arith::CmpFOp::create(
          b, op->getLoc(), arith::CmpFPredicate::OLT,
          e.intrinsic("llvm.fabs.f32", x), e.f(0.0625));
      r = e.select(small, series, t);
    }
    else if (isa<math::SqrtOp>(op))
      r = e.intrinsic("llvm.nvvm.sqrt.rn.f", x);
    else if (isa<math::RsqrtOp>(op))
      r = e.intrinsic("llvm.nvvm.rsqrt.approx.ftz.f", x);
    else if (isa<math::AbsFOp>(op))
      r = e.intrinsic("llvm.fabs.f32", x);
    else if (isa<math::FmaOp>(op))
      r = e.fma(x, op->getOperand(1), op->getOperand(2));
    else
      continue;
    op->getResult(0).replaceAllUsesWith(r);
    op->erase();
  }
}
