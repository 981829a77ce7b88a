// The pose model's inputs and outputs for the second look at faces without
// a pose (pose_refinement.h): one item per such face, the region around it
// resized like a whole frame, and the decoded poses merged back. The
// service batches the items into one model call (server/pipeline); the
// real-photo tests run them one by one.
//
// Thread-safe: everything is const.
#ifndef AFFECT_SERVER_ANALYSIS_BODY_POSE_SECOND_LOOK_H_
#define AFFECT_SERVER_ANALYSIS_BODY_POSE_SECOND_LOOK_H_

#include <cstddef>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "affect/v1/model_config.pb.h"
#include "opencv2/core.hpp"
#include "server/analysis/body/movenet_decoder.h"
#include "server/analysis/body/pose_types.h"
#include "server/analysis/geometry.h"
#include "server/analysis/image_input.h"
#include "server/tensor/tensor.h"

namespace affect::analysis {

// One face's second look: the model input and the transform from model
// coordinates to the whole image's pixels.
struct SecondLookItem {
  size_t face = 0;  // index into the faces given
  Tensor tensor;
  InputTransform transform;
};

// An item for each face no pose in `poses` links to (at most
// decoder.options().refine.max_faces), in face order; none when the second
// look is off or every face has its pose. `input` is the pose model's
// input spec. INVALID_ARGUMENT for an image or spec the model cannot take.
absl::StatusOr<std::vector<SecondLookItem>> MakeSecondLookItems(
    const cv::Mat& rgb, const std::vector<PersonPose>& poses, const std::vector<Box>& faces,
    const MoveNetDecoder& decoder, const v1::TensorSpec& input);

// Decodes each item's model outputs (outputs[i] for items[i], the module's
// output order without the batch dimension) and appends to `poses` the pose
// found for the item's face (PoseForFace against the poses known so far).
// An item that finds nobody adds nothing. Errors: the decoder's, for
// outputs of the wrong shape; INVALID_ARGUMENT when the counts differ.
absl::Status AddSecondLookPoses(const MoveNetDecoder& decoder,
                                const std::vector<SecondLookItem>& items,
                                absl::Span<const std::vector<Tensor>> outputs,
                                const std::vector<Box>& faces, std::vector<PersonPose>* poses);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_BODY_POSE_SECOND_LOOK_H_
