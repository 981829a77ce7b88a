// Voice activity detection on 30 ms frames (10 ms hop) of 16 kHz audio.
//
// Per frame, three features:
//   energy     10 log10(mean square) in dBFS (0 dBFS = a full-scale square
//              wave; a full-scale sine is -3 dBFS), floored at -120 dBFS;
//   flatness   spectral flatness (geometric / arithmetic mean of the power
//              spectrum, Hann window, 512-point DFT) over 100-4000 Hz:
//              about 0.56 for white noise, below 0.1 for voiced speech, about
//              0 for a tone;
//   zcr        zero crossings per sample: about 0.5 for white noise, below
//              0.15 for voiced speech.
// A frame is speech when it is
//   loud enough   energy > max(absolute_floor_dbfs, noise_floor + noise_margin_db)
//   and speech-like  flatness < max_spectral_flatness and zcr < max_zero_crossing_rate.
// The noise floor adapts (values in dB, per 10 ms frame): it falls quickly
// towards any quieter frame (30% of the gap), rises towards noise-like
// frames in about half a second (2% of the gap) and towards speech-like ones
// in several seconds (0.2% of the gap), so a stationary hum or tone is
// eventually absorbed while syllables, whose dips pull it down, are not.
// Finally the decisions are smoothed: speech runs shorter than
// min_speech_frames (5 frames: bursts under about 20 ms, such as clicks and
// taps) are dropped, then pauses shorter than
// max_gap_frames between speech runs are bridged (gaps between syllables
// and words are part of speaking).
//
// A steady tone in the pitch range above -55 dBFS is therefore speech (it is
// loud and speech-like) until the floor has risen to within noise_margin_db
// of it: from the initial -70 dBFS floor that takes about 8.6 s for a
// -20 dBFS tone (with a stream's state carried over, the floor keeps rising
// across windows). Silence and quiet noise are never speech; loud white
// noise is not speech (not speech-like).
#ifndef AFFECT_SERVER_ANALYSIS_VOICE_VOICE_ACTIVITY_H_
#define AFFECT_SERVER_ANALYSIS_VOICE_VOICE_ACTIVITY_H_

#include <vector>

#include "absl/types/span.h"
#include "server/analysis/voice/power_spectrum.h"

namespace affect {

inline constexpr int kVoiceSampleRateHz = 16000;
// 30 ms frames with a 10 ms hop.
inline constexpr int kVoiceFrameLength = 480;
inline constexpr int kVoiceFrameHop = 160;
inline constexpr float kMinEnergyDbfs = -120.0f;

struct VoiceFrameFeatures {
  float energy_db = kMinEnergyDbfs;
  float spectral_flatness = 1.0f;
  float zero_crossing_rate = 0.0f;
};

// Number of analysis frames for `num_samples` samples: whole 30 ms frames
// every 10 ms; a clip shorter than one frame gives one (zero-padded) frame,
// an empty one none.
int VoiceFrameCount(size_t num_samples);

// Computes the features of every frame. `spectrum` must have n_fft 512.
std::vector<VoiceFrameFeatures> ComputeVoiceFrameFeatures(absl::Span<const float> samples,
                                                          PowerSpectrum* spectrum);

struct VoiceActivityOptions {
  float absolute_floor_dbfs = -55.0f;
  float noise_margin_db = 9.0f;
  float max_spectral_flatness = 0.35f;
  float max_zero_crossing_rate = 0.35f;
  float initial_noise_floor_dbfs = -70.0f;
  // Noise-floor adaptation per frame, as a fraction of the gap in dB.
  float floor_fall_rate = 0.3f;
  float floor_rise_rate_noise = 0.02f;
  float floor_rise_rate_speech_like = 0.002f;
  // Smoothing, in frames (10 ms each).
  int min_speech_frames = 5;
  int max_gap_frames = 20;
};

// What the detector carries from one window of a stream to the next.
// A default-constructed state starts at the options' initial floor.
struct VoiceActivityState {
  bool initialized = false;
  float noise_floor_dbfs = 0.0f;
};

// One decision per frame. `state` may be null (a fresh detector); when given
// it is read and updated. Thread-compatible (pure apart from `state`).
std::vector<bool> DetectVoiceActivity(absl::Span<const VoiceFrameFeatures> frames,
                                      const VoiceActivityOptions& options,
                                      VoiceActivityState* state);

}  // namespace affect

#endif  // AFFECT_SERVER_ANALYSIS_VOICE_VOICE_ACTIVITY_H_
