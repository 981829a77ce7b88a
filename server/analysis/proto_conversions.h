// Conversions between the analyses' plain structs and the affect.v1 result
// messages. Pure; thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_PROTO_CONVERSIONS_H_
#define AFFECT_SERVER_ANALYSIS_PROTO_CONVERSIONS_H_

#include "affect/v1/results.pb.h"
#include "server/analysis/geometry.h"

namespace affect::analysis {

v1::BoundingBox ToProto(const Box& box);
v1::Point ToProto(const Point& point);
// `box` divided by the image width (x, width) and height (y, height).
// REQUIRES: image_width > 0 and image_height > 0.
v1::NormalizedBox ToNormalizedProto(const Box& box, int image_width, int image_height);

Box FromProto(const v1::BoundingBox& box);
Point FromProto(const v1::Point& point);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_PROTO_CONVERSIONS_H_
