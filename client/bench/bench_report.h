// affect-bench's output: a readable report, or one JSON object (--json)
// with the same figures for scripts (bench/perf_report.py reads it).
#ifndef AFFECT_CLIENT_BENCH_BENCH_REPORT_H_
#define AFFECT_CLIENT_BENCH_BENCH_REPORT_H_

#include <cstdint>
#include <string>

#include "client/bench/load_generator.h"

namespace affect::bench {

// The run's settings, as printed with the results.
struct BenchDescription {
  std::string server;
  LoadMode mode = LoadMode::kUnary;
  int concurrency = 1;
  int64_t requests = 0;  // 0: duration-bound
  absl::Duration duration;
  double rate = 0;
  double fps = 0;
  int64_t warmup = 0;
  int64_t image_count = 0;
  int64_t image_bytes_mean = 0;
  std::string images_source;
  std::string analyses;  // "all" or "emotion,scene"
};

// What the latencies are measured from, in words (closed/open loop,
// streams).
std::string LatencyOrigin(const BenchDescription& description);

std::string FormatTextReport(const BenchDescription& description, const LoadResult& result);

// One line: {"mode":"unary","concurrency":16,...,"latency_ms":{"p50":...},
// "errors":{"RESOURCE_EXHAUSTED":3}}.
std::string FormatJsonReport(const BenchDescription& description, const LoadResult& result);

}  // namespace affect::bench

#endif  // AFFECT_CLIENT_BENCH_BENCH_REPORT_H_
