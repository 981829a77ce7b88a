// Boxes, overlap measures and non-maximum suppression shared by the vision
// analyses (faces, objects, attire) and the stream tracker.
//
// Units: pixels of whatever image the boxes live in, origin top-left, x
// right, y down. A box is half-open: it covers [x, x + width) x
// [y, y + height). Every function here is pure and thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_GEOMETRY_H_
#define AFFECT_SERVER_ANALYSIS_GEOMETRY_H_

#include <vector>

namespace affect::analysis {

struct Point {
  float x = 0.0f;
  float y = 0.0f;
};

struct Box {
  float x = 0.0f;
  float y = 0.0f;
  float width = 0.0f;
  float height = 0.0f;

  float right() const { return x + width; }
  float bottom() const { return y + height; }
  float center_x() const { return x + 0.5f * width; }
  float center_y() const { return y + 0.5f * height; }
  // 0 for degenerate (negative or zero sized) boxes.
  float area() const { return (width > 0.0f && height > 0.0f) ? width * height : 0.0f; }
  bool empty() const { return !(width > 0.0f && height > 0.0f); }

  static Box FromCorners(float x1, float y1, float x2, float y2) {
    return Box{x1, y1, x2 - x1, y2 - y1};
  }
};

// Area of a ∩ b (0 when they do not overlap).
float IntersectionArea(const Box& a, const Box& b);

// Intersection over union in [0, 1]; 0 when the union is empty.
float IoU(const Box& a, const Box& b);

// |inner ∩ outer| / |inner| in [0, 1]: how much of `inner` lies inside
// `outer` (an accessory inside a body region, a region inside the image).
// 0 when `inner` is empty.
float IntersectionOverArea(const Box& inner, const Box& outer);

// The part of `box` inside [0, width) x [0, height); an empty box (zero
// size, placed at the nearest edge) when they do not overlap.
Box ClipBox(const Box& box, float width, float height);

// `box` grown by `fraction` of its width (height) on the left and right (top
// and bottom), around the same centre. Negative fractions shrink it.
Box ExpandBox(const Box& box, float fraction);

// The smallest square with the same centre that contains `box`.
Box SquareAround(const Box& box);

// A scored detection: a box, optional keypoints and a class.
struct Detection {
  Box box;
  float score = 0.0f;
  // Index into the detector's label list; -1 when the detector has one
  // class (faces).
  int class_id = -1;
  std::vector<Point> keypoints;
};

struct NmsOptions {
  // Candidates overlapping a kept detection by more than this IoU are
  // suppressed (or, in the weighted variant, merged into it).
  float iou_threshold = 0.3f;
  // Upper bound on the detections returned; <= 0 for no bound.
  int max_detections = 0;
  // Suppress only detections of the same class_id (object detectors). Faces
  // have one class, so it makes no difference there.
  bool class_aware = false;
};

// Greedy hard NMS: repeatedly keeps the highest-scoring candidate and drops
// every remaining candidate that overlaps it by more than the threshold.
// Returns the kept detections by descending score (ties keep input order),
// so the result does not depend on the sort implementation.
std::vector<Detection> NonMaxSuppression(std::vector<Detection> detections,
                                         const NmsOptions& options);

// Weighted NMS as in MediaPipe's face detection graphs
// (NonMaxSuppressionCalculator, algorithm WEIGHTED): the highest-scoring
// remaining candidate and every candidate overlapping it by more than the
// threshold form a cluster; the cluster becomes one detection whose box
// corners and keypoints are the score-weighted means of its members and whose
// score is the top member's. Blending steadies boxes of a face that several
// anchors fire on. REQUIRES: members of a cluster have the same number of
// keypoints (a candidate with a different count is kept out of the blend).
std::vector<Detection> WeightedNonMaxSuppression(std::vector<Detection> detections,
                                                 const NmsOptions& options);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_GEOMETRY_H_
