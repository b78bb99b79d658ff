//===- Tokenizer.cpp - reading tokenizer.json, BPE encoding and decoding --===//

#include "ssmc/tokenizer/Tokenizer.h"

#include "Unicode.h"
#include "ssmc/runtime/Json.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <queue>

namespace ssmc::tokenizer {

namespace {

/// A JSON string literal, for naming tokens in messages.
std::string quote(const std::string &s) { return json::write(json::Value(s)); }

/// Whether \p v is absent, null, or an empty string.
bool isUnset(const json::Value *v) {
  return !v || v->isNull() || (v->isString() && v->getString().empty());
}

/// The "type" of a component object, or "" when it has none.
std::string typeOf(const json::Value &v) {
  const json::Value *type = v.find("type");
  return type && type->isString() ? type->getString() : std::string();
}

/// Checks one pre-tokenizer (or a Sequence of them) and reads ByteLevel's
/// options. Returns "" or what is wrong.
std::string readPreTokenizer(const json::Value &v, bool &addPrefixSpace,
                             bool &useRegex, unsigned depth = 0) {
  if (!v.isObject())
    return "\"pre_tokenizer\" is not an object";
  std::string type = typeOf(v);
  if (type == "Sequence" && depth == 0) {
    const json::Value *list = v.find("pretokenizers");
    if (!list || !list->isArray())
      return "pre_tokenizer Sequence has no \"pretokenizers\" array";
    for (const json::Value &item : list->getArray())
      if (std::string err =
              readPreTokenizer(item, addPrefixSpace, useRegex, depth + 1);
          !err.empty())
        return err;
    return "";
  }
  if (type != "ByteLevel")
    return "pre_tokenizer type " + quote(type) +
           " is not supported (expected \"ByteLevel\")";
  for (auto [key, flag] :
       {std::pair<const char *, bool *>{"add_prefix_space", &addPrefixSpace},
        {"use_regex", &useRegex}}) {
    const json::Value *value = v.find(key);
    if (!value || value->isNull())
      continue;
    if (!value->isBool())
      return std::string("pre_tokenizer \"") + key + "\" is not a boolean";
    *flag = value->getBool();
  }
  return "";
}

/// Checks that the normalizer changes nothing we would have to apply.
std::string checkNormalizer(const json::Value &v, unsigned depth = 0) {
  if (v.isNull())
    return "";
  if (!v.isObject())
    return "\"normalizer\" is not an object";
  std::string type = typeOf(v);
  if (type == "Sequence" && depth == 0) {
    const json::Value *list = v.find("normalizers");
    if (!list || !list->isArray())
      return "normalizer Sequence has no \"normalizers\" array";
    for (const json::Value &item : list->getArray())
      if (std::string err = checkNormalizer(item, depth + 1); !err.empty())
        return err;
    return "";
  }
  // NFC is taken to hold already (see Tokenizer.h).
  if (type != "NFC")
    return "normalizer type " + quote(type) +
           " is not supported (expected null or \"NFC\")";
  return "";
}

/// One merge rule as its two token strings.
bool readMergePair(const json::Value &v, std::string &left,
                   std::string &right) {
  if (v.isString()) {
    const std::string &s = v.getString();
    size_t space = s.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == s.size() ||
        s.find(' ', space + 1) != std::string::npos)
      return false;
    left = s.substr(0, space);
    right = s.substr(space + 1);
    return true;
  }
  if (v.isArray() && v.getArray().size() == 2 && v.getArray()[0].isString() &&
      v.getArray()[1].isString()) {
    left = v.getArray()[0].getString();
    right = v.getArray()[1].getString();
    return true;
  }
  return false;
}

uint64_t pairKey(int64_t left, int64_t right) {
  return static_cast<uint64_t>(left) << 32 | static_cast<uint64_t>(right);
}

} // namespace

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string &path,
                                           std::string &error) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file) {
    error = path + ": cannot open: " + std::strerror(errno);
    return nullptr;
  }
  std::string text;
  char buffer[1 << 16];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof(buffer), file)) > 0)
    text.append(buffer, got);
  bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) {
    error = path + ": cannot read";
    return nullptr;
  }
  return parse(path, text, error);
}

