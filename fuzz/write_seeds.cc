// Writes the fuzzers' seed corpora: small, valid inputs of every kind each
// target reads, made here (nothing third-party), plus the hostile inputs of
// past defects, so every fuzzing run starts from them and re-checks them.
//
//   affect_fuzz_seeds OUTPUT_DIR SOURCE_DIR
// writes OUTPUT_DIR/{image,audio,model_config,http_request,log_escape,
// analyze_request,stream_protocol}/*.
// SOURCE_DIR is the repository (the committed model configs are seeds).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

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
      image.at<cv::Vec3b>(y, x) =
          cv::Vec3b(static_cast<uint8_t>(x * 16), static_cast<uint8_t>(y * 16),
                    static_cast<uint8_t>((x + y) * 8));
    }
  }
  return image;
}

std::string Encode(const char* extension, const cv::Mat& image,
                   const std::vector<int>& params = {}) {
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

// One record of the stream_protocol fuzzer's script: action, 2-byte length,
// payload (stream_protocol_fuzzer.cc).
enum StreamAction : uint8_t { kMessage = 0, kFinish = 1, kClock = 2, kVoice = 3, kHalfClose = 4 };
std::string Record(StreamAction action, const std::string& payload = "") {
  std::string out(1, static_cast<char>(action));
  PutLe(&out, static_cast<uint32_t>(payload.size()), 2);
  return out + payload;
}
std::string Message(const affect::v1::StreamRequest& request) {
  return Record(kMessage, request.SerializeAsString());
}
std::string ConfigMessage(const affect::v1::StreamConfig& config) {
  affect::v1::StreamRequest request;
  *request.mutable_config() = config;
  return Message(request);
}
std::string FrameMessage(uint64_t sequence, int64_t timestamp_us) {
  affect::v1::StreamRequest request;
  request.mutable_frame()->set_sequence(sequence);
  request.mutable_frame()->set_timestamp_us(timestamp_us);
  return Message(request);
}
std::string AudioMessage(int64_t timestamp_us, const std::string& data) {
  affect::v1::StreamRequest request;
  request.mutable_audio()->set_timestamp_us(timestamp_us);
  request.mutable_audio()->set_data(data);
  return Message(request);
}
// Frame `which` of the running ones finishes: 0 ok, 2 failed, 3 too old;
// then faces (count, and x, y, w, h, expression flag, class per face).
std::string FinishRecord(uint8_t which, uint8_t how, uint8_t faces) {
  std::string payload{static_cast<char>(which), static_cast<char>(how), static_cast<char>(faces)};
  for (uint8_t i = 0; i < faces; ++i) {
    payload += std::string{static_cast<char>(40 * i), 60, 40, 40, 0, static_cast<char>(i)};
  }
  return Record(kFinish, payload);
}

affect::v1::StreamConfig AudioConfig(uint32_t rate_hz) {
  affect::v1::StreamConfig config;
  config.mutable_audio_format()->set_format(affect::v1::SAMPLE_FORMAT_S16LE);
  config.mutable_audio_format()->set_sample_rate_hz(rate_hz);
  config.mutable_audio_format()->set_channels(1);
  return config;
}

bool WriteStreamSeeds(const fs::path& dir) {
  using affect::v1::StreamConfig;
  constexpr int64_t kInt64Max = INT64_MAX;
  bool ok = true;
  const std::string half_close = Record(kHalfClose);
  {
    // Frames at 10 fps with faces, finished in turn, then half-close.
    StreamConfig config;
    config.set_aggregate_interval_ms(500);
    config.set_smoothing_window_frames(3);
    std::string script = ConfigMessage(config);
    for (int i = 0; i < 12; ++i) {
      script += FrameMessage(i + 1, i * 100'000);
      script += FinishRecord(0, i % 5 == 4 ? 2 : 0, static_cast<uint8_t>(1 + i % 3));
    }
    ok &= Write(dir / "frames_with_faces", script + half_close);
  }
  // Issue 16: a frame timestamp near int64 max made the stream spin.
  ok &= Write(dir / "frame_int64_max_timestamp",
              ConfigMessage({}) + FrameMessage(1, 0) + FrameMessage(2, kInt64Max) + half_close);
  ok &= Write(dir / "frame_negative_timestamp", ConfigMessage({}) + FrameMessage(1, -1));
  ok &= Write(dir / "frame_at_max_stream_time", ConfigMessage({}) +
                                                    FrameMessage(1, 1'000'000'000'000'000) +
                                                    FinishRecord(0, 0, 2) + half_close);
  {
    // Audio with voice analysis: 0.6 s at 8 kHz in 75 ms chunks, 100 ms
    // windows, pieces analysed. Seeds stay small: libFuzzer's input size
    // limit follows the largest seed, and execution speed follows the limit.
    StreamConfig config = AudioConfig(8000);
    config.set_aggregate_interval_ms(100);
    std::string script = ConfigMessage(config);
    for (int i = 0; i < 8; ++i) {
      script +=
          AudioMessage(i * 75'000, S16(std::vector<int16_t>(600, static_cast<int16_t>(i * 300))));
      script += Record(kVoice) + Record(kVoice, std::string{1, 0, 100, 100, 100});
    }
    ok &= Write(dir / "audio_only_voice", script + half_close);
  }
  ok &= Write(dir / "audio_int64_max_timestamp",
              ConfigMessage(AudioConfig(48000)) + AudioMessage(kInt64Max, S16({1, 2, 3, 4})));
  ok &= Write(dir / "audio_odd_bytes", ConfigMessage(AudioConfig(8000)) + AudioMessage(0, "abc"));
  ok &= Write(dir / "audio_rate_zero", ConfigMessage(AudioConfig(0)));
  ok &= Write(dir / "audio_without_format", ConfigMessage({}) + AudioMessage(0, S16({1, 2})));
  {
    // Frames and audio interleaved; the frames wait for the clock.
    StreamConfig config = AudioConfig(8000);
    config.set_drop_policy(affect::v1::DROP_POLICY_DROP_NEWEST);
    config.set_max_frames_in_flight(3);
    config.set_max_frame_age_ms(100);
    config.set_scene_interval_ms(300);
    config.set_attire_interval_ms(600);
    std::string script = ConfigMessage(config);
    for (int i = 0; i < 10; ++i) {
      script += FrameMessage(i + 1, i * 40'000);
      script += AudioMessage(i * 40'000, S16(std::vector<int16_t>(320, 500)));
      if (i % 3 == 0) script += Record(kClock, std::string(1, '\x0a')) + FinishRecord(1, 0, 1);
      script += Record(kVoice);
    }
    ok &= Write(dir / "frames_and_audio_drop_newest", script + half_close);
  }
  {
    StreamConfig config;
    config.set_drop_policy(affect::v1::DROP_POLICY_BACKPRESSURE);
    config.set_max_frames_in_flight(2);
    std::string script = ConfigMessage(config);
    for (int i = 0; i < 6; ++i) script += FrameMessage(i + 1, i * 33'333);
    script += FinishRecord(0, 3, 0) + FinishRecord(0, 0, 1);
    ok &= Write(dir / "backpressure", script + half_close);
  }
  {
    StreamConfig config;
    config.set_aggregate_interval_ms(600000);
    config.set_scene_interval_ms(600000);
    config.set_max_frame_age_ms(60000);
    config.set_max_frames_in_flight(64);
    ok &= Write(dir / "largest_intervals",
                ConfigMessage(config) + FrameMessage(UINT64_MAX, 0) + FrameMessage(1, 5));
  }
  ok &= Write(dir / "second_config", ConfigMessage({}) + ConfigMessage({}));
  ok &= Write(dir / "frame_first", FrameMessage(1, 0) + ConfigMessage({}));
  ok &=
      Write(dir / "sequence_repeats", ConfigMessage({}) + FrameMessage(7, 0) + FrameMessage(7, 10));
  ok &= Write(dir / "timestamp_decreases",
              ConfigMessage({}) + FrameMessage(1, 500) + FrameMessage(2, 499));
  return ok;
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
  ok &= Write(out / "audio/wav_s16_mono",
              AudioPrefix(0, false, 0, 0) + Wav(1, 1, 16000, 16, S16({0, 1000, -1000, 32767})));
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
  ok &= WriteStreamSeeds(out / "stream_protocol");
  if (!ok) {
    std::fprintf(stderr, "affect_fuzz_seeds: cannot write under %s\n", out.c_str());
    return 1;
  }
  std::printf("affect_fuzz_seeds: seeds written under %s\n", out.c_str());
  return 0;
}
