// Valence and arousal DERIVED from expression class probabilities by a
// fixed placement of the seven classes on the valence-arousal circumplex.
// No model was trained to output them: they are the expectation of the
// class coordinates under the model's class distribution,
//   valence = sum_i p_i * v_i,  arousal = sum_i p_i * a_i,
// so a certain "happy" reads (+0.8, +0.3) and a 50/50 happy/sad face reads
// the midpoint. Range: [-1, 1] on both axes.
//
//   class     valence  arousal
//   angry      -0.5     +0.6
//   disgust    -0.6     +0.3
//   fear       -0.6     +0.6
//   happy      +0.8     +0.3
//   sad        -0.7     -0.4
//   surprise   +0.2     +0.8
//   neutral     0.0      0.0
//
// Sources: the quadrant and angular order of the affect words in Russell's
// circumplex (J. A. Russell, "A circumplex model of affect", J. Personality
// and Social Psychology 39(6), 1980; see also Posner, Russell & Peterson,
// Development and Psychopathology 17, 2005): happy/delighted pleasant and
// moderately aroused, astonished/surprised near the arousal axis and
// slightly pleasant, afraid/angry unpleasant and aroused, sad/depressed
// unpleasant and low in arousal, neutral at the origin. Anger and fear are
// rounded from the pleasure/arousal ratings of "angry" (-0.51, +0.59) and
// "afraid/fearful" (-0.64, +0.60) in Russell & Mehrabian's PAD ratings
// (J. Research in Personality 11, 1977), also used by Gebhard's ALMA (2005).
// Disgust sits between anger and misery (unpleasant, mildly aroused). The
// numbers are a documented convention rounded to 0.1, not a calibration.
#ifndef AFFECT_SERVER_ANALYSIS_FACE_CIRCUMPLEX_H_
#define AFFECT_SERVER_ANALYSIS_FACE_CIRCUMPLEX_H_

#include <array>

#include "affect/v1/results.pb.h"
#include "server/analysis/face/expression_labels.h"

namespace affect::analysis {

struct CircumplexPoint {
  float valence = 0.0f;
  float arousal = 0.0f;
};

// The table above; (0, 0) for UNSPECIFIED.
CircumplexPoint CircumplexCoordinates(v1::Expression expression);

// Expected coordinates under `scores` (canonical order, see
// CanonicalExpressions()). Scores are used as given (callers pass a
// distribution that sums to 1).
CircumplexPoint ExpectedCircumplex(const std::array<float, kNumExpressions>& scores);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_FACE_CIRCUMPLEX_H_
