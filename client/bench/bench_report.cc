#include "client/bench/bench_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace affect::bench {
namespace {

double Ms(absl::Duration duration) { return absl::ToDoubleMilliseconds(duration); }

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string LoadText(const BenchDescription& d) {
  std::string text;
  if (d.mode == LoadMode::kUnary) {
    text = d.rate > 0 ? absl::StrFormat("open loop at %.4g req/s, at most %d in flight", d.rate,
                                        d.concurrency)
                      : absl::StrFormat("closed loop, concurrency %d", d.concurrency);
  } else {
    text = d.fps > 0 ? absl::StrFormat("%d streams at %.4g frames/s each", d.concurrency, d.fps)
                     : absl::StrFormat("%d streams, closed loop (next frame on each answer)",
                                       d.concurrency);
  }
  absl::StrAppend(&text, ", ",
                  d.requests > 0 ? absl::StrCat(d.requests, d.mode == LoadMode::kUnary ? " requests"
                                                                                       : " frames")
                                 : absl::StrCat("for ", absl::FormatDuration(d.duration)));
  if (d.warmup > 0) absl::StrAppend(&text, " (after ", d.warmup, " warm-up, not counted)");
  return text;
}

}  // namespace

std::string LatencyOrigin(const BenchDescription& d) {
  if (d.mode == LoadMode::kStream) {
    return d.fps > 0 ? "from each frame's scheduled send time to its result (open loop: waiting "
                       "behind earlier frames counts)"
                     : "from each frame's send to its result";
  }
  return d.rate > 0 ? "from each request's scheduled send time to its answer (open loop: time "
                      "waiting for a free slot counts, so no coordinated omission)"
                    : "from each call's start to its answer";
}

std::string FormatTextReport(const BenchDescription& d, const LoadResult& r) {
  const bool unary = d.mode == LoadMode::kUnary;
  const char* unit = unary ? "requests" : "frames";
  std::string text = absl::StrFormat(
      "affect-bench: %s -> %s\n  load        %s\n  images      %d from %s (mean %.0f KiB), "
      "analyses %s\n",
      unary ? "unary Analyze" : "AnalyzeStream", d.server, LoadText(d), d.image_count,
      d.images_source, static_cast<double>(d.image_bytes_mean) / 1024.0, d.analyses);
  absl::StrAppendFormat(&text, "Results\n  %-11s %d sent, %d ok, %d failed\n", unit, r.sent, r.ok,
                        r.failed());
  if (!unary) {
    absl::StrAppendFormat(
        &text,
        "  drops       %d frames dropped by the server (drop policy), %d not sent "
        "(client queue full), %d streams failed\n",
        r.frames_dropped, r.frames_not_sent, r.streams_failed);
  }
  absl::StrAppendFormat(&text, "  elapsed     %.2f s (first send to last answer)\n",
                        absl::ToDoubleSeconds(r.elapsed));
  absl::StrAppendFormat(&text, "  throughput  %.2f %s/s answered OK\n", r.throughput_per_second(),
                        unit);
  if (unary && r.backoffs > 0) {
    absl::StrAppendFormat(&text, "  back-off    %d refusals waited %.2f s in all before the next call\n",
                          r.backoffs, absl::ToDoubleSeconds(r.backoff_time));
  }
  if (d.rate > 0 && unary) {
    absl::StrAppendFormat(&text, "  schedule    %d sends late by >1 ms (max %.1f ms)\n",
                          r.late_sends, Ms(r.max_send_lag));
  }
  absl::StrAppend(&text, "Latency, ms, ", LatencyOrigin(d), ":\n");
  if (r.latency.count() == 0) {
    absl::StrAppend(&text, "  no successful answers\n");
  } else {
    absl::StrAppendFormat(&text, "  %9s %9s %9s %9s %9s %9s\n", "min", "mean", "p50", "p90", "p99",
                          "max");
    absl::StrAppendFormat(&text, "  %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n", Ms(r.latency.Min()),
                          Ms(r.latency.Mean()), Ms(r.latency.Percentile(50)),
                          Ms(r.latency.Percentile(90)), Ms(r.latency.Percentile(99)),
                          Ms(r.latency.Max()));
  }
  if (r.service.count() > 0) {
    absl::StrAppendFormat(&text,
                          "Server service time, ms (Timings.total_ms - wait_ms): p50 %.1f, "
                          "p99 %.1f\n",
                          Ms(r.service.Percentile(50)), Ms(r.service.Percentile(99)));
    absl::StrAppendFormat(&text,
                          "Server wait (Timings.wait_ms): p50 %.1f, p99 %.1f; server total "
                          "(Timings.total_ms): p50 %.1f, p99 %.1f\n",
                          Ms(r.server_wait.Percentile(50)), Ms(r.server_wait.Percentile(99)),
                          Ms(r.server_total.Percentile(50)), Ms(r.server_total.Percentile(99)));
  }
  if (!r.errors.empty()) {
    absl::StrAppend(&text, "Errors by status code\n");
    for (const auto& [code, count] : r.errors) {
      auto message = r.error_messages.find(code);
      absl::StrAppendFormat(&text, "  %-20s %6d  %s\n", code, count,
                            message == r.error_messages.end() ? "" : message->second);
    }
  }
  return text;
}

