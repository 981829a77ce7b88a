#include "server/analysis/voice/log_mel.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::affect::testing::StatusIs;
using ::testing::HasSubstr;

constexpr double kPi = 3.14159265358979323846;

// Reference log-mel spectrograms of TestSignal(1600), computed offline with
// an independent numpy implementation of torchaudio's MelSpectrogram
// (center=True, reflect padding, periodic Hann, power 2) followed by
// log(x + 1e-6); Python was used only to produce these numbers.
// One mel band per row.
// clang-format off
// kHtkReference: 8 mels x 13 frames, args (16000, 256, 128, 200, 8, 50.0, 7000.0, 'htk')
constexpr float kHtkReference[] = {
    6.430801f, 6.218700f, 6.238989f, 6.176762f, 6.182234f, 6.242965f, 6.215153f, 6.165521f, 6.215336f, 6.244947f, 6.185338f, 6.179932f, 6.286741f,
    5.996138f, 6.575373f, 6.602913f, 6.520288f, 6.528903f, 6.605004f, 6.570483f, 6.504661f, 6.569147f, 6.607383f, 6.528987f, 6.523103f, 6.563877f,
    5.117285f, 5.580429f, 5.524138f, 5.516831f, 5.581071f, 5.501058f, 5.586487f, 5.549562f, 5.525131f, 5.583984f, 5.489176f, 5.564433f, 5.512073f,
    4.209135f, 3.806145f, 3.762896f, 3.755248f, 3.804580f, 3.763908f, 3.827671f, 3.802865f, 3.781124f, 3.806862f, 3.738569f, 3.787581f, 3.849059f,
    1.919308f, -0.893586f, -0.864622f, -0.865931f, -0.895300f, -0.886722f, -0.860029f, -0.873752f, -0.898321f, -0.878376f, -0.859206f, -0.882141f, 0.031583f,
    2.197591f, 1.685926f, 1.685393f, 1.685423f, 1.685963f, 1.685798f, 1.685315f, 1.685558f, 1.686032f, 1.685639f, 1.685297f, 1.685704f, 1.680964f,
    1.733937f, 0.997271f, 0.992282f, 0.992594f, 0.997499f, 0.996155f, 0.991525f, 0.993906f, 0.997950f, 0.994747f, 0.991348f, 0.995373f, 1.014906f,
    2.212046f, 1.950609f, 1.947231f, 1.947442f, 1.950768f, 1.949854f, 1.946713f, 1.948331f, 1.951087f, 1.948896f, 1.946595f, 1.949320f, 1.956145f,
};
// kSlaneyReference: 6 mels x 16 frames, args (16000, 255, 100, 255, 6, 0.0, 8000.0, 'slaney')
constexpr float kSlaneyReference[] = {
    0.916087f, 1.194164f, 1.240977f, 1.213377f, 1.157773f, 1.166138f, 1.223965f, 1.236808f, 1.184948f, 1.151348f, 1.192640f, 1.239173f, 1.217317f, 1.161332f, 1.163227f, 1.216463f,
    -0.479618f, -0.296620f, -0.265412f, -0.328053f, -0.325137f, -0.283129f, -0.314688f, -0.313440f, -0.276509f, -0.323694f, -0.339836f, -0.266316f, -0.286121f, -0.354320f, -0.303336f, -0.273476f,
    -1.667946f, -1.726293f, -1.702147f, -1.752007f, -1.740224f, -1.697322f, -1.741089f, -1.753390f, -1.698726f, -1.726724f, -1.762721f, -1.706403f, -1.711790f, -1.765943f, -1.719261f, -1.697671f,
    -4.647254f, -6.080932f, -6.119739f, -6.119607f, -6.119421f, -6.119240f, -6.119093f, -6.118886f, -6.118697f, -6.118540f, -6.118324f, -6.118141f, -6.117983f, -6.117768f, -6.117595f, -6.062726f,
    -4.677340f, -5.217943f, -5.225897f, -5.225961f, -5.226028f, -5.226097f, -5.226168f, -5.226240f, -5.226314f, -5.226388f, -5.226463f, -5.226538f, -5.226612f, -5.226685f, -5.226757f, -5.227627f,
    -4.883626f, -5.004884f, -5.006360f, -5.006363f, -5.006366f, -5.006369f, -5.006373f, -5.006376f, -5.006380f, -5.006384f, -5.006387f, -5.006391f, -5.006395f, -5.006398f, -5.006402f, -5.005874f,
};
// clang-format on

