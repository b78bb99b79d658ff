//===- Model.cpp - running a compiled model over its checkpoint -----------===//
//
// The stages of a model package (embed, layer, head) called with the
// checkpoint's memory-mapped tensors; caches per layer and sequence.
//
//===----------------------------------------------------------------------===//
#include "ssmc/serve/Model.h"
#include "ssmc/model/Weights.h"
#include "ssmc/runtime/Json.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <sys/mman.h>

using namespace ssmc;
using namespace ssmc::serve;
using runtime::HostTensor;
using runtime::TensorView;

namespace {

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t s : shape)
    n *= s;
  return n;
}

/// NAME with "{i}" replaced by `layer`.
std::string expand(const std::string &name, int64_t layer) {
  std::string out = name;
  size_t at = out.find("{i}");
  if (at != std::string::npos)
    out.replace(at, 3, std::to_string(layer));
  return out;
}

/// Concatenates tensors (1, ...) along the batch dimension.
HostTensor stack(const std::vector<HostTensor> &parts) {
  std::vector<int64_t> shape = parts.front().shape;
  shape[0] = static_cast<int64_t>(parts.size());
  HostTensor out(parts.front().dtype, shape);
  size_t at = 0;
  for (const HostTensor &p : parts) {
    std::memcpy(out.data.data() + at, p.data.data(), p.data.size());
    at += p.data.size();
  }
  return out;
}

} // namespace

/// The captured decode step: the token ids' buffer it reads, the logits'
/// buffer it writes, and the graph (declared last: destroyed first).
struct Model::DecodeGraph {
  runtime::DeviceTensor ids, logits;
  runtime::CUDAGraph graph;
};

Model::~Model() = default;

