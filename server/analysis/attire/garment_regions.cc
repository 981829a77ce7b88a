#include "server/analysis/attire/garment_regions.h"

#include <algorithm>

namespace affect::analysis {
namespace {

Box Band(float center_x, float chin, float size, float top, float bottom, float width) {
  return Box{center_x - 0.5f * width * size, chin + top * size, width * size,
             (bottom - top) * size};
}

}  // namespace

GarmentBoxes GarmentRegionsFor(const Box& face, const GarmentGeometry& g) {
  const float s = std::max(face.width, face.height);
  const float cx = face.center_x();
  const float chin = face.bottom();
  GarmentBoxes boxes;
  boxes.upper = Band(cx, chin, s, g.upper_top, g.upper_bottom, g.upper_width);
  boxes.lower = Band(cx, chin, s, g.lower_top, g.lower_bottom, g.lower_width);
  boxes.body = Box{cx - 0.5f * g.body_width * s, face.y, g.body_width * s,
                   chin + g.body_bottom * s - face.y};
  return boxes;
}

}  // namespace affect::analysis
