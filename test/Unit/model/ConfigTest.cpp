//===- ConfigTest.cpp - config.json in the HF and state-spaces spellings --===//
//
// Real configs of released checkpoints in both spellings, the defaults each
// spelling implies, and one exact message per kind of bad key.
//
//===----------------------------------------------------------------------===//

#include "ssmc/model/Config.h"

#include "TestFiles.h"
#include "ssmc/runtime/Json.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace ssmc;
using namespace ssmc::model;

namespace {

ModelConfig parseOk(const std::string &text) {
  ModelConfig c;
  std::string err = parseConfig("cfg.json", text, c);
  EXPECT_EQ(err, "");
  return c;
}

std::string parseError(const std::string &text) {
  ModelConfig c;
  return parseConfig("cfg.json", text, c);
}

// state-spaces/mamba-130m-hf, as transformers wrote it.
const char *kMamba130mHF = R"({
  "architectures": ["MambaForCausalLM"], "bos_token_id": 0, "conv_kernel": 4,
  "eos_token_id": 0, "expand": 2, "hidden_act": "silu", "hidden_size": 768,
  "initializer_range": 0.1, "intermediate_size": 1536,
  "layer_norm_epsilon": 1e-05, "model_type": "mamba", "n_layer": 24,
  "num_hidden_layers": 24, "pad_token_id": 0,
  "rescale_prenorm_residual": false, "residual_in_fp32": true,
  "state_size": 16, "time_step_floor": 0.0001,
  "time_step_init_scheme": "random", "time_step_max": 0.1,
  "time_step_min": 0.001, "time_step_rank": 48, "time_step_scale": 1.0,
  "torch_dtype": "float32", "transformers_version": "4.39.0.dev0",
  "use_bias": false, "use_cache": true, "use_conv_bias": true,
  "vocab_size": 50280})";

TEST(ConfigTest, ReadsHFMamba) {
  ModelConfig c = parseOk(kMamba130mHF);
  EXPECT_EQ(c.kind, ModelKind::Mamba);
  EXPECT_EQ(c.spelling, ConfigSpelling::HF);
  EXPECT_EQ(c.dModel, 768);
  EXPECT_EQ(c.nLayer, 24);
  EXPECT_EQ(c.vocabSize, 50280);
  EXPECT_EQ(c.dInner, 1536);
  EXPECT_EQ(c.dState, 16);
  EXPECT_EQ(c.dConv, 4);
  EXPECT_EQ(c.dtRank, 48);
  EXPECT_EQ(c.nGroups, 1);
  EXPECT_DOUBLE_EQ(c.eps, 1e-5);
  EXPECT_TRUE(c.tieEmbeddings);
  EXPECT_TRUE(c.convBias);
  EXPECT_FALSE(c.projBias);
  EXPECT_FALSE(c.hasDtLimit);
}

TEST(ConfigTest, HFMambaDefaultsAndAutoRank) {
  ModelConfig c = parseOk(R"({"model_type": "mamba", "hidden_size": 100,
      "num_hidden_layers": 3, "vocab_size": 7, "time_step_rank": "auto",
      "use_bias": true, "use_conv_bias": false,
      "tie_word_embeddings": false, "expand": 3, "conv_kernel": 2.0})");
  EXPECT_EQ(c.dtRank, 7); // ceil(100 / 16)
  EXPECT_EQ(c.dInner, 300);
  EXPECT_EQ(c.dState, 16);
  EXPECT_EQ(c.dConv, 2);
  EXPECT_TRUE(c.projBias);
  EXPECT_FALSE(c.convBias);
  EXPECT_FALSE(c.tieEmbeddings);
  // Absent: tied, as transformers' MambaConfig defaults.
  EXPECT_TRUE(parseOk(R"({"model_type": "mamba", "hidden_size": 16,
      "num_hidden_layers": 1, "vocab_size": 7})")
                  .tieEmbeddings);
}

// mistralai/Mamba-Codestral-7B-v0.1's keys, with Python's Infinity.
const char *kCodestral = R"({
  "architectures": ["Mamba2ForCausalLM"], "model_type": "mamba2",
  "hidden_size": 4096, "num_hidden_layers": 64, "vocab_size": 32768,
  "state_size": 128, "expand": 2, "conv_kernel": 4, "n_groups": 8,
  "head_dim": 64, "num_heads": 128, "chunk_size": 256, "use_bias": false,
  "use_conv_bias": true, "layer_norm_epsilon": 1e-05, "rms_norm": true,
  "time_step_limit": [0.0, Infinity], "time_step_rank": 256,
  "tie_word_embeddings": false, "residual_in_fp32": true})";

