// Image header checks that run before any pixel is decoded: the limits an
// untrusted header can claim, and the header variants that once misread.
#include "server/media/image_decoder.h"

#include <cstdint>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

void PutLittleEndian(std::string* bytes, size_t at, uint32_t value, int width) {
  for (int i = 0; i < width; ++i) (*bytes)[at + i] = static_cast<char>(value >> (8 * i));
}

// A BMP file header followed by an info header of `info_size` bytes.
std::string BmpHeader(uint32_t info_size, uint32_t width_field, uint32_t height_field) {
  std::string bytes(54, '\0');
  bytes[0] = 'B';
  bytes[1] = 'M';
  PutLittleEndian(&bytes, 14, info_size, 4);
  if (info_size == 12) {
    PutLittleEndian(&bytes, 18, width_field, 2);
    PutLittleEndian(&bytes, 20, height_field, 2);
  } else {
    PutLittleEndian(&bytes, 18, width_field, 4);
    PutLittleEndian(&bytes, 22, height_field, 4);
  }
  return bytes;
}

v1::Image EncodedImage(std::string bytes) {
  v1::Image image;
  image.set_encoded(std::move(bytes));
  return image;
}

TEST(ReadImageHeaderTest, Os2BitmapsHaveSixteenBitDimensions) {
  // The 12-byte OS/2 header: width 640 and height 480 in two bytes each.
  // Read as a Windows header the same bytes claim a width of 31457920.
  auto header = ReadImageHeader(BmpHeader(12, 640, 480));
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->width, 640u);
  EXPECT_EQ(header->height, 480u);
}

TEST(ReadImageHeaderTest, TopDownBitmapHeightIsItsMagnitudeEvenAtTheMinimum) {
  auto top_down = ReadImageHeader(BmpHeader(40, 64, static_cast<uint32_t>(-48)));
  ASSERT_TRUE(top_down.ok()) << top_down.status();
  EXPECT_EQ(top_down->height, 48u);
  // INT32_MIN has no positive int32 counterpart (std::abs overflowed).
  auto minimum = ReadImageHeader(BmpHeader(40, 0x80000000u, 0x80000000u));
  ASSERT_TRUE(minimum.ok()) << minimum.status();
  EXPECT_EQ(minimum->width, 0x80000000u);
  EXPECT_EQ(minimum->height, 0x80000000u);
}

TEST(CheckImageBeforeDecodingTest, RefusesAHugeBitmapFromItsHeader) {
  EXPECT_THAT(CheckImageBeforeDecoding(EncodedImage(BmpHeader(40, 0x80000000u, 0x80000000u)),
                                       ImageDecodeOptions{}),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("exceeds the limit")));
}

// Found by fuzz/image_fuzzer: the pixel count of two 32-bit header fields
// was multiplied in int64, which overflows (undefined behaviour; in practice
// a negative count that passed the limit).
TEST(CheckImageBeforeDecodingTest, RefusesDimensionsWhoseProductOverflowsInt64) {
  std::string png("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", 16);
  png += std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x08\x06\x00\x00\x00", 13);
  png += std::string(4, '\0');                                             // IHDR CRC
  png += std::string("\x00\x00\x00\x00IEND\xae\x42\x60\x82", 12);  // a complete file
  EXPECT_THAT(CheckImageBeforeDecoding(EncodedImage(png), ImageDecodeOptions{}),
              StatusIs(absl::StatusCode::kOutOfRange,
                       HasSubstr("4294967295x4294967295 = 18446744065119617025 pixels exceeds")));
  v1::Image raw;
  raw.mutable_raw()->set_width(0xFFFFFFFFu);
  raw.mutable_raw()->set_height(0xFFFFFFFFu);
  raw.mutable_raw()->set_format(v1::PIXEL_FORMAT_GRAY8);
  EXPECT_THAT(CheckImageBeforeDecoding(raw, ImageDecodeOptions{}),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("exceeds the limit")));
}

TEST(CheckImageBeforeDecodingTest, ReturnsThePixelCountOfAGoodImage) {
  std::vector<unsigned char> png;
  ASSERT_TRUE(cv::imencode(".png", cv::Mat(48, 64, CV_8UC3, cv::Scalar(10, 20, 30)), png));
  const v1::Image image = EncodedImage(std::string(png.begin(), png.end()));
  auto pixels = CheckImageBeforeDecoding(image, ImageDecodeOptions{});
  ASSERT_TRUE(pixels.ok()) << pixels.status();
  EXPECT_EQ(*pixels, 64 * 48);
  ImageDecodeOptions tight;
  tight.max_pixels = 64 * 48 - 1;
  EXPECT_THAT(CheckImageBeforeDecoding(image, tight),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("--max_image_pixels")));
}

