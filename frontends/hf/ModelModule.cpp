//===- ModelModule.cpp - an HF Mamba / Mamba-2 model as an ssm module -----===//
//
// Builds the stages of a model (embed, layer, head) as entry points whose
// arguments are the activations, the caches and one layer's weights, and the
// manifest's description of what every argument takes.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Frontend/ModelModule.h"
#include "ssmc/Dialect/SSM/IR/SSMOps.h"
#include "ssmc/Dialect/SSM/Transforms/MixerBuilder.h"
#include "ssmc/runtime/Json.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace ssmc;
using namespace ssmc::ssm;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

/// Collects one entry's arguments (types and roles) and results.
struct EntryBuilder {
  SmallVector<Type> types;
  json::Value roles = json::Value::array();
  json::Value resultRoles = json::Value::array();

  unsigned add(Type t, const std::string &role) {
    types.push_back(t);
    roles.push(json::Value(role));
    return types.size() - 1;
  }
};

class ModelModuleBuilder {
public:
  ModelModuleBuilder(MLIRContext &ctx, const model::ModelConfig &cfg,
          const std::string &dtype, const std::string &source)
      : ctx(ctx), cfg(cfg), dtype(dtype), b(&ctx),
        loc(FileLineColLoc::get(&ctx, source, 0, 0)), f32(b.getF32Type()) {
    mat = dtype == "bf16"  ? Type(b.getBF16Type())
          : dtype == "f16" ? Type(b.getF16Type())
                           : Type(f32);
  }

