#include "server/analysis/voice/power_spectrum.h"

#include <algorithm>

#include "opencv2/core.hpp"

namespace affect {

PowerSpectrum::PowerSpectrum(int n_fft)
    : n_fft_(n_fft), input_(static_cast<size_t>(n_fft)), output_(static_cast<size_t>(n_fft)) {}

void PowerSpectrum::Compute(absl::Span<const float> frame, absl::Span<float> power) {
  std::copy(frame.begin(), frame.end(), input_.begin());
  std::fill(input_.begin() + static_cast<std::ptrdiff_t>(frame.size()), input_.end(), 0.0f);
  const cv::Mat in(1, n_fft_, CV_32F, input_.data());
  cv::Mat out(1, n_fft_, CV_32F, output_.data());
  // A real 1 x n row gives OpenCV's packed CCS layout:
  //   [Re0, Re1, Im1, Re2, Im2, ..., Re(n/2)]        (n even)
  //   [Re0, Re1, Im1, ..., Re((n-1)/2), Im((n-1)/2)] (n odd)
  cv::dft(in, out, 0);
  const float* c = output_.data();
  power[0] = c[0] * c[0];
  const int bins = num_bins();
  for (int k = 1; k < bins; ++k) {
    const int re = 2 * k - 1;
    if (re + 1 < n_fft_) {
      power[static_cast<size_t>(k)] = c[re] * c[re] + c[re + 1] * c[re + 1];
    } else {  // the Nyquist bin of an even length is real
      power[static_cast<size_t>(k)] = c[re] * c[re];
    }
  }
}

}  // namespace affect
