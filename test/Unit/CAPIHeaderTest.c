/*===- CAPIHeaderTest.c - ssmc_runtime.h compiles as C --------------------===*/

#include "ssmc/runtime/ssmc_runtime.h"

/* Called from nowhere: only its compiling as C matters. */
int ssmcCAPIHeaderCompilesAsC(const char *path) {
  ssmc_package *package = ssmc_package_load(path);
  ssmc_tensor out;
  int status;
  if (!package)
    return ssmc_last_error()[0] != '\0';
  status = ssmc_package_run(package, "f", 0, 0, &out, 1);
  if (status == 0)
    ssmc_tensor_release(&out);
  ssmc_package_free(package);
  return status;
}

/* The device choice of the C API. */
int ssmcCAPIDeviceCompilesAsC(const char *path) {
  ssmc_package *package = ssmc_package_load_for_device(path, "cuda");
  int onCpu;
  if (!package)
    return 1;
  onCpu = ssmc_package_device(package)[0] == 'c' &&
          ssmc_package_device(package)[1] == 'p';
  if (ssmc_package_notice(package)[0] != '\0')
    onCpu = 2;
  ssmc_package_free(package);
  return onCpu;
}
