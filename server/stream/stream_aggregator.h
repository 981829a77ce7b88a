// The affect state of one AnalyzeStream: tracks faces across frames, smooths
// each track's expression, turns changes of the smoothed dominant into
// events, merges the voice, fuses face and voice, and cuts stream time into
// aggregate windows (StreamAggregate in affect_service.proto).
//
//   FaceTracker (face_tracker.h)               -> Face.track_id
//   ExpressionSmoother per track (expression_smoother.h)
//                                              -> smoothed scores, changes
//   VoiceMerger per window (voice_merger.h)    -> StreamAggregate.voice
//   TrackBodyAttention per track (track_body_attention.h)
//                                              -> PersonBody.track_id,
//                                                 TrackAggregate.attention,
//                                                 drowsiness_changes,
//                                                 movement_energy, posture
//   AttributeVoice per window (active_speaker.h)
//                                              -> StreamAggregate.speaker
//   FuseAffect (affect_fusion.h)               -> TrackAggregate.fused
//
// HOW A SESSION USES IT (one object per stream):
//
//   AFFECT_ASSIGN_OR_RETURN(StreamAggregatorOptions options,
//                           StreamAggregatorOptionsFromConfig(config));
//   AFFECT_ASSIGN_OR_RETURN(std::unique_ptr<StreamAggregator> affect,
//                           StreamAggregator::Create(options));
//   std::vector<v1::StreamAggregate> ready;
//   // Each successfully analysed frame, in frame order, BEFORE its
//   // FrameResult is sent (this fills Face.track_id, PersonAttire.track_id
//   // and PersonBody.track_id in place, and adds the lean cue to
//   // PersonBody.cues):
//   status = affect->AddFrame(frame.timestamp_us(), result.mutable_analysis(), &ready);
//   // Each analysed piece of audio (its first sample's stream time):
//   status = affect->AddVoice(piece_start_us, voice);
//   // Audio-only streams move time on by hand:
//   affect->AdvanceTo(audio_end_us, &ready);
//   // End of stream (client half-close or drain): the last, partial window.
//   affect->Finish(media_end_us, &ready);
//   // Send every element of `ready` as a StreamResponse.aggregate, in order.
//
// WINDOWS. Window k covers stream time [k I, (k + 1) I), I =
// aggregate_interval (windows are aligned to stream time 0, not to the
// first frame). Stream time is the latest frame timestamp or AdvanceTo
// argument; audio does not move it (audio may run ahead of or behind the
// video; frames decide). When stream time reaches a window's end, that
// window is emitted if anything was analysed in it (a frame, even one
// without faces, or a voice piece) and skipped otherwise: after a jump over
// several windows (a pause, dropped frames) only the windows that hold data
// are emitted, so a caller sees a gap in window_start_us rather than a run
// of empty aggregates. Each AddFrame/AdvanceTo emits at most the windows that
// hold data.
//
// VOICE TIMING. A voice piece counts in the windows it overlaps (split by
// time, see voice_merger.h). It must be added before stream time passes the
// end of its window: the part of a piece that falls in a window already
// emitted is dropped and counted in late_voice_seconds(). So a session
// analyses the audio it has buffered up to open_window_end_us() and adds it
// before passing the frame whose timestamp reaches that end. Voice pieces
// may run ahead of the frames by up to max_voice_windows_ahead windows.
//
// TRACKS IN AN AGGREGATE: every track seen in the window (frames_seen >= 1),
// by ascending id, with last_box, frames_seen, and - when its faces carried
// an expression - smoothed_scores (the smoother's state after the track's
// last frame of the window that had an expression), dominant (the
// debounced one, so it agrees with the change events), the changes decided
// in the window (an event is stamped with the first frame that showed the
// new dominant, which can lie up to min_lead_frames - 1 frames before the
// window's start), and fused. A track whose faces had no expression (EMOTION not
// requested) has no scores, no dominant and no fused affect. With ATTENTION:
// attention (as of the track's last attention sample in the window) and the
// drowsiness changes decided in the window; with BODY (a PersonBody linked
// to the track's face through face_index): movement_energy and posture.
//
// ACTIVE SPEAKER. The window's speech intervals are the voice pieces'
// speech segments (Voice.speech_segments: runs of the voice activity
// detector's 10 ms decisions) placed at the pieces' stream times. When
// the window has voice and at least one track's mouth was measured,
// AttributeVoice decides the speaker (StreamAggregate.speaker), and fusion
// uses the voice for that track even with several faces in view.
//
// BOUNDS (memory per stream, whatever the input):
//   live tracks              <= tracker.max_live_tracks (128)
//   per-track state          smoothing window (<= 300 x 7 floats) + the
//                            window's changes (<= max_changes_per_track, 16;
//                            later ones in the same window are dropped)
//   ended tracks kept until their window is emitted
//                            <= max_tracks_per_aggregate (128; beyond it the
//                            one seen in fewest frames is dropped)
//   tracks per aggregate     <= max_tracks_per_aggregate (those seen in most
//                            frames)
//   pending voice windows    <= max_voice_windows_ahead (256), O(labels) each
//
// THREADS: not thread-safe. The session calls it from one strand at a time
// (externally serialised); frames in frame order.
#ifndef AFFECT_SERVER_STREAM_STREAM_AGGREGATOR_H_
#define AFFECT_SERVER_STREAM_STREAM_AGGREGATOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "affect/v1/affect_service.pb.h"
#include "affect/v1/results.pb.h"
#include "server/stream/active_speaker.h"
#include "server/stream/affect_fusion.h"
#include "server/stream/expression_smoother.h"
#include "server/stream/face_tracker.h"
#include "server/stream/track_body_attention.h"
#include "server/stream/voice_merger.h"

