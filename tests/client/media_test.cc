// Input detection for `analyze`, and the media side of `stream`: frame
// sampling, audio chunking.
#include <cstring>
#include <vector>

#include "client/cli/media_file.h"
#include "client/cli/stream_media.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "tests/media/audio_wav_builder.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace affect::client {
namespace {

using ::affect::testing::StatusIs;
using ::testing::HasSubstr;

std::string Encode(const std::string& extension) {
  cv::Mat image(32, 48, CV_8UC3, cv::Scalar(10, 200, 30));
  std::vector<unsigned char> bytes;
  EXPECT_TRUE(cv::imencode(extension, image, bytes)) << extension;
  return std::string(bytes.begin(), bytes.end());
}

std::string SineWav(int samples, uint32_t rate) {
  std::vector<int16_t> pcm(static_cast<size_t>(samples));
  for (int i = 0; i < samples; ++i) pcm[i] = static_cast<int16_t>(1000 * ((i / 20) % 2 ? 1 : -1));
  testing::FmtSpec spec;
  spec.sample_rate_hz = rate;
  return testing::SimpleWav(spec, testing::S16Bytes(pcm));
}

TEST(MediaFileTest, DetectsImagesAndWavByTheirLeadingBytes) {
  EXPECT_EQ(DetectMediaKind(Encode(".jpg")), MediaKind::kJpeg);
  EXPECT_EQ(DetectMediaKind(Encode(".png")), MediaKind::kPng);
  EXPECT_EQ(DetectMediaKind(Encode(".bmp")), MediaKind::kBmp);
  EXPECT_EQ(DetectMediaKind(SineWav(100, 16000)), MediaKind::kWav);
  EXPECT_EQ(DetectMediaKind(std::string("RIFF\0\0\0\0WEBPVP8 ", 16)), MediaKind::kWebp);
  EXPECT_EQ(DetectMediaKind("GIF89a..."), MediaKind::kUnknown);
  EXPECT_EQ(DetectMediaKind(""), MediaKind::kUnknown);
}

TEST(MediaFileTest, AJpegNamedWavIsSentAsAnImage) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Join("photo.wav"), Encode(".jpg")));
  auto input = LoadMediaFile(dir.Join("photo.wav"));
  ASSERT_THAT(input, testing::IsOk());
  EXPECT_TRUE(input->has_image);
  EXPECT_FALSE(input->has_audio);
  EXPECT_EQ(input->image.encoded().substr(0, 3), "\xFF\xD8\xFF") << "sent unchanged";
}

TEST(MediaFileTest, WavGoesAsAudio) {
  testing::TempDir dir;
  const std::string wav = SineWav(1600, 16000);
  ASSERT_TRUE(testing::WriteFile(dir.Join("clip.wav"), wav));
  auto input = LoadMediaFile(dir.Join("clip.wav"));
  ASSERT_THAT(input, testing::IsOk());
  EXPECT_TRUE(input->has_audio);
  EXPECT_EQ(input->audio.wav(), wav);
}

TEST(MediaFileTest, OtherImageFormatsAreConvertedToPng) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Join("frame.ppm"), Encode(".ppm")));
  auto input = LoadMediaFile(dir.Join("frame.ppm"));
  ASSERT_THAT(input, testing::IsOk());
  EXPECT_EQ(input->kind, MediaKind::kPng);
  EXPECT_EQ(DetectMediaKind(input->image.encoded()), MediaKind::kPng);
  EXPECT_THAT(input->note, HasSubstr("converted to PNG (48x32)"));
}

TEST(MediaFileTest, GarbageIsRefusedShowingItsLeadingBytes) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Join("notes.txt"), "hello world"));
  EXPECT_THAT(LoadMediaFile(dir.Join("notes.txt")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not an image (JPEG, PNG, BMP, WebP, or another format OpenCV "
                                 "reads) nor a RIFF/WAVE file (starts with 68 65 6c 6c")));
}

TEST(MediaFileTest, EmptyAndMissingFilesAreRefused) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Join("empty.jpg"), ""));
  EXPECT_THAT(LoadMediaFile(dir.Join("empty.jpg")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the file is empty")));
  EXPECT_THAT(LoadMediaFile(dir.Join("missing.jpg")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("cannot read")));
}

TEST(FrameSamplerTest, ZeroFpsKeepsEveryFrame) {
  FrameSampler sampler(0);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(sampler.Take(i * 33'333));
}

TEST(FrameSamplerTest, ThirtyFpsSampledToTenKeepsEveryThirdFrame) {
  FrameSampler sampler(10);
  std::vector<int> kept;
  for (int i = 0; i < 30; ++i) {
    // 30 fps timestamps, rounded as a decoder would give them.
    if (sampler.Take(static_cast<int64_t>(i * 1e6 / 30.0))) kept.push_back(i);
  }
  EXPECT_EQ(kept, (std::vector<int>{0, 3, 6, 9, 12, 15, 18, 21, 24, 27}));
}

TEST(FrameSamplerTest, AGapDoesNotCauseABurst) {
  FrameSampler sampler(10);
  EXPECT_TRUE(sampler.Take(0));
  EXPECT_TRUE(sampler.Take(5'000'000)) << "first frame after a 5 s gap";
  EXPECT_FALSE(sampler.Take(5'033'000)) << "not a catch-up burst";
  EXPECT_TRUE(sampler.Take(5'100'000));
}

TEST(AudioChunkerTest, ChunksCarryTimestampsAndInterleaveByTime) {
  std::vector<float> samples(16000 * 35 / 100, 0.25f);  // 0.35 s at 16 kHz
  AudioChunker chunker(samples, 16000, 100'000);
  EXPECT_EQ(chunker.format().format(), v1::SAMPLE_FORMAT_F32LE);
  EXPECT_EQ(chunker.format().sample_rate_hz(), 16000u);
  EXPECT_EQ(chunker.format().channels(), 1u);
  auto first = chunker.TakeUntil(150'000);
  ASSERT_EQ(first.size(), 2u) << "chunks starting at 0 and 100 ms";
  EXPECT_EQ(first[0].timestamp_us(), 0);
  EXPECT_EQ(first[1].timestamp_us(), 100'000);
  EXPECT_EQ(first[0].data().size(), 1600 * sizeof(float));
  float value = 0;
  std::memcpy(&value, first[0].data().data(), sizeof(value));
  EXPECT_FLOAT_EQ(value, 0.25f);
  EXPECT_TRUE(chunker.TakeUntil(150'000).empty()) << "nothing is handed out twice";
  auto rest = chunker.TakeRest();
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[1].timestamp_us(), 300'000);
  EXPECT_EQ(rest[1].data().size(), 800 * sizeof(float)) << "the last chunk is shorter";
}

TEST(AudioChunkerTest, WavFileIsDecodedToMonoFloatAtItsOwnRate) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Join("a.wav"), SineWav(22050, 22050)));
  auto chunker = LoadWavForStreaming(dir.Join("a.wav"), 100'000);
  ASSERT_THAT(chunker, testing::IsOk());
  EXPECT_DOUBLE_EQ(chunker->duration_seconds(), 1.0);
  EXPECT_EQ(chunker->format().sample_rate_hz(), 22050u);
  EXPECT_EQ(chunker->TakeRest().size(), 10u);
}

TEST(AudioChunkerTest, ABrokenWavNamesTheFlag) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Join("bad.wav"), "RIFF\x04\0\0\0WAVE"));
  EXPECT_THAT(LoadWavForStreaming(dir.Join("bad.wav"), 100'000),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--audio")));
}

}  // namespace
}  // namespace affect::client
