#include "tests/eval/demo_expression_labels.h"

#include <optional>

#include "absl/strings/str_cat.h"

namespace affect::testing {
namespace {

constexpr v1::Expression kHappy = v1::EXPRESSION_HAPPY;
constexpr v1::Expression kNeutral = v1::EXPRESSION_NEUTRAL;
constexpr v1::Expression kSkipped = v1::EXPRESSION_UNSPECIFIED;

bool Contains(const analysis::Box& box, float x, float y) {
  return x >= box.x && x <= box.right() && y >= box.y && y <= box.bottom();
}

}  // namespace

const std::vector<DemoFaceLabel>& DemoFaceLabels() {
  // Faces left to right within each photo. Looked at on crops of 1.6x the
  // detector box, zoomed to 480 px, and on the tight box at 600 px.
  static const std::vector<DemoFaceLabel>* const labels = new std::vector<DemoFaceLabel>{
      {1, 515, 506, kHappy, "closed-lip smile, raised cheeks; clown make-up"},
      {1, 937, 559, kHappy, "eyes lowered, closed-lip smile, raised cheeks; heavy make-up"},
      {1, 1569, 339, kHappy, "broad open smile, teeth; head tilted"},
      {2, 456, 293, kSkipped, "profile, finger on the lips: no readable expression"},
      {2, 974, 356, kSkipped, "eyes closed, looking down, half hidden by hair"},
      {2, 1561, 298, kNeutral, "eyes lowered, relaxed closed mouth"},
      {3, 691, 488, kSkipped, "pout (duck face): none of the seven classes"},
      {3, 1190, 382, kHappy, "smile with teeth"},
      {3, 1558, 458, kHappy, "broad smile with teeth, head turned"},
      {4, 329, 333, kHappy, "closed-lip smile, head tilted on a shoulder; blurred"},
      {4, 759, 209, kSkipped, "lips pressed, head tilted: smirk or neutral, unclear"},
      {4, 1076, 330, kHappy, "smile with teeth, eyes lowered"},
      {4, 1370, 293, kHappy, "broad open smile, eyes narrowed"},
      {5, 459, 1042, kHappy, "open smile while talking, raised cheeks"},
      {5, 668, 552, kHappy, "smile with teeth"},
      {5, 859, 242, kNeutral, "relaxed face, closed mouth, side light"},
      {5, 1207, 349, kHappy, "smile with teeth, head tilted"},
      {5, 1526, 544, kSkipped, "half smile, sultry look: happy or neutral, unclear"},
      {6, 344, 649, kHappy, "closed-lip smile"},
      {6, 772, 497, kHappy, "smile with teeth"},
      {6, 1267, 470, kSkipped, "pout (blowing a kiss): none of the seven classes"},
      {6, 1587, 437, kHappy, "closed-lip smile"},
  };
  return *labels;
}

absl::StatusOr<std::vector<LabelledFace>> MatchDemoFaceLabels(
    int photo, const std::vector<analysis::FaceDetection>& faces) {
  std::vector<LabelledFace> matched;
  std::vector<int> labels_per_face(faces.size(), 0);
  for (const DemoFaceLabel& label : DemoFaceLabels()) {
    if (label.photo != photo) continue;
    std::optional<size_t> match;
    for (size_t f = 0; f < faces.size(); ++f) {
      if (!Contains(faces[f].box, label.x, label.y)) continue;
      if (match.has_value()) {
        return absl::FailedPreconditionError(absl::StrCat("sample", photo, " label at (", label.x,
                                                          ", ", label.y, ") lies in two faces"));
      }
      match = f;
      ++labels_per_face[f];
    }
    if (!match.has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "sample", photo, " label at (", label.x, ", ", label.y, ") lies in no detected face"));
    }
    matched.push_back(LabelledFace{label, faces[*match], *match});
  }
  for (size_t f = 0; f < faces.size(); ++f) {
    if (labels_per_face[f] == 1) continue;
    const analysis::Box& box = faces[f].box;
    return absl::FailedPreconditionError(
        absl::StrCat("sample", photo, " face at (", box.center_x(), ", ", box.center_y(),
                     ") contains ", labels_per_face[f], " labels instead of one"));
  }
  return matched;
}

}  // namespace affect::testing