namespace affect::stream {

struct StreamAggregatorOptions {
  // For log lines only.
  std::string stream_id;
  // Window length. [100 ms, 600 s] (StreamConfig.aggregate_interval_ms).
  int64_t aggregate_interval_us = 2'000'000;
  // window_frames is StreamConfig.smoothing_window_frames.
  ExpressionSmootherOptions smoothing;
  FaceTrackerOptions tracker;
  FusionOptions fusion;
  // Per-track attention, movement and lean (movement.window_us is set to
  // the aggregate interval by StreamAggregatorOptionsFromConfig).
  TrackBodyAttentionOptions body_attention;
  ActiveSpeakerOptions speaker;
  // Speech intervals kept per window, at most. >= 1.
  int max_speech_intervals_per_window = 1024;
  // Change events per track per window, at most. >= 1.
  int max_changes_per_track = 16;
  // Tracks per aggregate, and ended tracks awaiting their window, at most.
  // >= 1.
  int max_tracks_per_aggregate = 128;
  // How far (in windows) voice may run ahead of the open window. >= 1.
  int max_voice_windows_ahead = 256;
};

// `defaults` with the stream's smoothing_window_frames and
// aggregate_interval_ms when set. INVALID_ARGUMENT naming the field when
// one is out of range, e.g. "config.smoothing_window_frames: 0 is outside
// [1, 300]".
absl::StatusOr<StreamAggregatorOptions> StreamAggregatorOptionsFromConfig(
    const v1::StreamConfig& config, const StreamAggregatorOptions& defaults = {});

class StreamAggregator {
 public:
  // INVALID_ARGUMENT naming the option when one is out of range.
  static absl::StatusOr<std::unique_ptr<StreamAggregator>> Create(
      const StreamAggregatorOptions& options);

  // One analysed frame at `timestamp_us` (stream time). First emits, into
  // `completed`, the windows that end at or before it; then assigns track
  // ids (Face.track_id, and PersonAttire.track_id through face_index) and
  // updates the tracks. Frames whose analysis failed are not passed (they
  // would count as frames in which every track was missed).
  // INVALID_ARGUMENT when `timestamp_us` is earlier than the previous
  // frame's or falls in a window already emitted (nothing is changed then);
  // FAILED_PRECONDITION after Finish.
  absl::Status AddFrame(int64_t timestamp_us, v1::ImageAnalysis* analysis,
                        std::vector<v1::StreamAggregate>* completed);

  // One analysed piece of audio starting at `start_us` and lasting
  // voice.duration_seconds(). INVALID_ARGUMENT for a duration that is not
  // positive and finite, or a piece reaching more than
  // max_voice_windows_ahead windows past the open one; FAILED_PRECONDITION
  // after Finish. A piece (or part) in an emitted window is dropped (OK,
  // counted in late_voice_seconds()).
  absl::Status AddVoice(int64_t start_us, const v1::Voice& voice);

