#include "server/stream/stream_aggregator.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/analysis/face/expression_labels.h"
#include "server/analysis/proto_conversions.h"
#include "server/common/logging.h"
#include "server/common/status_macros.h"
#include "server/stream/track_ids.h"

namespace affect::stream {
namespace {

constexpr int64_t kMinIntervalUs = 100'000;
constexpr int64_t kMaxIntervalUs = 600'000'000;

absl::Status ValidateAggregatorOptions(const StreamAggregatorOptions& o) {
  if (o.aggregate_interval_us < kMinIntervalUs || o.aggregate_interval_us > kMaxIntervalUs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "aggregate_interval_us: ", o.aggregate_interval_us, " is outside [100000, 600000000]"));
  }
  AFFECT_RETURN_IF_ERROR(ValidateExpressionSmootherOptions(o.smoothing));
  AFFECT_RETURN_IF_ERROR(ValidateFaceTrackerOptions(o.tracker));
  AFFECT_RETURN_IF_ERROR(ValidateFusionOptions(o.fusion));
  AFFECT_RETURN_IF_ERROR(ValidateTrackBodyAttentionOptions(o.body_attention));
  AFFECT_RETURN_IF_ERROR(ValidateActiveSpeakerOptions(o.speaker));
  auto at_least_one = [](absl::string_view field, int value) {
    return value >= 1 ? absl::OkStatus()
                      : absl::InvalidArgumentError(
                            absl::StrCat(field, ": ", value, " is outside [1, inf)"));
  };
  AFFECT_RETURN_IF_ERROR(at_least_one("max_changes_per_track", o.max_changes_per_track));
  AFFECT_RETURN_IF_ERROR(at_least_one("max_tracks_per_aggregate", o.max_tracks_per_aggregate));
  AFFECT_RETURN_IF_ERROR(at_least_one("max_voice_windows_ahead", o.max_voice_windows_ahead));
  AFFECT_RETURN_IF_ERROR(
      at_least_one("max_speech_intervals_per_window", o.max_speech_intervals_per_window));
  return absl::OkStatus();
}

v1::ActiveSpeaker ToProto(const ActiveSpeaker& speaker) {
  v1::ActiveSpeaker out;
  out.set_decision(SpeakerDecisionName(speaker.decision));
  out.set_track_id(speaker.track_id);
  out.set_reason(speaker.reason);
  out.set_speech_seconds(speaker.speech_seconds);
  for (const TrackSpeakingEvidence& track : speaker.tracks) {
    v1::SpeakingEvidence* evidence = out.add_tracks();
    evidence->set_track_id(track.track_id);
    evidence->set_speech_samples(static_cast<uint32_t>(track.speech_samples));
    evidence->set_silence_samples(static_cast<uint32_t>(track.silence_samples));
    evidence->set_speech_movement(track.speech_movement);
    evidence->set_silence_movement(track.silence_movement);
    evidence->set_score(track.score);
    evidence->set_judged(track.judged);
  }
  return out;
}

}  // namespace

absl::StatusOr<StreamAggregatorOptions> StreamAggregatorOptionsFromConfig(
    const v1::StreamConfig& config, const StreamAggregatorOptions& defaults) {
  StreamAggregatorOptions options = defaults;
  options.stream_id = config.stream_id();
  options.tracker.first_id = RandomFirstTrackId();  // ids link nothing across streams
  if (config.has_smoothing_window_frames()) {
    const uint32_t frames = config.smoothing_window_frames();
    if (frames < 1 || frames > 300) {
      return absl::InvalidArgumentError(
          absl::StrCat("config.smoothing_window_frames: ", frames, " is outside [1, 300]"));
    }
    options.smoothing.window_frames = static_cast<int>(frames);
  }
  if (config.has_aggregate_interval_ms()) {
    const uint32_t ms = config.aggregate_interval_ms();
    if (ms < 100 || ms > 600000) {
      return absl::InvalidArgumentError(
          absl::StrCat("config.aggregate_interval_ms: ", ms, " is outside [100, 600000]"));
    }
    options.aggregate_interval_us = static_cast<int64_t>(ms) * 1000;
  }
  // Movement energy is reported per window: measure it over the window.
  options.body_attention.movement.window_us = options.aggregate_interval_us;
  options.body_attention.movement.max_step_us =
      std::min(options.body_attention.movement.max_step_us, options.aggregate_interval_us);
  AFFECT_RETURN_IF_ERROR(ValidateAggregatorOptions(options));
  return options;
}