// 0.5 sin(440 Hz) + 0.25 sin(1 kHz + 0.3) + a period-101 sawtooth of 0.1.
std::vector<float> TestSignal(int n) {
  std::vector<float> x(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double t = static_cast<double>(i);
    x[static_cast<size_t>(i)] = static_cast<float>(
        0.5 * std::sin(2 * kPi * 440 * t / 16000) +
        0.25 * std::sin(2 * kPi * 1000 * t / 16000 + 0.3) +
        0.1 * (static_cast<double>((static_cast<int64_t>(i) * 7919) % 101) / 50.0 - 1.0));
  }
  return x;
}

std::unique_ptr<LogMelSpectrogram> Make(const LogMelOptions& options) {
  auto spectrogram = LogMelSpectrogram::Create(options);
  EXPECT_TRUE(spectrogram.ok()) << spectrogram.status();
  return std::move(spectrogram).value();
}

void ExpectMatches(const Tensor& mel, const float* reference, int mels, int frames) {
  ASSERT_EQ(mel.shape(), (std::vector<int64_t>{mels, frames}));
  double worst = 0.0;
  for (int i = 0; i < mels * frames; ++i) {
    EXPECT_NEAR(mel.data()[i], reference[i], 1e-4)
        << "mel " << i / frames << " frame " << i % frames;
    worst = std::max(worst, std::abs(static_cast<double>(mel.data()[i]) - reference[i]));
  }
  ::testing::Test::RecordProperty("max_abs_error", std::to_string(worst));
}

TEST(LogMelSpectrogramTest, MatchesTheHtkReference) {
  LogMelOptions options;
  options.n_fft = 256;
  options.hop_length = 128;
  options.win_length = 200;  // window centred in n_fft
  options.n_mels = 8;
  options.f_min_hz = 50.0f;
  options.f_max_hz = 7000.0f;
  const auto spectrogram = Make(options);
  EXPECT_EQ(spectrogram->NumFrames(1600), 13) << "1 + 1600 / 128";
  ExpectMatches(spectrogram->Compute(TestSignal(1600)), kHtkReference, 8, 13);
}

TEST(LogMelSpectrogramTest, MatchesTheSlaneyReferenceWithAnOddFftSize) {
  LogMelOptions options;
  options.n_fft = 255;
  options.hop_length = 100;
  options.win_length = 255;
  options.n_mels = 6;
  options.f_min_hz = 0.0f;
  options.f_max_hz = 8000.0f;
  options.mel_scale = MelScale::kSlaney;
  const auto spectrogram = Make(options);
  EXPECT_EQ(spectrogram->NumFrames(1600), 16) << "1 + (1600 + 2 * 127 - 255) / 100";
  ExpectMatches(spectrogram->Compute(TestSignal(1600)), kSlaneyReference, 6, 16);
}