  // Moves stream time on to `timestamp_us` (no-op when not later), emitting
  // the windows that end at or before it.
  void AdvanceTo(int64_t timestamp_us, std::vector<v1::StreamAggregate>* completed);

  // Ends the stream: emits the windows ending by `end_us`, then every
  // remaining window that holds data. The last window is cut at
  // max(end_us, the latest frame or voice end in it), never beyond its
  // nominal end: pass the end of the media (e.g. last frame timestamp plus
  // one frame interval, or the end of the last audio chunk). Later calls do
  // nothing (AddFrame/AddVoice: FAILED_PRECONDITION).
  void Finish(int64_t end_us, std::vector<v1::StreamAggregate>* completed);

  // The window frames and voice currently go to.
  int64_t open_window_start_us() const;
  int64_t open_window_end_us() const;
  // Latest frame timestamp or AdvanceTo argument (0 before any).
  int64_t stream_time_us() const { return stream_time_us_; }
  // Per-track states held (live tracks plus ended ones awaiting their
  // window); see BOUNDS.
  size_t track_states() const { return tracks_.size(); }
  const FaceTracker& tracker() const { return tracker_; }
  // Seconds of voice dropped because their window had been emitted.
  double late_voice_seconds() const { return late_voice_seconds_; }
  bool finished() const { return finished_; }
  const StreamAggregatorOptions& options() const { return options_; }

 private:
  struct TrackState {
    TrackState(const ExpressionSmootherOptions& smoothing,
               const TrackBodyAttentionOptions& body_attention_options)
        : smoother(smoothing), body_attention(body_attention_options) {}
    ExpressionSmoother smoother;
    TrackBodyAttention body_attention;
    int frames_in_window = 0;
    int64_t first_in_window_us = 0;
    int64_t last_in_window_us = 0;
    v1::BoundingBox last_box;
    std::vector<v1::ExpressionChange> changes;  // in the open window
    int dropped_changes = 0;                    // in the open window
    bool ended = false;                         // the tracker ended it
  };
  struct VoiceWindow {
    VoiceMerger merger;
    int64_t latest_end_us = 0;         // of the voice in this window
    std::vector<TimeInterval> speech;  // the pieces' speech segments
  };

  explicit StreamAggregator(const StreamAggregatorOptions& options);

  int64_t WindowStart(int64_t index) const { return index * options_.aggregate_interval_us; }
  int64_t WindowEnd(int64_t index) const { return WindowStart(index + 1); }
  int64_t WindowIndex(int64_t timestamp_us) const;
  bool OpenWindowHasData() const;
  // Emits (or skips, when empty) every window ending at or before
  // `timestamp_us`; afterwards the open window contains it.
  void CloseWindowsBefore(int64_t timestamp_us, std::vector<v1::StreamAggregate>* completed);
  // Emits the open window as [start, end_us) and opens the next one.
  void EmitOpenWindow(int64_t end_us, std::vector<v1::StreamAggregate>* completed);
  // The speaker of the open window (ending at `end_us`) among `seen`, from
  // their mouth samples; nullopt when no track's mouth was measured.
  std::optional<ActiveSpeaker> DecideSpeaker(const std::vector<uint64_t>& seen,
                                             std::vector<TimeInterval> speech,
                                             int64_t end_us) const;
  // Feeds each face's attention and each linked body to its track.
  void AddBodyAndAttention(int64_t timestamp_us, v1::ImageAnalysis* analysis);
  // Keeps the ended-track states awaiting their window within bounds.
  void BoundEndedTracks();

  StreamAggregatorOptions options_;
  FaceTracker tracker_;
  std::map<uint64_t, TrackState> tracks_;         // by ascending id
  std::map<int64_t, VoiceWindow> voice_windows_;  // by window index
  int64_t open_index_ = 0;
  int frames_in_window_ = 0;
  int64_t last_frame_in_window_us_ = 0;
  int tracks_dropped_in_window_ = 0;
  int64_t stream_time_us_ = 0;
  bool has_frame_ = false;
  int64_t last_frame_us_ = 0;
  double late_voice_seconds_ = 0.0;
  bool finished_ = false;
};

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_STREAM_AGGREGATOR_H_
