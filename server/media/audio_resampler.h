// Sample-rate conversion to the analysis rate (16 kHz), with anti-aliasing.
//
// Method: band-limited interpolation with a Kaiser-windowed sinc (Smith and
// Gossett, "A flexible sampling-rate conversion method", ICASSP 1984; the
// method of libresample and SoX's `rate`). Each output sample at input time
// t = n * in_rate / out_rate is
//
//     y[n] = sum_j x[j] * fc * h(fc * (t - j)),   h(u) = sinc(u) * kaiser(u / Z)
//
// with the cutoff fc = 0.92 * min(in_rate, out_rate) / in_rate (as a fraction
// of the input Nyquist), Z = 32 zero crossings on each side and Kaiser
// beta = 8.6. h is tabulated at 512 points per zero crossing and linearly
// interpolated, which works for any ratio (44.1 kHz -> 16 kHz, or odd rates
// such as 22 050 or 8 001 Hz) with one code path; the table error is below
// -100 dB.
//
// What that gives (measured in tests/media/audio_resampler_test.cc):
//   passband flat to about 6.8 kHz at a 16 kHz output (-3 dB near 7.4 kHz);
//   stopband from the output Nyquist (8 kHz) on, attenuated by more than
//   70 dB, so a tone above 8 kHz in a 44.1 or 48 kHz input does not fold back
//   into the speech band. The filter is linear-phase and centred: output n
//   is aligned with input time n * in / out (no delay).
//
// Cost: 2 * Z / fc multiply-adds per output sample: 70 for 8 -> 16 kHz,
// 209 for 48 -> 16 kHz.
#ifndef AFFECT_SERVER_MEDIA_AUDIO_RESAMPLER_H_
#define AFFECT_SERVER_MEDIA_AUDIO_RESAMPLER_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace affect {

// The rate every voice analysis runs at.
inline constexpr uint32_t kAnalysisSampleRateHz = 16000;

// Resamples a signal delivered in pieces (a stream's audio chunks) as if it
// were one signal: no clicks or gaps at chunk boundaries.
//
// Thread-compatible: one instance per stream, used from one thread at a time.
class StreamingResampler {
 public:
  // REQUIRES: both rates > 0.
  StreamingResampler(uint32_t input_rate_hz, uint32_t output_rate_hz);

  // Appends to *output every output sample that `input` (and the samples
  // before it) determine. Output lags input by the filter half-width (about
  // 2 ms at 16 kHz); Flush() emits the rest.
  void Process(absl::Span<const float> input, std::vector<float>* output);

  // Ends the signal (it continues as silence) and appends the remaining
  // samples, so that the total output is ceil(total_input * out / in)
  // samples. The resampler can then be reused for a new signal.
  void Flush(std::vector<float>* output);

  uint32_t input_rate_hz() const { return input_rate_hz_; }
  uint32_t output_rate_hz() const { return output_rate_hz_; }

 private:
  // Emits outputs [next_output_, output_end) whose input window ends before
  // `available_end` (absolute input index); inputs past the end of the
  // signal read as zero.
  void Emit(int64_t available_end, uint64_t output_end, std::vector<float>* output);

  uint32_t input_rate_hz_;
  uint32_t output_rate_hz_;
  // The rate ratio in lowest terms: t(n) = n * step_num_ / step_den_.
  uint64_t step_num_;
  uint64_t step_den_;
  bool passthrough_;
  // Cutoff as a fraction of the input Nyquist, and the filter half-width in
  // input samples.
  double cutoff_;
  int64_t half_width_;
  // Input samples from absolute index buffer_start_ on.
  std::vector<float> buffer_;
  uint64_t buffer_start_ = 0;
  uint64_t input_count_ = 0;
  uint64_t next_output_ = 0;
};

// One-shot resampling of a whole clip: ceil(input.size() * out / in) output
// samples. Same rate: a copy.
std::vector<float> Resample(absl::Span<const float> input, uint32_t input_rate_hz,
                            uint32_t output_rate_hz);

}  // namespace affect

#endif  // AFFECT_SERVER_MEDIA_AUDIO_RESAMPLER_H_
