// Writes the labelled demo faces (demo_expression_labels.h) as a dataset
// that `affect-client eval --dataset DIR` reads: DIR/<class>/sample<photo>_
// <x>_<y>.png, one image per labelled face.
//
// Each image is the WHOLE photo with every other detected face blacked out,
// so that eval's rule (the subject is the largest face) picks the labelled
// face, and the detector sees it at the same scale and in the same context
// as Analyze does on the photo. (Cutting the face out with some context
// instead changes the detector's boxes and keypoints enough to reorder the
// crop policies on a set this small: measured, docs/accuracy.md.) Skipped
// faces are not written.
//
// The images are derived from third-party photos: write them under a
// git-ignored folder (scripts/make-expression-dataset.sh uses
// models/.cache/expression-dataset/) and never commit them.
#ifndef AFFECT_TESTS_EVAL_DEMO_EXPRESSION_DATASET_H_
#define AFFECT_TESTS_EVAL_DEMO_EXPRESSION_DATASET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/eval/expression_evaluator.h"

namespace affect::testing {

// Other faces are blacked out over this many times their detector box
// (hair and ears would otherwise keep a face detectable)...
inline constexpr float kDemoMaskScale = 1.4f;
// ...except within this many times the subject's box around it, which is
// always kept as photographed: room for a +20% margin turned by the
// eye-alignment angle.
inline constexpr float kDemoSubjectKeepScale = 1.9f;
// The subject must be found again with at least this overlap (IoU) with its
// box on the unmasked photo. Not 1: the detector's receptive fields are wide,
// so blacking out a neighbour moves the subject's box a little (IoU
// 0.885-0.987 on the 16 labelled faces).
inline constexpr float kDemoMinSubjectIou = 0.8f;

struct DemoDataset {
  // Files written, in label order.
  std::vector<std::string> files;
  // Faces the labeller skipped (not written).
  int skipped_faces = 0;
};

// Detects the faces of `photo_dir`/sample1..6.jpg with `evaluator`, matches
// the labels, and writes the labelled ones under `out_dir`, replacing the
// class folders it owns. Checks that in each written image the largest face
// the detector finds is the subject, where it was on the photo
// (FAILED_PRECONDITION naming the file otherwise).
absl::StatusOr<DemoDataset> WriteDemoExpressionDataset(const eval::ExpressionEvaluator& evaluator,
                                                       const std::string& photo_dir,
                                                       const std::string& out_dir);

}  // namespace affect::testing

#endif  // AFFECT_TESTS_EVAL_DEMO_EXPRESSION_DATASET_H_
