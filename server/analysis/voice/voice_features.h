// The prosodic measurements of one clip or stream window (the input to the
// arousal estimate and the source of the `Voice` message's fields).
#ifndef AFFECT_SERVER_ANALYSIS_VOICE_VOICE_FEATURES_H_
#define AFFECT_SERVER_ANALYSIS_VOICE_VOICE_FEATURES_H_

#include <optional>
#include <vector>

namespace affect {

// Over the voiced frames (speech frames where YIN found a pitch).
struct PitchSummary {
  float mean_hz = 0.0f;
  // Population standard deviation.
  float stddev_hz = 0.0f;
  float min_hz = 0.0f;
  float max_hz = 0.0f;
  // Voiced frames / speech frames.
  float voiced_share = 0.0f;
  // The same on a log scale, which is how pitch is perceived and compared
  // across speakers: 12 * log2(f0 / 100 Hz).
  float mean_semitones = 0.0f;
  float stddev_semitones = 0.0f;
  int voiced_frames = 0;
};

// Where in the clip a run of speech frames lies, seconds from its start.
struct SpeechSpan {
  double start_seconds = 0.0;
  double end_seconds = 0.0;
};

struct VoiceFeatures {
  double duration_seconds = 0.0;
  int frame_count = 0;
  int speech_frame_count = 0;
  // Speech frames x 10 ms hop.
  double speech_seconds = 0.0;
  bool speech_present = false;
  // Speech frames / frames.
  float active_share = 0.0f;
  // One span per run of speech frames (after the detector's smoothing), in
  // order, not overlapping: frame i stands for the 10 ms hop at its centre,
  // [i * 10 + 10, i * 10 + 20) ms; a run touching the clip's first or last
  // frame extends to that edge of the clip.
  std::vector<SpeechSpan> speech_spans;
  // RMS of the speech frames, or of every frame when there is no speech;
  // 20 log10(rms), floored at -120 dBFS.
  float loudness_dbfs = -120.0f;
  // Set when there is speech; voiced_frames may still be 0.
  std::optional<PitchSummary> pitch;
  int syllable_nuclei = 0;
  // Nuclei per second of speech; unset below the minimum speech duration.
  std::optional<float> speaking_rate_hz;
};

}  // namespace affect

#endif  // AFFECT_SERVER_ANALYSIS_VOICE_VOICE_FEATURES_H_
