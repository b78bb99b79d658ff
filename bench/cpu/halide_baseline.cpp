//===- halide_baseline.cpp - Halide selective scan and SSD timings --------===//
//
// The second CPU baseline ssmc is measured against: the same two computations
// as ScalarKernels.h written as Halide 14 pipelines with hand schedules,
// JIT-compiled for the host (AVX2/AVX-512 when present) and run on all cores
// by Halide's thread pool. Before timing, each pipeline is checked against the
// scalar loops on a small shape (relative L2 error <= 1e-4).
//
// Halide 14 carries its own LLVM 14: this file must stay in an executable of
// its own, never linked with ssmc's LLVM 22.
//
// Schedules (the reasoning is beside each schedule below):
//  - selective scan: the sequential recurrence; one task per (batch,
//    16-channel tile), the 16 channels in the AVX-512 lanes. The state is
//    updated in place in one Func that also holds the outputs (f(c, k < n) is
//    h[k], f(c, n + t) is y_t), so the task's scratch is 16 x (n + l) floats
//    and no buffer over (l, n) exists at all. Only g = 1 is scheduled.
//  - SSD: the chunked (dual) form, chunk 256; one task per (batch, head);
//    chunk states, the masked decay blocks and the two output halves are
//    per-head or per-chunk scratch, C.B^T is computed once per group and
//    chunk. Chosen over the sequential recurrence because that one has p*n =
//    8192 states per head: the in-place trick above would unroll 8192 rows,
//    and the plain form keeps the state as a buffer over time (p*n*l*4 =
//    64 MiB per head), while the chunked form is three small GEMMs per chunk
//    that Halide register-blocks well. The final states are not produced.
//
//===----------------------------------------------------------------------===//

#include "ScalarKernels.h"

#include "Halide.h"

using namespace Halide;
using namespace bench;

namespace {

Expr softplusH(Expr x) { return select(x > 20.f, x, log(1.f + exp(x))); }
Expr siluH(Expr x) { return x / (1.f + exp(-x)); }

/// Channels per task of the scan; also the vector width (16 x f32 = AVX-512).
constexpr int kScanTile = 16;
/// Chunk lengths of the chunked SSD that are timed; the fastest is reported
/// (the chunk is a free choice of the implementation: the result is the same).
constexpr int kChunks[] = {32, 64, 128, 256};

//===----------------------------------------------------------------------===//
// Selective scan
//===----------------------------------------------------------------------===//

struct ScanPipeline {
  ImageParam u{Float(32), 3, "u"}, delta{Float(32), 3, "delta"},
      A{Float(32), 2, "A"}, B{Float(32), 4, "B"}, C{Float(32), 4, "C"},
      D{Float(32), 1, "D"}, z{Float(32), 3, "z"},
      deltaBias{Float(32), 1, "delta_bias"};
  Func out{"scan_out"};

