#include "server/analysis/proto_conversions.h"

namespace affect::analysis {

v1::BoundingBox ToProto(const Box& box) {
  v1::BoundingBox out;
  out.set_x(box.x);
  out.set_y(box.y);
  out.set_width(box.width);
  out.set_height(box.height);
  return out;
}

v1::Point ToProto(const Point& point) {
  v1::Point out;
  out.set_x(point.x);
  out.set_y(point.y);
  return out;
}

v1::NormalizedBox ToNormalizedProto(const Box& box, int image_width, int image_height) {
  const float w = static_cast<float>(image_width);
  const float h = static_cast<float>(image_height);
  v1::NormalizedBox out;
  out.set_x(box.x / w);
  out.set_y(box.y / h);
  out.set_width(box.width / w);
  out.set_height(box.height / h);
  return out;
}

Box FromProto(const v1::BoundingBox& box) {
  return Box{box.x(), box.y(), box.width(), box.height()};
}

Point FromProto(const v1::Point& point) { return Point{point.x(), point.y()}; }

}  // namespace affect::analysis
