//===- Nccl.h - tensor-parallel ranks on GPUs over NCCL ---------*- C++ -*-===//
//
// A tensor-parallel package run on GPUs: one process per GPU (the CUDA
// runtime is one state per process), each a rank of an NCCL communicator
// whose collectives run on the runtime's stream on device buffers. NCCL
// (libnccl.so.2) is dlopen'ed like the driver: never linked, so nothing of
// it is needed to build or to run on one GPU.
//
// Start-up, in every rank's process: initializeCUDA on the rank's device,
// then ncclCommunicator with the group's id (made once by one process with
// ncclGroupId and passed to the others), then Model::load with it.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_RUNTIME_NCCL_H
#define SSMC_RUNTIME_NCCL_H

#include "ssmc/runtime/Collective.h"

#include <memory>
#include <string>

namespace ssmc::runtime {

/// A group's id (ncclUniqueId: 128 opaque bytes, sent as they are).
struct NcclGroupId {
  char bytes[128] = {0};
};

/// Loads NCCL (the file $SSMC_NCCL_LIBRARY names when set, else
/// libnccl.so.2) and makes a new group's id; "" or a message.
std::string ncclGroupId(NcclGroupId &id);

/// Rank `rank` of the `world` ranks of group `id`, on this process's CUDA
/// device (initializeCUDA must have succeeded). Blocks until every rank has
/// joined (ncclCommInitRank). Null and `error` on failure.
///
/// Its collectives take device pointers and are queued on the runtime's
/// stream; an NCCL failure is recorded as the runtime's sticky CUDA error
/// (the entry that called it fails with it). seconds() counts only with
/// $SSMC_TP_TIMING=1, which waits for the stream around each collective so
/// that its own time is measured (and so slows the run down).
std::unique_ptr<Communicator> ncclCommunicator(const NcclGroupId &id,
                                               int world, int rank,
                                               std::string &error);

} // namespace ssmc::runtime

#endif // SSMC_RUNTIME_NCCL_H