TEST(ConfigTest, ReadsHFMamba2) {
  ModelConfig c = parseOk(kCodestral);
  EXPECT_EQ(c.kind, ModelKind::Mamba2);
  EXPECT_EQ(c.dModel, 4096);
  EXPECT_EQ(c.dInner, 8192);
  EXPECT_EQ(c.nHeads, 128);
  EXPECT_EQ(c.headDim, 64);
  EXPECT_EQ(c.nGroups, 8);
  EXPECT_EQ(c.dState, 128);
  EXPECT_EQ(c.chunkSize, 256);
  EXPECT_FALSE(c.tieEmbeddings);
  EXPECT_FALSE(c.normPerGroup); // transformers: over the whole width
  EXPECT_FALSE(c.hasDtLimit);
  EXPECT_TRUE(std::isinf(c.dtLimitHi));
}

TEST(ConfigTest, HFMamba2TimeStepLimit) {
  ModelConfig c = parseOk(R"({"model_type": "mamba2", "hidden_size": 64,
      "num_hidden_layers": 2, "vocab_size": 10, "head_dim": 16,
      "n_groups": 2, "time_step_limit": [0.001, 0.1]})");
  EXPECT_TRUE(c.hasDtLimit);
  EXPECT_DOUBLE_EQ(c.dtLimitLo, 0.001);
  EXPECT_DOUBLE_EQ(c.dtLimitHi, 0.1);
  EXPECT_EQ(c.nHeads, 8);
  EXPECT_FALSE(c.tieEmbeddings); // Mamba2Config's default
  // Newer transformers tag the float JSON has no word for.
  ModelConfig tagged = parseOk(R"({"model_type": "mamba2", "hidden_size": 64,
      "num_hidden_layers": 2, "vocab_size": 10, "head_dim": 16,
      "time_step_limit": [0.0, {"__float__": "Infinity"}]})");
  EXPECT_FALSE(tagged.hasDtLimit);
  EXPECT_TRUE(std::isinf(tagged.dtLimitHi));
  ModelConfig clamped = parseOk(R"({"model_type": "mamba2", "hidden_size": 64,
      "num_hidden_layers": 2, "vocab_size": 10, "head_dim": 16,
      "time_step_limit": [0.01, {"__float__": "Infinity"}]})");
  EXPECT_TRUE(clamped.hasDtLimit);
  EXPECT_DOUBLE_EQ(clamped.dtLimitLo, 0.01);
  // "Infinity" inside a string is left alone.
  parseOk(R"({"model_type": "mamba2", "hidden_size": 64, "note": "Infinity",
      "num_hidden_layers": 2, "vocab_size": 10, "head_dim": 16})");
}

// state-spaces/mamba-130m's config.json.
const char *kMamba130mOriginal = R"({"d_model": 768, "n_layer": 24,
  "vocab_size": 50277, "ssm_cfg": {}, "rms_norm": true,
  "residual_in_fp32": true, "fused_add_norm": true,
  "pad_vocab_size_multiple": 8})";

TEST(ConfigTest, ReadsOriginalMamba) {
  ModelConfig c = parseOk(kMamba130mOriginal);
  EXPECT_EQ(c.kind, ModelKind::Mamba);
  EXPECT_EQ(c.spelling, ConfigSpelling::Original);
  EXPECT_EQ(c.dModel, 768);
  EXPECT_EQ(c.nLayer, 24);
  EXPECT_EQ(c.vocabSize, 50280); // padded to a multiple of 8
  EXPECT_EQ(c.dInner, 1536);
  EXPECT_EQ(c.dState, 16);
  EXPECT_EQ(c.dConv, 4);
  EXPECT_EQ(c.dtRank, 48);
  EXPECT_TRUE(c.tieEmbeddings);
  EXPECT_TRUE(c.convBias);
  EXPECT_FALSE(c.projBias);
}