std::unique_ptr<Model> Model::load(const std::string &packagePath,
                                   const std::string &weightsDir,
                                   std::string &error,
                                   runtime::Communicator *comm,
                                   const std::string &device) {
  std::unique_ptr<Model> m(new Model());
  m->comm = comm;
  // "cuda:N" is device N (a tensor-parallel rank's GPU).
  int ordinal = 0;
  bool onCuda = device.rfind("cuda", 0) == 0;
  if (onCuda && device.size() > 4) {
    const std::string digits = device.substr(5);
    if (device[4] != ':' || digits.empty() || digits.size() > 4 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      error = "unknown device '" + device + "' (cpu, cuda or cuda:N)";
      return nullptr;
    }
    ordinal = std::stoi(digits);
  }
  if (device != "cpu" && !onCuda) {
    error = "unknown device '" + device + "' (cpu, cuda or cuda:N)";
    return nullptr;
  }
  m->weightsDir = weightsDir;
  m->package = runtime::Package::load(packagePath, error);
  if (!m->package)
    return nullptr;
  const std::string &desc = m->package->manifest().model;
  if (desc.empty()) {
    error = packagePath + ": not a model package (compile a model directory: "
                          "ssmc compile MODEL_DIR -o MODEL.ssmpkg)";
    return nullptr;
  }
  json::Value root;
  if (std::string err = json::parse(desc, root); !err.empty() ||
                                                 !root.isObject()) {
    error = packagePath + ": the model description does not parse";
    return nullptr;
  }
  const json::Value *kind = root.find("kind");
  const json::Value *config = root.find("config");
  const json::Value *entries = root.find("entries");
  auto intOf = [&](const char *key, int64_t &out) {
    const json::Value *v = config ? config->find(key) : nullptr;
    if (!v || !v->isNumber())
      return false;
    out = static_cast<int64_t>(v->getNumber());
    return true;
  };
  if (!kind || !kind->isString() || !entries || !entries->isObject() ||
      !intOf("n_layer", m->layers) || !intOf("vocab_size", m->vocab) ||
      !intOf("d_model", m->dModel)) {
    error = packagePath + ": the model description lacks kind, config or "
                          "entries";
    return nullptr;
  }
  m->modelKind = kind->getString();
  if (const json::Value *t = root.find("tp"); t && t->isNumber())
    m->tp = static_cast<int64_t>(t->getNumber());
  int64_t ranks = comm ? comm->world() : 1;
  if (m->tp != ranks) {
    error = packagePath + ": the package was compiled for " +
            std::to_string(m->tp) + " tensor-parallel rank" +
            (m->tp == 1 ? "" : "s") + " (ssmc compile --tp " +
            std::to_string(m->tp) + ") but is run on " +
            std::to_string(ranks) + ": run it with --tp " +
            std::to_string(m->tp) + ", or compile it with --tp " +
            std::to_string(ranks);
    return nullptr;
  }
  if (const json::Value *t = config->find("tie_embeddings"); t && t->isBool())
    m->tied = t->getBool();
  for (const char *name :
       {"embed", "layer", "head", "layer_step", "layer_packed"}) {
    const json::Value *e = entries->find(name);
    // The decode step's and the packed prefill's own layer entries are
    // optional (older packages run both through `layer`).
    if ((std::string(name) == "layer_step" ||
         std::string(name) == "layer_packed") &&
        !e)
      continue;
    const json::Value *args = e && e->isObject() ? e->find("arguments") : nullptr;
    if (!args || !args->isArray() || !m->package->findEntry(name)) {
      error = packagePath + ": the model has no entry '" + name + "'";
      return nullptr;
    }
    std::vector<std::string> list;
    for (const json::Value &a : args->getArray())
      list.push_back(a.isString() ? a.getString() : "");
    if (list.size() != m->package->findEntry(name)->arguments.size()) {
      error = packagePath + ": entry '" + name +
              "' has a description of another arity";
      return nullptr;
    }
    // The weights split over the ranks, per argument.
    std::vector<Shard> split(list.size());
    if (const json::Value *sh = e->find("shards"); sh && sh->isArray()) {
      const auto &items = sh->getArray();
      for (size_t i = 0; i < items.size() && i < split.size(); ++i) {
        if (!items[i].isObject())
          continue;
        auto ints = [&](const char *key, std::vector<int64_t> &out) {
          const json::Value *v = items[i].find(key);
          if (v && v->isArray())
            for (const json::Value &x : v->getArray())
              out.push_back(x.isNumber() ? static_cast<int64_t>(x.getNumber())
                                         : -1);
        };
        const json::Value *dim = items[i].find("dim");
        split[i].dim = dim && dim->isNumber()
                           ? static_cast<int64_t>(dim->getNumber())
                           : -1;
        ints("full", split[i].full);
        ints("pieces", split[i].pieces);
        if (split[i].dim < 0 ||
            split[i].dim >= static_cast<int64_t>(split[i].full.size()) ||
            split[i].pieces.empty() || split[i].pieces.size() % 3 != 0) {
          error = packagePath + ": entry '" + name + "' argument " +
                  std::to_string(i) + ": a malformed weight split";
          return nullptr;
        }
      }
    }
    m->shards[name] = std::move(split);
    m->roles.emplace_back(name, std::move(list));
  }

  if (onCuda) {
    if (!m->package->manifest().findObject(package::cudaTarget)) {
      error = packagePath + ": the package has no cuda object (compile the "
                            "model with --target cuda)";
      return nullptr;
    }
    bool unavailable = false;
    std::string err;
    runtime::CUDAOptions options;
    options.device = ordinal;
    m->cuda =
        runtime::CUDAPackage::load(packagePath, err, options, &unavailable);
    if (m->cuda) {
      m->where = "cuda";
    } else if (unavailable) {
      m->fallback = err + "; running on the CPU";
    } else {
      error = err;
      return nullptr;
    }
  }
  m->store = model::WeightStore::open(weightsDir, error);
  if (!m->store)
    return nullptr;

  // Every weight argument of every layer, checked (and converted where the
  // package wants another dtype) before anything runs.
  std::set<std::string> used;
  for (auto &[entry, list] : m->roles) {
    int64_t count = entry.rfind("layer", 0) == 0 ? m->layers : 1;
    for (int64_t layer = 0; layer < count; ++layer) {
      std::vector<std::pair<std::string, const HostTensor *>> none;
      std::vector<TensorView> views;
      // inputs() resolves and checks the weights; activations are absent
      // here and skipped.
      if (std::string err = m->inputs(entry, layer, none, views, &used);
          !err.empty()) {
        error = err;
        return nullptr;
      }
    }
  }
  // As ssmc compile does, a tensor the package does not take is refused: a
  // checkpoint with weights the model would silently ignore (the biases of
  // another config, one more layer) is not the one the package was compiled
  // for.
  for (const auto &tensor : m->store->tensors())
    if (!used.count(tensor.first)) {
      error = weightsDir + ": unexpected tensor '" + tensor.first +
              "' (the package does not take it)";
      return nullptr;
    }
  if (m->cuda)
    if (std::string err = m->uploadWeights(); !err.empty()) {
      error = packagePath + ": " + err;
      return nullptr;
    }
  return m;
}

