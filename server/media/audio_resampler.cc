#include "server/media/audio_resampler.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

namespace affect {
namespace {

constexpr int kZeroCrossings = 32;
constexpr int kTablePointsPerCrossing = 512;
constexpr double kKaiserBeta = 8.6;
// Cutoff relative to the lower Nyquist: leaves the Kaiser transition band
// (about 1.26 kHz wide at a 16 kHz output) below the output Nyquist.
constexpr double kRolloff = 0.92;
constexpr double kPi = 3.14159265358979323846;

// Modified Bessel function of the first kind, order 0 (power series; it
// converges fast for the arguments a Kaiser window uses).
double BesselI0(double x) {
  double sum = 1.0;
  double term = 1.0;
  const double quarter_x2 = x * x / 4.0;
  for (int k = 1; k < 64; ++k) {
    term *= quarter_x2 / (static_cast<double>(k) * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

// h(u) = sinc(u) * kaiser(u / Z) for u in [0, Z], sampled every
// 1 / kTablePointsPerCrossing, plus a trailing zero so that interpolation at
// the last point reads in bounds.
const std::vector<float>& KernelTable() {
  static const std::vector<float>* table = [] {
    const int points = kZeroCrossings * kTablePointsPerCrossing;
    auto* values = new std::vector<float>(static_cast<size_t>(points) + 2, 0.0f);
    const double i0_beta = BesselI0(kKaiserBeta);
    for (int i = 0; i <= points; ++i) {
      const double u = static_cast<double>(i) / kTablePointsPerCrossing;
      const double sinc = i == 0 ? 1.0 : std::sin(kPi * u) / (kPi * u);
      const double r = u / kZeroCrossings;
      const double window = BesselI0(kKaiserBeta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0_beta;
      (*values)[static_cast<size_t>(i)] = static_cast<float>(sinc * window);
    }
    return values;
  }();
  return *table;
}

}  // namespace

StreamingResampler::StreamingResampler(uint32_t input_rate_hz, uint32_t output_rate_hz)
    : input_rate_hz_(input_rate_hz), output_rate_hz_(output_rate_hz) {
  const uint64_t divisor = std::gcd(uint64_t{input_rate_hz}, uint64_t{output_rate_hz});
  step_num_ = input_rate_hz / divisor;
  step_den_ = output_rate_hz / divisor;
  passthrough_ = input_rate_hz == output_rate_hz;
  cutoff_ = kRolloff * std::min(input_rate_hz, output_rate_hz) / static_cast<double>(input_rate_hz);
  half_width_ = static_cast<int64_t>(std::ceil(kZeroCrossings / cutoff_));
}

void StreamingResampler::Emit(int64_t available_end, uint64_t output_end,
                              std::vector<float>* output) {
  const std::vector<float>& table = KernelTable();
  const double table_scale = cutoff_ * kTablePointsPerCrossing;
  const double table_limit = static_cast<double>(kZeroCrossings * kTablePointsPerCrossing);
  const float gain = static_cast<float>(cutoff_);
  while (next_output_ < output_end) {
    // t = next_output_ * step_num_ / step_den_ = center + frac.
    const uint64_t numerator = next_output_ * step_num_;
    const int64_t center = static_cast<int64_t>(numerator / step_den_);
    const double frac = static_cast<double>(numerator % step_den_) / step_den_;
    const int64_t last = center + half_width_;
    if (last >= available_end) break;  // needs more input
    const int64_t first = center - half_width_ + 1;
    float sum = 0.0f;
    const int64_t start = std::max<int64_t>(first, static_cast<int64_t>(buffer_start_));
    const int64_t stop = std::min<int64_t>(last, static_cast<int64_t>(input_count_) - 1);
    for (int64_t j = start; j <= stop; ++j) {
      const double distance = std::abs(static_cast<double>(center - j) + frac);
      const double position = distance * table_scale;
      if (position >= table_limit) continue;
      const size_t index = static_cast<size_t>(position);
      const float weight = static_cast<float>(position - static_cast<double>(index));
      const float h = table[index] + weight * (table[index + 1] - table[index]);
      sum += buffer_[static_cast<size_t>(j - static_cast<int64_t>(buffer_start_))] * h;
    }
    output->push_back(sum * gain);
    ++next_output_;
  }
  // Drop inputs that no future output needs.
  const uint64_t numerator = next_output_ * step_num_;
  const int64_t next_first = static_cast<int64_t>(numerator / step_den_) - half_width_ + 1;
  if (next_first > static_cast<int64_t>(buffer_start_)) {
    const uint64_t drop =
        std::min<uint64_t>(static_cast<uint64_t>(next_first) - buffer_start_, buffer_.size());
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(drop));
    buffer_start_ += drop;
  }
}

void StreamingResampler::Process(absl::Span<const float> input, std::vector<float>* output) {
  if (passthrough_) {
    output->insert(output->end(), input.begin(), input.end());
    input_count_ += input.size();
    next_output_ += input.size();
    return;
  }
  buffer_.insert(buffer_.end(), input.begin(), input.end());
  input_count_ += input.size();
  Emit(static_cast<int64_t>(input_count_), UINT64_MAX, output);
}

void StreamingResampler::Flush(std::vector<float>* output) {
  if (!passthrough_) {
    // ceil(input_count_ * out / in) outputs in all; inputs past the end read
    // as zero, so every remaining output can be computed.
    const uint64_t total = (input_count_ * step_den_ + step_num_ - 1) / step_num_;
    Emit(INT64_MAX, total, output);
  }
  buffer_.clear();
  buffer_start_ = 0;
  input_count_ = 0;
  next_output_ = 0;
}

std::vector<float> Resample(absl::Span<const float> input, uint32_t input_rate_hz,
                            uint32_t output_rate_hz) {
  if (input_rate_hz == output_rate_hz) return std::vector<float>(input.begin(), input.end());
  StreamingResampler resampler(input_rate_hz, output_rate_hz);
  std::vector<float> output;
  output.reserve(static_cast<size_t>((uint64_t{input.size()} * output_rate_hz + input_rate_hz - 1) /
                                     input_rate_hz));
  resampler.Process(input, &output);
  resampler.Flush(&output);
  return output;
}

}  // namespace affect
