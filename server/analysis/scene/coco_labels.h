// The 80 COCO object labels in the order of the CenterNet and NanoDet heads
// (@vladmandic/human src/object/labels.ts: class ids 1..80 there, 0..79 in
// the output channels). Used when a detector's config lists no labels.
#ifndef AFFECT_SERVER_ANALYSIS_SCENE_COCO_LABELS_H_
#define AFFECT_SERVER_ANALYSIS_SCENE_COCO_LABELS_H_

#include <string>
#include <vector>

namespace affect::analysis {

inline constexpr int kNumCocoLabels = 80;

const std::vector<std::string>& CocoLabels();

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_SCENE_COCO_LABELS_H_