  OwningOpRef<ModuleOp> build(std::string &modelJson, bool packedEntry) {
    module = ModuleOp::create(loc);
    b.setInsertionPointToEnd(module->getBody());
    json::Value entries = json::Value::object();
    buildEmbed(entries);
    buildLayer(entries, LayerKind::Prefill);
    buildLayer(entries, LayerKind::Step);
    if (packedEntry)
      buildLayer(entries, LayerKind::Packed);
    buildHead(entries);

    json::Value desc = json::Value::object();
    desc.set("kind", cfg.kind == model::ModelKind::Mamba ? "mamba" : "mamba2");
    desc.set("dtype", dtype);
    desc.set("config", configJson());
    desc.set("entries", std::move(entries));
    modelJson = json::write(desc);
    return std::move(module);
  }

private:
  /// A tensor type with the matrices' element type when `name` is a
  /// matrix, f32 otherwise.
  Type weight(const std::string &name, ArrayRef<int64_t> shape) {
    Type elt = frontend::weightDType(name, dtype) == "f32" ? f32 : mat;
    return RankedTensorType::get(shape, elt);
  }
  Type act(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, f32);
  }
  std::string layerName(const std::string &leaf) {
    return "weight:backbone.layers.{i}." + leaf;
  }

  func::FuncOp makeFunc(const std::string &name, EntryBuilder &eb,
                        ArrayRef<Type> results) {
    auto fn = func::FuncOp::create(b, loc, name,
                                   b.getFunctionType(eb.types, results));
    fn.addEntryBlock();
    return fn;
  }

  void buildEmbed(json::Value &entries) {
    EntryBuilder eb;
    eb.add(RankedTensorType::get({kDyn, kDyn}, b.getI32Type()), "tokens");
    eb.add(weight("backbone.embeddings.weight", {cfg.vocabSize, cfg.dModel}),
           "weight:backbone.embeddings.weight");
    Type out = act({kDyn, kDyn, cfg.dModel});
    eb.resultRoles.push(json::Value("residual"));
    func::FuncOp fn = makeFunc("embed", eb, {out});
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&fn.front());
    Value res = EmbeddingOp::create(b, loc, out, fn.getArgument(0),
                                    fn.getArgument(1), IntegerAttr());
    func::ReturnOp::create(b, loc, res);
    addEntry(entries, "embed", eb);
  }

  void buildHead(json::Value &entries) {
    EntryBuilder eb;
    eb.add(act({kDyn, kDyn, cfg.dModel}), "residual");
    eb.add(weight("backbone.norm_f.weight", {cfg.dModel}),
           "weight:backbone.norm_f.weight");
    eb.add(weight("lm_head.weight", {cfg.vocabSize, cfg.dModel}),
           "weight:lm_head.weight");
    Type out = act({kDyn, kDyn, cfg.vocabSize});
    eb.resultRoles.push(json::Value("logits"));
    func::FuncOp fn = makeFunc("head", eb, {out});
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&fn.front());
    Value res = fn.getArgument(0);
    Value normed = RMSNormOp::create(b, loc, res.getType(), res,
                                     fn.getArgument(1),
                                     b.getF64FloatAttr(cfg.eps));
    Value logits =
        LinearOp::create(b, loc, out, normed, fn.getArgument(2), Value());
    func::ReturnOp::create(b, loc, logits);
    addEntry(entries, "head", eb);
  }

  enum class LayerKind { Prefill, Step, Packed };

  /// The layer entries: `layer` over (b, l) tokens from given caches; the
  /// decode step `layer_step` over one token per sequence (the state updated
  /// in place by ssm.state_update); `layer_packed` over s prompts packed into
  /// one row of tokens (1, l) with their offsets `cu_seqlens` (s + 1), from
  /// zero caches, returning the caches of every prompt (s, ...).
  void buildLayer(json::Value &entries, LayerKind kind) {
    const bool step = kind == LayerKind::Step,
               packed = kind == LayerKind::Packed;
    const int64_t l = step ? 1 : kDyn;
    const int64_t dm = cfg.dModel, d = cfg.dInner, n = cfg.dState,
                  k = cfg.dConv;
    bool m2 = cfg.kind == model::ModelKind::Mamba2;
    const int64_t g = cfg.nGroups, h = cfg.nHeads, p = cfg.headDim,
                  r = cfg.dtRank;
    const int64_t convDim = m2 ? d + 2 * g * n : d;
    EntryBuilder eb;
    const int64_t batch = packed ? 1 : kDyn;
    unsigned resArg = eb.add(act({batch, l, dm}), "residual");
    unsigned normArg = eb.add(weight("norm.weight", {dm}), layerName("norm.weight"));
    auto w = [&](const std::string &leaf, ArrayRef<int64_t> shape) {
      return eb.add(weight("mixer." + leaf, shape), layerName("mixer." + leaf));
    };
    int64_t inOut = m2 ? 2 * d + 2 * g * n + h : 2 * d;
    unsigned inProj = w("in_proj.weight", {inOut, dm});
    int inProjBias = cfg.projBias ? int(w("in_proj.bias", {inOut})) : -1;
    unsigned conv = w("conv1d.weight", {convDim, 1, k});
    int convBias = cfg.convBias ? int(w("conv1d.bias", {convDim})) : -1;
    unsigned xProj = 0, dtProj = 0, dtProjBias = 0, dtBias = 0, norm = 0;
    if (!m2) {
      xProj = w("x_proj.weight", {r + 2 * n, d});
      dtProj = w("dt_proj.weight", {d, r});
      dtProjBias = w("dt_proj.bias", {d});
    } else {
      dtBias = w("dt_bias", {h});
    }
    // A = -exp(A_log), computed once when the weights are loaded (role
    // "neg_exp:NAME"), not in every call.
    unsigned aLog = m2 ? eb.add(act({h}), "neg_exp:" + layerName("mixer.A_log").substr(7))
                       : eb.add(act({d, n}), "neg_exp:" + layerName("mixer.A_log").substr(7));
    unsigned dSkip = m2 ? w("D", {h}) : w("D", {d});
    if (m2)
      norm = w("norm.weight", {d});
    unsigned outProj = w("out_proj.weight", {dm, d});
    int outProjBias = cfg.projBias ? int(w("out_proj.bias", {dm})) : -1;
    Type convType = act({kDyn, convDim, k - 1});
    Type ssmType = m2 ? act({kDyn, h, p, n}) : act({kDyn, d, n});
    int convArg = -1, ssmArg = -1, cuArg = -1;
    if (packed) {
      cuArg = int(
          eb.add(RankedTensorType::get({kDyn}, b.getI32Type()), "cu_seqlens"));
    } else {
      convArg = int(eb.add(convType, "conv_state"));
      ssmArg = int(eb.add(ssmType, "ssm_state"));
    }
    for (const char *role : {"residual", "conv_state", "ssm_state"})
      eb.resultRoles.push(json::Value(role));

    const char *name = step ? "layer_step" : packed ? "layer_packed" : "layer";
    func::FuncOp fn =
        makeFunc(name, eb, {act({batch, l, dm}), convType, ssmType});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&fn.front());
    auto arg = [&](int i) { return i < 0 ? Value() : fn.getArgument(i); };
    Value res = arg(resArg);
    MixerBuilder mb(b, loc, res);
    Value hidden = RMSNormOp::create(b, loc, res.getType(), res, arg(normArg),
                                     b.getF64FloatAttr(cfg.eps));
    // The checkpoint's conv weight is (C, 1, k); the mixers take (C, k).
    Value convW = tensor::CollapseShapeOp::create(
        b, loc, arg(conv), SmallVector<ReassociationIndices>{{0, 1}, {2}});
    // The mixer returns the caches after the last step; it takes them
    // before the first one except for packed prompts (zeros).
    Type outType = act({batch, l, dm});
    SmallVector<Type> states{convType, ssmType};
    // A = -exp(A_log) is given (role neg_exp), computed once at load.
    Value mixed;
    ValueRange caches;
    if (!m2) {
      auto mixer = MambaMixerOp::create(
          b, loc, outType, states, hidden, arg(inProj), arg(inProjBias), convW,
          arg(convBias), arg(xProj), arg(dtProj), arg(dtProjBias), arg(aLog),
          arg(dSkip), arg(outProj), arg(outProjBias), arg(convArg),
          arg(ssmArg), arg(cuArg), b.getUnitAttr(), IntegerAttr());
      mixed = mixer.getOut();
      caches = mixer.getStatesOut();
    } else {
      DenseF64ArrayAttr dtLimit;
      if (cfg.hasDtLimit)
        dtLimit = b.getDenseF64ArrayAttr({cfg.dtLimitLo, cfg.dtLimitHi});
      auto mixer = Mamba2MixerOp::create(
          b, loc, outType, states, hidden, arg(inProj), arg(inProjBias), convW,
          arg(convBias), arg(dtBias), arg(aLog), arg(dSkip), arg(norm),
          arg(outProj), arg(outProjBias), arg(convArg), arg(ssmArg),
          arg(cuArg), b.getI64IntegerAttr(g), b.getI64IntegerAttr(p),
          b.getI64IntegerAttr(cfg.chunkSize), b.getF64FloatAttr(cfg.eps),
          dtLimit, b.getI64IntegerAttr(cfg.normPerGroup ? d / g : d),
          b.getUnitAttr(), IntegerAttr());
      mixed = mixer.getOut();
      caches = mixer.getStatesOut();
    }
    Value next = mb.add(res, mixed);
    func::ReturnOp::create(b, loc, ValueRange{next, caches[0], caches[1]});
    addEntry(entries, name, eb);
  }

  void addEntry(json::Value &entries, const std::string &name,
                EntryBuilder &eb) {
    json::Value e = json::Value::object();
    e.set("arguments", std::move(eb.roles));
    e.set("results", std::move(eb.resultRoles));
    entries.set(name, std::move(e));
  }

  json::Value configJson() {
    json::Value c = json::Value::object();
    c.set("d_model", cfg.dModel);
    c.set("n_layer", cfg.nLayer);
    c.set("vocab_size", cfg.vocabSize);
    c.set("d_inner", cfg.dInner);
    c.set("d_state", cfg.dState);
    c.set("d_conv", cfg.dConv);
    c.set("dt_rank", cfg.dtRank);
    c.set("n_groups", cfg.nGroups);
    c.set("head_dim", cfg.headDim);
    c.set("n_heads", cfg.nHeads);
    c.set("chunk_size", cfg.chunkSize);
    c.set("eps", cfg.eps);
    c.set("tie_embeddings", cfg.tieEmbeddings);
    c.set("conv_bias", cfg.convBias);
    c.set("proj_bias", cfg.projBias);
    c.set("norm_per_group", cfg.normPerGroup);
    return c;
  }

  MLIRContext &ctx;
  const model::ModelConfig &cfg;
  std::string dtype;
  OpBuilder b;
  Location loc;
  Type f32, mat;
  OwningOpRef<ModuleOp> module;
};

} // namespace

