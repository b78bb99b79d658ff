//===- ToyTokenizer.cpp - a small valid tokenizer.json for tests ----------===//
//
// Synthetic checkpoints need a tokenizer of a chosen vocabulary size. This
// one is trained, deterministically, by plain BPE over a fixed paragraph, so
// its merges are realistic (words of the paragraph become single tokens)
// while the file stays small and needs no download.
//
//===----------------------------------------------------------------------===//

#include "ssmc/tokenizer/Tokenizer.h"

#include "ssmc/runtime/Json.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>

namespace ssmc::tokenizer {

namespace {

constexpr const char *trainingText =
    "State space models read a sequence one token at a time and carry a "
    "small hidden state from each step to the next. The selective scan lets "
    "the model decide, for every token, how much of the past to keep and how "
    "much to forget. Because the state has a fixed size, the cost of "
    "generating text grows linearly with its length, and the memory stays "
    "constant. A compiler for these models turns the recurrence into fast "
    "kernels: it tiles the sequence into chunks, keeps the state in "
    "registers, and fuses the small matrix products around the scan. The "
    "first release was tested on 130 million, 370 million and 1.4 billion "
    "parameters; it's quick, and we're proud of it!";

constexpr int64_t maxToyVocab = int64_t(1) << 20;

struct FileCloser {
  void operator()(std::FILE *file) const { std::fclose(file); }
};

} // namespace

std::string writeToyTokenizer(const std::string &path, int64_t vocabSize) {
  if (vocabSize < 257 || vocabSize > maxToyVocab)
    return path + ": toy tokenizer vocabSize must be in [257, " +
           std::to_string(maxToyVocab) + "], got " + std::to_string(vocabSize);

  // Id 0 is <|endoftext|> (as in GPT-NeoX), ids 1..256 the bytes.
  std::vector<std::string> texts = {"<|endoftext|>"};
  std::unordered_map<std::string, int64_t> ids = {{texts[0], 0}};
  for (unsigned b = 0; b < 256; ++b) {
    texts.push_back(byteLevelEncode(std::string(1, static_cast<char>(b))));
    ids.emplace(texts.back(), static_cast<int64_t>(b) + 1);
  }
  std::vector<std::pair<int64_t, int64_t>> merges;
  auto addMerge = [&](int64_t left, int64_t right) {
    merges.emplace_back(left, right);
    std::string text =
        texts[static_cast<size_t>(left)] + texts[static_cast<size_t>(right)];
    auto [it, inserted] = ids.emplace(text, static_cast<int64_t>(texts.size()));
    if (inserted)
      texts.push_back(text);
    return it->second;
  };

  // The paragraph's distinct pre-tokens with their counts, as symbol lists.
  std::vector<std::vector<int64_t>> words;
  std::vector<int64_t> counts;
  {
    std::map<std::string, size_t> seen;
    for (const std::string &piece : preTokenize(trainingText)) {
      auto [it, inserted] = seen.emplace(piece, words.size());
      if (inserted) {
        std::vector<int64_t> symbols;
        for (char c : piece)
          symbols.push_back(static_cast<uint8_t>(c) + 1);
        words.push_back(std::move(symbols));
        counts.push_back(0);
      }
      ++counts[it->second];
    }
  }

  // BPE training: merge the most frequent pair (the smallest ids among
  // equals) until the vocabulary is full or every word is one token.
  while (static_cast<int64_t>(texts.size()) < vocabSize) {
    std::map<std::pair<int64_t, int64_t>, int64_t> pairCounts;
    for (size_t w = 0; w < words.size(); ++w)
      for (size_t i = 0; i + 1 < words[w].size(); ++i)
        pairCounts[{words[w][i], words[w][i + 1]}] += counts[w];
    if (pairCounts.empty())
      break;
    auto best = pairCounts.begin();
    for (auto it = pairCounts.begin(); it != pairCounts.end(); ++it)
      if (it->second > best->second)
        best = it;
    auto [left, right] = best->first;
    int64_t merged = addMerge(left, right);
    for (std::vector<int64_t> &word : words) {
      std::vector<int64_t> next;
      for (size_t i = 0; i < word.size(); ++i) {
        if (i + 1 < word.size() && word[i] == left && word[i + 1] == right) {
          next.push_back(merged);
          ++i;
        } else {
          next.push_back(word[i]);
        }
      }
      word = std::move(next);
    }
  }

  // Filler once the paragraph is exhausted: each learned token extended by
  // a common letter, in id order; every merge still names known tokens.
  const std::string letters = "etaoinshrdlucmfwypvbgkjqxz";
  // (The longest token always has a new extension, so this ends full.)
  for (size_t left = 257;
       left < texts.size() && static_cast<int64_t>(texts.size()) < vocabSize;
       ++left)
    for (size_t r = 0;
         r < letters.size() && static_cast<int64_t>(texts.size()) < vocabSize;
         ++r) {
      int64_t right = static_cast<uint8_t>(letters[r]) + 1;
      if (!ids.count(texts[left] + texts[static_cast<size_t>(right)]))
        addMerge(static_cast<int64_t>(left), right);
    }

  if (static_cast<int64_t>(texts.size()) != vocabSize)
    return path + ": toy tokenizer: cannot fill " + std::to_string(vocabSize) +
           " ids";

  json::Value vocab = json::Value::object();
  for (size_t id = 0; id < texts.size(); ++id)
    vocab.getObject().emplace_back(texts[id],
                                   json::Value(static_cast<int64_t>(id)));
  json::Value mergeList = json::Value::array();
  for (const auto &[left, right] : merges)
    mergeList.push(texts[static_cast<size_t>(left)] + " " +
                   texts[static_cast<size_t>(right)]);

  json::Value byteLevel = json::Value::object();
  byteLevel.set("type", "ByteLevel");
  byteLevel.set("add_prefix_space", false);
  byteLevel.set("trim_offsets", true);
  byteLevel.set("use_regex", true);
  json::Value eos = json::Value::object();
  eos.set("id", 0);
  eos.set("content", "<|endoftext|>");
  eos.set("single_word", false);
  eos.set("lstrip", false);
  eos.set("rstrip", false);
  eos.set("normalized", false);
  eos.set("special", true);
  json::Value model = json::Value::object();
  model.set("type", "BPE");
  model.set("dropout", nullptr);
  model.set("unk_token", nullptr);
  model.set("continuing_subword_prefix", nullptr);
  model.set("end_of_word_suffix", nullptr);
  model.set("fuse_unk", false);
  model.set("vocab", std::move(vocab));
  model.set("merges", std::move(mergeList));
  json::Value root = json::Value::object();
  root.set("version", "1.0");
  root.set("truncation", nullptr);
  root.set("padding", nullptr);
  root.set("added_tokens", json::Value::Array{eos});
  root.set("normalizer", nullptr);
  root.set("pre_tokenizer", byteLevel);
  root.set("post_processor", byteLevel);
  root.set("decoder", byteLevel);
  root.set("model", std::move(model));
  std::string text = json::write(root, 2) + "\n";

  std::string tmp = path + ".tmp";
  {
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(tmp.c_str(), "wb"));
    if (!file)
      return tmp + ": cannot create: " + std::strerror(errno);
    bool ok =
        std::fwrite(text.data(), 1, text.size(), file.get()) == text.size();
    // fclose flushes: its failure is a failed write too.
    ok = (std::fclose(file.release()) == 0) && ok;
    if (!ok) {
      std::string err = tmp + ": cannot write: " + std::strerror(errno);
      std::remove(tmp.c_str());
      return err;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err =
        path + ": cannot rename from " + tmp + ": " + std::strerror(errno);
    std::remove(tmp.c_str());
    return err;
  }
  return "";
}

} // namespace ssmc::tokenizer
