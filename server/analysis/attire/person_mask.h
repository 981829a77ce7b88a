// The person-segmentation output (selfie: [256,256,1] person probability)
// as a binary mask over the original image.
#ifndef AFFECT_SERVER_ANALYSIS_ATTIRE_PERSON_MASK_H_
#define AFFECT_SERVER_ANALYSIS_ATTIRE_PERSON_MASK_H_

#include "absl/status/statusor.h"
#include "opencv2/core.hpp"
#include "server/analysis/image_input.h"
#include "server/tensor/tensor.h"

namespace affect::analysis {

// The segmenter's usual decision threshold.
inline constexpr float kPersonThreshold = 0.5f;

// `probability`: one image's output, transform.input_height x
// transform.input_width values (a leading batch of 1 and a trailing channel
// of 1 are allowed). The part of the input that shows the image (all of it
// when stretched, the content area when letterboxed) is resized bilinearly
// to the image size (as the reference does) and thresholded: CV_8UC1,
// 255 = person, 0 = background. INVALID_ARGUMENT on a size mismatch.
absl::StatusOr<cv::Mat> PersonMaskFromTensor(const Tensor& probability,
                                             const InputTransform& transform,
                                             float threshold = kPersonThreshold);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_ATTIRE_PERSON_MASK_H_
