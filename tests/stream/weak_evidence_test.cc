// Fused affect says when its evidence is weak (weak_evidence.h): the flag,
// and a sentence in the explanation naming the reasons.
#include "server/stream/weak_evidence.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/stream/affect_fusion.h"
#include "tests/stream/stream_test_util.h"

namespace affect::stream {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::kSecond;
using testing::MakeVoice;
using testing::OneHot;
using testing::Scores;

FaceEvidence Face(const ExpressionScores& scores, v1::Expression dominant, int frames) {
  FaceEvidence face;
  face.track_id = 7;
  face.frames_seen = frames;
  face.first_seen_us = 1 * kSecond;
  face.last_seen_us = 2 * kSecond;
  face.smoothed = scores;
  face.smoothing_frames = frames;
  face.window_frames = 15;
  face.dominant = dominant;
  return face;
}

TEST(WeakEvidenceTest, FewFramesAndCloseScoresAreFlaggedAndExplained) {
  const FaceEvidence face =
      Face(Scores({{v1::EXPRESSION_SAD, 0.4f}, {v1::EXPRESSION_NEUTRAL, 0.36f},
                   {v1::EXPRESSION_FEAR, 0.24f}}),
           v1::EXPRESSION_SAD, 3);
  const v1::FusedAffect fused = FuseAffect(face, {}, {});
  ASSERT_LT(fused.confidence(), 0.4f) << "3 of 15 frames, a 0.04 lead: low confidence";
  EXPECT_TRUE(fused.weak_evidence()) << fused.explanation();
  EXPECT_THAT(fused.explanation(), HasSubstr("Weak evidence (confidence")) << fused.explanation();
  EXPECT_THAT(fused.explanation(), HasSubstr("seen in 3 of 15 smoothing frames"))
      << fused.explanation();
  EXPECT_THAT(fused.explanation(), HasSubstr("sad leads the next class by 0.04"))
      << fused.explanation();
  EXPECT_THAT(fused.explanation(), HasSubstr("do not act on this reading alone"))
      << fused.explanation();
}

TEST(WeakEvidenceTest, AClearFullWindowReadingIsNotWeak) {
  const v1::FusedAffect fused =
      FuseAffect(Face(OneHot(v1::EXPRESSION_HAPPY), v1::EXPRESSION_HAPPY, 15), {}, {});
  EXPECT_FALSE(fused.weak_evidence()) << "confidence " << fused.confidence();
  EXPECT_THAT(fused.explanation(), Not(HasSubstr("Weak evidence"))) << fused.explanation();
}

TEST(WeakEvidenceTest, ThresholdIsAnOption) {
  FusionOptions strict;
  strict.weak_evidence_confidence = 0.95f;
  const v1::FusedAffect fused =
      FuseAffect(Face(OneHot(v1::EXPRESSION_HAPPY), v1::EXPRESSION_HAPPY, 15), {}, strict);
  EXPECT_TRUE(fused.weak_evidence()) << "0.8 < 0.95";
  EXPECT_THAT(fused.explanation(), HasSubstr("no voice to back the face")) << fused.explanation();
  strict.weak_evidence_confidence = 1.5f;
  EXPECT_FALSE(ValidateFusionOptions(strict).ok()) << "outside [0, 1]";
}

TEST(WeakEvidenceTest, DisagreeingCuesAreNamed) {
  EvidenceStrength strength;
  strength.confidence = 0.3f;
  strength.smoothing_frames = 15;
  strength.window_frames = 15;
  strength.dominant = "happy";
  strength.margin = 0.6f;
  strength.voice_used = true;
  strength.arousal_disagreement = 0.9f;
  EXPECT_TRUE(IsWeakEvidence(strength));
  const std::string sentence = WeakEvidenceSentence(strength);
  EXPECT_THAT(sentence, HasSubstr("face and voice arousal differ by 0.90")) << sentence;
  EXPECT_THAT(sentence, Not(HasSubstr("smoothing frames"))) << "a full window is not a reason";
  EXPECT_THAT(sentence, Not(HasSubstr("leads the next"))) << "a clear lead is not a reason";
  strength.confidence = 0.5f;
  EXPECT_EQ(WeakEvidenceSentence(strength), "") << "not weak: nothing to say";
}

}  // namespace
}  // namespace affect::stream
