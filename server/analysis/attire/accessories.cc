#include "server/analysis/attire/accessories.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "server/analysis/proto_conversions.h"

namespace affect::analysis {

std::vector<std::vector<v1::Accessory>> AssignAccessories(
    const std::vector<Box>& body_regions, const std::vector<Box>& face_boxes,
    const google::protobuf::RepeatedPtrField<v1::DetectedObject>& objects,
    const AccessoryOptions& options) {
  std::vector<std::vector<v1::Accessory>> out(body_regions.size());
  for (const v1::DetectedObject& object : objects) {
    if (std::find(options.labels.begin(), options.labels.end(), object.label()) ==
        options.labels.end()) {
      continue;
    }
    const Box box = FromProto(object.box());
    int best = -1;
    float best_overlap = 0.0f;
    float best_distance = std::numeric_limits<float>::infinity();
    for (size_t p = 0; p < body_regions.size(); ++p) {
      const float overlap = IntersectionOverArea(box, body_regions[p]);
      const float distance = p < face_boxes.size()
                                 ? std::abs(face_boxes[p].center_x() - box.center_x())
                                 : std::numeric_limits<float>::infinity();
      if (overlap > best_overlap || (overlap == best_overlap && overlap > 0.0f &&
                                     distance < best_distance)) {
        best = static_cast<int>(p);
        best_overlap = overlap;
        best_distance = distance;
      }
    }
    if (best < 0 || best_overlap < options.min_overlap) continue;
    v1::Accessory accessory;
    accessory.set_label(object.label());
    accessory.set_score(object.score());
    *accessory.mutable_box() = object.box();
    accessory.set_overlap(best_overlap);
    out[static_cast<size_t>(best)].push_back(std::move(accessory));
  }
  for (std::vector<v1::Accessory>& list : out) {
    std::stable_sort(list.begin(), list.end(), [](const v1::Accessory& a, const v1::Accessory& b) {
      return a.score() > b.score();
    });
  }
  return out;
}

}  // namespace affect::analysis
