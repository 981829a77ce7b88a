// A labelled expression dataset on disk, as `affect-client eval --dataset
// DIR` reads it:
//
//   DIR/
//     happy/     img001.jpg  img002.png ...
//     neutral/   ...
//     ...        one folder per class present: angry, disgust, fear, happy,
//                sad, surprise, neutral (face-api's fearful, disgusted and
//                surprised are accepted too)
//
// or, to measure how the models do for groups the deployer defines (bias
// measurement: lighting, camera, age band, skin tone, ... as the deployer
// chooses and labels them; the service never infers such groups), one more
// folder level:
//
//   DIR/
//     <group>/   happy/ img001.jpg ...   neutral/ ...
//     <group>/   ...
//
// Either every top-level folder names a class (no groups) or none does
// (each is a group holding class folders); a mix is an error.
//
// The evaluation detects faces and takes the LARGEST one as each image's
// subject, then cuts it under each crop policy. Whole photos of one person
// (or with the other faces masked) work best: the detector then sees the
// face at the scale and in the context Analyze does, and its box and
// keypoints, which every crop policy starts from, are the service's. A
// cut-out needs about half a face of context on each side (margins and
// rotation must stay inside the picture); tightly cropped face sets such as
// FER2013's 48x48 faces do not suit, since they have already fixed the crop
// that is being measured.
//
// Images: .jpg .jpeg .png .bmp .webp (any case); other files are ignored,
// as are hidden entries. Pure functions over the file system.
#ifndef AFFECT_CLIENT_EVAL_EXPRESSION_DATASET_H_
#define AFFECT_CLIENT_EVAL_EXPRESSION_DATASET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "affect/v1/results.pb.h"

namespace affect::eval {

struct DatasetImage {
  std::string path;
  v1::Expression truth = v1::EXPRESSION_UNSPECIFIED;
  // The deployer's group (its folder name); empty without groups.
  std::string group;
};

// The images of `dir`, sorted by path. NOT_FOUND when `dir` is not a
// directory; INVALID_ARGUMENT for a sub-folder that names no class (in
// either layout), a mix of class and group folders, or when no image is
// found.
absl::StatusOr<std::vector<DatasetImage>> ReadExpressionDataset(const std::string& dir);

// True for the image extensions above.
bool IsDatasetImageFile(absl::string_view filename);

}  // namespace affect::eval

#endif  // AFFECT_CLIENT_EVAL_EXPRESSION_DATASET_H_
