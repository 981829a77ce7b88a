// Active speaker: which tracked face, if any, the window's voice belongs to,
// from each face's mouth openness over the window and the audio's voice
// activity.
//
// WHY A RULE ON MOUTH MOVEMENT. Speaking opens and closes the mouth with the
// syllables (4-5 a second), so a speaker's mouth openness varies while the
// audio has speech; a listener's mouth is still. A face that moves its mouth
// all the time (chewing, smiling, a noisy mesh) varies in silence too, so
// the variation in silence is taken off as that face's own baseline.
//
// THE RULE, per track, over the samples inside the window:
//     speech movement   m_s = standard deviation of the mouth openness over
//                             the samples taken during speech
//     silence movement  m_q = the same over the samples taken in silence,
//                             or 0 with fewer than min_silence_samples (4)
//     score             m_s - m_q
// A track is judged when it has at least min_speech_samples (4) samples
// during speech. Then, in this order:
//     no speech         the window has less than min_speech_us (0.3 s) of
//                       speech;
//     no face           no track is judged (nobody was seen while the voice
//                       spoke: an off-screen speaker, or faces lost);
//     no mouth moving   the best score is below min_speaking_movement (0.03;
//                       mesh jitter on a still mouth is about 0.01);
//     ambiguous         the runner-up is within max(min_margin (0.02),
//                       min_relative_margin (30%) x best) of the best: two
//                       faces moved alike, and a wrong attribution is worse
//                       than none;
//     speaker           otherwise the best track.
// A sample belongs to speech when its time lies in a speech interval
// (half-open [start, end)).
//
// INPUT. The speech intervals in stream time, as voice activity detection
// gives them (voice_activity.h: one decision per 10 ms frame; the voice
// analysis reports runs of them as Voice.speech_segments), and per track
// its (time, mouth openness) samples (face_geometry.h: MouthOpenness).
// Intervals are clipped to the window, sorted and merged; samples outside
// the window or not finite are skipped, in any order. The window must have
// 0 <= start < end (INVALID_ARGUMENT otherwise); track ids must be distinct.
//
// Pure functions, thread-safe.
#ifndef AFFECT_SERVER_STREAM_ACTIVE_SPEAKER_H_
#define AFFECT_SERVER_STREAM_ACTIVE_SPEAKER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace affect::stream {

// Half-open [start_us, end_us) in stream time.
struct TimeInterval {
  int64_t start_us = 0;
  int64_t end_us = 0;
};

// The intervals clipped to [start, end), sorted and merged (overlapping or
// touching intervals become one).
std::vector<TimeInterval> NormaliseSpeech(std::vector<TimeInterval> speech, int64_t start,
                                          int64_t end);

struct MouthSample {
  int64_t timestamp_us = 0;
  float openness = 0.0f;  // inner-lip gap / mouth width
};

struct TrackMouthSeries {
  uint64_t track_id = 0;
  std::vector<MouthSample> samples;
};

struct ActiveSpeakerInput {
  int64_t window_start_us = 0;
  int64_t window_end_us = 0;
  std::vector<TimeInterval> speech;
  std::vector<TrackMouthSeries> tracks;
};

struct ActiveSpeakerOptions {
  int64_t min_speech_us = 300'000;      // >= 0
  int min_speech_samples = 4;           // >= 2
  int min_silence_samples = 4;          // >= 2
  float min_speaking_movement = 0.03f;  // > 0
  float min_margin = 0.02f;             // >= 0
  float min_relative_margin = 0.3f;     // [0, 1)
};

// INVALID_ARGUMENT naming the option when one is out of range.
absl::Status ValidateActiveSpeakerOptions(const ActiveSpeakerOptions& options);

enum class SpeakerDecision { kSpeaker, kNoSpeech, kNoFaceDuringSpeech, kNoMouthMoving, kAmbiguous };

// "speaker", "no_speech", "no_face_during_speech", "no_mouth_moving",
// "ambiguous".
const char* SpeakerDecisionName(SpeakerDecision decision);

struct TrackSpeakingEvidence {
  uint64_t track_id = 0;
  int speech_samples = 0;
  int silence_samples = 0;
  float speech_movement = 0.0f;
  float silence_movement = 0.0f;  // 0 when too few silence samples
  float score = 0.0f;
  bool judged = false;  // enough samples during speech
};

struct ActiveSpeaker {
  SpeakerDecision decision = SpeakerDecision::kNoSpeech;
  // The speaking track when decision == kSpeaker, else 0.
  uint64_t track_id = 0;
  double speech_seconds = 0.0;
  // One entry per input track, in input order.
  std::vector<TrackSpeakingEvidence> tracks;
  // One line for people: the decision and the numbers behind it.
  std::string reason;
};

// Attributes the window's voice (see above). INVALID_ARGUMENT for a bad
// window or a repeated track id.
absl::StatusOr<ActiveSpeaker> AttributeVoice(const ActiveSpeakerInput& input,
                                             const ActiveSpeakerOptions& options);


}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_ACTIVE_SPEAKER_H_
