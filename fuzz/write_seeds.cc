// Writes the fuzzers' seed corpora: small, valid inputs of every kind each
// target reads, made here (nothing third-party), plus the hostile inputs of
// past defects, so every fuzzing run starts from them and re-checks them.
//
//   affect_fuzz_seeds OUTPUT_DIR SOURCE_DIR
// writes OUTPUT_DIR/{image,audio,model_config,http_request,log_escape,
// analyze_request}/*.
// SOURCE_DIR is the repository (the committed model configs are seeds).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "affect/v1/affect_service.pb.h"

namespace fs = std::filesystem;

namespace {

bool Write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

void PutLe(std::string* out, uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

cv::Mat Gradient(int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(x * 16),
                                            static_cast<uint8_t>(y * 16),
                                            static_cast<uint8_t>((x + y) * 8));
    }
  }
  return image;
}

std::string Encode(const char* extension, const cv::Mat& image, const std::vector<int>& params = {}) {
  std::vector<uint8_t> bytes;
  cv::imencode(extension, image, bytes, params);
  return std::string(bytes.begin(), bytes.end());
}

// A BMP header that claims width x height, with `info_size` 12 (OS/2) or 40.
std::string BmpHeader(uint32_t info_size, uint32_t width, uint32_t height) {
  std::string bytes = "BM";
  bytes.resize(54, '\0');
  std::string info;
  PutLe(&info, info_size, 4);
  if (info_size == 12) {
    PutLe(&info, width, 2);
    PutLe(&info, height, 2);
  } else {
    PutLe(&info, width, 4);
    PutLe(&info, height, 4);
  }
  bytes.replace(14, info.size(), info);
  return bytes;
}

std::string ManyScanJpeg(int scans) {
  std::string bytes("\xFF\xD8\xFF\xC2\x00\x0B\x08\x00\x08\x00\x08\x01\x01\x11\x00", 15);
  for (int i = 0; i < scans; ++i) {
    bytes += std::string("\xFF\xDA\x00\x08\x01\x01\x00\x00\x00\x00\x2A", 11);
  }
  bytes += std::string("\xFF\xD9", 2);
  return bytes;
}

std::string Wav(uint16_t tag, uint16_t channels, uint32_t rate, uint16_t bits,
                const std::string& data) {
  std::string fmt;
  PutLe(&fmt, tag, 2);
  PutLe(&fmt, channels, 2);
  PutLe(&fmt, rate, 4);
  PutLe(&fmt, rate * channels * bits / 8, 4);
  PutLe(&fmt, channels * bits / 8, 2);
  PutLe(&fmt, bits, 2);
  std::string body = "WAVEfmt ";
  PutLe(&body, static_cast<uint32_t>(fmt.size()), 4);
  body += fmt + "data";
  PutLe(&body, static_cast<uint32_t>(data.size()), 4);
  body += data;
  std::string file = "RIFF";
  PutLe(&file, static_cast<uint32_t>(body.size()), 4);
  return file + body;
}

std::string S16(const std::vector<int16_t>& samples) {
  std::string out;
  for (int16_t s : samples) PutLe(&out, static_cast<uint16_t>(s), 2);
  return out;
}

std::string F32(const std::vector<float>& samples) {
  std::string out;
  for (float s : samples) {
    uint32_t bits;
    std::memcpy(&bits, &s, sizeof(bits));
    PutLe(&out, bits, 4);
  }
  return out;
}

