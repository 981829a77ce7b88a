#include "server/metrics/process_collector.h"

#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/call_state_counts.h"

namespace affect {
namespace {

prometheus::MetricFamily Family(const std::string& name, const std::string& help,
                                prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  return family;
}

prometheus::MetricFamily Gauge(const std::string& name, const std::string& help) {
  return Family(name, help, prometheus::MetricType::Gauge);
}

void AddSample(prometheus::MetricFamily* family, double value,
               std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  family->metric.push_back(std::move(metric));
}

// The CUDA runtime's cudaSetDevice/cudaMemGetInfo, resolved once.
struct CudaRuntime {
  using SetDevice = int (*)(int);
  using MemGetInfo = int (*)(size_t*, size_t*);
  SetDevice set_device = nullptr;
  MemGetInfo mem_get_info = nullptr;

  static const CudaRuntime& Get() {
    static const CudaRuntime runtime = [] {
      CudaRuntime r;
      for (const char* name : {"libcudart.so", "libcudart.so.12", "libcudart.so.11.0"}) {
        void* handle = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
        if (handle == nullptr) continue;
        r.set_device = reinterpret_cast<SetDevice>(dlsym(handle, "cudaSetDevice"));
        r.mem_get_info = reinterpret_cast<MemGetInfo>(dlsym(handle, "cudaMemGetInfo"));
        if (r.set_device != nullptr && r.mem_get_info != nullptr) break;
      }
      return r;
    }();
    return runtime;
  }
};

}  // namespace

void ProcessCollector::EnableGpuMemory(std::vector<int> cuda_devices) {
  absl::MutexLock lock(&mutex_);
  cuda_devices_ = std::move(cuda_devices);
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  // /proc/self/statm: sizes in pages: total program size, resident, ...
  std::ifstream statm("/proc/self/statm");
  double virtual_pages = 0;
  double resident_pages = 0;
  if (statm >> virtual_pages >> resident_pages) {
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    families.push_back(
        Gauge("affect_process_resident_memory_bytes", "Resident memory of the server, bytes."));
    AddSample(&families.back(), resident_pages * page);
    families.push_back(
        Gauge("affect_process_virtual_memory_bytes", "Virtual memory of the server, bytes."));
    AddSample(&families.back(), virtual_pages * page);
  }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  // glibc's own view: bytes handed out by malloc and not yet freed, whatever
  // the arenas keep resident. RSS growth with this flat is allocator
  // retention (fragmentation, arena caches), not a leak.
  const struct mallinfo2 malloc_info = mallinfo2();
  families.push_back(Gauge("affect_process_malloc_in_use_bytes",
                           "Bytes allocated with malloc and not freed (glibc mallinfo2: "
                           "uordblks + hblkhd)."));
  AddSample(&families.back(), static_cast<double>(malloc_info.uordblks + malloc_info.hblkhd));
  families.push_back(Gauge("affect_process_malloc_free_bytes",
                           "Bytes glibc malloc holds free in its arenas (mallinfo2 fordblks)."));
  AddSample(&families.back(), static_cast<double>(malloc_info.fordblks));
#endif
  prometheus::MetricFamily created =
      Family("affect_call_state_created_total",
             "Per-call state objects created (kind: admitted_call, stream_session).",
             prometheus::MetricType::Counter);
  prometheus::MetricFamily released =
      Family("affect_call_state_released_total",
             "Per-call state objects released; equals created once the server is idle.",
             prometheus::MetricType::Counter);
  for (int k = 0; k < kNumCallStateKinds; ++k) {
    const auto kind = static_cast<CallStateKind>(k);
    const CallStateCounts counts = GetCallStateCounts(kind);
    for (auto [family, value] : {std::pair{&created, counts.created},
                                 std::pair{&released, counts.released}}) {
      prometheus::ClientMetric metric;
      metric.label = {{"kind", CallStateKindName(kind)}};
      metric.counter.value = static_cast<double>(value);
      family->metric.push_back(std::move(metric));
    }
  }
  families.push_back(std::move(created));
  families.push_back(std::move(released));

  absl::MutexLock lock(&mutex_);
  if (cuda_devices_.empty()) return families;
  const CudaRuntime& cuda = CudaRuntime::Get();
  if (cuda.mem_get_info == nullptr) return families;
  prometheus::MetricFamily used = Gauge("affect_gpu_memory_used_bytes",
                                        "GPU memory in use on the device (all processes), bytes.");
  prometheus::MetricFamily total = Gauge("affect_gpu_memory_total_bytes", "GPU memory, bytes.");
  for (int device : cuda_devices_) {
    size_t free_bytes = 0;
    size_t total_bytes = 0;
    if (cuda.set_device(device) != 0 || cuda.mem_get_info(&free_bytes, &total_bytes) != 0) continue;
    const std::string label = absl::StrCat("cuda:", device);
    AddSample(&used, static_cast<double>(total_bytes - free_bytes), {{"device", label}});
    AddSample(&total, static_cast<double>(total_bytes), {{"device", label}});
  }
  if (!used.metric.empty()) {
    families.push_back(std::move(used));
    families.push_back(std::move(total));
  }
  return families;
}

}  // namespace affect
