//===- CAPI.cpp - the C API of the runtime over the C++ one ---------------===//

#include "ssmc/runtime/CUDARuntime.h"
#include "ssmc/runtime/Nccl.h"
#include "ssmc/runtime/Runtime.h"
#include "ssmc/runtime/ssmc_runtime.h"
#include "ssmc/serve/Model.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

using namespace ssmc::runtime;

struct ssmc_package {
  std::unique_ptr<DevicePackage> impl;
};

namespace {

thread_local std::string lastError;

int setError(std::string msg) {
  lastError = std::move(msg);
  return 1;
}

DType toDType(ssmc_dtype d) { return static_cast<DType>(d); }
ssmc_dtype fromDType(DType d) { return static_cast<ssmc_dtype>(d); }

/// A copy of `h` in malloc'ed memory (ssmc_tensor_release frees it); the
/// rank is at most SSMC_MAX_RANK.
void toCTensor(const HostTensor &h, ssmc_tensor &t) {
  t.dtype = fromDType(h.dtype);
  t.rank = static_cast<int32_t>(h.shape.size());
  std::memset(t.shape, 0, sizeof(t.shape));
  std::copy(h.shape.begin(), h.shape.end(), t.shape);
  t.data = std::malloc(std::max<size_t>(h.data.size(), 1));
  std::memcpy(t.data, h.data.data(), h.data.size());
}

} // namespace

// The enum values are the ABI: keep the two in step.
static_assert(static_cast<int>(DType::F32) == SSMC_DTYPE_F32 &&
                  static_cast<int>(DType::F16) == SSMC_DTYPE_F16 &&
                  static_cast<int>(DType::BF16) == SSMC_DTYPE_BF16 &&
                  static_cast<int>(DType::F64) == SSMC_DTYPE_F64 &&
                  static_cast<int>(DType::I32) == SSMC_DTYPE_I32 &&
                  static_cast<int>(DType::I64) == SSMC_DTYPE_I64,
              "ssmc_dtype and DType disagree");