  /// Halide dimensions are innermost first: u (l, d, b), A (n, d),
  /// B and C (l, n, g, b), out (l, d, b). d must be a multiple of 16; g = 1.
  ScanPipeline(const Target &target, int n) {
    Var t("t"), c("c"), b("b"), ni("ni"), co("co"), ci("ci"), cb("cb");
    Expr len = u.dim(0).extent();
    A.dim(0).set_bounds(0, n);
    B.dim(1).set_bounds(0, n);
    C.dim(1).set_bounds(0, n);

    // Channel-major copies of the per-step scalars (c innermost), so that the
    // recurrence reads them as vectors over the channel tile.
    Func dt("dt"), uc("uc"), dtu("dtu");
    dt(c, t, b) = softplusH(delta(t, c, b) + deltaBias(c));
    uc(c, t, b) = u(t, c, b);
    dtu(c, t, b) = dt(c, t, b) * uc(c, t, b);
    // g = 1 only: with one group B[n, t] and C[n, t] are broadcasts over the
    // channel vector; a group index per lane would make them gathers.
    B.dim(2).set_bounds(0, 1);
    C.dim(2).set_bounds(0, 1);
    Expr grp = 0;
    Func aT("aT"), bT("bT");
    aT(c, ni) = A(ni, c);
    bT(t, ni, b) = B(t, ni, 0, b);

    // One Func holds both the state and the output of a channel: f(c, k) for
    // k < n is h[k], updated in place, and f(c, n + t) is y_t. The update
    // walks (k, t) with k inner: n state rows, then the y row of step t that
    // reads the n states just written. So no buffer over time holds the
    // state, which is what Halide gives a recurrence written over t.
    Func f("state_y");
    f(c, ni, b) = 0.f;
    RDom rr(0, n + 1, 0, len, "rr");
    Expr k = rr.x, step = rr.y, kc = min(k, n - 1);
    Expr rec = f(c, kc, b) * exp(dt(c, step, b) * aT(c, kc)) +
               dtu(c, step, b) * bT(step, kc, b);
    // sum_k C[k] h[k] as a tree: a chain of n dependent fmas per step would
    // be longer than the step's exp work.
    std::vector<Expr> terms;
    for (int q = 0; q < n; ++q)
      terms.push_back(C(step, q, grp, b) * f(c, q, b));
    for (size_t w = 1; w < terms.size(); w *= 2)
      for (size_t q = 0; q + w < terms.size(); q += 2 * w)
        terms[q] = terms[q] + terms[q + w];
    Expr y = terms[0] + D(c) * uc(c, step, b);
    f(c, select(k < n, k, n + step), b) = select(k < n, rec, y);

    out(t, c, b) = f(c, n + t, b) * siluH(z(t, c, b));

    // One task per (batch, 16-channel tile): b*d/16 = 192 tasks for 2 cores.
    // Inputs and out are l-major: the rows of a tile lie l*4 bytes apart
    // (8 KiB, one L1 set), so they are read and written along t in 16 x 16
    // blocks, never gathered across channels.
    Var ti("ti"), to("to");
    out.split(c, co, ci, kScanTile)
        .reorder(t, ci, co, b)
        .fuse(co, b, cb)
        .parallel(cb)
        .split(t, to, ti, 16)
        .reorder(ti, ci, to)
        .vectorize(ti)
        .unroll(ci);
    // Per task scratch: f is 16 x (n + l) floats (130 KiB at l = 2048), the
    // channel-major copies 16 x l each.
    for (Func g : {dt, uc, dtu})
      g.compute_at(out, cb)
          .reorder(t, c)
          .split(t, to, ti, 16)
          .reorder(ti, c, to)
          .vectorize(ti);
    aT.compute_at(out, cb).vectorize(c, kScanTile);
    // Channels in the vector lanes: 16 independent exp + fma per
    // instruction; the (k) loop unrolled so that each row's select folds.
    f.compute_at(out, cb).vectorize(c, kScanTile);
    f.update().reorder(c, rr.x, rr.y, b).vectorize(c, kScanTile).unroll(rr.x);
    out.compile_jit(target);
  }

  void run(ScanData &t) {
    const ScanShape &s = t.s;
    auto buf = [](std::vector<float> &v, std::vector<int> sizes) {
      return Buffer<float>(v.data(), sizes);
    };
    u.set(buf(t.u, {s.l, s.d, s.b}));
    delta.set(buf(t.delta, {s.l, s.d, s.b}));
    A.set(buf(t.A, {s.n, s.d}));
    B.set(buf(t.B, {s.l, s.n, s.g, s.b}));
    C.set(buf(t.C, {s.l, s.n, s.g, s.b}));
    D.set(buf(t.D, {s.d}));
    z.set(buf(t.z, {s.l, s.d, s.b}));
    deltaBias.set(buf(t.deltaBias, {s.d}));
    Buffer<float> o = buf(t.out, {s.l, s.d, s.b});
    out.realize(o);
  }
};

//===----------------------------------------------------------------------===//
// SSD, chunked form
//===----------------------------------------------------------------------===//

struct SsdPipeline {
  ImageParam x{Float(32), 4, "x"}, dt{Float(32), 3, "dt"}, A{Float(32), 1, "A"},
      B{Float(32), 4, "B"}, C{Float(32), 4, "C"}, D{Float(32), 1, "D"},
      z{Float(32), 4, "z"}, dtBias{Float(32), 1, "dt_bias"};
  Func out{"ssd_out"};

