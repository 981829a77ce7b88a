// Power spectrum of short real frames, through OpenCV's DFT (any length:
// mixed radix, so n_fft = 400 works as well as 512).
#ifndef AFFECT_SERVER_ANALYSIS_VOICE_POWER_SPECTRUM_H_
#define AFFECT_SERVER_ANALYSIS_VOICE_POWER_SPECTRUM_H_

#include <vector>

#include "absl/types/span.h"

namespace affect {

// Thread-compatible: holds scratch buffers, so use one per thread.
class PowerSpectrum {
 public:
  // REQUIRES: n_fft >= 2.
  explicit PowerSpectrum(int n_fft);

  int n_fft() const { return n_fft_; }
  // Bins 0 .. n_fft / 2.
  int num_bins() const { return n_fft_ / 2 + 1; }

  // power[k] = |X[k]|^2, X = the DFT of `frame` zero-padded to n_fft (no
  // scaling). REQUIRES: frame.size() <= n_fft, power.size() == num_bins().
  void Compute(absl::Span<const float> frame, absl::Span<float> power);

 private:
  int n_fft_;
  std::vector<float> input_;
  std::vector<float> output_;
};

}  // namespace affect

#endif  // AFFECT_SERVER_ANALYSIS_VOICE_POWER_SPECTRUM_H_