absl::StatusOr<std::unique_ptr<StreamAggregator>> StreamAggregator::Create(
    const StreamAggregatorOptions& options) {
  AFFECT_RETURN_IF_ERROR(ValidateAggregatorOptions(options));
  return std::unique_ptr<StreamAggregator>(new StreamAggregator(options));
}

StreamAggregator::StreamAggregator(const StreamAggregatorOptions& options)
    : options_(options), tracker_(options.tracker) {}

int64_t StreamAggregator::WindowIndex(int64_t timestamp_us) const {
  // Floor division (timestamps are >= 0 here, but be exact anyway).
  const int64_t interval = options_.aggregate_interval_us;
  int64_t index = timestamp_us / interval;
  if (timestamp_us % interval != 0 && timestamp_us < 0) --index;
  return index;
}

int64_t StreamAggregator::open_window_start_us() const { return WindowStart(open_index_); }
int64_t StreamAggregator::open_window_end_us() const { return WindowEnd(open_index_); }

bool StreamAggregator::OpenWindowHasData() const {
  return frames_in_window_ > 0 || voice_windows_.count(open_index_) > 0;
}

absl::Status StreamAggregator::AddFrame(int64_t timestamp_us, v1::ImageAnalysis* analysis,
                                        std::vector<v1::StreamAggregate>* completed) {
  if (finished_) {
    return absl::FailedPreconditionError("the stream's aggregates were already finished");
  }
  if (analysis == nullptr) return absl::InvalidArgumentError("frame analysis is null");
  if (timestamp_us < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame.timestamp_us: ", timestamp_us, " is negative"));
  }
  if (has_frame_ && timestamp_us < last_frame_us_) {
    return absl::InvalidArgumentError(absl::StrCat("frame.timestamp_us: ", timestamp_us,
                                                   " is earlier than the previous frame's ",
                                                   last_frame_us_));
  }
  if (timestamp_us < open_window_start_us()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "frame.timestamp_us: ", timestamp_us, " falls in an aggregate window already emitted (",
        "the open window starts at ", open_window_start_us(), ")"));
  }
  CloseWindowsBefore(timestamp_us, completed);
  stream_time_us_ = std::max(stream_time_us_, timestamp_us);
  has_frame_ = true;
  last_frame_us_ = timestamp_us;
  ++frames_in_window_;
  last_frame_in_window_us_ = timestamp_us;

  auto* faces = analysis->mutable_faces();
  std::vector<analysis::Box> boxes;
  boxes.reserve(static_cast<size_t>(faces->size()));
  for (const v1::Face& face : *faces) boxes.push_back(analysis::FromProto(face.box()));
  const FaceTracker::Update update = tracker_.Track(timestamp_us, boxes);

  for (uint64_t id : update.ended) {
    auto it = tracks_.find(id);
    if (it == tracks_.end()) continue;
    if (it->second.frames_in_window == 0) {
      tracks_.erase(it);
    } else {
      it->second.ended = true;  // reported with its window, then erased
    }
  }

  for (int i = 0; i < faces->size(); ++i) {
    v1::Face& face = (*faces)[i];
    const uint64_t id = update.track_ids[static_cast<size_t>(i)];
    face.set_track_id(id);
    if (id == 0) continue;
    auto [it, inserted] = tracks_.try_emplace(id, options_.smoothing, options_.body_attention);
    TrackState& state = it->second;
    if (state.frames_in_window == 0) state.first_in_window_us = timestamp_us;
    ++state.frames_in_window;
    state.last_in_window_us = timestamp_us;
    state.last_box = face.box();
    if (!face.has_expression()) continue;
    const std::optional<ExpressionScores> scores = ScoresFromResult(face.expression());
    if (!scores.has_value()) {
      AFFECT_LOG(DEBUG).With("stream_id", options_.stream_id).With("track_id", id)
          << "face expression without usable scores; not smoothed";
      continue;
    }
    std::optional<v1::ExpressionChange> change = state.smoother.Add(timestamp_us, *scores);
    if (!change.has_value()) continue;
    if (static_cast<int>(state.changes.size()) < options_.max_changes_per_track) {
      state.changes.push_back(std::move(*change));
    } else {
      ++state.dropped_changes;
    }
  }
  for (v1::PersonAttire& attire : *analysis->mutable_attire()) {
    const int index = attire.face_index();
    attire.set_track_id(index >= 0 && index < faces->size() ? (*faces)[index].track_id() : 0);
  }
  AddBodyAndAttention(timestamp_us, analysis);
  BoundEndedTracks();
  return absl::OkStatus();
}