std::string frontend::weightDType(const std::string &name,
                                  const std::string &dtype) {
  auto ends = [&](const char *suffix) {
    std::string s(suffix);
    return name.size() >= s.size() &&
           name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  bool matrix = ends("embeddings.weight") || ends("embedding.weight") ||
                ends("lm_head.weight") || ends("in_proj.weight") ||
                ends("x_proj.weight") || ends("dt_proj.weight") ||
                ends("out_proj.weight");
  return matrix ? dtype : "f32";
}

OwningOpRef<ModuleOp> frontend::buildModelModule(MLIRContext &ctx,
                                                  const model::ModelConfig &cfg,
                                                  const std::string &dtype,
                                                  std::string &modelJson,
                                                  std::string &error,
                                                  const std::string &source,
                                                  bool packedEntry) {
  if (dtype != "f32" && dtype != "bf16" && dtype != "f16") {
    error = "unknown --dtype '" + dtype + "' (expected f32, bf16 or f16)";
    return nullptr;
  }
  ctx.loadDialect<SSMDialect, func::FuncDialect, arith::ArithDialect,
                  linalg::LinalgDialect, tensor::TensorDialect,
                  math::MathDialect>();
  ModelModuleBuilder builder(ctx, cfg, dtype, source);
  OwningOpRef<ModuleOp> module = builder.build(modelJson, packedEntry);
  if (failed(verify(*module))) {
    error = "the model module does not verify (a bug of ssmc)";
    return nullptr;
  }
  return module;
}
