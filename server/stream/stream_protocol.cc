#include "server/stream/stream_protocol.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/media/audio_decoder.h"

namespace affect::stream {

StreamProtocol::StreamProtocol(StreamProtocolOptions options) : options_(std::move(options)) {}

absl::StatusOr<StreamStep> StreamProtocol::Accept(const v1::StreamRequest& request) {
  if (!configured_) {
    if (!request.has_config()) {
      return absl::InvalidArgumentError(
          "the first message of a stream must be `config` (StreamConfig)");
    }
    return AcceptConfig(request.config());
  }
  if (request.has_config()) {
    return absl::InvalidArgumentError("`config` may only be sent once, as the first message");
  }
  if (request.has_frame()) return AcceptFrame(request.frame());
  if (request.has_audio()) return AcceptAudio(request.audio());
  return absl::InvalidArgumentError("empty StreamRequest: set config, frame or audio");
}

absl::StatusOr<StreamStep> StreamProtocol::AcceptConfig(const v1::StreamConfig& config) {
  StreamStep step;
  step.kind = StreamStep::Kind::kConfigure;
  StreamSetup& setup = step.setup;
  if (options_.server_config_check) {
    absl::StatusOr<std::string> id = options_.server_config_check(config);
    if (!id.ok()) return id.status();
    setup.stream_id = *std::move(id);
  } else {
    setup.stream_id = config.stream_id();
  }

  StreamScheduleOptions& schedule = setup.schedule;
  schedule.max_running = options_.max_running_frames;
  schedule.drop_policy = config.drop_policy() == v1::DROP_POLICY_UNSPECIFIED
                             ? v1::DROP_POLICY_DROP_OLDEST
                             : config.drop_policy();
  if (!v1::DropPolicy_IsValid(schedule.drop_policy)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config.drop_policy: ", static_cast<int>(schedule.drop_policy), " is not a drop policy"));
  }
  if (config.has_max_frames_in_flight()) {
    if (config.max_frames_in_flight() < 1 || config.max_frames_in_flight() > 64) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config.max_frames_in_flight: ", config.max_frames_in_flight(), " is outside [1, 64]"));
    }
    schedule.max_in_flight = static_cast<int>(config.max_frames_in_flight());
  }
  schedule.max_frame_age = options_.default_max_frame_age;
  if (config.has_max_frame_age_ms()) {
    if (config.max_frame_age_ms() < 1 || config.max_frame_age_ms() > 60000) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config.max_frame_age_ms: ", config.max_frame_age_ms(), " is outside [1, 60000]"));
    }
    schedule.max_frame_age = absl::Milliseconds(config.max_frame_age_ms());
  }
  setup.live = schedule.drop_policy != v1::DROP_POLICY_BACKPRESSURE;

  absl::StatusOr<SlowAnalysisIntervals> slow_intervals = SlowAnalysisIntervalsFromConfig(config);
  if (!slow_intervals.ok()) return slow_intervals.status();
  setup.slow_intervals = *slow_intervals;
  absl::StatusOr<StreamAggregatorOptions> aggregator_options =
      StreamAggregatorOptionsFromConfig(config);
  if (!aggregator_options.ok()) return aggregator_options.status();
  aggregator_options->stream_id = setup.stream_id;
  absl::StatusOr<std::unique_ptr<StreamAggregator>> aggregator =
      StreamAggregator::Create(*aggregator_options);
  if (!aggregator.ok()) return aggregator.status();
  setup.aggregator = *std::move(aggregator);
  if (config.has_audio_format()) {
    if (absl::Status status = ValidateAudioFormat(config.audio_format(), "config.audio_format");
        !status.ok()) {
      return status;
    }
    setup.audio_format = config.audio_format();
    // The format passed: its rate is positive and bounded (media.proto).
    setup.audio = std::make_unique<AudioPiecer>(config.audio_format().sample_rate_hz(),
                                                aggregator_options->aggregate_interval_us,
                                                options_.max_buffered_audio_seconds);
  }
  configured_ = true;
  audio_format_ = setup.audio_format;
  return step;
}

absl::StatusOr<StreamStep> StreamProtocol::AcceptFrame(const v1::VideoFrame& frame) {
  if (last_sequence_.has_value() && frame.sequence() <= *last_sequence_) {
    return absl::InvalidArgumentError(absl::StrCat("frame.sequence ", frame.sequence(),
                                                   " does not increase (previous ", *last_sequence_,
                                                   ")"));
  }
  if (frame.timestamp_us() < 0 || frame.timestamp_us() > kMaxStreamTimeUs) {
    return absl::InvalidArgumentError(absl::StrCat("frame.timestamp_us ", frame.timestamp_us(),
                                                   " is outside [0, ", kMaxStreamTimeUs, "]"));
  }
  if (last_timestamp_us_.has_value() && frame.timestamp_us() < *last_timestamp_us_) {
    return absl::InvalidArgumentError(absl::StrCat("frame.timestamp_us ", frame.timestamp_us(),
                                                   " is earlier than the previous frame's (",
                                                   *last_timestamp_us_, ")"));
  }
  last_sequence_ = frame.sequence();
  last_timestamp_us_ = frame.timestamp_us();
  StreamStep step;
  step.kind = StreamStep::Kind::kFrame;
  step.frame_index = next_frame_index_++;
  return step;
}

absl::StatusOr<StreamStep> StreamProtocol::AcceptAudio(const v1::AudioChunk& chunk) {
  if (!audio_format_.has_value()) {
    return absl::InvalidArgumentError(
        "audio chunk received but config.audio_format was not set: say what the samples are");
  }
  absl::StatusOr<std::vector<float>> samples =
      DecodePcmChunk(chunk.data(), *audio_format_, "audio.data");
  if (!samples.ok()) return samples.status();
  StreamStep step;
  step.kind = StreamStep::Kind::kAudio;
  step.samples = *std::move(samples);
  step.audio_timestamp_us = chunk.timestamp_us();
  return step;
}

}  // namespace affect::stream
