// Anchors of MediaPipe's BlazeFace detectors (SSD-style, fixed anchor size).
//
// Each layer is a square grid over the input; every cell carries
// `anchors_per_cell` anchors at the cell centre. For the 256x256 "back"
// model (human-models' blazeface) the layers are 16x16 cells x 2 anchors
// (stride 16 px) then 8x8 x 6 (stride 32 px): 512 + 384 = 896 anchors, in
// row-major cell order, the order of the model's outputs.
#ifndef AFFECT_SERVER_ANALYSIS_FACE_BLAZEFACE_ANCHORS_H_
#define AFFECT_SERVER_ANALYSIS_FACE_BLAZEFACE_ANCHORS_H_

#include <vector>

#include "server/analysis/geometry.h"

namespace affect::analysis {

struct AnchorLayer {
  int grid_size = 0;         // cells per side
  int anchors_per_cell = 0;  // anchors sharing each cell centre
};

// The back model's layers: {16 x 16 x 2, 8 x 8 x 6}.
std::vector<AnchorLayer> BlazeFaceBackLayers();

// Anchor centres in normalised input coordinates ([0, 1], x right, y
// down): ((col + 0.5) / grid, (row + 0.5) / grid), layer by layer.
std::vector<Point> GenerateAnchors(const std::vector<AnchorLayer>& layers);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_FACE_BLAZEFACE_ANCHORS_H_
