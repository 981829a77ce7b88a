// Merges the voice results (v1::Voice, one per analysed piece of audio) that
// fall into one aggregate window into one v1::Voice for the window.
//
// Each piece counts with the seconds of it that lie in the window (d), its
// speech seconds s = d x active_share and its voiced seconds
// s x pitch.voiced_share. The merge reproduces what one analysis of the
// window's audio would report where the summaries allow it exactly, and is
// a weighted mean otherwise:
//
//   duration_seconds   sum of d
//   speech_present     any piece had speech
//   active_share       sum s / sum d                               (exact)
//   loudness_dbfs      10 log10 of the s-weighted mean power 10^(L/10) of the
//                      pieces with speech, i.e. the RMS of all speech frames;
//                      without speech the d-weighted mean power of every
//                      piece (the whole audio's RMS)                (exact)
//   pitch              over pieces with a pitch, voiced-seconds weighted:
//                      mean of means; pooled standard deviation
//                      sqrt(E[sd^2 + mean^2] - mean^2); min of minima; max of
//                      maxima; voiced_share = voiced s / speech s    (exact)
//   speaking_rate_hz   s-weighted mean over pieces with a rate (nuclei per
//                      speech second, pooled)                      (exact)
//   arousal            s-weighted mean over pieces with speech (each piece
//                      was already scored against the stream's baseline)
//   emotion_scores     d-weighted mean per label, labels in the order first
//                      seen; emotion_model from the last piece with scores
//
// Fields no piece had stay unset. A piece that straddles windows is split
// by time: each window takes its overlap with the piece's summary values
// (the summary cannot say where in the piece the speech was, so pieces
// should be cut at window boundaries: StreamAggregator::open_window_end_us).
//
// Not thread-safe: externally serialised with its stream.
#ifndef AFFECT_SERVER_STREAM_VOICE_MERGER_H_
#define AFFECT_SERVER_STREAM_VOICE_MERGER_H_

#include <string>
#include <vector>

#include "affect/v1/results.pb.h"

namespace affect::stream {

class VoiceMerger {
 public:
  // Adds `seconds` (> 0) of the piece summarised by `voice`.
  void Add(const v1::Voice& voice, double seconds);

  bool empty() const { return seconds_ <= 0.0; }
  double seconds() const { return seconds_; }
  double speech_seconds() const { return speech_seconds_; }
  // The merged voice (see above); a default Voice when empty().
  v1::Voice Merged() const;

 private:
  double seconds_ = 0.0;
  double speech_seconds_ = 0.0;
  bool speech_present_ = false;
  // Loudness as mean power, of speech (speech-weighted) and of everything.
  double speech_power_sum_ = 0.0;
  double all_power_sum_ = 0.0;
  // Pitch, voiced-seconds weighted.
  double voiced_seconds_ = 0.0;
  double pitch_mean_sum_ = 0.0;
  double pitch_square_sum_ = 0.0;  // sum w (sd^2 + mean^2)
  float pitch_min_hz_ = 0.0f;
  float pitch_max_hz_ = 0.0f;
  bool has_pitch_ = false;
  // Rate and arousal, speech-weighted.
  double rate_sum_ = 0.0;
  double rate_weight_ = 0.0;
  double arousal_sum_ = 0.0;
  double arousal_weight_ = 0.0;
  // Speech-emotion scores per label, duration-weighted.
  std::vector<std::string> labels_;
  std::vector<double> label_sums_;
  double emotion_weight_ = 0.0;
  v1::ModelRef emotion_model_;
};

}  // namespace affect::stream

#endif  // AFFECT_SERVER_STREAM_VOICE_MERGER_H_