std::unique_ptr<Tokenizer> Tokenizer::parse(const std::string &path,
                                            const std::string &jsonText,
                                            std::string &error) {
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  error = tokenizer->init(path, jsonText);
  if (!error.empty())
    return nullptr;
  return tokenizer;
}

std::string Tokenizer::init(const std::string &path,
                            const std::string &jsonText) {
  auto fail = [&](const std::string &message) { return path + ": " + message; };
  json::Value root;
  if (std::string err = json::parse(jsonText, root); !err.empty())
    return path + ":" + err;
  if (!root.isObject())
    return fail("expected a JSON object at the top level");

  const json::Value *model = root.find("model");
  if (!model)
    return fail("missing \"model\"");
  if (!model->isObject())
    return fail("\"model\" is not an object");
  if (const json::Value *type = model->find("type")) {
    if (!type->isString())
      return fail("\"model.type\" is not a string");
    if (type->getString() != "BPE")
      return fail("model type " + quote(type->getString()) +
                  " is not supported (expected \"BPE\")");
  }
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (!isUnset(model->find(key)))
      return fail(std::string("model.") + key + " is not supported");
  if (const json::Value *flag = model->find("ignore_merges");
      flag && !flag->isNull()) {
    if (!flag->isBool())
      return fail("\"model.ignore_merges\" is not a boolean");
    ignoreMerges = flag->getBool();
  }

  const json::Value *vocabValue = model->find("vocab");
  if (!vocabValue)
    return fail("missing \"model.vocab\"");
  if (!vocabValue->isObject())
    return fail("\"model.vocab\" is not an object");
  const json::Value *addedValue = root.find("added_tokens");
  if (addedValue && !addedValue->isNull() && !addedValue->isArray())
    return fail("\"added_tokens\" is not an array");
  const json::Value::Object &vocabEntries = vocabValue->getObject();
  size_t addedCount =
      addedValue && addedValue->isArray() ? addedValue->getArray().size() : 0;
  // Ids index a table, so they are bounded by the number of entries (and
  // fit the 32-bit halves of a merge key).
  int64_t idLimit = static_cast<int64_t>(
      std::min<size_t>(vocabEntries.size() + addedCount, INT32_MAX));
  auto checkId = [&](const json::Value &v, const std::string &where,
                     int64_t &id) -> std::string {
    if (!v.isInteger())
      return fail(where + " is not an integer");
    id = v.getInteger();
    if (id < 0 || id >= idLimit)
      return fail(where + ": id " + std::to_string(id) + " out of range [0, " +
                  std::to_string(idLimit) + ")");
    return "";
  };
  auto slot = [&](int64_t id) -> Token & {
    if (static_cast<size_t>(id) >= tokens.size())
      tokens.resize(static_cast<size_t>(id) + 1);
    return tokens[static_cast<size_t>(id)];
  };

  for (const auto &[text, idValue] : vocabEntries) {
    std::string where = "model.vocab[" + quote(text) + "]";
    int64_t id;
    if (std::string err = checkId(idValue, where, id); !err.empty())
      return err;
    if (!vocab.emplace(text, id).second)
      return fail("duplicate token " + where);
    Token &token = slot(id);
    if (token.present)
      return fail(where + ": duplicate id " + std::to_string(id) + " (also " +
                  quote(token.text) + ")");
    token.present = true;
    token.text = text;
    // A token outside the byte-level alphabet decodes to its own bytes, as
    // the reference ByteLevel decoder does.
    if (!byteLevelDecode(text, token.bytes))
      token.bytes = text;
  }

  if (addedValue && addedValue->isArray()) {
    const json::Value::Array &added = addedValue->getArray();
    for (size_t i = 0; i < added.size(); ++i) {
      std::string where = "added_tokens[" + std::to_string(i) + "]";
      const json::Value &entry = added[i];
      if (!entry.isObject())
        return fail(where + " is not an object");
      const json::Value *idValue = entry.find("id");
      const json::Value *content = entry.find("content");
      if (!idValue)
        return fail(where + ": missing \"id\"");
      if (!content || !content->isString())
        return fail(where + ": missing \"content\" string");
      int64_t id;
      if (std::string err = checkId(*idValue, where + ".id", id); !err.empty())
        return err;
      const json::Value *special = entry.find("special");
      if (special && !special->isNull() && !special->isBool())
        return fail(where + ".special is not a boolean");
      Token &token = slot(id);
      // An added token may repeat its vocabulary entry, never another's.
      if ((token.present && token.text != content->getString()) || token.added)
        return fail(where + ": duplicate id " + std::to_string(id) + " (also " +
                    quote(token.text) + ")");
      if (!addedIds.emplace(content->getString(), id).second)
        return fail(where + ": duplicate added token " +
                    quote(content->getString()));
      token.present = true;
      token.added = true;
      token.special = special && special->isBool() && special->getBool();
      token.text = content->getString();
      token.bytes = content->getString();
      if (!token.text.empty())
        addedByFirstByte[static_cast<uint8_t>(token.text[0])].push_back(
            {token.text, id});
    }
    for (auto &candidates : addedByFirstByte)
      std::stable_sort(candidates.begin(), candidates.end(),
                       [](const Added &a, const Added &b) {
                         return a.content.size() > b.content.size();
                       });
  }

  if (const json::Value *unk = model->find("unk_token"); !isUnset(unk)) {
    if (!unk->isString())
      return fail("\"model.unk_token\" is not a string");
    auto it = vocab.find(unk->getString());
    if (it == vocab.end())
      return fail("model.unk_token " + quote(unk->getString()) +
                  " is not in the vocabulary");
    unkId = it->second;
  }

  if (const json::Value *mergeValue = model->find("merges");
      mergeValue && !mergeValue->isNull()) {
    if (!mergeValue->isArray())
      return fail("\"model.merges\" is not an array");
    const json::Value::Array &list = mergeValue->getArray();
    merges.reserve(list.size());
    for (size_t rank = 0; rank < list.size(); ++rank) {
      std::string where = "model.merges[" + std::to_string(rank) + "]";
      std::string left, right;
      if (!readMergePair(list[rank], left, right))
        return fail(where + ": expected \"A B\" or [\"A\", \"B\"]");
      where += " " + quote(left + " " + right);
      auto leftIt = vocab.find(left), rightIt = vocab.find(right);
      if (leftIt == vocab.end())
        return fail(where + ": unknown token " + quote(left));
      if (rightIt == vocab.end())
        return fail(where + ": unknown token " + quote(right));
      auto mergedIt = vocab.find(left + right);
      if (mergedIt == vocab.end())
        return fail(where + ": merged token " + quote(left + right) +
                    " is not in the vocabulary");
      // A repeated rule keeps its first (highest-priority) rank.
      merges.emplace(pairKey(leftIt->second, rightIt->second),
                     Merge{static_cast<int64_t>(rank), mergedIt->second});
    }
  }

  if (const json::Value *normalizer = root.find("normalizer"))
    if (std::string err = checkNormalizer(*normalizer); !err.empty())
      return fail(err);
  if (const json::Value *pre = root.find("pre_tokenizer");
      pre && !pre->isNull())
    if (std::string err = readPreTokenizer(*pre, addPrefixSpace, useRegex);
        !err.empty())
      return fail(err);
  if (const json::Value *decoder = root.find("decoder");
      decoder && !decoder->isNull()) {
    if (!decoder->isObject())
      return fail("\"decoder\" is not an object");
    if (typeOf(*decoder) != "ByteLevel")
      return fail("decoder type " + quote(typeOf(*decoder)) +
                  " is not supported (expected \"ByteLevel\")");
  }

  for (unsigned b = 0; b < 256; ++b) {
    auto it = vocab.find(byteLevelEncode(std::string(1, static_cast<char>(b))));
    byteIds[b] = it == vocab.end() ? -1 : it->second;
  }
  return "";
}