void StreamAggregator::AddBodyAndAttention(int64_t timestamp_us, v1::ImageAnalysis* analysis) {
  const auto& faces = analysis->faces();
  for (const v1::Face& face : faces) {
    if (face.track_id() == 0 || !face.has_attention()) continue;
    auto it = tracks_.find(face.track_id());
    if (it != tracks_.end()) it->second.body_attention.AddAttention(timestamp_us, face.attention());
  }
  for (v1::PersonBody& body : *analysis->mutable_bodies()) {
    const int index = body.face_index();
    const uint64_t id = index >= 0 && index < faces.size() ? faces[index].track_id() : 0;
    body.set_track_id(id);
    if (id == 0) continue;
    auto it = tracks_.find(id);
    if (it != tracks_.end()) it->second.body_attention.AddBody(timestamp_us, &body);
  }
}

std::optional<ActiveSpeaker> StreamAggregator::DecideSpeaker(const std::vector<uint64_t>& seen,
                                                             std::vector<TimeInterval> speech,
                                                             int64_t end_us) const {
  ActiveSpeakerInput input;
  input.window_start_us = open_window_start_us();
  input.window_end_us = std::max(end_us, input.window_start_us + 1);
  input.speech = std::move(speech);
  for (uint64_t id : seen) {
    const std::vector<MouthSample>& samples = tracks_.at(id).body_attention.mouth_samples();
    if (samples.empty()) continue;
    input.tracks.push_back(TrackMouthSeries{id, samples});
  }
  if (input.tracks.empty()) return std::nullopt;  // ATTENTION off, or nobody seen
  absl::StatusOr<ActiveSpeaker> speaker = AttributeVoice(input, options_.speaker);
  if (!speaker.ok()) {
    AFFECT_LOG(DEBUG).With("stream_id", options_.stream_id)
        << "active speaker not decided: " << speaker.status().message();
    return std::nullopt;
  }
  return std::move(speaker).value();
}

void StreamAggregator::BoundEndedTracks() {
  int ended = 0;
  for (const auto& [id, state] : tracks_) ended += state.ended ? 1 : 0;
  while (ended > options_.max_tracks_per_aggregate) {
    // Drop the ended track seen in the fewest frames of the window (a brief
    // false detection rather than a person), the oldest id on ties.
    auto victim = tracks_.end();
    for (auto it = tracks_.begin(); it != tracks_.end(); ++it) {
      if (!it->second.ended) continue;
      if (victim == tracks_.end() ||
          it->second.frames_in_window < victim->second.frames_in_window) {
        victim = it;
      }
    }
    tracks_.erase(victim);
    ++tracks_dropped_in_window_;
    --ended;
  }
}

