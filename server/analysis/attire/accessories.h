// Ties accessories found by the object detector (COCO tie, handbag,
// backpack, umbrella, suitcase) to people.
//
// Each accessory goes to the person whose body region (garment_regions.h)
// covers the largest part of the accessory's box (|acc ∩ body| / |acc|);
// ties go to the person whose face centre is horizontally nearer the
// accessory's centre. Accessories whose best overlap is below min_overlap
// belong to nobody (a suitcase standing in the room). Pure.
#ifndef AFFECT_SERVER_ANALYSIS_ATTIRE_ACCESSORIES_H_
#define AFFECT_SERVER_ANALYSIS_ATTIRE_ACCESSORIES_H_

#include <string>
#include <vector>

#include "affect/v1/results.pb.h"
#include "google/protobuf/repeated_field.h"
#include "server/analysis/geometry.h"

namespace affect::analysis {

struct AccessoryOptions {
  std::vector<std::string> labels = {"tie", "handbag", "backpack", "umbrella", "suitcase"};
  float min_overlap = 0.3f;
};

// `body_regions[i]`: person i's body region (image pixels, clipped or not);
// `face_boxes[i]`: their face box. Returns one list per person, accessories
// by descending score.
std::vector<std::vector<v1::Accessory>> AssignAccessories(
    const std::vector<Box>& body_regions, const std::vector<Box>& face_boxes,
    const google::protobuf::RepeatedPtrField<v1::DetectedObject>& objects,
    const AccessoryOptions& options);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_ATTIRE_ACCESSORIES_H_