std::optional<int64_t> Tokenizer::tokenId(const std::string &token) const {
  if (auto it = addedIds.find(token); it != addedIds.end())
    return it->second;
  if (auto it = vocab.find(token); it != vocab.end())
    return it->second;
  return std::nullopt;
}

std::vector<int64_t> Tokenizer::encode(const std::string &text) const {
  std::vector<int64_t> ids;
  // Added tokens first: the leftmost match, the longest there; the text
  // between matches goes through the pre-tokenizer and BPE.
  size_t segmentStart = 0;
  for (size_t pos = 0; pos < text.size();) {
    const Added *match = nullptr;
    for (const Added &candidate :
         addedByFirstByte[static_cast<uint8_t>(text[pos])])
      if (text.compare(pos, candidate.content.size(), candidate.content) == 0) {
        match = &candidate;
        break;
      }
    if (!match) {
      ++pos;
      continue;
    }
    if (pos > segmentStart)
      encodeSegment(text.substr(segmentStart, pos - segmentStart), ids);
    ids.push_back(match->id);
    pos += match->content.size();
    segmentStart = pos;
  }
  if (segmentStart < text.size())
    encodeSegment(text.substr(segmentStart), ids);
  return ids;
}

void Tokenizer::encodeSegment(const std::string &segment,
                              std::vector<int64_t> &out) const {
  std::string text = segment;
  if (addPrefixSpace && text[0] != ' ')
    text.insert(text.begin(), ' ');
  if (!useRegex) {
    encodeWord(text, out);
    return;
  }
  std::vector<std::pair<size_t, size_t>> pieces;
  detail::splitPieces(text, pieces);
  for (const auto &[offset, length] : pieces)
    encodeWord(text.substr(offset, length), out);
}

