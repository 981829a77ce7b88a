// Helpers shared by the fault tests (fault_test.cc in-process,
// fault_binary_test.cc on the real binary): request builders and a /metrics
// reader that waits until the server has let go of every call.
#ifndef AFFECT_TESTS_API_FAULT_TEST_UTIL_H_
#define AFFECT_TESTS_API_FAULT_TEST_UTIL_H_

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "affect/v1/affect_service.pb.h"
#include "tests/testing/http_get.h"

namespace affect::testing {

// An 8x8 grey raw image: decodes without a codec, runs the whole pipeline.
inline void SetGreyImage(v1::Image* image) {
  v1::RawImage* raw = image->mutable_raw();
  raw->set_width(8);
  raw->set_height(8);
  raw->set_format(v1::PIXEL_FORMAT_GRAY8);
  raw->set_data(std::string(64, '\x80'));
}

inline v1::AnalyzeRequest GreyImageRequest() {
  v1::AnalyzeRequest request;
  SetGreyImage(request.mutable_image());
  request.add_analyses(v1::ANALYSIS_EMOTION);
  return request;
}

inline v1::StreamRequest StreamConfigMessage(const std::string& stream_id) {
  v1::StreamRequest request;
  request.mutable_config()->set_stream_id(stream_id);
  request.mutable_config()->add_analyses(v1::ANALYSIS_EMOTION);
  return request;
}

inline v1::StreamRequest StreamFrameMessage(int64_t sequence) {
  v1::StreamRequest request;
  request.mutable_frame()->set_sequence(static_cast<uint64_t>(sequence));
  SetGreyImage(request.mutable_frame()->mutable_image());
  return request;
}

// The value of the sample `series` (name and labels exactly as exposed, e.g.
// `affect_call_state_created_total{kind="stream_session"}`), or nullopt.
inline std::optional<double> MetricValue(const std::string& exposition, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n', absl::SkipEmpty())) {
    if (!absl::StartsWith(line, series) || line.size() <= series.size() ||
        line[series.size()] != ' ') {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return std::nullopt;
}

// What the fault tests check once clients have gone: no call in flight, no
// stream open, and every piece of per-call state created has been released.
struct CallGauges {
  std::optional<double> in_flight;
  std::optional<double> active_streams;
  std::optional<double> created_calls, released_calls;
  std::optional<double> created_sessions, released_sessions;
  std::string exposition;

  bool Settled() const {
    return in_flight == 0.0 && active_streams == 0.0 && created_calls.has_value() &&
           created_calls == released_calls && created_sessions.has_value() &&
           created_sessions == released_sessions;
  }
  std::string Describe() const {
    auto show = [](const std::optional<double>& v) {
      return v.has_value() ? absl::StrCat(*v) : std::string("absent");
    };
    return absl::StrCat(
        "affect_rpc_in_flight=", show(in_flight), " affect_active_streams=", show(active_streams),
        " admitted calls created/released=", show(created_calls), "/", show(released_calls),
        " stream sessions created/released=", show(created_sessions), "/", show(released_sessions));
  }
};

inline CallGauges ReadCallGauges(const std::string& exposition) {
  CallGauges gauges;
  gauges.exposition = exposition;
  gauges.in_flight = MetricValue(exposition, "affect_rpc_in_flight");
  gauges.active_streams = MetricValue(exposition, "affect_active_streams");
  gauges.created_calls =
      MetricValue(exposition, "affect_call_state_created_total{kind=\"admitted_call\"}");
  gauges.released_calls =
      MetricValue(exposition, "affect_call_state_released_total{kind=\"admitted_call\"}");
  gauges.created_sessions =
      MetricValue(exposition, "affect_call_state_created_total{kind=\"stream_session\"}");
  gauges.released_sessions =
      MetricValue(exposition, "affect_call_state_released_total{kind=\"stream_session\"}");
  return gauges;
}

// Scrapes /metrics on `metrics_port` until the gauges settle or `timeout`
// passes (a call is counted when gRPC is done with it, which may be a moment
// after the client has its answer); returns the last reading.
inline CallGauges WaitForCallGaugesToSettle(int metrics_port,
                                            absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time give_up = absl::Now() + timeout;
  CallGauges gauges;
  while (true) {
    absl::StatusOr<std::string> body = HttpGet(metrics_port, "/metrics");
    if (body.ok()) gauges = ReadCallGauges(*body);
    if (gauges.Settled() || absl::Now() > give_up) return gauges;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace affect::testing

#endif  // AFFECT_TESTS_API_FAULT_TEST_UTIL_H_
