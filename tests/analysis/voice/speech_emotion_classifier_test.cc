// The speech-emotion slot end to end: a config.pbtxt written to a temporary
// repository and loaded with LoadModelConfigFile, a tiny TorchScript model
// generated with SaveScriptedModule and run by affect::TorchModule behind a
// small submit adapter (standing in for the DynamicBatcher).
#include "server/analysis/voice/speech_emotion_classifier.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "server/config/model_config_loader.h"
#include "server/torch/torch_module.h"
#include "tests/analysis/voice/voice_test_signals.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::affect::testing::IsOk;
using ::affect::testing::StatusIs;
using ::affect::testing::Tone;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

// Runs each submitted request through a TorchModule, the way the batcher
// will: items stacked into one batch, output rows split back per item,
// `done` called exactly once. Synchronous, or on a thread per request.
class TorchSubmitAdapter {
 public:
  TorchSubmitAdapter(std::unique_ptr<TorchModule> module, bool on_thread)
      : module_(std::move(module)), on_thread_(on_thread) {}
  ~TorchSubmitAdapter() {
    for (std::thread& t : threads_) t.join();
  }

  absl::Status Submit(std::unique_ptr<InferenceRequest>& request) {
    if (refuse_) return absl::ResourceExhaustedError("queue full");
    std::shared_ptr<InferenceRequest> owned(std::move(request));  // OK: we own it now
    if (!on_thread_) {
      Run(*owned);
      return absl::OkStatus();
    }
    std::lock_guard<std::mutex> lock(mu_);
    threads_.emplace_back([this, owned] { Run(*owned); });
    return absl::OkStatus();
  }

  SubmitFn AsSubmitFn() {
    return [this](std::unique_ptr<InferenceRequest>& request) { return Submit(request); };
  }

  void set_refuse(bool refuse) { refuse_ = refuse; }

 private:
  void Run(InferenceRequest& request) {
    const size_t n = request.items.size();
    std::vector<int64_t> shape = {static_cast<int64_t>(n)};
    const Tensor& first = request.items[0][0];
    shape.insert(shape.end(), first.shape().begin(), first.shape().end());
    Tensor batch(shape);
    for (size_t i = 0; i < n; ++i) {
      const Tensor& item = request.items[i][0];
      std::copy(item.values().begin(), item.values().end(),
                batch.data() + i * static_cast<size_t>(item.num_elements()));
    }
    auto outputs = module_->Forward({&batch, 1});
    if (!outputs.ok()) {
      std::move(request.done)(outputs.status());
      return;
    }
    InferenceResult result;
    result.batch_size = static_cast<int>(n);
    result.outputs.resize(n);
    for (const Tensor& output : *outputs) {
      const std::vector<int64_t> row_shape(output.shape().begin() + 1, output.shape().end());
      const int64_t row = output.row_elements();
      for (size_t i = 0; i < n; ++i) {
        const float* begin = output.data() + static_cast<int64_t>(i) * row;
        result.outputs[i].emplace_back(row_shape, std::vector<float>(begin, begin + row));
      }
    }
    std::move(request.done)(std::move(result));
  }

  std::unique_ptr<TorchModule> module_;
  bool on_thread_;
  bool refuse_ = false;
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

// 8 mels x 20 frames, 3 labels; the model reads the lowest and the highest
// mel band, so the layout [N, n_mels, frames] matters.
constexpr char kConfig[] = R"pb(
  name: "ser"
  task: MODEL_TASK_SPEECH_EMOTION
  labels: [ "low", "mid", "high" ]
  max_batch_size: 8
  input {
    name: "log_mel"
    dims: [ 8, 20 ]
    layout: TENSOR_LAYOUT_FLAT
  }
  output {
    name: "scores"
    dims: [ 3 ]
  }
  audio_features {
    sample_rate_hz: 16000
    n_fft: 256
    hop_length: 128
    win_length: 256
    n_mels: 8
    f_min_hz: 0
    f_max_hz: 8000
    frames: 20
  }
  parameters { key: "output" value: "logits" }
)pb";