// Worked by hand. A unit cosine on DFT bin 2 of a 64-point frame (500 Hz at
// 16 kHz), under a periodic Hann window, has |X[2]| = 64 / 4 = 16, so
// power 256 (its neighbours get 64 each, and the mirror image at bin -2
// does not reach bin 2). One Slaney filter from 250 to 750 Hz (the linear
// part of the Slaney scale) peaks exactly at 500 Hz with weight 1, is 0 at
// bins 1 and 3, and is area-normalised by 2 / (750 - 250) = 0.004:
//   log(0.004 * 256 + 1e-6) = log(1.024001) = 0.0237175.
// The cosine is even, so reflection padding continues it exactly: every
// frame not touching the end of the signal has this value.
TEST(LogMelSpectrogramTest, MatchesAHandComputedValue) {
  LogMelOptions options;
  options.n_fft = 64;
  options.win_length = 64;
  options.hop_length = 32;
  options.n_mels = 1;
  options.f_min_hz = 250.0f;
  options.f_max_hz = 750.0f;
  options.mel_scale = MelScale::kSlaney;
  const auto spectrogram = Make(options);
  std::vector<float> x(640);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(std::cos(2.0 * kPi * 2.0 * static_cast<double>(i) / 64.0));
  }
  const Tensor mel = spectrogram->Compute(x);
  ASSERT_EQ(mel.shape(), (std::vector<int64_t>{1, 21}));
  for (int t = 0; t <= 18; ++t) EXPECT_NEAR(mel.data()[t], 0.0237175f, 2e-5) << "frame " << t;
}

TEST(LogMelSpectrogramTest, SilenceIsTheLogOfTheOffset) {
  const auto spectrogram = Make({});
  const Tensor mel = spectrogram->Compute(std::vector<float>(1000, 0.0f));
  EXPECT_EQ(mel.shape(), (std::vector<int64_t>{64, 7}));
  for (float v : mel.values()) EXPECT_FLOAT_EQ(v, std::log(1e-6f));
  EXPECT_FLOAT_EQ(spectrogram->silence_value(), std::log(1e-6f));
}

TEST(LogMelSpectrogramTest, ClipsTooShortToReflectAreZeroPadded) {
  const auto spectrogram = Make({});  // n_fft 400: reflection needs more than 200 samples
  const Tensor mel = spectrogram->Compute(std::vector<float>(100, 0.5f));
  EXPECT_EQ(mel.shape(), (std::vector<int64_t>{64, 1}));
  for (float v : mel.values()) EXPECT_TRUE(std::isfinite(v));
}

TEST(LogMelSpectrogramTest, HtkFiltersAreUnitTriangles) {
  LogMelOptions options;  // n_fft 400, 64 mels, 0-8000 Hz
  const auto spectrogram = Make(options);
  const std::vector<float>& bank = spectrogram->filterbank();
  ASSERT_EQ(bank.size(), 64u * 201u);
  for (int m = 0; m < 64; ++m) {
    float peak = 0.0f;
    for (int k = 0; k < 201; ++k) peak = std::max(peak, bank[static_cast<size_t>(m * 201 + k)]);
    EXPECT_GT(peak, 0.3f) << "filter " << m << " sees at least one bin";
    EXPECT_LE(peak, 1.0f) << "filter " << m;
  }
}

TEST(LogMelOptionsTest, ConfigDefaultsAndErrorsNameTheField) {
  v1::AudioFeatures features;
  features.set_sample_rate_hz(16000);
  features.set_n_fft(512);
  features.set_hop_length(160);
  features.set_n_mels(40);
  features.set_frames(100);
  auto options = LogMelOptionsFromConfig(features, MelScale::kHtk, 1e-6f, "ser/config.pbtxt");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->win_length, 512) << "win_length 0 means n_fft";
  EXPECT_EQ(options->f_max_hz, 8000.0f) << "f_max 0 means Nyquist";

  features.set_win_length(600);
  EXPECT_THAT(
      LogMelOptionsFromConfig(features, MelScale::kHtk, 1e-6f, "ser/config.pbtxt"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "ser/config.pbtxt: audio_features.win_length 600 must be in [1, n_fft = 512]"));
  features.set_win_length(0);
  features.set_f_max_hz(9000.0f);
  EXPECT_THAT(
      LogMelOptionsFromConfig(features, MelScale::kHtk, 1e-6f, "ser/config.pbtxt"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("audio_features.f_min_hz/f_max_hz")));
  features.set_f_max_hz(0.0f);
  features.set_sample_rate_hz(4000);
  EXPECT_THAT(LogMelOptionsFromConfig(features, MelScale::kHtk, 1e-6f, "ser/config.pbtxt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("audio_features.sample_rate_hz 4000 is outside [8000, 192000]")));
}

}  // namespace
}  // namespace affect