extern "C" {

ssmc_package *ssmc_package_load(const char *path) {
  return ssmc_package_load_for_device(path, "cpu");
}

ssmc_package *ssmc_package_load_for_device(const char *path,
                                           const char *device) {
  if (!path) {
    setError("ssmc_package_load: path is NULL");
    return nullptr;
  }
  DeviceOptions options;
  if (device)
    options.device = device;
  std::string error;
  std::unique_ptr<DevicePackage> impl =
      DevicePackage::load(path, error, options);
  if (!impl) {
    setError(error);
    return nullptr;
  }
  lastError.clear();
  return new ssmc_package{std::move(impl)};
}

const char *ssmc_package_device(const ssmc_package *package) {
  return package ? package->impl->device().c_str() : nullptr;
}

const char *ssmc_package_notice(const ssmc_package *package) {
  return package ? package->impl->notice().c_str() : "";
}

void ssmc_package_free(ssmc_package *package) { delete package; }

size_t ssmc_package_num_entries(const ssmc_package *package) {
  return package ? package->impl->entries().size() : 0;
}

const char *ssmc_package_entry_name(const ssmc_package *package, size_t i) {
  if (!package || i >= package->impl->entries().size())
    return nullptr;
  return package->impl->entries()[i].name.c_str();
}

int ssmc_package_run(const ssmc_package *package, const char *entry,
                     const ssmc_tensor *inputs, size_t num_inputs,
                     ssmc_tensor *outputs, size_t num_outputs) {
  if (!package || !entry || (num_inputs && !inputs) ||
      (num_outputs && !outputs))
    return setError("ssmc_package_run: NULL argument");
  const auto *spec = package->impl->findEntry(entry);
  if (spec && spec->results.size() != num_outputs)
    return setError("entry '" + std::string(entry) + "': expected " +
                    std::to_string(spec->results.size()) + " outputs, got " +
                    std::to_string(num_outputs));
  std::vector<HostTensor> in;
  for (size_t i = 0; i < num_inputs; ++i) {
    const ssmc_tensor &t = inputs[i];
    if (t.rank < 0 || t.rank > SSMC_MAX_RANK ||
        static_cast<unsigned>(t.dtype) > SSMC_DTYPE_I64)
      return setError("input " + std::to_string(i) + ": bad rank or dtype");
    for (int32_t d = 0; d < t.rank; ++d)
      if (t.shape[d] < 0)
        return setError("input " + std::to_string(i) +
                        ": negative size in its shape");
    HostTensor h(toDType(t.dtype),
                 std::vector<int64_t>(t.shape, t.shape + t.rank));
    if (!h.data.empty()) {
      if (!t.data)
        return setError("input " + std::to_string(i) + ": data is NULL");
      std::memcpy(h.data.data(), t.data, h.data.size());
    }
    in.push_back(std::move(h));
  }
  std::vector<HostTensor> out;
  if (std::string err = package->impl->run(entry, in, out); !err.empty())
    return setError(err);
  for (const HostTensor &h : out)
    if (h.shape.size() > SSMC_MAX_RANK)
      return setError("entry '" + std::string(entry) +
                      "': a result has rank above SSMC_MAX_RANK");
  for (size_t i = 0; i < out.size(); ++i)
    toCTensor(out[i], outputs[i]);
  lastError.clear();
  return 0;
}

void ssmc_tensor_release(ssmc_tensor *tensor) {
  if (!tensor)
    return;
  std::free(tensor->data);
  tensor->data = nullptr;
}

struct ssmc_model {
  std::unique_ptr<ssmc::serve::Model> model;
};

struct ssmc_comm_group {
  ssmc::runtime::LocalGroup group;
  explicit ssmc_comm_group(int world) : group(world) {}
};

ssmc_comm_group *ssmc_comm_group_create(int world_size) {
  if (world_size < 1) {
    setError("ssmc_comm_group_create: the world size must be positive, got " +
             std::to_string(world_size));
    return nullptr;
  }
  lastError.clear();
  return new ssmc_comm_group(world_size);
}

ssmc_comm *ssmc_comm_group_rank(ssmc_comm_group *group, int rank) {
  if (!group || rank < 0 || rank >= group->group.world()) {
    setError("ssmc_comm_group_rank: no rank " + std::to_string(rank) +
             " in the group");
    return nullptr;
  }
  return reinterpret_cast<ssmc_comm *>(&group->group.rank(rank));
}

void ssmc_comm_group_free(ssmc_comm_group *group) { delete group; }

ssmc_model *ssmc_model_load(const char *package_path,
                            const char *weights_dir) {
  return ssmc_model_load_rank(package_path, weights_dir, nullptr);
}

ssmc_model *ssmc_model_load_rank(const char *package_path,
                                 const char *weights_dir, ssmc_comm *comm) {
  return ssmc_model_load_on(package_path, weights_dir, "cpu", comm);
}

ssmc_model *ssmc_model_load_on(const char *package_path,
                               const char *weights_dir, const char *device,
                               ssmc_comm *comm) {
  if (!package_path || !weights_dir || !device) {
    setError("ssmc_model_load: NULL path or device");
    return nullptr;
  }
  std::string error;
  auto m = ssmc::serve::Model::load(
      package_path, weights_dir, error,
      reinterpret_cast<ssmc::runtime::Communicator *>(comm), device);
  if (!m) {
    setError(error);
    return nullptr;
  }
  lastError.clear();
  return new ssmc_model{std::move(m)};
}

const char *ssmc_model_device(const ssmc_model *model) {
  return model ? model->model->device().c_str() : "";
}

int ssmc_nccl_group_id(char id[SSMC_NCCL_ID_BYTES]) {
  ssmc::runtime::NcclGroupId group;
  if (std::string err = ssmc::runtime::ncclGroupId(group); !err.empty()) {
    setError("ssmc_nccl_group_id: " + err);
    return -1;
  }
  std::memcpy(id, group.bytes, SSMC_NCCL_ID_BYTES);
  lastError.clear();
  return 0;
}

ssmc_comm *ssmc_comm_nccl_create(const char id[SSMC_NCCL_ID_BYTES],
                                 int world_size, int rank, int device) {
  static_assert(sizeof(ssmc::runtime::NcclGroupId::bytes) ==
                    SSMC_NCCL_ID_BYTES,
                "NCCL's id size");
  if (!id) {
    setError("ssmc_comm_nccl_create: NULL id");
    return nullptr;
  }
  ssmc::runtime::CUDAOptions options;
  options.device = device;
  bool unavailable = false;
  if (std::string err = ssmc::runtime::initializeCUDA(options, unavailable);
      !err.empty()) {
    setError("ssmc_comm_nccl_create: " + err);
    return nullptr;
  }
  ssmc::runtime::NcclGroupId group;
  std::memcpy(group.bytes, id, SSMC_NCCL_ID_BYTES);
  std::string error;
  std::unique_ptr<ssmc::runtime::Communicator> comm =
      ssmc::runtime::ncclCommunicator(group, world_size, rank, error);
  if (!comm) {
    setError("ssmc_comm_nccl_create: " + error);
    return nullptr;
  }
  lastError.clear();
  return reinterpret_cast<ssmc_comm *>(comm.release());
}

void ssmc_comm_nccl_free(ssmc_comm *comm) {
  delete reinterpret_cast<ssmc::runtime::Communicator *>(comm);
}

int64_t ssmc_model_vocab_size(const ssmc_model *model) {
  return model ? model->model->vocabSize() : 0;
}

int ssmc_model_prefill(ssmc_model *model, const int64_t *const *prompts,
                       const size_t *lengths, size_t num_prompts,
                       ssmc_tensor *logits) {
  if (!model || !prompts || !lengths)
    return setError("ssmc_model_prefill: NULL argument");
  std::vector<std::vector<int64_t>> ps;
  for (size_t i = 0; i < num_prompts; ++i) {
    if (!prompts[i] && lengths[i])
      return setError("ssmc_model_prefill: prompt " + std::to_string(i) +
                      " is NULL");
    ps.emplace_back(prompts[i], prompts[i] + lengths[i]);
  }
  std::vector<HostTensor> out;
  if (std::string err = model->model->prefill(ps, logits ? &out : nullptr);
      !err.empty())
    return setError(err);
  for (size_t i = 0; logits && i < out.size(); ++i)
    toCTensor(out[i], logits[i]);
  lastError.clear();
  return 0;
}

int ssmc_model_step(ssmc_model *model, const int64_t *tokens,
                    size_t num_tokens, ssmc_tensor *logits) {
  if (!model || !tokens || !logits)
    return setError("ssmc_model_step: NULL argument");
  HostTensor out;
  if (std::string err = model->model->step(
          std::vector<int64_t>(tokens, tokens + num_tokens), out);
      !err.empty())
    return setError(err);
  toCTensor(out, *logits);
  lastError.clear();
  return 0;
}

void ssmc_model_free(ssmc_model *model) { delete model; }

const char *ssmc_last_error(void) { return lastError.c_str(); }

} // extern "C"