// kConfig with `edit` applied, as text.
std::string EditedConfig(const std::function<void(v1::ModelConfig*)>& edit) {
  auto config = ParseModelConfig(kConfig, "kConfig");
  EXPECT_TRUE(config.ok()) << config.status();
  edit(&*config);
  std::string text;
  google::protobuf::TextFormat::PrintToString(*config, &text);
  return text;
}

// logits = 0.1 * [mean over time of band 0, 0, mean over time of band 7].
constexpr char kBandModel[] = R"(
def forward(self, x):
    low = x[:, 0, :].mean(dim=1)
    high = x[:, 7, :].mean(dim=1)
    return torch.stack([low, torch.zeros_like(low), high], dim=1) * 0.1
)";

constexpr char kFiveOutputsModel[] = R"(
def forward(self, x):
    return x[:, 0, 0:5]
)";

class SpeechEmotionClassifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("affect_ser_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_ / "ser" / "1");
  }
  void TearDown() override { fs::remove_all(root_); }

  // Writes config and model into the temporary repository, loads both.
  void Install(const std::string& config_text, const std::string& model_source,
               bool on_thread = true) {
    std::ofstream(root_ / "ser" / "config.pbtxt") << config_text;
    auto config = LoadModelConfigFile((root_ / "ser" / "config.pbtxt").string(), "ser");
    ASSERT_THAT(config, IsOk());
    config_ = *config;
    const std::string model_path = (root_ / "ser" / "1" / "model.pt").string();
    ASSERT_THAT(SaveScriptedModule(model_source, model_path), IsOk());
    auto module = TorchModule::Load(model_path, {DeviceSpec::Cpu(), false});
    ASSERT_THAT(module, IsOk());
    adapter_ = std::make_unique<TorchSubmitAdapter>(std::move(module).value(), on_thread);
  }

  std::unique_ptr<SpeechEmotionClassifier> MakeClassifier() {
    auto classifier = SpeechEmotionClassifier::Create(config_, 1, adapter_->AsSubmitFn());
    EXPECT_THAT(classifier, IsOk());
    return classifier.ok() ? std::move(classifier).value() : nullptr;
  }

  // Classifies and waits for the callback.
  absl::StatusOr<SpeechEmotionResult> Run(const SpeechEmotionClassifier& classifier,
                                          const std::vector<float>& samples, uint32_t rate) {
    std::promise<absl::StatusOr<SpeechEmotionResult>> promise;
    auto future = promise.get_future();
    const absl::Status submitted = classifier.Classify(
        samples, rate, {}, [&promise](absl::StatusOr<SpeechEmotionResult> result) {
          promise.set_value(std::move(result));
        });
    if (!submitted.ok()) return submitted;
    return future.get();
  }

  fs::path root_;
  v1::ModelConfig config_;
  std::unique_ptr<TorchSubmitAdapter> adapter_;
};

