/*===- ssmc_runtime.h - the C API of the ssmc runtime -------------*- C -*-===
 *
 * Load a .ssmpkg package for the CPU or a CUDA GPU and run its entries on
 * dense row-major tensors in host memory (for a GPU the runtime copies them
 * to the device and back). Every function that can fail returns NULL or a
 * nonzero status and leaves a message for ssmc_last_error() (per thread).
 * Nothing here exits the process.
 *
 *===----------------------------------------------------------------------===*/

#ifndef SSMC_RUNTIME_SSMC_RUNTIME_H
#define SSMC_RUNTIME_SSMC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Element types; the values are part of the ABI. */
typedef enum ssmc_dtype {
  SSMC_DTYPE_F32 = 0,
  SSMC_DTYPE_F16 = 1,
  SSMC_DTYPE_BF16 = 2,
  SSMC_DTYPE_F64 = 3,
  SSMC_DTYPE_I32 = 4,
  SSMC_DTYPE_I64 = 5
} ssmc_dtype;

/** The largest rank a tensor may have. */
#define SSMC_MAX_RANK 8

/** A dense row-major tensor. For inputs the caller owns `data`; for outputs
 * the runtime allocates it and ssmc_tensor_release() frees it. */
typedef struct ssmc_tensor {
  ssmc_dtype dtype;
  int32_t rank;
  int64_t shape[SSMC_MAX_RANK];
  void *data;
} ssmc_tensor;

typedef struct ssmc_package ssmc_package;

/** Loads and checks the package at `path` for the CPU; NULL on failure.
 * The same as ssmc_package_load_for_device(path, "cpu"). */
ssmc_package *ssmc_package_load(const char *path);

/** Loads and checks the package at `path` for `device`: "cpu" (also when
 * NULL) or "cuda" (CUDA device 0; $SSMC_CUDA_DRIVER names the driver library
 * when libcuda.so.1 is not the one). With "cuda" on a host where CUDA cannot
 * be used at all (no driver, cuInit fails, no device) the package's cpu
 * object runs instead, and ssmc_package_notice() says why; a package without
 * a cpu object then fails to load. NULL on failure. */
ssmc_package *ssmc_package_load_for_device(const char *path,
                                           const char *device);

/** "cpu" or "cuda": where the entries of `package` run (valid while it is
 * loaded). */
const char *ssmc_package_device(const ssmc_package *package);

/** Why a package loaded for "cuda" runs on the CPU, for the caller to print
 * once; "" when nothing fell back. Valid while the package is loaded. */
const char *ssmc_package_notice(const ssmc_package *package);

/** Unloads a package (NULL is allowed). */
void ssmc_package_free(ssmc_package *package);

/** The number of entries of a package, and the name of entry `i` (valid
 * while the package is loaded). */
size_t ssmc_package_num_entries(const ssmc_package *package);
const char *ssmc_package_entry_name(const ssmc_package *package, size_t i);

/** Runs entry `entry` on `num_inputs` inputs and fills the `num_outputs`
 * outputs, which must match the entry's result count. Returns 0 on success;
 * otherwise nonzero and the outputs are left unset. */
int ssmc_package_run(const ssmc_package *package, const char *entry,
                     const ssmc_tensor *inputs, size_t num_inputs,
                     ssmc_tensor *outputs, size_t num_outputs);

/** Frees the data of an output tensor and sets it to NULL. */
void ssmc_tensor_release(ssmc_tensor *tensor);

/*===--------------------------------------------------------------------===
 * Models: a package from `ssmc compile MODEL_DIR` over that checkpoint
 *===--------------------------------------------------------------------===*/

typedef struct ssmc_model ssmc_model;

/** Loads a model package and the weights of `weights_dir` (memory-mapped,
 * checked against the package); NULL on failure. */
ssmc_model *ssmc_model_load(const char *package_path, const char *weights_dir);

