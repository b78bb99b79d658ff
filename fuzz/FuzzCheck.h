//===- FuzzCheck.h - the check that turns a broken promise into a crash ---===//
//
// Shared by every target, the runtime readers' and the compiler's alike: it
// needs nothing but the C library.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_FUZZ_FUZZCHECK_H
#define SSMC_FUZZ_FUZZCHECK_H

#include <cstdio>
#include <cstdlib>
#include <string>

/// Aborts with a message when an invariant the code promises is broken: the
/// fuzzer saves the input as a crash.
#define SSMC_FUZZ_CHECK(cond, what)                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "ssmc fuzz check failed: %s (%s:%d): %s\n", #cond,  \
                   __FILE__, __LINE__, std::string(what).c_str());             \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

#endif // SSMC_FUZZ_FUZZCHECK_H