  /// Halide dimensions are innermost first: x, z, out (p, h, l, b);
  /// dt (h, l, b); B, C (n, g, l, b). l must be a multiple of the chunk q.
  SsdPipeline(const Target &target, int p, int n, int q) {
    Var pi("pi"), ni("ni"), i("i"), j("j"), k("k"), hh("hh"), bb("bb"),
        gg("gg"), t("t"), hb("hb"), io("io"), ii("ii"), jo("jo"), ji("ji"),
        no("no"), nj("nj");
    Expr numChunks = x.dim(2).extent() / q;
    Expr grp = hh / (x.dim(1).extent() / B.dim(1).extent());
    x.dim(0).set_bounds(0, p);
    z.dim(0).set_bounds(0, p);
    B.dim(0).set_bounds(0, n);
    C.dim(0).set_bounds(0, n);

    Func dtv("dtv");
    dtv(hh, t, bb) = softplusH(dt(hh, t, bb) + dtBias(hh));

    // cs(i, k): inclusive cumulative sum of dt*A inside chunk k; cs(-1) = 0
    // comes from the pure definition.
    Func cs("cs");
    RDom ri(0, q, "ri");
    cs(i, k, hh, bb) = 0.f;
    cs(ri, k, hh, bb) = cs(ri - 1, k, hh, bb) + dtv(hh, k * q + ri, bb) * A(hh);
    Expr csLast = cs(q - 1, k, hh, bb);

    // C.B^T per chunk, shared by all heads of a group: CB(j, i) = C_i . B_j.
    Func bT("bT"), cb("cb");
    bT(j, ni, k, gg, bb) = B(ni, gg, k * q + j, bb);
    RDom rn(0, n, "rn");
    cb(j, i, k, gg, bb) = 0.f;
    cb(j, i, k, gg, bb) += C(rn, gg, k * q + i, bb) * bT(j, rn, k, gg, bb);

    // Intra-chunk: yin(p, i) = sum_{j <= i} CB(j,i) exp(cs_i - cs_j) dt_j x_j.
    Func w("w"), xdt("xdt"), yin("yin");
    w(j, i, k, hh, bb) = select(
        j <= i, cb(j, i, k, grp, bb) * exp(cs(i, k, hh, bb) - cs(j, k, hh, bb)),
        0.f);
    xdt(pi, j, k, hh, bb) = x(pi, hh, k * q + j, bb) * dtv(hh, k * q + j, bb);
    // Triangular: rows of a 4-row block stop at the block's last column (w is
    // 0 above the diagonal), a bound Halide lifts into the rj loop.
    RDom rj(0, q, "rj");
    rj.where(rj < i / 4 * 4 + 4);
    yin(pi, i, k, hh, bb) = 0.f;
    yin(pi, i, k, hh, bb) += w(rj, i, k, hh, bb) * xdt(pi, rj, k, hh, bb);

    // Chunk states S(p, n, k) = sum_j exp(cs_last - cs_j) dt_j x_j B_j, and the
    // states entering each chunk, P(k) = exp(cs_last(k-1)) P(k-1) + S(k-1).
    Func xw("xw"), st("st"), pst("pst");
    xw(pi, j, k, hh, bb) = x(pi, hh, k * q + j, bb) * dtv(hh, k * q + j, bb) *
                           exp(csLast - cs(j, k, hh, bb));
    RDom rs(0, q, "rs");
    st(pi, ni, k, hh, bb) = 0.f;
    st(pi, ni, k, hh, bb) += xw(pi, rs, k, hh, bb) * B(ni, grp, k * q + rs, bb);
    RDom rk(1, numChunks - 1, "rk");
    pst(pi, ni, k, hh, bb) = 0.f;
    pst(pi, ni, rk, hh, bb) =
        pst(pi, ni, rk - 1, hh, bb) * exp(cs(q - 1, rk - 1, hh, bb)) +
        st(pi, ni, rk - 1, hh, bb);

    // Inter-chunk: yoff(p, i) = exp(cs_i) * sum_n P(p, n) C_i[n].
    Func yoff("yoff");
    yoff(pi, i, k, hh, bb) = 0.f;
    yoff(pi, i, k, hh, bb) +=
        pst(pi, rn, k, hh, bb) * C(rn, grp, k * q + i, bb);

    Expr tk = t / q, ti = t % q;
    Expr y = yin(pi, ti, tk, hh, bb) +
             exp(cs(ti, tk, hh, bb)) * yoff(pi, ti, tk, hh, bb) +
             D(hh) * x(pi, hh, t, bb);
    out(pi, hh, t, bb) = y * siluH(z(pi, hh, t, bb));

    // One task per (batch, head); chunks in order inside it.
    out.bound(pi, 0, p)
        .bound(t, 0, numChunks * q)
        .split(t, k, i, q)
        .reorder(pi, i, k, hh, bb)
        .fuse(hh, bb, hb)
        .parallel(hb)
        .vectorize(pi, 16);
    dtv.compute_root();
    cs.compute_at(out, hb);
    // C.B^T: computed once for all heads, parallel over chunks; register
    // block 4 rows x 64 columns.
    bT.compute_root().parallel(k);
    cb.compute_root().parallel(k).vectorize(j, 16);
    cb.update()
        .split(j, jo, ji, 64)
        .split(i, io, ii, 4)
        .reorder(ji, ii, rn, jo, io, k, gg, bb)
        .vectorize(ji)
        .unroll(ii)
        .parallel(k);
    // Chunk states and their passing: per head, p x n x chunks scratch.
    st.compute_at(out, hb).vectorize(pi, 16);
    st.update()
        .split(ni, no, nj, 4)
        .reorder(pi, nj, rs, no, k)
        .vectorize(pi)
        .unroll(nj);
    xw.compute_at(st, k).vectorize(pi, 16);
    pst.compute_at(out, hb).vectorize(pi, 16);
    pst.update().reorder(pi, ni, rk).vectorize(pi, 16);
    // Per chunk: the masked decay block, intra and inter outputs.
    xdt.compute_at(out, k).vectorize(pi, 16);
    yin.compute_at(out, k).vectorize(pi, 16);
    yin.update()
        .split(i, io, ii, 4)
        .reorder(pi, ii, rj, io)
        .vectorize(pi)
        .unroll(ii);
    w.compute_at(yin, io).vectorize(j, 16);
    yoff.compute_at(out, k).vectorize(pi, 16);
    yoff.update()
        .split(i, io, ii, 4)
        .reorder(pi, ii, rn, io)
        .vectorize(pi)
        .unroll(ii);
    out.compile_jit(target);
  }

