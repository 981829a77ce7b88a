// The face-crop settings an evaluation tries (`affect-client eval
// --crop_policies=...`): a name, and the FaceCropPolicy it gives every
// expression model, or none to keep each model's own `face_crop` from its
// config.pbtxt.
//
// A setting is a preset name or a spec of '+'-separated terms:
//
//   detector | keypoints   box source (first term): the detector's box, or
//                          the box built from the eye and mouth keypoints
//   square                 grow the shorter side to the longer
//   align                  rotate so that the eyes are level
//   margin=F               extra margin on each side, F x the box size
//
// Presets (kCropPresets):
//   configured         each model's face_crop from its config.pbtxt
//   tight              detector
//   square             detector+square
//   margin10           detector+square+margin=0.1
//   margin20           detector+square+margin=0.2
//   aligned            detector+square+align
//   keypoints          keypoints            (square by construction)
//   keypoints_aligned  keypoints+align
//
// Pure functions.
#ifndef AFFECT_CLIENT_EVAL_CROP_SETTING_H_
#define AFFECT_CLIENT_EVAL_CROP_SETTING_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "affect/v1/model_config.pb.h"

namespace affect::eval {

struct CropSetting {
  // As given: a preset name or the spec.
  std::string name;
  // nullopt: each model keeps its configured face_crop.
  std::optional<v1::FaceCropPolicy> policy;
};

struct CropPreset {
  const char* name;
  // "" for `configured`.
  const char* spec;
};

// The presets, in the order the default list uses.
const std::vector<CropPreset>& CropPresets();

// Every preset, comma-separated: --crop_policies' default.
std::string DefaultCropSettings();

// One setting. INVALID_ARGUMENT naming the bad term (unknown preset or term,
// a box source that is not first, a margin that is not a number > -0.5).
absl::StatusOr<CropSetting> ParseCropSetting(absl::string_view text);

// A comma-separated list; empty items are skipped, a repeated name is an
// error, and so is an empty list.
absl::StatusOr<std::vector<CropSetting>> ParseCropSettings(absl::string_view list);

// The spec that ParseCropSetting reads back into `policy`:
// "detector+square+margin=0.1".
std::string DescribeCropPolicy(const v1::FaceCropPolicy& policy);

}  // namespace affect::eval

#endif  // AFFECT_CLIENT_EVAL_CROP_SETTING_H_
