// Table and JSON rendering of a fixed AnalyzeResponse and of stream
// messages (golden substrings: layout may change, content must not).
#include "client/cli/console.h"
#include "client/cli/output.h"
#include "client/cli/table_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_affect_service.h"

namespace affect::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(TableFormatTest, AnalyzeResponseShowsFacesWithBoxExpressionAndAffect) {
  const std::string text = FormatAnalyzeResponse(testing::SampleAnalyzeResponse(), "photo.jpg");
  EXPECT_THAT(text, HasSubstr("photo.jpg: 640x480 image + 3.2 s audio"));
  EXPECT_THAT(text, HasSubstr("analyses emotion, attire, scene, voice; request req-42"));
  EXPECT_THAT(text, HasSubstr("Faces (2)"));
  EXPECT_THAT(text, HasSubstr("box (x,y wxh)"));
  EXPECT_THAT(text, HasSubstr("100,80 120x130  0.97  happy       0.88   +0.71    +0.32")) << text;
  EXPECT_THAT(text, HasSubstr("400,90 60x64    0.81  -")) << "a face without expression";
}

TEST(TableFormatTest, AnalyzeResponseShowsAttireSceneVoiceTimingsAndModels) {
  const std::string text = FormatAnalyzeResponse(testing::SampleAnalyzeResponse(), "photo.jpg");
  EXPECT_THAT(text, HasSubstr("upper body   navy 54%, white 30%  82%")) << text;
  EXPECT_THAT(text, HasSubstr("accessories  tie 0.71"));
  EXPECT_THAT(text, HasSubstr("category     living_room 0.72 (couch)"));
  EXPECT_THAT(text, HasSubstr("environment  indoor (0.90)"));
  EXPECT_THAT(text, HasSubstr("lighting     normal (brightness 0.52, contrast 0.21)"));
  EXPECT_THAT(text, HasSubstr("objects      person 0.95, couch 0.81"));
  EXPECT_THAT(text, HasSubstr("speech    yes, 62% active, 3.2 s"));
  EXPECT_THAT(text, HasSubstr("loudness  -23.1 dBFS"));
  EXPECT_THAT(text, HasSubstr("pitch     182 Hz +/- 31"));
  EXPECT_THAT(text, HasSubstr("Timings  total 412.3 ms (decode 12.1, queue 3.2, inference 301.0, "
                              "postprocess 40.2)"));
  EXPECT_THAT(text, HasSubstr("Models   blazeface v1, emotion v1, centernet v1, selfie v1"));
}

TEST(TableFormatTest, VoiceListsWhereTheSpeechIsAndCutsLongLists) {
  v1::Voice voice;
  voice.set_speech_present(true);
  voice.set_duration_seconds(30.0f);
  for (int i = 0; i < 8; ++i) {
    v1::SpeechSegment* segment = voice.add_speech_segments();
    segment->set_start_seconds(static_cast<float>(3 * i) + 0.25f);
    segment->set_end_seconds(static_cast<float>(3 * i) + 1.5f);
  }
  const std::string text = FormatVoice(voice);
  EXPECT_THAT(text, HasSubstr("speech at  0.25-1.50 s, 3.25-4.50 s")) << text;
  EXPECT_THAT(text, HasSubstr("15.25-16.50 s (+2 more)")) << text;
  EXPECT_THAT(FormatVoice(v1::Voice()), Not(HasSubstr("speech at"))) << "no speech, no row";
}

TEST(TableFormatTest, SectionsOfAnalysesThatDidNotRunAreLeftOut) {
  v1::AnalyzeResponse response;
  response.mutable_image()->mutable_size()->set_width(10);
  response.mutable_image()->mutable_size()->set_height(10);
  const std::string text = FormatAnalyzeResponse(response, "x.png");
  EXPECT_THAT(text, HasSubstr("Faces (0)\n  none found"));
  EXPECT_THAT(text, Not(HasSubstr("Scene")));
  EXPECT_THAT(text, Not(HasSubstr("Voice")));
  EXPECT_THAT(text, Not(HasSubstr("Attire")));
}

