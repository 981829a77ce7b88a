#include "server/stream/affect_fusion.h"

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/stream/stream_test_util.h"

namespace affect::stream {
namespace {

using ::testing::HasSubstr;
using testing::kMs;
using testing::kSecond;
using testing::MakeVoice;
using ::testing::Not;
using testing::OneHot;
using testing::Scores;
using testing::SetPitch;

// A track seen in 27 frames over 1.8 s with a full 15-frame window.
FaceEvidence Face(const ExpressionScores& scores, v1::Expression dominant) {
  FaceEvidence face;
  face.track_id = 2;
  face.frames_seen = 27;
  face.first_seen_us = 10 * kSecond;
  face.last_seen_us = 11800 * kMs;
  face.smoothed = scores;
  face.smoothing_frames = 15;
  face.window_frames = 15;
  face.dominant = dominant;
  return face;
}

VoiceEvidence Alone(const v1::Voice* voice) {
  VoiceEvidence evidence;
  evidence.voice = voice;
  evidence.tracks_in_window = {2};
  return evidence;
}

TEST(AffectFusionTest, QuadrantLabelsWithANeutralDisc) {
  EXPECT_EQ(QuadrantLabel(0.5f, 0.5f, 0.2f), "positive-excited") << "pleasant, aroused";
  EXPECT_EQ(QuadrantLabel(0.5f, -0.5f, 0.2f), "positive-calm") << "pleasant, calm";
  EXPECT_EQ(QuadrantLabel(-0.5f, 0.5f, 0.2f), "negative-excited") << "unpleasant, aroused";
  EXPECT_EQ(QuadrantLabel(-0.5f, -0.5f, 0.2f), "negative-calm") << "unpleasant, calm";
  EXPECT_EQ(QuadrantLabel(0.1f, -0.1f, 0.2f), "neutral") << "inside the disc";
  EXPECT_EQ(QuadrantLabel(0.3f, 0.0f, 0.2f), "positive-calm") << "arousal 0 counts as calm";
}

TEST(AffectFusionTest, FaceOnlyTakesValenceAndArousalFromTheFace) {
  const v1::FusedAffect fused =
      FuseAffect(Face(OneHot(v1::EXPRESSION_HAPPY), v1::EXPRESSION_HAPPY), {}, {});
  EXPECT_NEAR(fused.valence(), 0.8f, 1e-6) << "happy on the circumplex: valence +0.8";
  EXPECT_NEAR(fused.arousal(), 0.3f, 1e-6) << "happy on the circumplex: arousal +0.3";
  EXPECT_EQ(fused.label(), "positive-excited") << "(+0.8, +0.3)";
  EXPECT_NEAR(fused.confidence(), 1.0f * 1.0f * 0.8f, 1e-6)
      << "full window x certain class x face-only cue factor 0.8";
}

TEST(AffectFusionTest, ConfidenceFallsWithFewFramesAndUnclearScores) {
  FaceEvidence face = Face(Scores({{v1::EXPRESSION_SAD, 0.5f}, {v1::EXPRESSION_NEUTRAL, 0.5f}}),
                           v1::EXPRESSION_SAD);
  face.smoothing_frames = 5;  // 5 of 15
  const v1::FusedAffect fused = FuseAffect(face, {}, {});
  EXPECT_NEAR(fused.confidence(), (5.0f / 15.0f) * 0.5f * 0.8f, 1e-6)
      << "a third of the window x a tie (0.5) x face only";
}

TEST(AffectFusionTest, VoiceBlendsArousalWhenOnePersonIsInView) {
  v1::Voice voice = MakeVoice(2.0f, 0.5f, -22.0f, 0.6f);  // 1 s of speech: full weight
  const v1::FusedAffect fused =
      FuseAffect(Face(OneHot(v1::EXPRESSION_SAD), v1::EXPRESSION_SAD), Alone(&voice), {});
  EXPECT_NEAR(fused.valence(), -0.7f, 1e-6) << "valence from the face only";
  EXPECT_NEAR(fused.arousal(), 0.5f * -0.4f + 0.5f * 0.6f, 1e-6)
      << "equal weights: mean of -0.4 and +0.6";
  EXPECT_EQ(fused.label(), "negative-excited") << "(-0.7, +0.1): unpleasant, aroused";
  EXPECT_THAT(fused.explanation(), HasSubstr("50% face, 50% voice")) << "the blend is stated";
}

TEST(AffectFusionTest, AgreeingCuesRaiseConfidenceAndDisagreeingLowerIt) {
  const FaceEvidence face =
      Face(OneHot(v1::EXPRESSION_HAPPY), v1::EXPRESSION_HAPPY);  // arousal +0.3
  v1::Voice agree = MakeVoice(2.0f, 1.0f, -22.0f, 0.3f);
  v1::Voice disagree = MakeVoice(2.0f, 1.0f, -22.0f, -0.9f);
  const float face_only = FuseAffect(face, {}, {}).confidence();
  const float agreeing = FuseAffect(face, Alone(&agree), {}).confidence();
  const float disagreeing = FuseAffect(face, Alone(&disagree), {}).confidence();
  EXPECT_NEAR(agreeing, 1.0f, 1e-6) << "same arousal from both cues: factor 1";
  EXPECT_NEAR(disagreeing, 1.0f - 0.25f * 1.2f, 1e-6) << "arousal 1.2 apart: factor 0.7";
  EXPECT_GT(agreeing, face_only) << "two agreeing cues beat one";
  EXPECT_LT(disagreeing, face_only) << "cues far apart fall below one cue";
}

TEST(AffectFusionTest, ShortSpeechWeighsLess) {
  v1::Voice voice = MakeVoice(2.0f, 0.125f, -22.0f, 0.8f);  // 0.25 s of speech
  const v1::FusedAffect fused =
      FuseAffect(Face(OneHot(v1::EXPRESSION_NEUTRAL), v1::EXPRESSION_NEUTRAL), Alone(&voice), {});
  EXPECT_NEAR(fused.arousal(), 0.25f / 1.25f * 0.8f, 1e-6)
      << "voice weight 0.25 (0.25 s of the 1 s for full weight) against face weight 1";
  EXPECT_THAT(fused.explanation(), HasSubstr("80% face, 20% voice")) << "weights stated";
}

TEST(AffectFusionTest, VoiceIsNotAttributedWhenSeveralPeopleAreInView) {
  v1::Voice voice = MakeVoice(2.0f, 0.64f, -22.0f, 0.6f);
  VoiceEvidence evidence;
  evidence.voice = &voice;
  evidence.tracks_in_window = {2, 5};
  const v1::FusedAffect fused =
      FuseAffect(Face(OneHot(v1::EXPRESSION_SAD), v1::EXPRESSION_SAD), evidence, {});
  EXPECT_NEAR(fused.arousal(), -0.4f, 1e-6) << "arousal from the face alone";
  EXPECT_NEAR(fused.confidence(), 0.8f, 1e-6) << "face-only confidence";
  EXPECT_THAT(fused.explanation(), HasSubstr("2 faces were tracked in this window (tracks 2, 5)"))
      << "says who was in view";
  EXPECT_THAT(fused.explanation(), HasSubstr("without speaker diarization")) << "says why";
  EXPECT_THAT(fused.explanation(), HasSubstr("Fused: negative-calm from the face alone"))
      << "says the fusion used the face only";
  EXPECT_THAT(fused.explanation(), Not(HasSubstr("% voice"))) << "no voice weight when unused";
}

ActiveSpeaker SpeakerIs(uint64_t track_id) {
  ActiveSpeaker speaker;
  speaker.decision = SpeakerDecision::kSpeaker;
  speaker.track_id = track_id;
  speaker.speech_seconds = 1.5;
  speaker.reason = absl::StrFormat(
      "track %d: mouth movement 0.120 during 1.50 s of speech against 0.020 in silence", track_id);
  return speaker;
}

TEST(AffectFusionTest, VoiceGoesToTheAttributedSpeakerAmongSeveralFaces) {
  v1::Voice voice = MakeVoice(2.0f, 0.64f, -22.0f, 0.6f);
  const ActiveSpeaker speaker = SpeakerIs(2);
  VoiceEvidence evidence;
  evidence.voice = &voice;
  evidence.tracks_in_window = {2, 5};
  evidence.speaker = &speaker;
  FaceEvidence speaking = Face(OneHot(v1::EXPRESSION_SAD), v1::EXPRESSION_SAD);
  const v1::FusedAffect fused = FuseAffect(speaking, evidence, {});
  // a_f = -0.4, a_v = 0.6, full face and voice weights (1.28 s of speech).
  EXPECT_NEAR(fused.arousal(), 0.1f, 1e-5) << "face and voice blended for the speaker";
  EXPECT_THAT(fused.explanation(), HasSubstr("Voice attributed to track 2 (track 2: mouth "
                                             "movement 0.120 during 1.50 s of speech"))
      << "names the attribution and its evidence";
  EXPECT_THAT(fused.explanation(), HasSubstr("50% face, 50% voice")) << "voice weight stated";

  FaceEvidence listening = speaking;
  listening.track_id = 5;
  const v1::FusedAffect other = FuseAffect(listening, evidence, {});
  EXPECT_NEAR(other.arousal(), -0.4f, 1e-6) << "the listener is fused from the face alone";
  EXPECT_THAT(other.explanation(), HasSubstr("but attributed to track 2"))
      << "says whose voice it was";
  EXPECT_THAT(other.explanation(), HasSubstr("from the face alone")) << "face-only fusion";
}

TEST(AffectFusionTest, UndecidedSpeakerLeavesTheVoiceOutAndSaysWhy) {
  v1::Voice voice = MakeVoice(2.0f, 0.64f, -22.0f, 0.6f);
  ActiveSpeaker speaker;
  speaker.decision = SpeakerDecision::kAmbiguous;
  speaker.reason = "ambiguous: tracks 2 and 5 moved their mouths alike";
  VoiceEvidence evidence;
  evidence.voice = &voice;
  evidence.tracks_in_window = {2, 5};
  evidence.speaker = &speaker;
  const v1::FusedAffect fused =
      FuseAffect(Face(OneHot(v1::EXPRESSION_SAD), v1::EXPRESSION_SAD), evidence, {});
  EXPECT_NEAR(fused.arousal(), -0.4f, 1e-6) << "voice not used";
  EXPECT_THAT(fused.explanation(), HasSubstr("did not single out a speaker (ambiguous"))
      << "the speaker rule's reason";
}

TEST(AffectFusionTest, MovementEnergySupportsArousalWithASmallWeight) {
  FaceEvidence face = Face(OneHot(v1::EXPRESSION_SAD), v1::EXPRESSION_SAD);
  face.movement.energy = 1.2f;
  face.movement.level = 1.0f;
  const v1::FusedAffect fused = FuseAffect(face, {}, {});
  // (1 x -0.4 + 0.25 x (+1)) / 1.25
  EXPECT_NEAR(fused.arousal(), -0.12f, 1e-5) << "movement pulls arousal up";
  EXPECT_THAT(fused.explanation(), HasSubstr("Movement energy 1.20 body scales/s supports high "
                                             "arousal."))
      << "names the movement cue";
  EXPECT_THAT(fused.explanation(), HasSubstr("80% face, 20% movement")) << "weights stated";

  face.movement.energy = 0.05f;
  face.movement.level = 0.05f;
  EXPECT_LT(FuseAffect(face, {}, {}).arousal(), -0.4f) << "stillness pulls arousal down";

  v1::Voice voice = MakeVoice(2.0f, 0.64f, -22.0f, 0.6f);
  face.movement.energy = 1.2f;
  face.movement.level = 1.0f;
  const v1::FusedAffect three = FuseAffect(face, Alone(&voice), {});
  // (-0.4 + 0.6 + 0.25) / 2.25
  EXPECT_NEAR(three.arousal(), 0.2f, 1e-5) << "three cues blended";
  EXPECT_THAT(three.explanation(), HasSubstr("44% face, 45% voice, 11% movement"))
      << "three weights stated";
}

TEST(AffectFusionTest, ExplanationNamesTheDrowsinessLevel) {
  FaceEvidence face = Face(OneHot(v1::EXPRESSION_NEUTRAL), v1::EXPRESSION_NEUTRAL);
  AttentionSummary attention;
  attention.level = DrowsinessLevel::kTired;
  attention.perclos = 0.09f;
  attention.reasons = {"PERCLOS 0.09 >= 0.075"};
  face.attention = &attention;
  EXPECT_THAT(FuseAffect(face, {}, {}).explanation(),
              HasSubstr("Drowsiness: tired (PERCLOS 0.09 >= 0.075)."))
      << "level and reason";
  attention.level = DrowsinessLevel::kUnknown;
  EXPECT_THAT(FuseAffect(face, {}, {}).explanation(), Not(HasSubstr("Drowsiness")))
      << "an unknown level is not mentioned";
}

TEST(AffectFusionTest, VoiceWithoutSpeechIsNotUsed) {
  v1::Voice voice = MakeVoice(2.0f, 0.0f, -65.0f, 0.0f);
  const v1::FusedAffect fused =
      FuseAffect(Face(OneHot(v1::EXPRESSION_HAPPY), v1::EXPRESSION_HAPPY), Alone(&voice), {});
  EXPECT_NEAR(fused.arousal(), 0.3f, 1e-6) << "arousal from the face";
  EXPECT_THAT(fused.explanation(),
              HasSubstr("Voice over 2.0 s: no speech detected, so the voice was not used."))
      << "explains the silent voice";
}

TEST(AffectFusionTest, ExplanationStatesTheCuesAndNumbersUsed) {
  const ExpressionScores scores = Scores({{v1::EXPRESSION_HAPPY, 0.71f},
                                          {v1::EXPRESSION_NEUTRAL, 0.19f},
                                          {v1::EXPRESSION_SURPRISE, 0.1f}});
  FaceEvidence face = Face(scores, v1::EXPRESSION_HAPPY);
  v1::ExpressionChange change;
  change.set_timestamp_us(10400 * kMs);
  change.set_from(v1::EXPRESSION_NEUTRAL);
  change.set_to(v1::EXPRESSION_HAPPY);
  face.changes.push_back(change);
  v1::Voice voice = MakeVoice(1.8f, 0.64f, -23.04f, 0.41f);
  SetPitch(&voice, 182.3f, 25.0f, 120.0f, 260.0f, 0.9f);
  const v1::FusedAffect fused = FuseAffect(face, Alone(&voice), {});
  const std::string& text = fused.explanation();
  // valence 0.71 x 0.8 + 0.1 x 0.2 = 0.588; face arousal 0.71 x 0.3 + 0.1 x 0.8 = 0.293.
  EXPECT_THAT(
      text,
      HasSubstr(
          "Face (track 2, 27 frames over 1.8 s): mostly happy (0.71 smoothed over 15 frames), "
          "valence +0.59, arousal +0.29."))
      << text;
  EXPECT_THAT(text, HasSubstr("Changed from neutral to happy at 10.40 s.")) << text;
  EXPECT_THAT(text, HasSubstr("Voice over 1.8 s: speech 64% of the time, -23.0 dBFS, pitch 182 Hz, "
                              "arousal +0.41"))
      << text;
  EXPECT_THAT(text, HasSubstr(absl::StrFormat(
                        "Fused: %s (valence +0.59 from the face; arousal %+.2f = ", fused.label(),
                        fused.arousal())))
      << text;
  EXPECT_THAT(text, HasSubstr(absl::StrFormat("confidence %.2f).", fused.confidence()))) << text;
}

TEST(AffectFusionTest, ExplanationNeverMentionsAnAbsentCue) {
  const v1::FusedAffect no_audio =
      FuseAffect(Face(OneHot(v1::EXPRESSION_HAPPY), v1::EXPRESSION_HAPPY), {}, {});
  EXPECT_THAT(no_audio.explanation(), Not(HasSubstr("Voice"))) << no_audio.explanation();
  EXPECT_THAT(no_audio.explanation(), Not(HasSubstr("speech"))) << no_audio.explanation();
  EXPECT_THAT(no_audio.explanation(), Not(HasSubstr("Changed"))) << "no change, no change sentence";
  EXPECT_THAT(no_audio.explanation(), HasSubstr("from the face alone")) << no_audio.explanation();

  v1::Voice unpitched = MakeVoice(2.0f, 0.5f, -22.0f, 0.2f);  // speech, but no pitch found
  const v1::FusedAffect no_pitch =
      FuseAffect(Face(OneHot(v1::EXPRESSION_HAPPY), v1::EXPRESSION_HAPPY), Alone(&unpitched), {});
  EXPECT_THAT(no_pitch.explanation(), Not(HasSubstr("pitch"))) << no_pitch.explanation();
  EXPECT_THAT(no_pitch.explanation(), HasSubstr("speech 50% of the time"))
      << no_pitch.explanation();
}

TEST(AffectFusionTest, SingleFrameAndWeakLeadAreWordedAsSuch) {
  FaceEvidence face = Face(Scores({{v1::EXPRESSION_SAD, 0.4f},
                                   {v1::EXPRESSION_NEUTRAL, 0.35f},
                                   {v1::EXPRESSION_FEAR, 0.25f}}),
                           v1::EXPRESSION_SAD);
  face.frames_seen = 1;
  face.last_seen_us = face.first_seen_us;
  const v1::FusedAffect fused = FuseAffect(face, {}, {});
  EXPECT_THAT(fused.explanation(),
              HasSubstr("(track 2, 1 frame at 10.00 s): leaning sad (0.40 smoothed"))
      << fused.explanation();
}

}  // namespace
}  // namespace affect::stream
