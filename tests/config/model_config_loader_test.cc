#include "server/config/model_config_loader.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace affect {
namespace {

using ::affect::testing::StatusIs;
using ::testing::HasSubstr;
constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

constexpr char kValidConfig[] = R"pb(
  name: "emotion"
  task: MODEL_TASK_FACIAL_EXPRESSION
  input {
    name: "input_1"
    dims: [ 64, 64, 1 ]
    layout: TENSOR_LAYOUT_NHWC
    normalization { color_format: COLOR_FORMAT_GRAY scale: 0.00784313725 offset: -1 }
  }
  output { name: "probabilities" dims: [ 7 ] layout: TENSOR_LAYOUT_FLAT }
  labels: [ "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral" ]
  max_batch_size: 16
  dynamic_batching { preferred_batch_size: [ 8 ] max_queue_delay_us: 2000 }
)pb";

absl::StatusOr<v1::ModelConfig> ParseAndCheck(const std::string& text) {
  auto config = ParseModelConfig(text, "repo/emotion/config.pbtxt");
  if (!config.ok()) return config.status();
  FillModelConfigDefaults(&*config);
  absl::Status status = ValidateModelConfig(*config, "emotion", "repo/emotion/config.pbtxt");
  if (!status.ok()) return status;
  return config;
}

TEST(ModelConfigLoaderTest, ValidConfigGetsDefaultsFilled) {
  auto config = ParseAndCheck(kValidConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->platform(), "torchscript");
  EXPECT_EQ(config->model_filename(), "model.pt");
  EXPECT_EQ(config->instance_count(), 1u);
  EXPECT_EQ(config->version_policy().latest().num_versions(), 1u);
  EXPECT_EQ(config->dynamic_batching().max_queue_size(), 8u * 16u) << "8 x batch x instances";
  EXPECT_EQ(config->input(0).data_type(), v1::DATA_TYPE_FLOAT32);
  EXPECT_EQ(config->input(0).normalization().resize(), v1::RESIZE_METHOD_BILINEAR);
}

TEST(ModelConfigLoaderTest, SyntaxErrorNamesFileAndLine) {
  auto config = ParseModelConfig("name: \"x\"\nmax_batch_size: -3\n", "repo/x/config.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config, StatusIs(kInvalid, HasSubstr("repo/x/config.pbtxt")));
  EXPECT_THAT(config, StatusIs(kInvalid, HasSubstr("line 2")));
}

TEST(ModelConfigLoaderTest, UnknownFieldIsRejected) {
  auto config = ParseModelConfig("name: \"x\"\nreplicas: 3\n", "c.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config, StatusIs(kInvalid, HasSubstr("replicas")));
}

TEST(ModelConfigLoaderTest, NameMustMatchFolder) {
  std::string text = kValidConfig;
  text.replace(text.find("\"emotion\""), 9, "\"other\"");
  EXPECT_THAT(ParseAndCheck(text), StatusIs(kInvalid, HasSubstr("'other' differs from its folder name 'emotion'")));
}

TEST(ModelConfigLoaderTest, MinConfidenceIsReadAndRangeChecked) {
  auto config = ParseAndCheck(std::string(kValidConfig) + "min_confidence: 0.55\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FLOAT_EQ(config->min_confidence(), 0.55f);
  EXPECT_THAT(ParseAndCheck(std::string(kValidConfig) + "min_confidence: 1.2\n"),
              StatusIs(kInvalid, HasSubstr("min_confidence 1.2 is outside [0, 1)")));
  std::string detector = std::string(kValidConfig) + "min_confidence: 0.5\n";
  detector.replace(detector.find("MODEL_TASK_FACIAL_EXPRESSION"), 28, "MODEL_TASK_GENERIC");
  EXPECT_THAT(ParseAndCheck(detector),
              StatusIs(kInvalid, HasSubstr("applies to MODEL_TASK_FACIAL_EXPRESSION only")));
}

TEST(ModelConfigLoaderTest, PreferredBatchAboveMaxIsRejected) {
  std::string text = kValidConfig;
  text.replace(text.find("preferred_batch_size: [ 8 ]"), 27, "preferred_batch_size: [ 8, 32 ]");
  EXPECT_THAT(ParseAndCheck(text), StatusIs(kInvalid, HasSubstr("dynamic_batching.preferred_batch_size 32 must be in [1, max_batch_size = 16]")));
}

TEST(ModelConfigLoaderTest, ChannelsMustMatchColorFormat) {
  std::string text = kValidConfig;
  text.replace(text.find("COLOR_FORMAT_GRAY"), 17, "COLOR_FORMAT_RGB");
  EXPECT_THAT(ParseAndCheck(text), StatusIs(kInvalid, HasSubstr("input[0].dims have 1 channels but color_format needs 3")));
}

TEST(ModelConfigLoaderTest, ZeroScaleIsRejected) {
  std::string text = kValidConfig;
  text.replace(text.find("scale: 0.00784313725"), 20, "scale: 0");
  EXPECT_THAT(ParseAndCheck(text), StatusIs(kInvalid, HasSubstr("input[0].normalization.scale must be set and non-zero")));
}

TEST(ModelConfigLoaderTest, LabelsRequiredForClassifiers) {
  std::string text = kValidConfig;
  text.erase(text.find("labels:"), text.find("]", text.find("labels:")) - text.find("labels:") + 1);
  EXPECT_THAT(ParseAndCheck(text), StatusIs(kInvalid, HasSubstr("labels must list")));
}

TEST(ModelConfigLoaderTest, EnsembleMembersMustMapToLabels) {
  constexpr char kEnsemble[] = R"pb(
    name: "expression"
    platform: "ensemble"
    task: MODEL_TASK_FACIAL_EXPRESSION
    labels: [ "happy", "sad" ]
    ensemble {
      member { model: "a" weight: 1 label_map { key: "joy" value: "happy" } }
      member { model: "b" weight: 1 label_map { key: "glad" value: "cheerful" } }
    }
  )pb";
  auto config = ParseModelConfig(kEnsemble, "e.pbtxt");
  ASSERT_TRUE(config.ok()) << config.status();
  FillModelConfigDefaults(&*config);
  EXPECT_THAT(ValidateModelConfig(*config, "expression", "e.pbtxt"), StatusIs(kInvalid, HasSubstr("ensemble.member[1].label_map[glad] maps to 'cheerful'")));
}

// The defect: model_filename was joined to the version folder as given.
TEST(ModelConfigLoaderTest, ModelFilenameMustStayInsideTheVersionFolder) {
  for (const char* filename : {"../../../etc/passwd", "/etc/passwd", "..", ".", "sub/model.pt",
                               "..\\\\model.pt"}) {
    EXPECT_THAT(ParseAndCheck(absl::StrCat(kValidConfig, "model_filename: '", filename, "'")),
                StatusIs(kInvalid, HasSubstr("repo/emotion/config.pbtxt: model_filename")))
        << filename;
  }
  auto config = ParseAndCheck(absl::StrCat(kValidConfig, "model_filename: 'traced.v2.pt'"));
  EXPECT_TRUE(config.ok()) << config.status();
}

TEST(ModelConfigLoaderTest, MissingFileIsNotFound) {
  auto config = LoadModelConfigFile("/nonexistent/config.pbtxt", "");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
}

TEST(ModelConfigLoaderTest, TaskNameIsLowerCase) {
  EXPECT_EQ(ModelTaskName(v1::MODEL_TASK_FACIAL_EXPRESSION), "facial_expression");
}

}  // namespace
}  // namespace affect
