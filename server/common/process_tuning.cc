#include "server/common/process_tuning.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>

namespace affect {

void TuneMallocForInference() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

void EnsurePassiveOpenMpWaitPolicy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/1);
  execv("/proc/self/exe", argv);
  // execv only returns on failure: carry on with libgomp's default.
}

}  // namespace affect