TEST_F(SpeechEmotionClassifierTest, ScoresAClipEndToEnd) {
  Install(kConfig, kBandModel);
  auto classifier = MakeClassifier();
  ASSERT_NE(classifier, nullptr);
  const std::vector<float> clip = Tone(6000.0, 1.0, 0.3);  // energy in the top mel band

  auto result = Run(*classifier, clip, 16000);
  ASSERT_THAT(result, IsOk());
  // 1 s -> 1 + 16000 / 128 = 126 log-mel frames -> ceil(126 / 20) = 7 windows.
  EXPECT_EQ(result->windows, 7);
  ASSERT_EQ(result->scores.size(), 3u);
  EXPECT_EQ(result->scores[0].label(), "low");
  EXPECT_EQ(result->scores[1].label(), "mid");
  EXPECT_EQ(result->scores[2].label(), "high");
  EXPECT_GT(result->scores[2].score(), result->scores[0].score())
      << "a 6 kHz tone fills the top band (index 7), not the bottom one";
  EXPECT_NEAR(result->scores[0].score() + result->scores[1].score() + result->scores[2].score(),
              1.0f, 1e-5);
  EXPECT_EQ(result->model.name(), "ser");
  EXPECT_EQ(result->model.version(), 1);

  // The same numbers by hand from the log-mel front end: windows start at
  // round(i * (126 - 20) / 6), softmax of the model's logits, averaged.
  const Tensor mel = classifier->front_end().Compute(clip);
  ASSERT_EQ(mel.dim(1), 126);
  std::vector<double> expected(3, 0.0);
  for (int w = 0; w < 7; ++w) {
    const int start = static_cast<int>(std::lround(w * 106.0 / 6.0));
    double low = 0.0;
    double high = 0.0;
    for (int c = 0; c < 20; ++c) {
      low += mel.data()[0 * 126 + start + c];
      high += mel.data()[7 * 126 + start + c];
    }
    const double logits[3] = {0.1 * low / 20, 0.0, 0.1 * high / 20};
    const double top = std::max({logits[0], logits[1], logits[2]});
    double sum = 0.0;
    for (double l : logits) sum += std::exp(l - top);
    for (int k = 0; k < 3; ++k)
      expected[static_cast<size_t>(k)] += std::exp(logits[k] - top) / sum / 7;
  }
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(result->scores[static_cast<size_t>(k)].score(), expected[static_cast<size_t>(k)],
                1e-5)
        << result->scores[static_cast<size_t>(k)].label();
  }

  v1::Voice voice;
  FillSpeechEmotion(*result, &voice);
  ASSERT_EQ(voice.emotion_scores_size(), 3);
  EXPECT_EQ(voice.emotion_scores(2).label(), "high");
  EXPECT_EQ(voice.emotion_model().name(), "ser");
}

TEST_F(SpeechEmotionClassifierTest, ResamplesAudioAtOtherRates) {
  Install(kConfig, kBandModel, /*on_thread=*/false);
  auto classifier = MakeClassifier();
  ASSERT_NE(classifier, nullptr);
  auto at_16k = Run(*classifier, Tone(6000.0, 1.0, 0.3), 16000);
  auto at_48k = Run(*classifier, std::vector<float>(Tone(2000.0, 3.0, 0.3)), 48000);
  ASSERT_THAT(at_16k, IsOk());
  ASSERT_THAT(at_48k, IsOk());
  // 48000 samples at 48 kHz are 1 s: a 2000 Hz "tone" there is 6 kHz.
  EXPECT_EQ(at_48k->windows, 7);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(at_48k->scores[static_cast<size_t>(k)].score(),
                at_16k->scores[static_cast<size_t>(k)].score(), 0.01);
  }
}

TEST_F(SpeechEmotionClassifierTest, ShortClipsArePaddedWithSilence) {
  Install(kConfig, kBandModel);
  auto classifier = MakeClassifier();
  ASSERT_NE(classifier, nullptr);
  // 0.1 s -> 1 + 1600 / 128 = 13 frames, padded to 20.
  const std::vector<Tensor> windows = classifier->MakeWindows(Tone(300.0, 0.1, 0.3));
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_THAT(windows[0].shape(), ElementsAre(8, 20));
  for (int m = 0; m < 8; ++m) {
    EXPECT_GT(windows[0].data()[m * 20 + 12], std::log(1e-6f)) << "real frame, mel " << m;
    for (int c = 13; c < 20; ++c) {
      EXPECT_FLOAT_EQ(windows[0].data()[m * 20 + c], std::log(1e-6f)) << "padding, mel " << m;
    }
  }
}

TEST_F(SpeechEmotionClassifierTest, WrongOutputSizeIsInternal) {
  Install(EditedConfig([](v1::ModelConfig* c) {
            c->mutable_output(0)->set_dims(0, -1);  // let the model decide
          }),
          kFiveOutputsModel);
  auto classifier = MakeClassifier();
  ASSERT_NE(classifier, nullptr);
  EXPECT_THAT(Run(*classifier, Tone(300.0, 0.5, 0.3), 16000),
              StatusIs(absl::StatusCode::kInternal,
                       "speech-emotion model 'ser' version 1: output 0 has 5 values per item "
                       "(shape [5]) but the config lists 3 labels"));
}