TEST(ConfigTest, ReadsOriginalMamba2) {
  // state-spaces/mamba2-130m.
  ModelConfig c = parseOk(R"({"d_model": 768, "d_intermediate": 0,
      "n_layer": 24, "vocab_size": 50277, "ssm_cfg": {"layer": "Mamba2"},
      "attn_layer_idx": [], "attn_cfg": {}, "rms_norm": true,
      "residual_in_fp32": true, "fused_add_norm": true,
      "pad_vocab_size_multiple": 16, "tie_embeddings": true})");
  EXPECT_EQ(c.kind, ModelKind::Mamba2);
  EXPECT_EQ(c.vocabSize, 50288);
  EXPECT_EQ(c.dState, 128);
  EXPECT_EQ(c.headDim, 64);
  EXPECT_EQ(c.nHeads, 24);
  EXPECT_EQ(c.nGroups, 1);
  EXPECT_EQ(c.chunkSize, 256);
  EXPECT_TRUE(c.normPerGroup);
  EXPECT_FALSE(c.hasDtLimit);

  ModelConfig d = parseOk(R"({"d_model": 64, "n_layer": 1,
      "vocab_size": 10, "pad_vocab_size_multiple": 1, "tie_embeddings": false,
      "ssm_cfg": {"layer": "Mamba2", "d_state": 16, "d_conv": 3,
      "expand": 2, "headdim": 16, "ngroups": 4, "chunk_size": 32,
      "conv_bias": false, "bias": true, "dt_limit": [0.0, 0.5]}})");
  EXPECT_EQ(d.vocabSize, 10);
  EXPECT_EQ(d.nHeads, 8);
  EXPECT_EQ(d.nGroups, 4);
  EXPECT_EQ(d.dConv, 3);
  EXPECT_EQ(d.chunkSize, 32);
  EXPECT_FALSE(d.convBias);
  EXPECT_TRUE(d.projBias);
  EXPECT_FALSE(d.tieEmbeddings);
  EXPECT_TRUE(d.hasDtLimit);
  EXPECT_DOUBLE_EQ(d.dtLimitHi, 0.5);
}

TEST(ConfigTest, RefusesUnknownModelType) {
  EXPECT_EQ(parseError(R"({"model_type": "llama"})"),
            "cfg.json: unknown model_type 'llama' (expected mamba or mamba2)");
  EXPECT_EQ(parseError(R"({"model_type": 2})"),
            "cfg.json: key 'model_type' must be a string (got 2)");
  EXPECT_EQ(parseError(R"({"hidden_size": 2})"),
            "cfg.json: missing key 'model_type' (or 'd_model' for a "
            "state-spaces config)");
}

TEST(ConfigTest, RefusesBadJson) {
  ssmc::json::Value v;
  std::string jsonErr = ssmc::json::parse("{\"model_type\": }", v);
  ASSERT_NE(jsonErr, "");
  EXPECT_EQ(parseError("{\"model_type\": }"), "cfg.json:" + jsonErr);
  EXPECT_EQ(parseError("[1, 2]"), "cfg.json: expected a JSON object");
}

TEST(ConfigTest, RefusesBadHFKeys) {
  const std::string base = R"("model_type": "mamba", "num_hidden_layers": 2,
      "vocab_size": 10)";
  EXPECT_EQ(parseError("{" + base + "}"),
            "cfg.json: missing key 'hidden_size'");
  EXPECT_EQ(parseError(R"({"model_type": "mamba", "hidden_size": 8})"),
            "cfg.json: missing key 'num_hidden_layers'");
  EXPECT_EQ(parseError("{" + base + R"(, "hidden_size": "768"})"),
            "cfg.json: key 'hidden_size' must be an integer in [1, 16777216] "
            "(got \"768\")");
  EXPECT_EQ(parseError("{" + base + R"(, "hidden_size": 7.5})"),
            "cfg.json: key 'hidden_size' must be an integer in [1, 16777216] "
            "(got 7.5)");
  EXPECT_EQ(parseError("{" + base + R"(, "hidden_size": 8, "state_size": 0})"),
            "cfg.json: key 'state_size' must be an integer in [1, 16777216] "
            "(got 0)");
  EXPECT_EQ(parseError("{" + base + R"(, "hidden_size": 8, "use_bias": 1})"),
            "cfg.json: key 'use_bias' must be true or false (got 1)");
  EXPECT_EQ(
      parseError("{" + base +
                 R"(, "hidden_size": 8, "layer_norm_epsilon": 0})"),
      "cfg.json: key 'layer_norm_epsilon' must be a positive number (got 0)");
  EXPECT_EQ(
      parseError("{" + base + R"(, "hidden_size": 8, "time_step_rank": "x"})"),
      "cfg.json: key 'time_step_rank' must be \"auto\" or an integer in "
      "[1, 16777216] (got \"x\")");
  EXPECT_EQ(
      parseError("{" + base +
                 R"(, "hidden_size": 8, "intermediate_size": 24})"),
      "cfg.json: key 'intermediate_size' is 24 but expand * hidden_size is 16");
}

