// The attire analysis: for each face, the upper and lower garment regions
// below it (garment_regions.h: from the person's pose when one is given and
// its keypoints are seen, else from the face box) intersected with the person mask
// (person_mask.h), their dominant named colours (color_clustering.h), and
// accessories tied to the person (accessories.h), as v1::PersonAttire.
//
// Pixels used for colours, per region: inside the image, marked person by
// the mask, outside every face box (grown by face_margin), not claimed by a
// nearer person (where two people's regions overlap, a pixel belongs to the
// person whose face centre is horizontally nearer, in units of face size),
// and not skin: pixels within skin_delta_e (CIEDE2000, lightness weighted
// by skin_lightness_weight) of the median colour of the person's own cheeks
// (the face box's central patch) are dropped. A garment very close to its
// wearer's skin tone is then under-reported (fewer or no colours) rather
// than bare arms being named as a garment colour. The region is sampled on a
// regular grid of at most max_region_samples pixels (visible_share too).
//
// visible_share = person-mask pixels of this person in the region (not in a
// face box) / the region's nominal area (so a garment cut by the frame
// reads low too). A region is reported when at least min_in_image of its
// nominal area is inside the image; its colours when visible_share reaches
// min_visible_share and enough pixels remain.
//
// Thread-safe: Describe is const.
#ifndef AFFECT_SERVER_ANALYSIS_ATTIRE_ATTIRE_DESCRIBER_H_
#define AFFECT_SERVER_ANALYSIS_ATTIRE_ATTIRE_DESCRIBER_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "affect/v1/results.pb.h"
#include "google/protobuf/repeated_field.h"
#include "opencv2/core.hpp"
#include "server/analysis/attire/accessories.h"
#include "server/analysis/attire/color_clustering.h"
#include "server/analysis/attire/garment_regions.h"

namespace affect::analysis {

struct AttireOptions {
  GarmentGeometry geometry;
  PoseGarmentOptions pose_geometry;
  ColorClusteringOptions colors;
  AccessoryOptions accessories;
  float min_in_image = 0.25f;
  float min_visible_share = 0.15f;
  bool exclude_skin = true;
  float skin_delta_e = 10.0f;
  // Lightness weight of the skin comparison (CIEDE2000 kL): shading on arms
  // and chest changes lightness far more than hue and chroma.
  float skin_lightness_weight = 3.0f;
  float face_margin = 0.1f;
  int max_region_samples = 4096;

  absl::Status Validate() const;
};

class AttireDescriber {
 public:
  static absl::StatusOr<AttireDescriber> Create(const AttireOptions& options);

  // `rgb`: the image (CV_8UC3). `faces`: its faces (index, box, track id are
  // read). `person_mask`: CV_8UC1 of the image's size, non-zero = person
  // (PersonMaskFromTensor). `objects`: the scene's detected objects, or
  // nullptr when the detector did not run (no accessories then). `models`:
  // the segmentation and detection models, copied into each result.
  // `poses`: empty, or one entry per face (in face order): that person's
  // pose, or nullopt when no pose was matched to the face.
  // One PersonAttire per face, in face order. INVALID_ARGUMENT for a bad
  // image or mask, or a `poses` whose size is not the faces'.
  absl::StatusOr<std::vector<v1::PersonAttire>> Describe(
      const cv::Mat& rgb, const google::protobuf::RepeatedPtrField<v1::Face>& faces,
      const cv::Mat& person_mask,
      const google::protobuf::RepeatedPtrField<v1::DetectedObject>* objects,
      const std::vector<v1::ModelRef>& models,
      absl::Span<const std::optional<PersonPose>> poses = {}) const;

  const AttireOptions& options() const { return options_; }

 private:
  explicit AttireDescriber(const AttireOptions& options) : options_(options) {}

  AttireOptions options_;
};

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_ATTIRE_ATTIRE_DESCRIBER_H_
