//===- ModelModule.h - an HF Mamba / Mamba-2 model as an ssm module -*- C++ -*-===//
//
// The frontend of `ssmc compile MODEL_DIR`: from a checkpoint's config, the
// module of the model's stages, each an entry point generic in batch and
// length that every layer shares (weights are arguments):
//   embed(tokens (b, l) i32, embeddings (V, dm))          -> residual (b, l, dm)
//   layer(residual, the layer's weights, conv_state, ssm_state)
//        -> (residual + mixer(rmsnorm(residual)), conv_state', ssm_state')
//   head(residual, norm_f, lm_head (V, dm))              -> logits (b, l, V)
// The residual stream, the caches and the logits are f32; the matrices are
// in the compile dtype, vectors (norms, biases, A_log, D) in f32. A prefill
// is `layer` from zero caches over the prompt; a decode step is `layer` over
// one token from the caches the prefill left.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_FRONTEND_MODELMODULE_H
#define SSMC_FRONTEND_MODELMODULE_H

#include "ssmc/model/Config.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace ssmc::frontend {

/// Builds the module; `dtype` is "f32", "bf16" or "f16" (the matrices'
/// element type). `modelJson` receives the description the package's
/// manifest carries: the config, the dtype, and for each entry the role of
/// every argument ("tokens", "residual", "conv_state", "ssm_state",
/// "weight:NAME" with NAME the HF spelling of the checkpoint tensor, "{i}"
/// standing for the layer index, or "neg_exp:NAME": -exp of that tensor, in
/// f32, which the runtime computes once at load) and of every result. The
/// ops' locations name `source` (the model directory's config.json).
/// `packedEntry`: also the `layer_packed` entry (packed prompts; the GPU has
/// no lowering of packed sequences yet).
mlir::OwningOpRef<mlir::ModuleOp>
buildModelModule(mlir::MLIRContext &ctx, const model::ModelConfig &cfg,
                 const std::string &dtype, std::string &modelJson,
                 std::string &error, const std::string &source = "model",
                 bool packedEntry = true);

/// The element type of `name`-d weight in a package compiled for `dtype`:
/// the matrices (embeddings, projections, lm_head) in `dtype`, the rest f32.
std::string weightDType(const std::string &name, const std::string &dtype);

} // namespace ssmc::frontend

#endif // SSMC_FRONTEND_MODELMODULE_H