TEST(ConfigTest, RefusesBadMamba2Heads) {
  const std::string base = R"("model_type": "mamba2", "num_hidden_layers": 2,
      "vocab_size": 10, "hidden_size": 64)";
  EXPECT_EQ(parseError("{" + base + R"(, "head_dim": 48})"),
            "cfg.json: d_inner 128 (expand * hidden_size) is not a multiple "
            "of head_dim 48");
  EXPECT_EQ(parseError("{" + base + R"(, "head_dim": 16, "n_groups": 3})"),
            "cfg.json: the number of heads 8 (expand * hidden_size / "
            "head_dim) is not a multiple of n_groups 3");
  EXPECT_EQ(parseError("{" + base +
                       R"(, "head_dim": 16, "n_groups": 1, "num_heads": 4})"),
            "cfg.json: key 'num_heads' is 4 but expand * hidden_size / "
            "head_dim is 8");
  EXPECT_EQ(parseError("{" + base +
                       R"(, "head_dim": 16, "time_step_limit": [0.1, 0.01]})"),
            "cfg.json: key 'time_step_limit' must be [lo, hi] with 0 <= lo < "
            "hi (got [0.10000000000000001,0.01])");
  EXPECT_EQ(
      parseError("{" + base +
                 R"(, "head_dim": 16, "time_step_limit": [0, {"__float__": "big"}]})"),
      "cfg.json: key 'time_step_limit' must be [lo, hi] with 0 <= lo < hi "
      "(got [0,{\"__float__\":\"big\"}])");
  EXPECT_EQ(parseError("{" + base + R"(, "head_dim": 16, "rms_norm": false})"),
            "cfg.json: key 'rms_norm' is false: only the gated RMSNorm "
            "variant is supported");
}

TEST(ConfigTest, RefusesBadOriginalKeys) {
  const std::string base = R"("d_model": 64, "n_layer": 2, "vocab_size": 10)";
  EXPECT_EQ(parseError(R"({"d_model": 64, "vocab_size": 10})"),
            "cfg.json: missing key 'n_layer'");
  EXPECT_EQ(parseError("{" + base + R"(, "ssm_cfg": []})"),
            "cfg.json: key 'ssm_cfg' must be an object (got [])");
  EXPECT_EQ(parseError("{" + base + R"(, "ssm_cfg": {"layer": "Mamba3"}})"),
            "cfg.json: key 'ssm_cfg.layer' is 'Mamba3' (expected Mamba1 or "
            "Mamba2)");
  EXPECT_EQ(parseError("{" + base + R"(, "ssm_cfg": {"d_state": "x"}})"),
            "cfg.json: key 'ssm_cfg.d_state' must be an integer in "
            "[1, 16777216] (got \"x\")");
  EXPECT_EQ(parseError("{" + base + R"(, "d_intermediate": 4096})"),
            "cfg.json: key 'd_intermediate' is 4096: MLP blocks are not "
            "supported (expected 0)");
  EXPECT_EQ(parseError("{" + base + R"(, "attn_layer_idx": [1]})"),
            "cfg.json: key 'attn_layer_idx' is [1]: attention layers are not "
            "supported (expected [])");
  EXPECT_EQ(parseError("{" + base + R"(, "pad_vocab_size_multiple": 0})"),
            "cfg.json: key 'pad_vocab_size_multiple' must be an integer in "
            "[1, 16777216] (got 0)");
  EXPECT_EQ(parseError("{" + base +
                       R"(, "ssm_cfg": {"layer": "Mamba2", "headdim": 48}})"),
            "cfg.json: d_inner 128 (ssm_cfg.expand * d_model) is not a "
            "multiple of ssm_cfg.headdim 48");
  EXPECT_EQ(parseError("{" + base + R"(, "ssm_cfg": {"layer": "Mamba2",
      "headdim": 16, "ngroups": 3}})"),
            "cfg.json: the number of heads 8 (ssm_cfg.expand * d_model / "
            "ssm_cfg.headdim) is not a multiple of ssm_cfg.ngroups 3");
  EXPECT_EQ(parseError("{" + base + R"(, "ssm_cfg": {"layer": "Mamba2",
      "headdim": 16, "norm_before_gate": true}})"),
            "cfg.json: key 'ssm_cfg.norm_before_gate' is true: only the gate "
            "before the norm is supported");
}

TEST(ConfigTest, ReadsConfigFromDirectory) {
  std::string dir = modeltest::makeTempDir("config");
  modeltest::writeBytes(dir + "/config.json", kMamba130mHF);
  ModelConfig c;
  ASSERT_EQ(readConfig(dir, c), "");
  EXPECT_EQ(c.dModel, 768);
  std::string err = readConfig(dir + "/absent", c);
  EXPECT_EQ(err, dir + "/absent/config.json: cannot open: No such file or "
                       "directory");
}

} // namespace
