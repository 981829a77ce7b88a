// Process-level metrics computed at scrape time: resident and virtual memory,
// glibc malloc statistics (where glibc has mallinfo2), per-call state created
// and released (server/common/call_state_counts.h), and (on CUDA servers) GPU
// memory in use.
#ifndef AFFECT_SERVER_METRICS_PROCESS_COLLECTOR_H_
#define AFFECT_SERVER_METRICS_PROCESS_COLLECTOR_H_

#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "absl/synchronization/mutex.h"

namespace affect {

// Thread-safe.
class ProcessCollector : public prometheus::Collectable {
 public:
  // GPU memory is read through the CUDA runtime (loaded with dlopen at the
  // first scrape, so CPU-only builds need no CUDA at all). Devices whose
  // memory cannot be read are left out.
  void EnableGpuMemory(std::vector<int> cuda_devices);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  mutable absl::Mutex mutex_;
  std::vector<int> cuda_devices_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace affect

#endif  // AFFECT_SERVER_METRICS_PROCESS_COLLECTOR_H_
