#include "server/api/machine_defaults.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace affect {
namespace {

// cgroup v2 "cpu.max" ("max 100000" or "150000 100000"), then cgroup v1's
// cfs quota and period; 0 when there is no quota.
double CgroupCpuQuota() {
  std::ifstream v2("/sys/fs/cgroup/cpu.max");
  std::string quota_text, period_text;
  if (v2 >> quota_text >> period_text) {
    double quota = 0, period = 0;
    if (quota_text != "max" && absl::SimpleAtod(quota_text, &quota) &&
        absl::SimpleAtod(period_text, &period) && quota > 0 && period > 0) {
      return quota / period;
    }
    return 0;
  }
  std::ifstream quota_file("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
  std::ifstream period_file("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  double quota = 0, period = 0;
  if (quota_file >> quota && period_file >> period && quota > 0 && period > 0) {
    return quota / period;
  }
  return 0;
}

}  // namespace

int UsableCpuCores() {
  int cores = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cores = CPU_COUNT(&set);
  if (cores < 1) cores = 1;
  const double quota = CgroupCpuQuota();
  if (quota > 0) cores = std::max(1, std::min(cores, static_cast<int>(std::ceil(quota))));
  return cores;
}

ServerOptions ApplyMachineDefaults(ServerOptions options, int cores, std::string* chosen) {
  cores = std::max(1, cores);
  std::vector<std::string> picked;
  auto choose = [&](int* value, int rule, const char* name) {
    if (*value != 0) return;
    *value = rule;
    picked.push_back(absl::StrCat(name, "=", rule));
  };
  choose(&options.intra_op_threads, cores, "intra_op_threads");
  choose(&options.decode_threads, cores, "decode_threads");
  choose(&options.worker_threads, cores, "worker_threads");
  choose(&options.max_running_frames, cores, "max_running_frames");
  choose(&options.max_running_requests, 4 * cores, "max_running_requests");
  if (chosen != nullptr) {
    *chosen = picked.empty() ? "" : absl::StrCat(absl::StrJoin(picked, " "), " (cores=", cores, ")");
  }
  return options;
}

}  // namespace affect
