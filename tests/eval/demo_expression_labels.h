// The repository's own labelled expression test set: the 22 faces that the
// BlazeFace detector finds on face-api's six demo photos
// (models/.cache/images/sample1..6.jpg), each looked at by the test author
// (cropped and zoomed) and labelled with one of the seven classes only where
// a person would plainly agree; the rest are listed as skipped, with why.
//
// A label is keyed by its photo and a point near the face's centre, in
// image pixels, and matched to the detected face whose box contains that
// point, so a detector change that moves boxes by a few pixels does not
// break it.
//
// The set is tiny and far from representative (adult women at parties,
// mostly smiling, several in heavy costume make-up): its numbers are a smoke
// test, not a benchmark (docs/accuracy.md).
#ifndef AFFECT_TESTS_EVAL_DEMO_EXPRESSION_LABELS_H_
#define AFFECT_TESTS_EVAL_DEMO_EXPRESSION_LABELS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "affect/v1/results.pb.h"
#include "server/analysis/face/face_detection_decoder.h"

namespace affect::testing {

inline constexpr int kDemoPhotos = 6;

struct DemoFaceLabel {
  // models/.cache/images/sample<photo>.jpg
  int photo = 0;
  // A point near the face's centre, image pixels.
  float x = 0.0f;
  float y = 0.0f;
  // EXPRESSION_UNSPECIFIED: looked at and skipped (not plainly one class).
  v1::Expression expression = v1::EXPRESSION_UNSPECIFIED;
  // What the labeller saw.
  const char* note = "";
};

// Every detected face of the six photos, labelled or skipped.
const std::vector<DemoFaceLabel>& DemoFaceLabels();

struct LabelledFace {
  DemoFaceLabel label;
  // The matched face, and its index in the detections.
  analysis::FaceDetection face;
  size_t face_index = 0;
};

// Pairs the labels of `photo` with `faces` (that photo's detections) by
// containment. FAILED_PRECONDITION, naming the label or face, when a label's
// point lies in no face or in several, or a face contains no label or
// several: the table must account for exactly the faces the detector finds.
absl::StatusOr<std::vector<LabelledFace>> MatchDemoFaceLabels(
    int photo, const std::vector<analysis::FaceDetection>& faces);

}  // namespace affect::testing

#endif  // AFFECT_TESTS_EVAL_DEMO_EXPRESSION_LABELS_H_