std::string Model::inputs(
    const std::string &name, int64_t layer,
    const std::vector<std::pair<std::string, const HostTensor *>> &acts,
    std::vector<TensorView> &out, std::set<std::string> *used) {
  const package::EntrySpec *spec = package->findEntry(name);
  const std::vector<std::string> *list = nullptr;
  for (auto &[n, l] : roles)
    if (n == name)
      list = &l;
  out.clear();
  // The activation of role `role`, or an error.
  auto activation = [&](const std::string &role, std::string &err) {
    const HostTensor *t = nullptr;
    for (auto &[r, v] : acts)
      if (r == role)
        t = v;
    if (!t)
      err = "the model's entry '" + name + "' takes '" + role +
            "', which the runtime does not provide";
    return t;
  };
  // Weights resolved at load (the check below) are reused by every call.
  std::vector<std::vector<runtime::TensorView>> &cache = weightViews[name];
  if (!acts.empty() && layer < static_cast<int64_t>(cache.size()) &&
      !cache[layer].empty()) {
    const std::vector<runtime::TensorView> &known = cache[layer];
    for (size_t i = 0; i < list->size(); ++i) {
      if (known[i].data) {
        out.push_back(known[i]);
        continue;
      }
      std::string err;
      const HostTensor *t = activation((*list)[i], err);
      if (!t)
        return err;
      out.push_back(runtime::viewOf(*t));
    }
    return "";
  }
  std::vector<runtime::TensorView> resolved(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string &role = (*list)[i];
    const package::TensorSpec &want = spec->arguments[i];
    bool negExp = role.rfind("neg_exp:", 0) == 0;
    if (role.rfind("weight:", 0) != 0 && !negExp) {
      if (acts.empty())
        continue;
      std::string err;
      const HostTensor *t = activation(role, err);
      if (!t)
        return err;
      out.push_back(runtime::viewOf(*t));
      continue;
    }
    std::string tensor = expand(role.substr(negExp ? 8 : 7), layer);
    std::string key = negExp ? "neg_exp:" + tensor : tensor;
    // Converted at load?
    bool found = false;
    for (auto &[n, t] : converted)
      if (n == key) {
        out.push_back(runtime::viewOf(t));
        found = true;
      }
    if (found) {
      resolved[i] = out.back();
      continue;
    }
    const model::TensorInfo *info = store->find(tensor);
    if (!info && tensor == "backbone.embeddings.weight")
      info = store->find("backbone.embedding.weight");
    if (!info && tensor == "lm_head.weight" && tied) {
      info = store->find("backbone.embeddings.weight");
      if (!info)
        info = store->find("backbone.embedding.weight");
    }
    if (!info)
      return weightsDir + ": missing tensor '" + tensor + "'";
    if (used)
      used->insert(info->name);
    if (auto sh = shards.find(name);
        sh != shards.end() && i < sh->second.size() &&
        !sh->second[i].full.empty()) {
      std::string err = loadSlice(*info, tensor, sh->second[i], want, negExp);
      if (!err.empty())
        return err;
      out.push_back(runtime::viewOf(converted.back().second));
      resolved[i] = out.back();
      continue;
    }
    if (info->shape != want.shape) {
      // The same elements in another layout (the conv weight as (C, k) or
      // (C, 1, k)) are taken as they are.
      bool sameCount = product(info->shape) == product(want.shape);
      bool squeezed = sameCount && info->shape.size() + 1 == want.shape.size();
      if (!squeezed)
        return weightsDir + ": tensor '" + tensor + "' has shape " +
               shapeText(info->shape) + " but the package expects " +
               shapeText(want.shape);
    }
    if (info->dtype == want.dtype && !negExp) {
      const void *data = info->data;
      if (auto known = alignedOf.find(data); known != alignedOf.end()) {
        data = known->second;
      } else if (constexpr size_t kHuge = size_t(2) << 20;
                 reinterpret_cast<uintptr_t>(data) % kWeightAlignment != 0 ||
                 info->bytes >= kHuge) {
        // A tensor of a safetensors file starts wherever the header's
        // length puts it (often 8 bytes off a cache line): every vector
        // load of it would then straddle two lines, which costs the
        // matrix-vector products of decoding a quarter of their
        // bandwidth. Such a weight is copied once into aligned memory.
        // Large ones, aligned or not, go to 2 MiB pages where the kernel
        // offers them: the mapped file's 4 KiB pages streamed at 37 GB/s
        // where the copy streams at 50 (the f16 lm_head of the 130M shape,
        // 2.1 vs 1.55 ms a token).
        size_t align = info->bytes >= kHuge ? kHuge : kWeightAlignment;
        size_t size = (info->bytes + align - 1) / align * align;
        auto *copy = static_cast<uint8_t *>(std::aligned_alloc(align, size));
        if (!copy)
          return weightsDir + ": out of memory copying tensor '" + tensor +
                 "' (" + std::to_string(info->bytes) + " bytes)";
#ifdef MADV_HUGEPAGE
        if (align == kHuge)
          (void)::madvise(copy, size, MADV_HUGEPAGE);
#endif
        std::memcpy(copy, data, info->bytes);
        aligned.emplace_back(copy);
        alignedOf[data] = copy;
        data = copy;
      }
      out.push_back({want.dtype, want.shape, data, info->bytes});
      resolved[i] = out.back();
      continue;
    }
    // Another dtype, or a derived tensor: computed once, kept for every
    // later call.
    HostTensor t(want.dtype, want.shape);
    std::vector<float> values = store->toFloat(*info);
    for (size_t k = 0; k < values.size(); ++k)
      t.set(static_cast<int64_t>(k),
            negExp ? -std::exp(static_cast<double>(values[k])) : values[k]);
    converted.emplace_back(key, std::move(t));
    // (The view points into the tensor's heap buffer, which stays where it
    // is when `converted` grows.)
    out.push_back(runtime::viewOf(converted.back().second));
    resolved[i] = out.back();
  }
  if (acts.empty()) {
    if (static_cast<int64_t>(cache.size()) <= layer)
      cache.resize(static_cast<size_t>(layer) + 1);
    cache[layer] = std::move(resolved);
  }
  return "";
}

