//===- ShardsTest.cpp - sharded checkpoints and their index ---------------===//
//
// model.safetensors.index.json: the happy path (hand-built and generated)
// and one exact message per inconsistency between the index and its shards.
//
//===----------------------------------------------------------------------===//

#include "ssmc/model/MakeCheckpoint.h"
#include "ssmc/model/Weights.h"

#include "TestFiles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

using namespace ssmc;
using namespace ssmc::model;
using package::DType;

namespace {

const char *kIndex = "model.safetensors.index.json";

TensorBytes vec(std::vector<float> values) {
  int64_t n = static_cast<int64_t>(values.size());
  return encodeTensor(DType::F32, {n}, values);
}

/// A directory with shard files s1 = {a, b} and s2 = {c} and the index text
/// `index`.
std::string shardedDir(const std::string &index) {
  std::string dir = modeltest::makeTempDir("shards");
  EXPECT_EQ(writeSafetensors(dir + "/s1.safetensors",
                             {{"a", vec({1, 2})}, {"b", vec({3})}}),
            "");
  EXPECT_EQ(writeSafetensors(dir + "/s2.safetensors", {{"c", vec({4, 5, 6})}}),
            "");
  modeltest::writeBytes(dir + "/" + kIndex, index);
  return dir;
}

std::string openError(const std::string &dir) {
  std::string error;
  std::unique_ptr<WeightStore> store = WeightStore::open(dir, error);
  EXPECT_EQ(store, nullptr);
  return error;
}

TEST(ShardsTest, OpensShardsNamedByIndex) {
  std::string dir = shardedDir(R"({"metadata": {"total_size": 24},
      "weight_map": {"a": "s1.safetensors", "b": "s1.safetensors",
                     "c": "s2.safetensors"}})");
  std::string error;
  std::unique_ptr<WeightStore> store = WeightStore::open(dir, error);
  ASSERT_NE(store, nullptr) << error;
  ASSERT_EQ(store->tensors().size(), 3u);
  EXPECT_EQ(store->find("a")->file, dir + "/s1.safetensors");
  EXPECT_EQ(store->find("c")->file, dir + "/s2.safetensors");
  EXPECT_EQ(store->toFloat(*store->find("b")), std::vector<float>{3});
  EXPECT_EQ(store->toFloat(*store->find("c")), (std::vector<float>{4, 5, 6}));
}

TEST(ShardsTest, RefusesMissingShard) {
  std::string dir = shardedDir(R"({"weight_map": {"a": "s1.safetensors",
      "b": "s1.safetensors", "c": "s3.safetensors"}})");
  EXPECT_EQ(openError(dir), dir + "/" + kIndex +
                                ": shard 's3.safetensors' (of tensor 'c') "
                                "does not exist");
}

TEST(ShardsTest, RefusesTensorNotInItsShard) {
  std::string dir = shardedDir(R"({"weight_map": {"a": "s1.safetensors",
      "b": "s2.safetensors", "c": "s2.safetensors"}})");
  EXPECT_EQ(openError(dir),
            dir + "/" + kIndex +
                ": tensor 'b' is not in shard 's2.safetensors' (it is in "
                "'s1.safetensors')");
  std::string dir2 = shardedDir(R"({"weight_map": {"a": "s1.safetensors",
      "b": "s1.safetensors", "c": "s2.safetensors",
      "d": "s2.safetensors"}})");
  EXPECT_EQ(openError(dir2), dir2 + "/" + kIndex +
                                 ": tensor 'd' is not in shard "
                                 "'s2.safetensors'");
}

TEST(ShardsTest, RefusesTensorMissingFromIndex) {
  std::string dir = shardedDir(R"({"weight_map": {"a": "s1.safetensors",
      "c": "s2.safetensors"}})");
  EXPECT_EQ(openError(dir), dir + "/" + kIndex +
                                ": tensor 'b' of shard 's1.safetensors' is "
                                "not in the weight_map");
}

TEST(ShardsTest, RefusesDuplicateAcrossShards) {
  std::string dir = shardedDir(R"({"weight_map": {"a": "s1.safetensors",
      "b": "s1.safetensors", "c": "s2.safetensors"}})");
  ASSERT_EQ(writeSafetensors(dir + "/s2.safetensors",
                             {{"c", vec({4})}, {"a", vec({9})}}),
            "");
  EXPECT_EQ(openError(dir), dir + "/s2.safetensors: tensor 'a' is also in " +
                                dir + "/s1.safetensors");
}

TEST(ShardsTest, RefusesBadIndex) {
  std::string dir = shardedDir("{\"weight_map\": ");
  EXPECT_EQ(openError(dir).rfind(dir + "/" + kIndex + ":1:", 0), 0u);
  dir = shardedDir(R"({"metadata": {}})");
  EXPECT_EQ(openError(dir),
            dir + "/" + kIndex + ": missing or empty object 'weight_map'");
  dir = shardedDir(R"({"weight_map": {"a": 1}})");
  EXPECT_EQ(openError(dir), dir + "/" + kIndex +
                                ": tensor 'a' must map to a file name (got 1)");
  dir = shardedDir(R"({"weight_map": {"a": "../s1.safetensors"}})");
  EXPECT_EQ(openError(dir), dir + "/" + kIndex +
                                ": tensor 'a' names shard "
                                "'../s1.safetensors' outside the model "
                                "directory");
}

TEST(ShardsTest, NamesTheBadShard) {
  std::string dir = shardedDir(R"({"weight_map": {"a": "s1.safetensors",
      "b": "s1.safetensors", "c": "s2.safetensors"}})");
  modeltest::writeBytes(dir + "/s2.safetensors", "short");
  EXPECT_EQ(openError(dir), dir + "/s2.safetensors: file is too small for a "
                                  "safetensors header (5 bytes)");
}

TEST(ShardsTest, GeneratedShardsHoldTheSameWeights) {
  MakeCheckpointOptions o;
  o.kind = ModelKind::Mamba2;
  o.dtype = DType::BF16;
  o.outDir = modeltest::makeTempDir("gen-single");
  ASSERT_EQ(makeCheckpoint(o), "");
  MakeCheckpointOptions sharded = o;
  sharded.outDir = modeltest::makeTempDir("gen-sharded");
  sharded.shards = 3;
  ASSERT_EQ(makeCheckpoint(sharded), "");
  EXPECT_EQ(modeltest::listDir(sharded.outDir),
            (std::vector<std::string>{
                "config.json", "model-00001-of-00003.safetensors",
                "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", kIndex}));
  std::string error;
  std::unique_ptr<WeightStore> one = WeightStore::open(o.outDir, error);
  ASSERT_NE(one, nullptr) << error;
  std::unique_ptr<WeightStore> three = WeightStore::open(sharded.outDir, error);
  ASSERT_NE(three, nullptr) << error;
  ASSERT_EQ(one->tensors().size(), three->tensors().size());
  std::set<std::string> files;
  for (const auto &[name, t] : one->tensors()) {
    const TensorInfo *u = three->find(name);
    ASSERT_NE(u, nullptr) << name;
    EXPECT_EQ(u->shape, t.shape);
    EXPECT_EQ(one->toFloat(t), three->toFloat(*u)) << name;
    files.insert(u->file);
  }
  EXPECT_EQ(files.size(), 3u);

  // Regenerating unsharded into the sharded directory retires the index.
  sharded.shards = 0;
  ASSERT_EQ(makeCheckpoint(sharded), "");
  std::vector<std::string> names = modeltest::listDir(sharded.outDir);
  EXPECT_EQ(std::count(names.begin(), names.end(), kIndex), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "model.safetensors"), 1);
}

} // namespace