  void run(SsdData &t) {
    const SsdShape &s = t.s;
    auto buf = [](std::vector<float> &v, std::vector<int> sizes) {
      return Buffer<float>(v.data(), sizes);
    };
    x.set(buf(t.x, {s.p, s.h, s.l, s.b}));
    dt.set(buf(t.dt, {s.h, s.l, s.b}));
    A.set(buf(t.A, {s.h}));
    B.set(buf(t.B, {s.n, s.g, s.l, s.b}));
    C.set(buf(t.C, {s.n, s.g, s.l, s.b}));
    D.set(buf(t.D, {s.h}));
    z.set(buf(t.z, {s.p, s.h, s.l, s.b}));
    dtBias.set(buf(t.dtBias, {s.h}));
    Buffer<float> o = buf(t.out, {s.p, s.h, s.l, s.b});
    out.realize(o);
  }
};

} // namespace

static const char *usage =
    "usage: halide-baseline [--runs N (20)] [--seed S] [--quick] [--json "
    "FILE]\n"
    "  --quick  l = 256 instead of 2048 (smoke test)\n"
    "  threads: Halide's pool, HL_NUM_THREADS (default: all cores)\n";

int main(int argc, char **argv) {
  Options opt;
  opt.runs = 20; // cheap, and best-of-many shrugs off other work on the box
  if (!parseOptions(argc, argv, opt, usage) || !opt.dump.empty()) {
    if (!opt.dump.empty())
      std::fprintf(stderr, "--dump: use scalar-baseline\n");
    return 2;
  }
  Target target = get_host_target();
  // Halide's pool takes HL_NUM_THREADS (default: all cores); name the
  // results after it so that 1-thread and all-core runs sit side by side.
  const char *threadsEnv = std::getenv("HL_NUM_THREADS");
  std::string impl = "halide";
  if (threadsEnv && *threadsEnv)
    impl += std::string("-") + threadsEnv + "t";
  std::printf("halide baseline: Halide 14, target %s, %d timed runs after "
              "1 warm-up\n",
              target.to_string().c_str(), opt.runs);

  ScanShape scanShape;
  SsdShape ssdShape;
  if (opt.quick)
    scanShape.l = ssdShape.l = 256;
  ScanPipeline scan(target, scanShape.n);
  std::vector<std::unique_ptr<SsdPipeline>> ssds;
  for (int q : kChunks)
    ssds.push_back(std::make_unique<SsdPipeline>(target, ssdShape.p,
                                                 ssdShape.n, q));

  // Correctness first, on small shapes with odd batch/channel/length counts
  // where the schedules allow them.
  bool ok = true;
  {
    ScanShape small;
    small.b = 3, small.d = 48, small.l = 300, small.g = 1;
    ScanData ref = makeScanData(small, opt.seed + 7), got = ref;
    selectiveScanScalar(ref);
    scan.run(got);
    double err = relL2(got.out, ref.out);
    std::printf("check selective_scan %s vs scalar: rel L2 %.3e %s\n",
                small.str().c_str(), err, err <= 1e-4 ? "ok" : "FAILED");
    ok &= err <= 1e-4;
  }
  for (size_t c = 0; c < ssds.size(); ++c) {
    SsdShape small;
    small.b = 2, small.l = 3 * 256, small.h = 6, small.g = 2;
    SsdData ref = makeSsdData(small, opt.seed + 8), got = ref;
    ssdScalar(ref);
    ssds[c]->run(got);
    double err = relL2(got.out, ref.out);
    std::printf("check ssd chunk %d %s vs scalar: rel L2 %.3e %s\n", kChunks[c],
                small.str().c_str(), err, err <= 1e-4 ? "ok" : "FAILED");
    ok &= err <= 1e-4;
  }
  if (!ok)
    return 1;

  ScanData scanData = makeScanData(scanShape, opt.seed);
  SsdData ssdData = makeSsdData(ssdShape, opt.seed + 1);
  printHeader();
  std::vector<Result> results;
  Result r;
  r.impl = impl;
  r.runs = opt.runs;
  r.op = "selective_scan";
  r.shape = scanShape.str();
  r.stateUpdates = scanShape.stateUpdates();
  std::tie(r.bestMs, r.medianMs) =
      timeIt([&] { scan.run(scanData); }, opt.runs);
  r.checksum = checksum(scanData.out);
  printResult(r);
  results.push_back(r);

  // SSD at each chunk length; the fastest goes into the results.
  r.op = "ssd";
  r.shape = ssdShape.str();
  r.stateUpdates = ssdShape.stateUpdates();
  Result best;
  int bestChunk = 0;
  for (size_t c = 0; c < ssds.size(); ++c) {
    std::tie(r.bestMs, r.medianMs) =
        timeIt([&] { ssds[c]->run(ssdData); }, opt.runs);
    r.checksum = checksum(ssdData.out);
    std::printf("  (ssd, chunk %d: best %.2f ms, median %.2f ms)\n", kChunks[c],
                r.bestMs, r.medianMs);
    if (!bestChunk || r.bestMs < best.bestMs)
      best = r, bestChunk = kChunks[c];
  }
  printResult(best);
  results.push_back(best);

  std::string extra =
      " \"threads\": \"" + std::string(threadsEnv ? threadsEnv : "all") +
      "\", \"target\": \"" + target.to_string() +
      "\", \"ssd_form\": \"chunked\", \"chunk\": " + std::to_string(bestChunk) +
      ",";
  if (!opt.json.empty() && !writeJson(opt.json, impl, extra, results)) {
    std::fprintf(stderr, "error: cannot write %s\n", opt.json.c_str());
    return 1;
  }
  return 0;
}
