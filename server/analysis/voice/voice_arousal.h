// Arousal (calm -1 .. excited +1) DERIVED from prosody, not from a model.
//
// Four features, each turned into a z-score against a reference (mean,
// standard deviation) and clipped to [-3, 3]:
//   loudness     speech loudness, dBFS                       weight 0.35
//   pitch level  mean F0, semitones re 100 Hz                weight 0.25
//   pitch spread F0 standard deviation, semitones            weight 0.20
//   rate         syllable nuclei per second of speech        weight 0.20
//   arousal = tanh( sum_i w_i z_i / sum_i w_i )  over the features present
// (a clip without voiced frames has no pitch features, a short one no rate).
// No speech: no arousal. Louder, higher, more varied and faster speech reads
// as more aroused, the direction the vocal-affect literature agrees on
// (e.g. Juslin and Laukka, Psychological Bulletin 2003); the weights order
// the cues by how consistently they track arousal there, and are a design
// choice, not a fit.
//
// References: unary calls use PopulationProsodyReference() (README
// "Voice arousal" gives the numbers and why). Streams use a VoiceBaseline:
// z-scores against the population blended with z-scores against the
// stream's own statistics, weighted by how much speech the stream has had,
// so a stream is compared with itself once it has spoken for a while.
#ifndef AFFECT_SERVER_ANALYSIS_VOICE_VOICE_AROUSAL_H_
#define AFFECT_SERVER_ANALYSIS_VOICE_VOICE_AROUSAL_H_

#include <optional>

#include "server/analysis/voice/voice_features.h"

namespace affect {

struct FeatureReference {
  double mean = 0.0;
  double stddev = 1.0;
};

struct ProsodyReference {
  FeatureReference loudness_dbfs;
  FeatureReference pitch_semitones;
  FeatureReference pitch_spread_semitones;
  FeatureReference speaking_rate_hz;
};

// Fixed adult-speech references (unary calls):
//   loudness -26 +- 6 dBFS, pitch 8.1 +- 4 st (160 Hz), spread 2.5 +- 1 st,
//   rate 4 +- 1 per second.
const ProsodyReference& PopulationProsodyReference();

// The arousal of `features` against `reference`, or nullopt without speech.
std::optional<float> EstimateArousal(const VoiceFeatures& features,
                                     const ProsodyReference& reference);

// A stream's running prosodic baseline: speech-weighted means and standard
// deviations of each feature over the windows added so far. A window is
// scored against it by blending, per feature, the z-score against the
// population with the z-score against the stream:
//   z = a * z_population + (1 - a) * z_stream,   a = p / (p + W)
// where W is the stream's speech seconds with that feature and p =
// `prior_seconds` (5 s by default, between two and three default aggregate
// windows). A new stream is thus scored like a unary clip, and after a
// minute of speech mostly against itself (a = 0.08). The stream's standard
// deviation is kept above a floor (loudness 2 dB, pitch 1 st, spread
// 0.5 st, rate 0.5 /s) so that a very steady speaker does not turn small
// changes into extreme z-scores.
//
// Thread-compatible: one per stream.
class VoiceBaseline {
 public:
  VoiceBaseline();
  VoiceBaseline(const ProsodyReference& population, double prior_seconds);

  // Adds one window's features, weighted by its speech seconds (a window
  // without speech adds nothing).
  void Add(const VoiceFeatures& features);

  // The arousal of `features` against this baseline, or nullopt without
  // speech. Does not add them.
  std::optional<float> EstimateArousal(const VoiceFeatures& features) const;

  // The stream's own statistics so far (floored standard deviations); a
  // feature never added has mean 0.
  ProsodyReference StreamReference() const;

  // Speech seconds added so far.
  double speech_seconds() const { return speech_seconds_; }

 private:
  // Weighted running mean and variance (West's weighted Welford update).
  struct Accumulator {
    double weight = 0.0;
    double mean = 0.0;
    double m2 = 0.0;
    void Add(double value, double w);
    FeatureReference Reference(double min_stddev) const;
  };
  double BlendedZ(double value, const FeatureReference& population, const Accumulator& stream,
                  double min_stddev) const;

  ProsodyReference population_;
  double prior_seconds_;
  double speech_seconds_ = 0.0;
  Accumulator loudness_;
  Accumulator pitch_;
  Accumulator spread_;
  Accumulator rate_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_ANALYSIS_VOICE_VOICE_AROUSAL_H_