/** Tensor parallelism: a package compiled with `ssmc compile --tp N` runs as
 * N ranks, each on its own thread with its own model (its slices of the
 * weights) and its rank's communicator; every rank makes the same calls in
 * the same order (prefill, step) and gets the same logits. A group holds the
 * communicators of N ranks of this process. */
typedef struct ssmc_comm_group ssmc_comm_group;
typedef struct ssmc_comm ssmc_comm;

/** A group of `world_size` >= 1 ranks in this process; NULL on failure. */
ssmc_comm_group *ssmc_comm_group_create(int world_size);
/** Rank `rank`'s communicator (owned by the group); NULL if out of range. */
ssmc_comm *ssmc_comm_group_rank(ssmc_comm_group *group, int rank);
/** Frees a group (NULL is allowed), after every model using it. */
void ssmc_comm_group_free(ssmc_comm_group *group);

/** ssmc_model_load for one rank of a tensor-parallel package: loads only the
 * rank's slices of the weights. `comm` NULL is one rank (ssmc_model_load). */
ssmc_model *ssmc_model_load_rank(const char *package_path,
                                 const char *weights_dir, ssmc_comm *comm);

/** ssmc_model_load_rank on a device: `device` "cpu", "cuda" or "cuda:N"
 * (GPU N; the package must have been compiled with --target cuda). Where CUDA
 * cannot be used at all (no driver, no GPU) the model runs on the CPU and
 * ssmc_model_device says so. */
ssmc_model *ssmc_model_load_on(const char *package_path,
                               const char *weights_dir, const char *device,
                               ssmc_comm *comm);
/** Where the model's entries run: "cpu" or "cuda". */
const char *ssmc_model_device(const ssmc_model *model);

/** Tensor parallelism on GPUs: one process per GPU (the CUDA runtime is one
 * state per process), each a rank of an NCCL communicator (libnccl.so.2,
 * loaded at run time). One process makes the group's id and sends its
 * SSMC_NCCL_ID_BYTES bytes to the others (a pipe, a socket: the transport is
 * the caller's); each then creates its rank's communicator on its GPU and
 * loads the model with it (ssmc_model_load_on, device "cuda:N" with the same
 * N). */
#define SSMC_NCCL_ID_BYTES 128
/** Writes a new group's id into `id`; 0 on success. */
int ssmc_nccl_group_id(char id[SSMC_NCCL_ID_BYTES]);
/** Initialises CUDA on GPU `device` and joins group `id` as rank `rank` of
 * `world_size` (blocks until every rank has joined); NULL on failure. */
ssmc_comm *ssmc_comm_nccl_create(const char id[SSMC_NCCL_ID_BYTES],
                                 int world_size, int rank, int device);
/** Frees a communicator from ssmc_comm_nccl_create (NULL is allowed), after
 * every model using it. */
void ssmc_comm_nccl_free(ssmc_comm *comm);

/** The vocabulary size (the logits' last dimension). */
int64_t ssmc_model_vocab_size(const ssmc_model *model);

/** Runs `num_prompts` prompts (prompt i: `lengths[i]` >= 1 token ids) from
 * empty caches and keeps their caches for ssmc_model_step (sequence i =
 * prompt i). With `logits` non-NULL (an array of num_prompts), sets
 * logits[i] to prompt i's logits, f32 (lengths[i] x vocab), allocated by the
 * runtime (free with ssmc_tensor_release). 0 on success. */
int ssmc_model_prefill(ssmc_model *model, const int64_t *const *prompts,
                       const size_t *lengths, size_t num_prompts,
                       ssmc_tensor *logits);

/** One token for each sequence of the last prefill; `logits` becomes
 * (sequences x vocab) f32, allocated by the runtime. 0 on success. */
int ssmc_model_step(ssmc_model *model, const int64_t *tokens,
                    size_t num_tokens, ssmc_tensor *logits);

/** Frees a model (NULL is allowed). */
void ssmc_model_free(ssmc_model *model);

/** The message of the last failure on this thread ("" when none). */
const char *ssmc_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* SSMC_RUNTIME_SSMC_RUNTIME_H */