absl::Status StreamAggregator::AddVoice(int64_t start_us, const v1::Voice& voice) {
  if (finished_) {
    return absl::FailedPreconditionError("the stream's aggregates were already finished");
  }
  const double seconds = voice.duration_seconds();
  if (!(std::isfinite(seconds) && seconds > 0.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("voice.duration_seconds: ", seconds, " must be positive and finite"));
  }
  if (start_us < 0) {
    return absl::InvalidArgumentError(absl::StrCat("voice start_us: ", start_us, " is negative"));
  }
  const int64_t end_us = start_us + std::max<int64_t>(1, std::llround(seconds * 1e6));
  const int64_t open_start = open_window_start_us();
  if (end_us <= open_start) {
    late_voice_seconds_ += seconds;
    AFFECT_LOG(DEBUG).With("stream_id", options_.stream_id).With("start_us", start_us)
        << "voice for an aggregate window already emitted; dropped";
    return absl::OkStatus();
  }
  // The piece's speech in stream time, from the voice analysis's segments
  // (10 ms decisions). Segments outside the piece, reversed or not finite
  // are clipped or skipped: they never reach outside [start_us, end_us].
  std::vector<TimeInterval> speech;
  for (const v1::SpeechSegment& segment : voice.speech_segments()) {
    const double from = segment.start_seconds();
    const double to = segment.end_seconds();
    if (!(std::isfinite(from) && std::isfinite(to))) continue;
    const double a = std::clamp(from, 0.0, seconds);
    const double b = std::clamp(to, 0.0, seconds);
    if (!(b > a)) continue;
    speech.push_back(TimeInterval{start_us + static_cast<int64_t>(std::llround(a * 1e6)),
                                  std::min<int64_t>(end_us, start_us + std::llround(b * 1e6))});
  }
  const int64_t from_us = std::max(start_us, open_start);
  const int64_t last_index = WindowIndex(end_us - 1);
  if (last_index - open_index_ >= options_.max_voice_windows_ahead) {
    return absl::InvalidArgumentError(absl::StrCat(
        "voice ending at ", end_us, " us reaches ", last_index - open_index_,
        " aggregate windows past the open one (at most ", options_.max_voice_windows_ahead - 1,
        "): the audio runs too far ahead of the video"));
  }
  if (from_us > start_us) {
    late_voice_seconds_ += static_cast<double>(from_us - start_us) / 1e6;
  }
  for (int64_t index = WindowIndex(from_us); index <= last_index; ++index) {
    const int64_t a = std::max(from_us, WindowStart(index));
    const int64_t b = std::min(end_us, WindowEnd(index));
    if (b <= a) continue;
    VoiceWindow& window = voice_windows_[index];
    window.merger.Add(voice, static_cast<double>(b - a) / 1e6);
    window.latest_end_us = std::max(window.latest_end_us, b);
    for (const TimeInterval& interval : speech) {
      const int64_t speech_start = std::max(interval.start_us, a);
      const int64_t speech_end = std::min(interval.end_us, b);
      if (speech_end <= speech_start) continue;
      if (static_cast<int>(window.speech.size()) >= options_.max_speech_intervals_per_window) break;
      window.speech.push_back(TimeInterval{speech_start, speech_end});
    }
  }
  return absl::OkStatus();
}

void StreamAggregator::AdvanceTo(int64_t timestamp_us,
                                 std::vector<v1::StreamAggregate>* completed) {
  if (finished_ || timestamp_us <= stream_time_us_) return;
  CloseWindowsBefore(timestamp_us, completed);
  stream_time_us_ = timestamp_us;
}

void StreamAggregator::CloseWindowsBefore(int64_t timestamp_us,
                                          std::vector<v1::StreamAggregate>* completed) {
  while (timestamp_us >= open_window_end_us()) {
    if (OpenWindowHasData()) {
      EmitOpenWindow(open_window_end_us(), completed);
      continue;
    }
    // Nothing in the open window: jump to the window holding `timestamp_us`,
    // or to the first window holding voice, whichever comes first.
    int64_t next = WindowIndex(timestamp_us);
    auto voice = voice_windows_.upper_bound(open_index_);
    if (voice != voice_windows_.end()) next = std::min(next, voice->first);
    open_index_ = next;
  }
}