TEST(TableFormatTest, ManyObjectsAreCutWithACount) {
  v1::Scene scene;
  for (int i = 0; i < 11; ++i) {
    v1::DetectedObject* object = scene.add_objects();
    object->set_label("cup");
    object->set_score(0.5f);
  }
  v1::ImageAnalysis analysis;
  *analysis.mutable_scene() = scene;
  EXPECT_THAT(FormatImageAnalysis(analysis), HasSubstr("(+3 more)"));
}

TEST(TableFormatTest, EnsembleModelsListTheirMembers) {
  v1::AnalyzeResponse response;
  v1::ModelRef* model = response.add_models();
  model->set_name("expression_ensemble");
  model->set_version(2);
  model->add_members()->set_name("emotion");
  model->mutable_members(0)->set_version(1);
  model->add_members()->set_name("face_expression");
  model->mutable_members(1)->set_version(1);
  EXPECT_THAT(FormatAnalyzeResponse(response, "x"),
              HasSubstr("expression_ensemble v2 (emotion v1 + face_expression v1)"));
}

TEST(TableFormatTest, FrameResultIsOneLineWithTracksAndScene) {
  v1::FrameResult frame;
  frame.set_sequence(12);
  frame.set_timestamp_us(400'000);
  *frame.mutable_analysis() = testing::SampleAnalyzeResponse().image();
  frame.mutable_analysis()->mutable_faces(0)->set_track_id(3);
  frame.mutable_timings()->set_total_ms(85);
  const std::string line = FormatFrameResult(frame);
  EXPECT_THAT(line, HasSubstr("frame 12"));
  EXPECT_THAT(line, HasSubstr("0.40 s"));
  EXPECT_THAT(line, HasSubstr("2 faces: [3] happy 0.88 (v+0.71 a+0.32), #1 face"));
  EXPECT_THAT(line, HasSubstr("| scene living_room, indoor | 85 ms"));
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
}

TEST(TableFormatTest, FrameErrorShowsCodeAndMessage) {
  v1::FrameResult frame;
  frame.set_sequence(4);
  frame.mutable_error()->set_code(3);
  frame.mutable_error()->set_message("image: cannot decode");
  EXPECT_THAT(FormatFrameResult(frame), HasSubstr("error INVALID_ARGUMENT: image: cannot decode"));
}

TEST(TableFormatTest, AggregateShowsTracksChangesAndFusedAffect) {
  v1::StreamAggregate aggregate;
  aggregate.set_window_start_us(0);
  aggregate.set_window_end_us(2'000'000);
  v1::TrackAggregate* track = aggregate.add_tracks();
  track->set_track_id(1);
  track->set_frames_seen(20);
  track->set_dominant(v1::EXPRESSION_HAPPY);
  v1::ExpressionChange* change = track->add_changes();
  change->set_from(v1::EXPRESSION_NEUTRAL);
  change->set_to(v1::EXPRESSION_HAPPY);
  change->set_timestamp_us(1'200'000);
  track->mutable_fused()->set_label("positive-excited");
  track->mutable_fused()->set_valence(0.6f);
  track->mutable_fused()->set_arousal(0.4f);
  track->mutable_fused()->set_confidence(0.7f);
  track->mutable_fused()->set_explanation("face happy 0.8 over 20 frames");
  const std::string text = FormatStreamAggregate(aggregate);
  EXPECT_THAT(text, HasSubstr("aggregate 0.00-2.00 s: 1 track"));
  EXPECT_THAT(text, HasSubstr("track 1: happy over 20 frames; neutral->happy at 1.20 s"));
  EXPECT_THAT(text, HasSubstr("positive-excited (v+0.60 a+0.40, confidence 0.70)"));
  EXPECT_THAT(text, HasSubstr("face happy 0.8 over 20 frames"));
}

TEST(TableFormatTest, SummaryCountsFrames) {
  v1::StreamSummary summary;
  summary.set_reason("client finished");
  summary.mutable_stats()->set_frames_received(10);
  summary.mutable_stats()->set_frames_analysed(8);
  summary.mutable_stats()->set_frames_dropped(2);
  EXPECT_THAT(FormatStreamSummary(summary),
              HasSubstr("summary: client finished; frames 10 received, 8 analysed, 2 dropped"));
}

TEST(TableFormatTest, ModelsShowStateAndTheReasonOfAFailure) {
  v1::ListModelsResponse models;
  v1::ModelInfo* ok = models.add_models();
  ok->set_name("emotion");
  ok->set_version(1);
  ok->set_state(v1::MODEL_STATE_READY);
  ok->set_task("facial_expression");
  for (const char* label : {"angry", "disgust", "fear", "happy", "sad"}) ok->add_labels(label);
  v1::ModelInfo* failed = models.add_models();
  failed->set_name("broken");
  failed->set_state(v1::MODEL_STATE_FAILED);
  failed->set_state_reason("has no version folder");
  const std::string text = FormatModels(models);
  EXPECT_THAT(text, HasSubstr("NAME"));
  EXPECT_THAT(text, HasSubstr("emotion  1        ready   facial_expression")) << text;
  EXPECT_THAT(text, HasSubstr("angry,disgust,fear,happy,... (5)"));
  EXPECT_THAT(text, HasSubstr("broken: has no version folder"));
}

TEST(TableFormatTest, ServerInfoShowsDeviceAnalysesAndLimits) {
  v1::ServerInfo info;
  info.set_version("0.1.0");
  info.set_device("cpu");
  info.add_enabled_analyses(v1::ANALYSIS_EMOTION);
  info.add_enabled_analyses(v1::ANALYSIS_SCENE);
  info.mutable_limits()->set_max_streams(64);
  info.mutable_default_options()->set_max_faces(10);
  const std::string text = FormatServerInfo(info);
  EXPECT_THAT(text, HasSubstr("analyses  emotion, scene"));
  EXPECT_THAT(text, HasSubstr("64 streams"));
  EXPECT_THAT(text, HasSubstr("defaults  max_faces 10"));
}

TEST(TableFormatTest, ServerInfoShowsTheCallersPolicy) {
  v1::ServerInfo info;
  info.mutable_caller()->set_name("support-desk");
  info.mutable_caller()->add_allowed_analyses(v1::ANALYSIS_VOICE);
  info.mutable_caller()->set_max_streams(2);
  const std::string text = FormatServerInfo(info);
  EXPECT_THAT(text, HasSubstr("caller    support-desk: may use voice, at most 2 open streams"))
      << text;
}

TEST(TableFormatTest, UncertainExpressionIsShownAsUncertain) {
  EXPECT_EQ(ExpressionName(v1::EXPRESSION_UNCERTAIN), "uncertain");
}

TEST(JsonFormatTest, OneLineInTheProtoJsonMapping) {
  const std::string json = ToJsonLine(testing::SampleAnalyzeResponse());
  EXPECT_EQ(std::count(json.begin(), json.end(), '\n'), 1) << "one object per line";
  EXPECT_EQ(json.back(), '\n');
  EXPECT_THAT(json, HasSubstr("\"requestId\":\"req-42\"")) << "lowerCamelCase names";
  EXPECT_THAT(json, HasSubstr("\"dominant\":\"EXPRESSION_HAPPY\"")) << "enums by name";
  EXPECT_THAT(json, HasSubstr("\"analyses\":[\"ANALYSIS_EMOTION\""));
  EXPECT_THAT(json, HasSubstr("\"totalMs\":412.3"));
}

TEST(ProgressLineTest, BarCountsAndTime) {
  EXPECT_EQ(RenderProgressLine(45, 100, absl::Seconds(72), "answered 40", 100),
            "[##########..............]  45%  45/100 frames  01:12  answered 40");
}

TEST(ProgressLineTest, UnknownTotalShowsCountsOnlyAndLongLinesAreCut) {
  EXPECT_EQ(RenderProgressLine(7, -1, absl::Seconds(3), "", 100), "7 frames  00:03");
  EXPECT_EQ(RenderProgressLine(7, -1, absl::Seconds(3), "a long detail", 12).size(), 12u);
}

}  // namespace
}  // namespace affect::client