TEST_F(SpeechEmotionClassifierTest, LogitsDeclaredAsProbabilitiesAreInternal) {
  Install(EditedConfig(
              [](v1::ModelConfig* c) { (*c->mutable_parameters())["output"] = "probabilities"; }),
          R"(
def forward(self, x):
    return torch.stack([x[:, 0, 0], x[:, 1, 0], x[:, 2, 0]], dim=1)
)");
  auto classifier = MakeClassifier();
  ASSERT_NE(classifier, nullptr);
  EXPECT_THAT(Run(*classifier, Tone(300.0, 0.5, 0.3), 16000),
              StatusIs(absl::StatusCode::kInternal,
                       HasSubstr("is outside [0, 1]; if the model returns logits, set "
                                 "parameters { key: \"output\" value: \"logits\" }")));
}

TEST_F(SpeechEmotionClassifierTest, ModelFailureReachesTheCallback) {
  Install(kConfig, R"(
def forward(self, x):
    return x.matmul(x)
)");
  auto classifier = MakeClassifier();
  ASSERT_NE(classifier, nullptr);
  EXPECT_THAT(Run(*classifier, Tone(300.0, 0.5, 0.3), 16000),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("PyTorch execute failure")));
}

TEST_F(SpeechEmotionClassifierTest, SubmitRefusalIsReturnedAndTheCallbackIsNotCalled) {
  Install(kConfig, kBandModel);
  auto classifier = MakeClassifier();
  ASSERT_NE(classifier, nullptr);
  adapter_->set_refuse(true);
  bool called = false;
  EXPECT_THAT(
      classifier->Classify(Tone(300.0, 0.5, 0.3), 16000, {},
                           [&called](absl::StatusOr<SpeechEmotionResult>) { called = true; }),
      StatusIs(absl::StatusCode::kResourceExhausted, "queue full"));
  EXPECT_FALSE(called);
  EXPECT_THAT(classifier->Classify({}, 16000, {}, [](absl::StatusOr<SpeechEmotionResult>) {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "speech emotion: no samples"));
}

TEST_F(SpeechEmotionClassifierTest, EngineErrorsPassThrough) {
  Install(kConfig, kBandModel);
  auto classifier =
      SpeechEmotionClassifier::Create(config_, 1, [](std::unique_ptr<InferenceRequest>& request) {
        std::unique_ptr<InferenceRequest> owned = std::move(request);
        std::move(owned->done)(absl::DeadlineExceededError("deadline passed in the queue"));
        return absl::OkStatus();
      });
  ASSERT_THAT(classifier, IsOk());
  EXPECT_THAT(Run(**classifier, Tone(300.0, 0.5, 0.3), 16000),
              StatusIs(absl::StatusCode::kDeadlineExceeded, "deadline passed in the queue"));
}

TEST_F(SpeechEmotionClassifierTest, RequestCarriesDeadlineCancellationAndTrafficClass) {
  Install(kConfig, kBandModel);
  std::unique_ptr<InferenceRequest> captured;
  auto classifier = SpeechEmotionClassifier::Create(
      config_, 3, [&captured](std::unique_ptr<InferenceRequest>& request) {
        captured = std::move(request);
        return absl::OkStatus();
      });
  ASSERT_THAT(classifier, IsOk());
  SpeechEmotionCall call;
  call.deadline = absl::FromUnixSeconds(1000);
  call.cancellation = std::make_shared<CancellationFlag>();
  call.traffic_class = TrafficClass::kStream;
  ASSERT_THAT((*classifier)
                  ->Classify(Tone(300.0, 0.5, 0.3), 16000, call,
                             [](absl::StatusOr<SpeechEmotionResult>) {}),
              IsOk());
  ASSERT_NE(captured, nullptr);
  EXPECT_EQ(captured->deadline, absl::FromUnixSeconds(1000));
  EXPECT_EQ(captured->cancellation, call.cancellation);
  EXPECT_EQ(captured->traffic_class, TrafficClass::kStream);
  ASSERT_EQ(captured->items.size(), 4u) << "0.5 s: 63 frames in windows of 20";
  EXPECT_THAT(captured->items[0][0].shape(), ElementsAre(8, 20));
  // The classifier may go away before the answer: the callback owns what it needs.
  classifier->reset();
  std::move(captured->done)(absl::CancelledError("stream cancelled"));
}

TEST_F(SpeechEmotionClassifierTest, ChannelAxisLayoutIsSupported) {
  Install(EditedConfig([](v1::ModelConfig* c) {
            c->mutable_input(0)->mutable_dims()->Add(0);
            c->mutable_input(0)->set_dims(0, 1);
            c->mutable_input(0)->set_dims(1, 8);
            c->mutable_input(0)->set_dims(2, 20);
            (*c->mutable_parameters())["output"] = "probabilities";
          }),
          R"(
def forward(self, x):
    return torch.softmax(x[:, 0, 0:3, :].mean(dim=2), dim=1)
)");
  auto classifier = MakeClassifier();
  ASSERT_NE(classifier, nullptr);
  auto result = Run(*classifier, Tone(300.0, 0.5, 0.3), 16000);
  ASSERT_THAT(result, IsOk());
  EXPECT_NEAR(result->scores[0].score() + result->scores[1].score() + result->scores[2].score(),
              1.0f, 1e-5);
}

TEST_F(SpeechEmotionClassifierTest, ConfigsThatDoNotFitTheSlotAreRejected) {
  Install(kConfig, kBandModel);
  v1::ModelConfig wrong_task = config_;
  wrong_task.set_task(v1::MODEL_TASK_FACIAL_EXPRESSION);
  EXPECT_THAT(SpeechEmotionClassifier::Create(wrong_task, 1, adapter_->AsSubmitFn()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("task must be MODEL_TASK_SPEECH_EMOTION")));
  v1::ModelConfig transposed = config_;
  transposed.mutable_input(0)->clear_dims();
  transposed.mutable_input(0)->add_dims(20);
  transposed.mutable_input(0)->add_dims(8);
  EXPECT_THAT(SpeechEmotionClassifier::Create(transposed, 1, adapter_->AsSubmitFn()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "speech-emotion model 'ser': input[0].dims [20,8] must be [n_mels, "
                       "frames] = [8,20] or [1,8,20]"));
  v1::ModelConfig four_outputs = config_;
  four_outputs.mutable_output(0)->set_dims(0, 4);
  EXPECT_THAT(SpeechEmotionClassifier::Create(four_outputs, 1, adapter_->AsSubmitFn()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("output[0].dims hold 4 values per item but labels lists 3")));
  v1::ModelConfig bad_parameter = config_;
  (*bad_parameter.mutable_parameters())["output"] = "logprobs";
  EXPECT_THAT(SpeechEmotionClassifier::Create(bad_parameter, 1, adapter_->AsSubmitFn()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("parameters[output] 'logprobs' must be")));
  v1::ModelConfig bad_window = config_;
  bad_window.mutable_audio_features()->set_win_length(512);
  EXPECT_THAT(SpeechEmotionClassifier::Create(bad_window, 1, adapter_->AsSubmitFn()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("audio_features.win_length 512 must be in [1, n_fft = 256]")));
}

TEST(SpeechEmotionExampleConfigTest, ShippedExampleLoadsAndFitsTheSlot) {
  auto config = LoadModelConfigFile(
      std::string(AFFECT_SOURCE_DIR) + "/models/examples/speech_emotion/config.pbtxt",
      "speech_emotion");
  ASSERT_THAT(config, IsOk());
  auto classifier = SpeechEmotionClassifier::Create(
      *config, 1, [](std::unique_ptr<InferenceRequest>&) { return absl::OkStatus(); });
  ASSERT_THAT(classifier, IsOk());
  EXPECT_TRUE((*classifier)->logits());
  // 3 s of audio -> 301 frames -> 2 windows of 300.
  EXPECT_EQ((*classifier)->MakeWindows(Tone(200.0, 3.0, 0.1)).size(), 2u);
}

}  // namespace
}  // namespace affect
