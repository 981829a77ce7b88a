#include "server/analysis/face/blazeface_anchors.h"

namespace affect::analysis {

std::vector<AnchorLayer> BlazeFaceBackLayers() { return {{16, 2}, {8, 6}}; }

std::vector<Point> GenerateAnchors(const std::vector<AnchorLayer>& layers) {
  std::vector<Point> anchors;
  for (const AnchorLayer& layer : layers) {
    const float grid = static_cast<float>(layer.grid_size);
    for (int row = 0; row < layer.grid_size; ++row) {
      for (int col = 0; col < layer.grid_size; ++col) {
        const Point centre{(static_cast<float>(col) + 0.5f) / grid,
                           (static_cast<float>(row) + 0.5f) / grid};
        for (int n = 0; n < layer.anchors_per_cell; ++n) anchors.push_back(centre);
      }
    }
  }
  return anchors;
}

}  // namespace affect::analysis