std::string Model::loadSlice(const model::TensorInfo &info,
                             const std::string &tensor, const Shard &shard,
                             const package::TensorSpec &want, bool negExp) {
  int64_t rank = comm ? comm->rank() : 0;
  if (product(info.shape) != product(shard.full))
    return weightsDir + ": tensor '" + tensor + "' has shape " +
           shapeText(info.shape) + " but the package (split over " +
           std::to_string(tp) + " ranks) expects " + shapeText(shard.full);
  // Geometry in the full shape: outer x mid x inner elements, the pieces
  // along mid.
  size_t dim = static_cast<size_t>(shard.dim);
  int64_t outer = 1, inner = 1, mid = shard.full[dim], local = 0;
  for (size_t k = 0; k < dim; ++k)
    outer *= shard.full[k];
  for (size_t k = dim + 1; k < shard.full.size(); ++k)
    inner *= shard.full[k];
  for (size_t p = 0; p < shard.pieces.size(); p += 3) {
    int64_t start = shard.pieces[p] + (shard.pieces[p + 2] ? rank : 0) *
                                          shard.pieces[p + 1];
    if (shard.pieces[p + 1] < 0 || start < 0 ||
        start + shard.pieces[p + 1] > mid)
      return weightsDir + ": tensor '" + tensor +
             "': the package's split for rank " + std::to_string(rank) +
             " leaves the tensor";
    local += shard.pieces[p + 1];
  }
  if (want.shape.size() != shard.full.size() || want.shape[dim] != local ||
      product(want.shape) != outer * local * inner)
    return weightsDir + ": tensor '" + tensor +
           "': the package's split does not give its argument's shape " +
           shapeText(want.shape);
  // The rank's elements of `src` (elements of `size` bytes) into `dst`.
  auto gather = [&](const uint8_t *src, uint8_t *dst, size_t size) {
    int64_t at = 0;
    for (size_t p = 0; p < shard.pieces.size(); p += 3) {
      int64_t start = shard.pieces[p] + (shard.pieces[p + 2] ? rank : 0) *
                                            shard.pieces[p + 1];
      int64_t n = shard.pieces[p + 1];
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(dst + static_cast<size_t>((o * local + at) * inner) * size,
                    src + static_cast<size_t>((o * mid + start) * inner) * size,
                    static_cast<size_t>(n * inner) * size);
      at += n;
    }
  };
  HostTensor t(want.dtype, want.shape);
  if (info.dtype == want.dtype && !negExp) {
    gather(static_cast<const uint8_t *>(info.data), t.data.data(),
           t.data.size() / static_cast<size_t>(product(want.shape)));
  } else {
    std::vector<float> all = store->toFloat(info),
                       mine(static_cast<size_t>(product(want.shape)));
    gather(reinterpret_cast<const uint8_t *>(all.data()),
           reinterpret_cast<uint8_t *>(mine.data()), sizeof(float));
    for (size_t k = 0; k < mine.size(); ++k)
      t.set(static_cast<int64_t>(k),
            negExp ? -std::exp(static_cast<double>(mine[k])) : mine[k]);
  }
  converted.emplace_back((negExp ? "neg_exp:" : "") + tensor, std::move(t));
  return "";
}

std::string Model::uploadWeights() {
  // Every weight of every entry and layer, once (by its host bytes: a
  // weight several entries take, or the tied embedding, is one upload).
  for (auto &[name, perLayer] : weightViews)
    for (const std::vector<TensorView> &views : perLayer)
      for (const TensorView &v : views) {
        if (!v.data || onDevice.count(v.data))
          continue;
        runtime::DeviceTensor d;
        if (std::string err = cuda->upload(v, d); !err.empty())
          return err;
        onDevice[v.data] = std::move(d);
      }
  return "";
}

std::string Model::callDevice(const std::string &name, int64_t layer,
                              const DeviceActs &acts,
                              std::vector<runtime::DeviceTensor> &out) {
  const std::vector<std::string> *list = nullptr;
  for (auto &[n, l] : roles)
    if (n == name)
      list = &l;
  auto known = weightViews.find(name);
  if (!list || known == weightViews.end() ||
      layer >= static_cast<int64_t>(known->second.size()))
    return "the model has no entry '" + name + "' for layer " +
           std::to_string(layer);
  const std::vector<TensorView> &weights = known->second[layer];
  std::vector<runtime::DeviceTensor> in(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    if (i < weights.size() && weights[i].data) {
      auto d = onDevice.find(weights[i].data);
      if (d == onDevice.end())
        return "the weight of argument " + std::to_string(i) + " of entry '" +
               name + "' is not on the device";
      in[i] = d->second;
      continue;
    }
    const runtime::DeviceTensor *t = nullptr;
    for (auto &[r, v] : acts)
      if (r == (*list)[i])
        t = v;
    if (!t)
      return "the model's entry '" + name + "' takes '" + (*list)[i] +
             "', which the runtime does not provide";
    in[i] = *t;
  }
  // The package's collectives reach this rank's group.
  runtime::CommunicatorScope scope(comm);
  auto t0 = std::chrono::steady_clock::now();
  double products0 = runtime::gemmTime().seconds;
  std::string err = cuda->runOnDevice(name, in, out);
  // A result that is a strided view (a slice the entry returned without a
  // copy) is made dense, since it comes back as another call's argument.
  for (size_t i = 0; i < out.size() && err.empty(); ++i)
    if (!out[i].isContiguous()) {
      HostTensor host;
      err = cuda->download(out[i], host);
      if (err.empty())
        err = cuda->upload(host, out[i]);
    }
  record(name,
         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
             .count(),
         runtime::gemmTime().seconds - products0);
  return err;
}