void Tokenizer::encodeWord(const std::string &word,
                           std::vector<int64_t> &out) const {
  if (ignoreMerges)
    if (auto it = vocab.find(byteLevelEncode(word)); it != vocab.end()) {
      out.push_back(it->second);
      return;
    }
  // The word's bytes as a linked list of symbols; bytes with no symbol
  // become the unknown token, or are dropped when there is none.
  struct Symbol {
    int64_t id;
    int64_t prev, next; ///< -1 at the ends
    bool live;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (char c : word) {
    int64_t id = byteIds[static_cast<uint8_t>(c)];
    if (id < 0) {
      if (!unkId)
        continue;
      id = *unkId;
    }
    int64_t index = static_cast<int64_t>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, true});
  }
  if (symbols.empty())
    return;
  symbols.back().next = -1;

  // Lowest rank first, leftmost among equals; a queued pair is stale when
  // either side has changed since, which the recheck below detects.
  struct Candidate {
    int64_t rank, pos, id;
    bool operator>(const Candidate &o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>,
                      std::greater<Candidate>>
      queue;
  auto consider = [&](int64_t pos) {
    int64_t next = symbols[static_cast<size_t>(pos)].next;
    if (next < 0)
      return;
    auto it = merges.find(pairKey(symbols[static_cast<size_t>(pos)].id,
                                  symbols[static_cast<size_t>(next)].id));
    if (it != merges.end())
      queue.push({it->second.rank, pos, it->second.id});
  };
  for (size_t i = 0; i + 1 < symbols.size(); ++i)
    consider(static_cast<int64_t>(i));
  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    Symbol &left = symbols[static_cast<size_t>(top.pos)];
    if (!left.live || left.next < 0)
      continue;
    Symbol &right = symbols[static_cast<size_t>(left.next)];
    auto it = merges.find(pairKey(left.id, right.id));
    if (it == merges.end() || it->second.rank != top.rank)
      continue;
    left.id = top.id;
    right.live = false;
    left.next = right.next;
    if (right.next >= 0)
      symbols[static_cast<size_t>(right.next)].prev = top.pos;
    if (left.prev >= 0)
      consider(left.prev);
    consider(top.pos);
  }
  for (int64_t pos = 0; pos >= 0; pos = symbols[static_cast<size_t>(pos)].next)
    out.push_back(symbols[static_cast<size_t>(pos)].id);
}

std::string Tokenizer::decode(const std::vector<int64_t> &ids,
                              bool skipSpecial) const {
  std::string out;
  for (int64_t id : ids) {
    if (id < 0 || id >= vocabSize())
      continue;
    const Token &token = tokens[static_cast<size_t>(id)];
    if (!token.present || (skipSpecial && token.special))
      continue;
    out += token.bytes;
  }
  return out;
}

} // namespace ssmc::tokenizer