std::string FormatJsonReport(const BenchDescription& d, const LoadResult& r) {
  std::vector<std::string> errors;
  for (const auto& [code, count] : r.errors)
    errors.push_back(absl::StrCat(JsonString(code), ":", count));
  std::vector<std::string> messages;
  for (const auto& [code, message] : r.error_messages) {
    messages.push_back(absl::StrCat(JsonString(code), ":", JsonString(message)));
  }
  return absl::StrCat(
      "{\"mode\":", JsonString(d.mode == LoadMode::kUnary ? "unary" : "stream"),
      ",\"server\":", JsonString(d.server), ",\"concurrency\":", d.concurrency,
      ",\"requests\":", d.requests,
      ",\"duration_s\":", absl::StrFormat("%.3f", absl::ToDoubleSeconds(d.duration)),
      ",\"rate\":", absl::StrFormat("%.6g", d.rate), ",\"fps\":", absl::StrFormat("%.6g", d.fps),
      ",\"warmup\":", d.warmup, ",\"images\":", d.image_count,
      ",\"analyses\":", JsonString(d.analyses),
      ",\"latency_origin\":", JsonString(LatencyOrigin(d)), ",\"sent\":", r.sent, ",\"ok\":", r.ok,
      ",\"failed\":", r.failed(),
      ",\"elapsed_s\":", absl::StrFormat("%.4f", absl::ToDoubleSeconds(r.elapsed)),
      ",\"throughput_per_s\":", absl::StrFormat("%.4f", r.throughput_per_second()),
      ",\"latency_ms\":{",
      absl::StrFormat("\"min\":%.3f,\"mean\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
                      "\"max\":%.3f",
                      Ms(r.latency.Min()), Ms(r.latency.Mean()), Ms(r.latency.Percentile(50)),
                      Ms(r.latency.Percentile(90)), Ms(r.latency.Percentile(99)),
                      Ms(r.latency.Max())),
      "},\"service_ms\":{",
      absl::StrFormat("\"count\":%d,\"p50\":%.3f,\"p99\":%.3f", r.service.count(),
                      Ms(r.service.Percentile(50)), Ms(r.service.Percentile(99))),
      "},\"server_wait_ms\":{",
      absl::StrFormat("\"p50\":%.3f,\"p99\":%.3f", Ms(r.server_wait.Percentile(50)),
                      Ms(r.server_wait.Percentile(99))),
      "},\"server_total_ms\":{",
      absl::StrFormat("\"p50\":%.3f,\"p99\":%.3f", Ms(r.server_total.Percentile(50)),
                      Ms(r.server_total.Percentile(99))),
      "},\"late_sends\":", r.late_sends, ",\"backoffs\":", r.backoffs,
      ",\"backoff_s\":", absl::StrFormat("%.3f", absl::ToDoubleSeconds(r.backoff_time)),
      ",\"max_send_lag_ms\":", absl::StrFormat("%.3f", Ms(r.max_send_lag)),
      ",\"frames_dropped\":", r.frames_dropped, ",\"frames_not_sent\":", r.frames_not_sent,
      ",\"streams_failed\":", r.streams_failed, ",\"errors\":{", absl::StrJoin(errors, ","),
      "},\"error_messages\":{", absl::StrJoin(messages, ","), "}}\n");
}

}  // namespace affect::bench