void Model::record(const std::string &name, double seconds,
                   double productSeconds) {
  auto it = std::find_if(times.begin(), times.end(),
                         [&](const EntryTime &t) { return t.entry == name; });
  if (it == times.end()) {
    times.push_back({name, 0.0, 0, 0.0});
    it = times.end() - 1;
  }
  it->seconds += seconds;
  it->productSeconds += productSeconds;
  ++it->calls;
}

std::string
Model::call(const std::string &name, int64_t layer,
            const std::vector<std::pair<std::string, const HostTensor *>> &acts,
            std::vector<HostTensor> &out) {
  if (cuda) {
    // The activations up, the entry on the device, its results back.
    std::vector<runtime::DeviceTensor> up(acts.size()), results;
    DeviceActs dev;
    for (size_t i = 0; i < acts.size(); ++i) {
      if (std::string err = cuda->upload(*acts[i].second, up[i]); !err.empty())
        return err;
      dev.emplace_back(acts[i].first, &up[i]);
    }
    if (std::string err = callDevice(name, layer, dev, results); !err.empty())
      return err;
    out.assign(results.size(), HostTensor());
    for (size_t i = 0; i < results.size(); ++i)
      if (std::string err = cuda->download(results[i], out[i]); !err.empty())
        return err;
    return "";
  }
  if (std::string err = inputs(name, layer, acts, args); !err.empty())
    return err;
  // The package's collectives reach this rank's group.
  runtime::CommunicatorScope scope(comm);
  auto t0 = std::chrono::steady_clock::now();
  double products0 = runtime::gemmTime().seconds;
  std::string err = package->runViews(name, args, out);
  record(name,
         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
             .count(),
         runtime::gemmTime().seconds - products0);
  return err;
}

std::string Model::checkTokens(const std::vector<int64_t> &tokens,
                               const std::string &what) const {
  if (tokens.empty())
    return what + " is empty";
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab)
      return what + ": token " + std::to_string(tokens[i]) + " at position " +
             std::to_string(i) + " is outside the vocabulary (0.." +
             std::to_string(vocab - 1) + ")";
  return "";
}

std::string Model::checkStepTokens(const std::vector<int64_t> &tokens,
                                   int64_t sequences) const {
  if (static_cast<int64_t>(tokens.size()) != sequences)
    return "decode step with " + std::to_string(tokens.size()) +
           " tokens for " + std::to_string(sequences) + " sequences";
  return checkTokens(tokens, "decode tokens");
}

namespace {

/// A zero tensor of the shape an entry argument declares, batch `b`.
HostTensor zerosFor(const package::TensorSpec &spec, int64_t b) {
  std::vector<int64_t> shape = spec.shape;
  shape[0] = b;
  return HostTensor(spec.dtype, shape);
}

HostTensor tokenTensor(const std::vector<int64_t> &ids, int64_t rows) {
  int64_t cols = static_cast<int64_t>(ids.size()) / rows;
  HostTensor t(package::DType::I32, {rows, cols});
  for (size_t i = 0; i < ids.size(); ++i)
    t.set(static_cast<int64_t>(i), static_cast<double>(ids[i]));
  return t;
}

} // namespace

std::string Model::prefill(const std::vector<std::vector<int64_t>> &prompts,
                           std::vector<HostTensor> *logits, bool lastOnly) {
  if (prompts.empty())
    return "no prompt to prefill";
  for (size_t s = 0; s < prompts.size(); ++s)
    if (std::string err =
            checkTokens(prompts[s], "prompt " + std::to_string(s));
        !err.empty())
      return err;
  if (cuda)
    return prefillOnDevice(prompts, logits, lastOnly);
  if (package->findEntry("layer_packed") &&
      !weightViews["layer_packed"].empty())
    return prefillPacked(prompts, logits, lastOnly);
  const package::EntrySpec *layerSpec = package->findEntry("layer");
  size_t convArg = layerSpec->arguments.size() - 2,
         ssmArg = layerSpec->arguments.size() - 1;
  std::vector<std::vector<HostTensor>> convs(layers), ssms(layers);
  std::vector<HostTensor> allLogits;
  for (const std::vector<int64_t> &prompt : prompts) {
    HostTensor tokens = tokenTensor(prompt, 1);
    std::vector<HostTensor> out;
    if (std::string err = call("embed", 0, {{"tokens", &tokens}}, out);
        !err.empty())
      return err;
    HostTensor res = std::move(out[0]);
    for (int64_t layer = 0; layer < layers; ++layer) {
      HostTensor conv = zerosFor(layerSpec->arguments[convArg], 1);
      HostTensor ssm = zerosFor(layerSpec->arguments[ssmArg], 1);
      if (std::string err = call(
              "layer", layer,
              {{"residual", &res}, {"conv_state", &conv}, {"ssm_state", &ssm}},
              out);
          !err.empty())
        return err;
      res = std::move(out[0]);
      convs[layer].push_back(std::move(out[1]));
      ssms[layer].push_back(std::move(out[2]));
    }
    if (logits) {
      if (lastOnly) {
        // Only the last position goes through the head.
        int64_t l = res.shape[1], dm = res.shape[2];
        HostTensor last(res.dtype, {1, 1, dm});
        size_t row = static_cast<size_t>(dm) * package::dtypeSize(res.dtype);
        std::memcpy(last.data.data(), res.data.data() + (l - 1) * row, row);
        res = std::move(last);
      }
      if (std::string err = call("head", 0, {{"residual", &res}}, out);
          !err.empty())
        return err;
      HostTensor l = std::move(out[0]);
      l.shape = {l.shape[1], l.shape[2]};
      allLogits.push_back(std::move(l));
    }
  }
  convCache.clear();
  ssmCache.clear();
  for (int64_t layer = 0; layer < layers; ++layer) {
    convCache.push_back(stack(convs[layer]));
    ssmCache.push_back(stack(ssms[layer]));
  }
  if (logits)
    *logits = std::move(allLogits);
  return "";
}