TEST(CheckImageBeforeDecodingTest, RefusesTruncatedEmptyAndMisSizedInput) {
  std::vector<unsigned char> jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", cv::Mat(48, 64, CV_8UC3, cv::Scalar(10, 20, 30)), jpeg));
  std::string truncated(jpeg.begin(), jpeg.end());
  truncated.resize(truncated.size() / 2);
  EXPECT_THAT(CheckImageBeforeDecoding(EncodedImage(truncated), ImageDecodeOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated JPEG")));
  EXPECT_THAT(CheckImageBeforeDecoding(v1::Image{}, ImageDecodeOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no pixels")));
  v1::Image raw;
  raw.mutable_raw()->set_width(4);
  raw.mutable_raw()->set_height(4);
  raw.mutable_raw()->set_format(v1::PIXEL_FORMAT_RGB8);
  raw.mutable_raw()->set_data(std::string(47, '\0'));
  EXPECT_THAT(CheckImageBeforeDecoding(raw, ImageDecodeOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected 4x4x3 = 48")));
  raw.mutable_raw()->set_data(std::string(48, '\0'));
  auto pixels = CheckImageBeforeDecoding(raw, ImageDecodeOptions{});
  ASSERT_TRUE(pixels.ok()) << pixels.status();
  EXPECT_EQ(*pixels, 16);
}

// SOI, a progressive frame header (SOF2, 8x8, one component), `scans` scans
// of one entropy-coded byte each, EOI.
std::string ProgressiveJpegWithScans(int scans) {
  std::string bytes = {'\xFF', '\xD8'};
  bytes += std::string("\xFF\xC2\x00\x0B\x08\x00\x08\x00\x08\x01\x01\x11\x00", 13);
  for (int i = 0; i < scans; ++i) {
    bytes += std::string("\xFF\xDA\x00\x08\x01\x01\x00\x00\x00\x00", 10);
    bytes += std::string("\x2A\xFF\x00\xFF\xD0", 5);  // data, a stuffed FF, a restart
  }
  bytes += std::string("\xFF\xD9", 2);
  return bytes;
}

// The defect: nothing bounded the scans of a progressive JPEG, and each one
// is a pass of the decoder over the whole image.
TEST(CheckImageBeforeDecodingTest, RefusesAJpegWithThousandsOfScans) {
  EXPECT_THAT(CheckImageBeforeDecoding(EncodedImage(ProgressiveJpegWithScans(5000)),
                                       ImageDecodeOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("JPEG with more than 100 scans")));
  EXPECT_THAT(CheckImageBeforeDecoding(EncodedImage(ProgressiveJpegWithScans(kMaxJpegScans + 1)),
                                       ImageDecodeOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scans")));
  EXPECT_TRUE(CheckImageBeforeDecoding(EncodedImage(ProgressiveJpegWithScans(kMaxJpegScans)),
                                       ImageDecodeOptions{})
                  .ok())
      << "stuffed bytes and restart markers inside a scan do not end it";
}

TEST(DecodeImageTest, DecodesARealProgressiveJpeg) {
  std::vector<unsigned char> jpeg;
  cv::Mat gradient(48, 64, CV_8UC3);
  for (int y = 0; y < gradient.rows; ++y) {
    for (int x = 0; x < gradient.cols; ++x) {
      gradient.at<cv::Vec3b>(y, x) = cv::Vec3b(x * 4, y * 5, (x + y) * 2);
    }
  }
  ASSERT_TRUE(cv::imencode(".jpg", gradient, jpeg, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  auto rgb = DecodeImage(EncodedImage(std::string(jpeg.begin(), jpeg.end())),
                         ImageDecodeOptions{});
  ASSERT_TRUE(rgb.ok()) << rgb.status();
  EXPECT_EQ(rgb->cols, 64);
  EXPECT_EQ(rgb->rows, 48);
}

TEST(DecodeImageTest, DecodesWhatTheCheckAccepts) {
  std::vector<unsigned char> png;
  ASSERT_TRUE(cv::imencode(".png", cv::Mat(48, 64, CV_8UC3, cv::Scalar(10, 20, 30)), png));
  auto rgb = DecodeImage(EncodedImage(std::string(png.begin(), png.end())), ImageDecodeOptions{});
  ASSERT_TRUE(rgb.ok()) << rgb.status();
  EXPECT_EQ(rgb->cols, 64);
  EXPECT_EQ(rgb->rows, 48);
  // Blue-green-red in, red-green-blue out.
  EXPECT_EQ(rgb->at<cv::Vec3b>(0, 0), cv::Vec3b(30, 20, 10));
}

}  // namespace
}  // namespace affect