// The audio fuzzer's 7-byte prefix: mode, format bit, rate (24 bits + a
// "raw" bit), channels.
std::string AudioPrefix(uint8_t mode, bool f32, uint32_t rate, uint8_t channels) {
  std::string out;
  out.push_back(static_cast<char>(mode));
  out.push_back(static_cast<char>(f32 ? 1 : 0));
  PutLe(&out, rate, 3);
  out.push_back(1);  // the rate as given
  out.push_back(static_cast<char>(channels));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR SOURCE_DIR\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1];
  const fs::path source = argv[2];
  bool ok = true;

  // Images: the fuzzer's first byte 0 = encoded.
  const cv::Mat small = Gradient(8, 6);
  const std::string encoded_prefix(1, '\0');
  ok &= Write(out / "image/png", encoded_prefix + Encode(".png", small));
  ok &= Write(out / "image/jpeg", encoded_prefix + Encode(".jpg", small));
  ok &= Write(out / "image/jpeg_progressive",
              encoded_prefix + Encode(".jpg", small, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  ok &= Write(out / "image/bmp", encoded_prefix + Encode(".bmp", small));
  ok &= Write(out / "image/webp", encoded_prefix + Encode(".webp", small));
  ok &= Write(out / "image/bmp_os2_header", encoded_prefix + BmpHeader(12, 640, 480));
  ok &= Write(out / "image/bmp_int32_min_height", encoded_prefix + BmpHeader(40, 4, 0x80000000u));
  ok &= Write(out / "image/jpeg_5000_scans", encoded_prefix + ManyScanJpeg(5000));
  std::string raw(1, '\x01');
  PutLe(&raw, 2, 2);
  PutLe(&raw, 2, 2);
  raw.push_back(1);  // RGB8
  raw += std::string(12, '\x7f');
  ok &= Write(out / "image/raw_rgb_2x2", raw);

  // Audio.
  ok &= Write(out / "audio/wav_s16_mono", AudioPrefix(0, false, 0, 0) +
                                              Wav(1, 1, 16000, 16, S16({0, 1000, -1000, 32767})));
  ok &= Write(out / "audio/wav_f32_stereo_44100",
              AudioPrefix(0, false, 0, 0) + Wav(3, 2, 44100, 32, F32({0.5f, -0.5f, 1.5f, -1.0f})));
  ok &= Write(out / "audio/wav_f32_huge_samples",
              AudioPrefix(0, false, 0, 0) + Wav(3, 2, 16000, 32, F32({3e38f, 3e38f})));
  ok &= Write(out / "audio/raw_s16_8000_stereo",
              AudioPrefix(1, false, 8000, 2) + S16({1, 2, 3, 4, -5, -6, 7, 8}));
  ok &= Write(out / "audio/raw_f32_192000_mono",
              AudioPrefix(1, true, 192000, 1) + F32({0.1f, 0.2f, -0.3f}));
  ok &= Write(out / "audio/chunk_f32_48000_8ch",
              AudioPrefix(2, true, 48000, 8) + F32(std::vector<float>(16, 0.25f)));

  // Model configs: the committed ones, and one that escapes its folder.
  for (const char* name : {"blazeface", "centernet", "emotion", "expression", "face_expression",
                           "selfie", "movenet_multipose", "facemesh"}) {
    std::ifstream in(source / "models/repository" / name / "config.pbtxt", std::ios::binary);
    if (!in) continue;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ok &= Write(out / "model_config" / name, text);
  }
  {
    std::ifstream in(source / "models/examples/speech_emotion/config.pbtxt", std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ok &= Write(out / "model_config/speech_emotion", text);
  }
  ok &= Write(out / "model_config/escaping_filename",
              "name: 'x' task: MODEL_TASK_GENERIC model_filename: '../../etc/passwd' "
              "input { name: 'a' dims: 4 } output { name: 'b' dims: 4 }");

  // HTTP requests to /metrics.
  ok &= Write(out / "http_request/get", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  ok &= Write(out / "http_request/get_token",
              "GET /metrics?x=1 HTTP/1.0\r\nAuthorization: Bearer abc\r\n\r\n");
  ok &= Write(out / "http_request/lf_only", "GET / HTTP/1.0\nauthorization: basic x\n\n");

  // Log values: the first byte is the truncation limit.
  ok &= Write(out / "log_escape/newline", std::string("\x10") + "r-1\n2026 ERROR forged");
  ok &= Write(out / "log_escape/utf8", std::string("\x05") + "caf\xc3\xa9 \xff\xfe \xed\xa0\x80");
  ok &= Write(out / "log_escape/controls", std::string("\xff") + "\x1b[31m\t\r\\\"\x7f");

  // AnalyzeRequests on the wire: an image with options, raw audio, a WAV.
  {
    affect::v1::AnalyzeRequest request;
    request.set_request_id("seed-1");
    request.mutable_image()->set_encoded(Encode(".png", small));
    request.add_analyses(affect::v1::ANALYSIS_EMOTION);
    request.add_analyses(affect::v1::ANALYSIS_SCENE);
    request.mutable_options()->set_max_faces(3);
    request.mutable_options()->set_face_score_threshold(0.5f);
    ok &= Write(out / "analyze_request/image_with_options", request.SerializeAsString());
    request.Clear();
    request.set_request_id("seed-2");
    affect::v1::RawAudio* raw_audio = request.mutable_audio()->mutable_raw();
    raw_audio->set_format(affect::v1::SAMPLE_FORMAT_S16LE);
    raw_audio->set_sample_rate_hz(8000);
    raw_audio->set_channels(1);
    raw_audio->set_data(S16({0, 100, -100, 2000, -2000, 0}));
    request.add_analyses(affect::v1::ANALYSIS_VOICE);
    ok &= Write(out / "analyze_request/raw_audio", request.SerializeAsString());
    request.Clear();
    request.mutable_audio()->set_wav(Wav(3, 1, 22050, 32, F32({0.1f, -0.2f, 0.3f})));
    request.mutable_image()->mutable_raw()->set_width(2);
    request.mutable_image()->mutable_raw()->set_height(1);
    request.mutable_image()->mutable_raw()->set_format(affect::v1::PIXEL_FORMAT_GRAY8);
    request.mutable_image()->mutable_raw()->set_data("ab");
    ok &= Write(out / "analyze_request/wav_and_raw_image", request.SerializeAsString());
  }
  if (!ok) {
    std::fprintf(stderr, "affect_fuzz_seeds: cannot write under %s\n", out.c_str());
    return 1;
  }
  std::printf("affect_fuzz_seeds: seeds written under %s\n", out.c_str());
  return 0;
}