std::string
Model::prefillPacked(const std::vector<std::vector<int64_t>> &prompts,
                     std::vector<HostTensor> *logits, bool lastOnly) {
  // All prompts as one row of tokens, prompt i at [cu[i], cu[i+1]).
  std::vector<int64_t> ids;
  HostTensor cu(package::DType::I32,
                {static_cast<int64_t>(prompts.size()) + 1});
  cu.set(0, 0.0);
  for (size_t s = 0; s < prompts.size(); ++s) {
    ids.insert(ids.end(), prompts[s].begin(), prompts[s].end());
    cu.set(static_cast<int64_t>(s) + 1, static_cast<double>(ids.size()));
  }
  HostTensor tokens = tokenTensor(ids, 1);
  std::vector<HostTensor> out;
  if (std::string err = call("embed", 0, {{"tokens", &tokens}}, out);
      !err.empty())
    return err;
  HostTensor res = std::move(out[0]);
  convCache.assign(static_cast<size_t>(layers), HostTensor());
  ssmCache.assign(static_cast<size_t>(layers), HostTensor());
  for (int64_t layer = 0; layer < layers; ++layer) {
    if (std::string err = call("layer_packed", layer,
                               {{"residual", &res}, {"cu_seqlens", &cu}}, out);
        !err.empty())
      return err;
    std::swap(res, out[0]);
    convCache[layer] = std::move(out[1]);
    ssmCache[layer] = std::move(out[2]);
  }
  if (!logits)
    return "";
  int64_t dm = res.shape[2];
  size_t row = static_cast<size_t>(dm) * package::dtypeSize(res.dtype);
  if (lastOnly) {
    // Only each prompt's last position goes through the head.
    HostTensor last(res.dtype, {1, static_cast<int64_t>(prompts.size()), dm});
    int64_t end = 0;
    for (size_t s = 0; s < prompts.size(); ++s) {
      end += static_cast<int64_t>(prompts[s].size());
      std::memcpy(last.data.data() + s * row,
                  res.data.data() + static_cast<size_t>(end - 1) * row, row);
    }
    res = std::move(last);
  }
  if (std::string err = call("head", 0, {{"residual", &res}}, out);
      !err.empty())
    return err;
  // The logits rows of each prompt.
  const HostTensor &all = out[0];
  int64_t vocabSize = all.shape[2];
  size_t logitRow =
      static_cast<size_t>(vocabSize) * package::dtypeSize(all.dtype);
  std::vector<HostTensor> parts;
  int64_t at = 0;
  for (const std::vector<int64_t> &prompt : prompts) {
    int64_t rows = lastOnly ? 1 : static_cast<int64_t>(prompt.size());
    HostTensor part(all.dtype, {rows, vocabSize});
    std::memcpy(part.data.data(),
                all.data.data() + static_cast<size_t>(at) * logitRow,
                static_cast<size_t>(rows) * logitRow);
    parts.push_back(std::move(part));
    at += rows;
  }
  *logits = std::move(parts);
  return "";
}

std::string Model::projections() const {
  return cuda ? cuda->projections() : "";
}

std::string Model::decodePath() const {
  // A step either captured the graph or said why it could not.
  if (decodeGraph)
    return "CUDA graph";
  return graphOff.empty() ? "" : "entry by entry (" + graphOff + ")";
}

std::string Model::decodeEntry() {
  // A package's own one-token entry where it has one (older packages run
  // the decode step through `layer`).
  return package->findEntry("layer_step") &&
                 !weightViews["layer_step"].empty()
             ? "layer_step"
             : "layer";
}

