#include "server/analysis/body/pose_second_look.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/analysis/body/pose_refinement.h"
#include "server/common/status_macros.h"

namespace affect::analysis {

absl::StatusOr<std::vector<SecondLookItem>> MakeSecondLookItems(
    const cv::Mat& rgb, const std::vector<PersonPose>& poses, const std::vector<Box>& faces,
    const MoveNetDecoder& decoder, const v1::TensorSpec& input) {
  const PoseRefinementOptions& refine = decoder.options().refine;
  std::vector<SecondLookItem> items;
  for (size_t face : FacesWithoutPose(poses, faces, refine)) {
    const cv::Rect region = RegionAroundFace(faces[face], rgb.cols, rgb.rows, refine);
    if (region.empty()) continue;
    // A view, not a copy: MakeImageTensor resizes it into a new buffer.
    AFFECT_ASSIGN_OR_RETURN(ImageTensor tensor,
                            MakeImageTensor(rgb(region), input, decoder.options().fit));
    items.push_back(SecondLookItem{
        face, std::move(tensor.tensor),
        OfCropInImage(tensor.transform, region.x, region.y, rgb.cols, rgb.rows)});
  }
  return items;
}

absl::Status AddSecondLookPoses(const MoveNetDecoder& decoder,
                                const std::vector<SecondLookItem>& items,
                                absl::Span<const std::vector<Tensor>> outputs,
                                const std::vector<Box>& faces, std::vector<PersonPose>* poses) {
  if (outputs.size() != items.size()) {
    return absl::InvalidArgumentError(absl::StrCat("the pose model answered ", outputs.size(),
                                                   " items for ", items.size(), " regions"));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].face >= faces.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("second look for face ", items[i].face, " of ", faces.size()));
    }
    AFFECT_ASSIGN_OR_RETURN(std::vector<PersonPose> found,
                            decoder.Decode(outputs[i], items[i].transform));
    std::optional<PersonPose> pose = PoseForFace(found, faces[items[i].face], *poses,
                                                 decoder.options().same_head_fraction);
    if (pose.has_value()) poses->push_back(*std::move(pose));
  }
  return absl::OkStatus();
}

}  // namespace affect::analysis
