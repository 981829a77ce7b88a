// Human-readable rendering of the API's messages (`--output table`): what a
// person trying the service wants to see at a glance. Machine consumers use
// `--output json` instead (json_format.h); nothing parses these strings.
//
// Pure functions; every returned string ends with a newline.
#ifndef AFFECT_CLIENT_CLI_TABLE_FORMAT_H_
#define AFFECT_CLIENT_CLI_TABLE_FORMAT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "affect/v1/affect_service.pb.h"
#include "grpc/health/v1/health.pb.h"

namespace affect::client {

// "happy", "neutral", ...; "-" for UNSPECIFIED.
std::string ExpressionName(v1::Expression expression);

// A whole unary answer: faces, attire, scene, voice, timings, models.
// `source` labels the input (the file name).
std::string FormatAnalyzeResponse(const v1::AnalyzeResponse& response, absl::string_view source);

// The image part alone (faces, attire, scene sections).
std::string FormatImageAnalysis(const v1::ImageAnalysis& analysis);
std::string FormatVoice(const v1::Voice& voice);
std::string FormatTimings(const v1::Timings& timings);

// One line per frame result (or two with an error), one block per
// aggregate, one line for the summary.
std::string FormatFrameResult(const v1::FrameResult& frame);
std::string FormatStreamAggregate(const v1::StreamAggregate& aggregate);
std::string FormatStreamSummary(const v1::StreamSummary& summary);

std::string FormatModels(const v1::ListModelsResponse& models);
std::string FormatServerInfo(const v1::ServerInfo& info);
std::string FormatHealth(const grpc::health::v1::HealthCheckResponse& health,
                         absl::string_view service);

}  // namespace affect::client

#endif  // AFFECT_CLIENT_CLI_TABLE_FORMAT_H_