std::string Model::step(const std::vector<int64_t> &tokens,
                        HostTensor &logits) {
  if (cuda)
    return stepOnDevice(tokens, logits);
  if (convCache.empty())
    return "decode step before any prefill";
  int64_t b = convCache.front().shape[0];
  if (std::string err = checkStepTokens(tokens, b); !err.empty())
    return err;
  HostTensor ids = tokenTensor(tokens, b);
  std::vector<HostTensor> out;
  if (std::string err = call("embed", 0, {{"tokens", &ids}}, out); !err.empty())
    return err;
  HostTensor res = std::move(out[0]);
  const std::string layerEntry = decodeEntry();
  for (int64_t layer = 0; layer < layers; ++layer) {
    if (std::string err = call(layerEntry, layer,
                               {{"residual", &res},
                                {"conv_state", &convCache[layer]},
                                {"ssm_state", &ssmCache[layer]}},
                               out);
        !err.empty())
      return err;
    // Swapped, not moved: the old tensors' storage serves the next layer's
    // results.
    std::swap(res, out[0]);
    std::swap(convCache[layer], out[1]);
    std::swap(ssmCache[layer], out[2]);
  }
  if (std::string err = call("head", 0, {{"residual", &res}}, out);
      !err.empty())
    return err;
  logits = std::move(out[0]);
  logits.shape = {b, logits.shape[2]};
  return "";
}

std::string
Model::prefillOnDevice(const std::vector<std::vector<int64_t>> &prompts,
                       std::vector<HostTensor> *logits, bool lastOnly) {
  // One prompt at a time (the cuda package has no packed entry), the
  // residual stream and the caches on the device; the caches of several
  // prompts are stacked through the host once at the end.
  // New caches: a captured step used the old ones' addresses.
  decodeGraph.reset();
  const package::EntrySpec *layerSpec = package->findEntry("layer");
  size_t convArg = layerSpec->arguments.size() - 2,
         ssmArg = layerSpec->arguments.size() - 1;
  std::vector<std::vector<runtime::DeviceTensor>> convs(layers), ssms(layers);
  std::vector<HostTensor> allLogits;
  std::vector<runtime::DeviceTensor> out;
  // Zero caches for one sequence, uploaded once.
  runtime::DeviceTensor zeroConv, zeroSsm;
  if (std::string err = cuda->upload(zerosFor(layerSpec->arguments[convArg], 1),
                                     zeroConv);
      !err.empty())
    return err;
  if (std::string err =
          cuda->upload(zerosFor(layerSpec->arguments[ssmArg], 1), zeroSsm);
      !err.empty())
    return err;
  for (const std::vector<int64_t> &prompt : prompts) {
    runtime::DeviceTensor tokens, res;
    if (std::string err = cuda->upload(tokenTensor(prompt, 1), tokens);
        !err.empty())
      return err;
    if (std::string err = callDevice("embed", 0, {{"tokens", &tokens}}, out);
        !err.empty())
      return err;
    res = out[0];
    for (int64_t layer = 0; layer < layers; ++layer) {
      if (std::string err = callDevice("layer", layer,
                                       {{"residual", &res},
                                        {"conv_state", &zeroConv},
                                        {"ssm_state", &zeroSsm}},
                                       out);
          !err.empty())
        return err;
      res = out[0];
      convs[layer].push_back(out[1]);
      ssms[layer].push_back(out[2]);
    }
    if (!logits)
      continue;
    HostTensor host;
    if (lastOnly) {
      // Only the last position goes through the head: its row, copied on
      // the device.
      int64_t l = res.shape()[1], dm = res.shape()[2];
      runtime::DeviceTensor last;
      if (std::string err = cuda->allocate(res.dtype(), {1, 1, dm}, last);
          !err.empty())
        return err;
      if (std::string err = cuda->copySlice(res, (l - 1) * dm, last);
          !err.empty())
        return err;
      res = last;
    }
    if (std::string err = callDevice("head", 0, {{"residual", &res}}, out);
        !err.empty())
      return err;
    if (std::string err = cuda->download(out[0], host); !err.empty())
      return err;
    host.shape = {host.shape[1], host.shape[2]};
    allLogits.push_back(std::move(host));
  }
  convDev.assign(static_cast<size_t>(layers), runtime::DeviceTensor());
  ssmDev.assign(static_cast<size_t>(layers), runtime::DeviceTensor());
  for (int64_t layer = 0; layer < layers; ++layer) {
    if (prompts.size() == 1) {
      convDev[layer] = convs[layer][0];
      ssmDev[layer] = ssms[layer][0];
      continue;
    }
    for (auto [parts, into] : {std::pair{&convs[layer], &convDev[layer]},
                               std::pair{&ssms[layer], &ssmDev[layer]}}) {
      std::vector<HostTensor> host(parts->size());
      for (size_t s = 0; s < parts->size(); ++s)
        if (std::string err = cuda->download((*parts)[s], host[s]);
            !err.empty())
          return err;
      if (std::string err = cuda->upload(stack(host), *into); !err.empty())
        return err;
    }
  }
  if (logits)
    *logits = std::move(allLogits);
  return "";
}

