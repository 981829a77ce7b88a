#include "server/analysis/geometry.h"

#include <algorithm>
#include <cstddef>
#include <numeric>

namespace affect::analysis {
namespace {

// Indices of `detections` by descending score; equal scores keep input order.
std::vector<size_t> OrderByScore(const std::vector<Detection>& detections) {
  std::vector<size_t> order(detections.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return detections[a].score > detections[b].score;
  });
  return order;
}

bool Overlaps(const Detection& kept, const Detection& candidate, const NmsOptions& options) {
  if (options.class_aware && kept.class_id != candidate.class_id) return false;
  return IoU(kept.box, candidate.box) > options.iou_threshold;
}

bool Full(const std::vector<Detection>& kept, const NmsOptions& options) {
  return options.max_detections > 0 && static_cast<int>(kept.size()) >= options.max_detections;
}

}  // namespace

float IntersectionArea(const Box& a, const Box& b) {
  const float x1 = std::max(a.x, b.x);
  const float y1 = std::max(a.y, b.y);
  const float x2 = std::min(a.right(), b.right());
  const float y2 = std::min(a.bottom(), b.bottom());
  if (x2 <= x1 || y2 <= y1) return 0.0f;
  return (x2 - x1) * (y2 - y1);
}

float IoU(const Box& a, const Box& b) {
  const float intersection = IntersectionArea(a, b);
  const float union_area = a.area() + b.area() - intersection;
  if (union_area <= 0.0f) return 0.0f;
  return intersection / union_area;
}

float IntersectionOverArea(const Box& inner, const Box& outer) {
  const float area = inner.area();
  if (area <= 0.0f) return 0.0f;
  return IntersectionArea(inner, outer) / area;
}

Box ClipBox(const Box& box, float width, float height) {
  const float x1 = std::clamp(box.x, 0.0f, width);
  const float y1 = std::clamp(box.y, 0.0f, height);
  const float x2 = std::clamp(box.right(), 0.0f, width);
  const float y2 = std::clamp(box.bottom(), 0.0f, height);
  return Box{x1, y1, std::max(0.0f, x2 - x1), std::max(0.0f, y2 - y1)};
}

Box ExpandBox(const Box& box, float fraction) {
  const float dx = box.width * fraction;
  const float dy = box.height * fraction;
  return Box{box.x - dx, box.y - dy, box.width + 2.0f * dx, box.height + 2.0f * dy};
}

Box SquareAround(const Box& box) {
  const float side = std::max(box.width, box.height);
  return Box{box.center_x() - 0.5f * side, box.center_y() - 0.5f * side, side, side};
}

std::vector<Detection> NonMaxSuppression(std::vector<Detection> detections,
                                         const NmsOptions& options) {
  std::vector<Detection> kept;
  for (size_t index : OrderByScore(detections)) {
    if (Full(kept, options)) break;
    const Detection& candidate = detections[index];
    const bool suppressed = std::any_of(kept.begin(), kept.end(), [&](const Detection& k) {
      return Overlaps(k, candidate, options);
    });
    if (!suppressed) kept.push_back(std::move(detections[index]));
  }
  return kept;
}

std::vector<Detection> WeightedNonMaxSuppression(std::vector<Detection> detections,
                                                 const NmsOptions& options) {
  std::vector<size_t> remaining = OrderByScore(detections);
  std::vector<Detection> kept;
  while (!remaining.empty() && !Full(kept, options)) {
    const Detection& top = detections[remaining.front()];
    std::vector<size_t> cluster;
    std::vector<size_t> rest;
    for (size_t index : remaining) {
      // The top candidate has IoU 1 with itself, so it always joins.
      const bool joins = index == remaining.front() ||
                         (Overlaps(top, detections[index], options) &&
                          detections[index].keypoints.size() == top.keypoints.size());
      (joins ? cluster : rest).push_back(index);
    }
    double total = 0.0;
    double x1 = 0.0, y1 = 0.0, x2 = 0.0, y2 = 0.0;
    std::vector<double> kx(top.keypoints.size(), 0.0), ky(top.keypoints.size(), 0.0);
    for (size_t index : cluster) {
      const Detection& member = detections[index];
      const double w = member.score;
      total += w;
      x1 += w * member.box.x;
      y1 += w * member.box.y;
      x2 += w * member.box.right();
      y2 += w * member.box.bottom();
      for (size_t k = 0; k < kx.size(); ++k) {
        kx[k] += w * member.keypoints[k].x;
        ky[k] += w * member.keypoints[k].y;
      }
    }
    Detection merged = top;
    if (total > 0.0) {
      merged.box = Box::FromCorners(static_cast<float>(x1 / total), static_cast<float>(y1 / total),
                                    static_cast<float>(x2 / total), static_cast<float>(y2 / total));
      for (size_t k = 0; k < kx.size(); ++k) {
        merged.keypoints[k] = Point{static_cast<float>(kx[k] / total),
                                    static_cast<float>(ky[k] / total)};
      }
    }
    kept.push_back(std::move(merged));
    remaining = std::move(rest);
  }
  return kept;
}

}  // namespace affect::analysis