void StreamAggregator::EmitOpenWindow(int64_t end_us, std::vector<v1::StreamAggregate>* completed) {
  v1::StreamAggregate aggregate;
  aggregate.set_window_start_us(open_window_start_us());
  aggregate.set_window_end_us(end_us);

  auto voice_it = voice_windows_.find(open_index_);
  v1::Voice voice;
  const bool has_voice = voice_it != voice_windows_.end() && !voice_it->second.merger.empty();
  if (has_voice) {
    voice = voice_it->second.merger.Merged();
    *aggregate.mutable_voice() = voice;
  }
  std::vector<TimeInterval> speech;
  if (voice_it != voice_windows_.end()) {
    speech = std::move(voice_it->second.speech);
    voice_windows_.erase(voice_it);
  }
  if (has_voice) {
    // The window's speech, seconds from the window's start.
    for (const TimeInterval& interval :
         NormaliseSpeech(speech, open_window_start_us(), end_us)) {
      v1::SpeechSegment* segment = aggregate.mutable_voice()->add_speech_segments();
      segment->set_start_seconds(
          static_cast<float>(static_cast<double>(interval.start_us - open_window_start_us()) / 1e6));
      segment->set_end_seconds(
          static_cast<float>(static_cast<double>(interval.end_us - open_window_start_us()) / 1e6));
    }
  }

  // The tracks seen in the window; the most-seen ones when over the bound.
  std::vector<uint64_t> seen;
  for (const auto& [id, state] : tracks_) {
    if (state.frames_in_window > 0) seen.push_back(id);
  }
  int unlisted = tracks_dropped_in_window_;
  if (static_cast<int>(seen.size()) > options_.max_tracks_per_aggregate) {
    std::stable_sort(seen.begin(), seen.end(), [&](uint64_t a, uint64_t b) {
      return tracks_.at(a).frames_in_window > tracks_.at(b).frames_in_window;
    });
    unlisted += static_cast<int>(seen.size()) - options_.max_tracks_per_aggregate;
    seen.resize(static_cast<size_t>(options_.max_tracks_per_aggregate));
    std::sort(seen.begin(), seen.end());
  }
  VoiceEvidence evidence;
  evidence.voice = has_voice ? &voice : nullptr;
  evidence.tracks_in_window = seen;
  evidence.unlisted_tracks = unlisted;
  const std::optional<ActiveSpeaker> speaker =
      has_voice ? DecideSpeaker(seen, std::move(speech), end_us) : std::nullopt;
  if (speaker.has_value()) {
    *aggregate.mutable_speaker() = ToProto(*speaker);
    evidence.speaker = &*speaker;
  }

  for (uint64_t id : seen) {
    const TrackState& state = tracks_.at(id);
    v1::TrackAggregate* track = aggregate.add_tracks();
    track->set_track_id(id);
    track->set_frames_seen(static_cast<uint32_t>(state.frames_in_window));
    *track->mutable_last_box() = state.last_box;
    state.body_attention.FillAggregate(track);
    if (state.smoother.frames() == 0) continue;  // no expression on this track's faces
    const ExpressionScores& smoothed = state.smoother.smoothed();
    for (size_t i = 0; i < smoothed.size(); ++i) {
      v1::ExpressionScore* score = track->add_smoothed_scores();
      score->set_expression(analysis::CanonicalExpressions()[i]);
      score->set_score(smoothed[i]);
    }
    track->set_dominant(state.smoother.dominant());
    for (const v1::ExpressionChange& change : state.changes) *track->add_changes() = change;
    if (state.dropped_changes > 0) {
      AFFECT_LOG(DEBUG).With("stream_id", options_.stream_id).With("track_id", id)
          << state.dropped_changes << " expression changes over the per-window bound dropped";
    }
    FaceEvidence face;
    face.track_id = id;
    face.frames_seen = state.frames_in_window;
    face.first_seen_us = state.first_in_window_us;
    face.last_seen_us = state.last_in_window_us;
    face.smoothed = smoothed;
    face.smoothing_frames = state.smoother.frames();
    face.window_frames = options_.smoothing.window_frames;
    face.dominant = state.smoother.dominant();
    face.changes = state.changes;
    face.movement = state.body_attention.WindowMovement();
    face.attention = state.body_attention.WindowAttention();
    *track->mutable_fused() = FuseAffect(face, evidence, options_.fusion);
  }
  if (unlisted > 0) {
    AFFECT_LOG(DEBUG).With("stream_id", options_.stream_id)
        << unlisted << " tracks over the per-aggregate bound not listed";
  }
  completed->push_back(std::move(aggregate));

  // Open the next window.
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    if (it->second.ended) {
      it = tracks_.erase(it);
      continue;
    }
    it->second.frames_in_window = 0;
    it->second.changes.clear();
    it->second.body_attention.StartWindow();
    it->second.dropped_changes = 0;
    ++it;
  }
  ++open_index_;
  frames_in_window_ = 0;
  tracks_dropped_in_window_ = 0;
}

void StreamAggregator::Finish(int64_t end_us, std::vector<v1::StreamAggregate>* completed) {
  if (finished_) return;
  AdvanceTo(end_us, completed);
  // The open window and any later window holding voice, each cut at the
  // end of the media in it.
  while (OpenWindowHasData() || !voice_windows_.empty()) {
    if (!OpenWindowHasData()) {
      open_index_ = voice_windows_.begin()->first;
      continue;
    }
    // A frame is an instant: the window must reach past it, or a last frame
    // exactly on a window's start would close a window of zero length
    // (found by fuzz/stream_protocol_fuzzer.cc).
    int64_t latest = frames_in_window_ > 0 ? last_frame_in_window_us_ + 1 : open_window_start_us();
    auto voice = voice_windows_.find(open_index_);
    if (voice != voice_windows_.end()) latest = std::max(latest, voice->second.latest_end_us);
    const int64_t end =
        std::clamp(std::max(end_us, latest), open_window_start_us(), open_window_end_us());
    EmitOpenWindow(end, completed);
  }
  finished_ = true;
  tracks_.clear();
}

}  // namespace affect::stream
