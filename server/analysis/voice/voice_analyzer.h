// Voice analysis of 16 kHz mono audio: voice activity, loudness, pitch,
// speaking rate and arousal, filling the `Voice` message of
// affect/v1/results.proto. The speech-emotion model is separate
// (speech_emotion_classifier.h) because it is asynchronous.
//
// Pipeline (README "Voice analysis"): 30 ms frames every 10 ms ->
// frame features and VAD (voice_activity.h) -> YIN pitch on speech frames
// (yin_pitch.h) -> loudness of the speech frames -> syllable nuclei
// (syllable_nuclei.h) -> arousal against a reference (voice_arousal.h).
//
// Audio at other rates or with several channels is converted first with
// affect::DecodeAudio and affect::Resample (server/media).
#ifndef AFFECT_SERVER_ANALYSIS_VOICE_VOICE_ANALYZER_H_
#define AFFECT_SERVER_ANALYSIS_VOICE_VOICE_ANALYZER_H_

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "affect/v1/results.pb.h"
#include "server/analysis/voice/syllable_nuclei.h"
#include "server/analysis/voice/voice_activity.h"
#include "server/analysis/voice/voice_arousal.h"
#include "server/analysis/voice/voice_features.h"

namespace affect {

struct VoiceAnalyzerOptions {
  // YIN search range and threshold (see yin_pitch.h).
  float pitch_min_hz = 60.0f;
  float pitch_max_hz = 400.0f;
  float yin_threshold = 0.15f;
  VoiceActivityOptions vad;
  SyllableNucleiOptions syllables;
};

// What a stream carries from one analysed window to the next.
struct VoiceStreamState {
  VoiceActivityState vad;
  VoiceBaseline baseline;
};

// Stateless apart from its options: Analyze* are const and thread-safe (each
// call uses its own scratch buffers); stream state lives in the caller's
// VoiceStreamState.
class VoiceAnalyzer {
 public:
  // INVALID_ARGUMENT naming the option when an option is out of range:
  // pitch range within [40, 1000] Hz with min < max, yin_threshold in (0, 1),
  // positive smoothing lengths.
  static absl::StatusOr<std::unique_ptr<VoiceAnalyzer>> Create(const VoiceAnalyzerOptions& options);

  // Measures `samples` (16 kHz mono). `vad_state` may be null (fresh
  // noise floor); a stream passes its own to carry the floor over.
  VoiceFeatures Analyze(absl::Span<const float> samples, VoiceActivityState* vad_state) const;

  // A unary clip: arousal against the population reference.
  v1::Voice AnalyzeClip(absl::Span<const float> samples) const;

  // One window of a stream: arousal against the stream's baseline as it was
  // before this window, then the window joins the baseline.
  v1::Voice AnalyzeStreamWindow(absl::Span<const float> samples, VoiceStreamState* state) const;

  const VoiceAnalyzerOptions& options() const { return options_; }

 private:
  explicit VoiceAnalyzer(const VoiceAnalyzerOptions& options) : options_(options) {}

  VoiceAnalyzerOptions options_;
};

// Fills the measured fields of `voice` (everything but emotion_scores and
// emotion_model). Fields without a value (pitch without voiced frames, rate
// of a short clip, arousal without speech) stay unset.
void FillVoice(const VoiceFeatures& features, std::optional<float> arousal, v1::Voice* voice);

}  // namespace affect

#endif  // AFFECT_SERVER_ANALYSIS_VOICE_VOICE_ANALYZER_H_