std::string Model::stepEntries(const runtime::DeviceTensor &ids,
                               bool copyCachesBack,
                               std::vector<runtime::DeviceTensor> &logits) {
  std::vector<runtime::DeviceTensor> out;
  if (std::string err = callDevice("embed", 0, {{"tokens", &ids}}, out);
      !err.empty())
    return err;
  runtime::DeviceTensor res = out[0];
  const std::string layerEntry = decodeEntry();
  for (int64_t layer = 0; layer < layers; ++layer) {
    if (std::string err = callDevice(layerEntry, layer,
                                     {{"residual", &res},
                                      {"conv_state", &convDev[layer]},
                                      {"ssm_state", &ssmDev[layer]}},
                                     out);
        !err.empty())
      return err;
    res = out[0];
    if (copyCachesBack) {
      // A graph replays with the caches where they were captured.
      for (auto [from, to] : {std::pair{&out[1], &convDev[layer]},
                              std::pair{&out[2], &ssmDev[layer]}})
        if (std::string err = cuda->copy(*from, *to); !err.empty())
          return "layer " + std::to_string(layer) + ": " + err;
    } else {
      convDev[layer] = out[1];
      ssmDev[layer] = out[2];
    }
  }
  if (std::string err = callDevice("head", 0, {{"residual", &res}}, logits);
      !err.empty())
    return err;
  return "";
}

std::string Model::captureDecode(const HostTensor &ids) {
  static const bool disabled = [] {
    const char *env = std::getenv("SSMC_CUDA_GRAPHS");
    return env && std::string(env) == "0";
  }();
  if (disabled)
    return "SSMC_CUDA_GRAPHS=0";
  if (std::string err = runtime::CUDAGraph::supported(); !err.empty())
    return err;
  auto g = std::make_unique<DecodeGraph>();
  if (std::string err = cuda->upload(ids, g->ids); !err.empty())
    return err;
  // The caches must stay where the graph reads them: dense buffers of
  // their own (callDevice makes results dense).
  if (std::string err = g->graph.begin(); !err.empty())
    return err;
  std::vector<runtime::DeviceTensor> logits;
  std::string err = stepEntries(g->ids, true, logits);
  if (err.empty()) {
    err = g->graph.end();
    if (err.empty())
      g->logits = logits[0];
  }
  if (!err.empty())
    return "capturing the step failed: " + err;
  decodeGraph = std::move(g);
  return "";
}

std::string Model::stepOnDevice(const std::vector<int64_t> &tokens,
                                HostTensor &logits) {
  if (convDev.empty())
    return "decode step before any prefill";
  int64_t b = convDev.front().shape()[0];
  if (std::string err = checkStepTokens(tokens, b); !err.empty())
    return err;
  HostTensor ids = tokenTensor(tokens, b);
  if (!decodeGraph && graphOff.empty()) {
    // Captured once (nothing runs while capturing), then replayed below.
    // A step that cannot be captured runs entry by entry from then on.
    if (std::string err = captureDecode(ids); !err.empty())
      graphOff = err;
  }
  if (decodeGraph) {
    auto t0 = std::chrono::steady_clock::now();
    if (std::string err = cuda->write(ids, decodeGraph->ids); !err.empty())
      return err;
    if (std::string err = decodeGraph->graph.launch(); !err.empty())
      return err;
    if (std::string err = cuda->download(decodeGraph->logits, logits);
        !err.empty())
      return err;
    record("decode step (CUDA graph)",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
               .count(),
           0.0);
  } else {
    runtime::DeviceTensor dev;
    if (std::string err = cuda->upload(ids, dev); !err.empty())
      return err;
    std::vector<runtime::DeviceTensor> out;
    if (std::string err = stepEntries(dev, false, out); !err.empty())
      return err;
    if (std::string err = cuda->download(out[0], logits); !err.empty())
      return err;
  }
  logits.shape = {b, logits.shape[2]};
  return "";
}

int64_t serve::sampleToken(const float *logits, int64_t vocab,
                           const SamplingOptions &options,
                           std::mt19937_64 &rng) {
  if (options.temperature <= 0.0)
    return std::max_element(logits, logits + vocab) - logits;
  std::vector<int64_t> order(static_cast<size_t>(vocab));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int64_t a, int64_t b) { return logits[a] > logits[b]; });
  size_t keep = order.size();
  if (options.topK > 0)
    keep = std::min(keep, static_cast<size_t>(options.topK));
  std::vector<double> prob(keep);
  double top = logits[order[0]], sum = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    prob[i] = std::exp((logits[order[i]] - top) / options.temperature);
    sum += prob[i];
  }
  if (options.topP < 1.0) {
    double acc = 0.0;
    size_t cut = keep;
    for (size_t i = 0; i < keep; ++i) {
      acc += prob[i] / sum;
      if (acc >= options.topP) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
    sum = std::accumulate(prob.begin(), prob.begin() + keep, 0.0);
  }
  double u = std::uniform_real_distribution<double>(0.0, sum)(rng);
  for (size_t i = 0; i < keep; ++i) {
    u -= prob[i];
    if (u <= 0.0)
      return order[i];
  }
  return order[keep - 1];
}
