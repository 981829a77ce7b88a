// Constructed inputs for the body tests: MoveNet MultiPose heads (the six
// outputs of one image on a small grid, zero-filled, set one cell at a
// time) and poses with a head at a chosen point.
#ifndef AFFECT_TESTS_ANALYSIS_BODY_BODY_FIXTURES_H_
#define AFFECT_TESTS_ANALYSIS_BODY_BODY_FIXTURES_H_

#include <cstdint>
#include <vector>

#include "server/analysis/body/pose_types.h"
#include "server/tensor/tensor.h"

namespace affect::analysis::body_test {

// A 16 x 16 grid over a 64 x 64 input (stride 4), as 64 x 64 over 256.
constexpr int kGrid = 16;
constexpr int kInput = 64;
constexpr float kStride = 4.0f;

// The six heads of one image, zero-filled; helpers set one cell at a time.
struct Heads {
  std::vector<Tensor> tensors = {Tensor({kGrid, kGrid, 1}),  Tensor({kGrid, kGrid, 2}),
                                 Tensor({kGrid, kGrid, 2}),  Tensor({kGrid, kGrid, 17}),
                                 Tensor({kGrid, kGrid, 34}), Tensor({kGrid, kGrid, 34})};

  float* At(int head, int y, int x) {
    const int64_t channels = tensors[head].dim(2);
    return tensors[head].data() + (y * kGrid + x) * channels;
  }
  void Centre(int y, int x, float score) { At(0, y, x)[0] = score; }
  void BoxAt(int y, int x, float dy, float dx, float height, float width) {
    At(1, y, x)[0] = height;
    At(1, y, x)[1] = width;
    At(2, y, x)[0] = dy;
    At(2, y, x)[1] = dx;
  }
  // Every keypoint of the person centred at (cy, cx) regresses to (ky, kx).
  void RegressAll(int cy, int cx, float ky, float kx) {
    for (int k = 0; k < 17; ++k) {
      At(4, cy, cx)[2 * k] = ky - static_cast<float>(cy);
      At(4, cy, cx)[2 * k + 1] = kx - static_cast<float>(cx);
    }
  }
  void Heat(int y, int x, int k, float value) { At(3, y, x)[k] = value; }
  void HeatAll(int y, int x, float value) {
    for (int k = 0; k < 17; ++k) Heat(y, x, k, value);
  }
  void RefineAll(int y, int x, float dy, float dx) {
    for (int k = 0; k < 17; ++k) {
      At(5, y, x)[2 * k] = dy;
      At(5, y, x)[2 * k + 1] = dx;
    }
  }

  // One person: centre (5, 7) score 0.9, box rows [1.5, 9.5) x cols [3.5, 9.5),
  // every keypoint regressed to and found at cell (3, 8), refined by (0.25, -0.25).
  static Heads OnePerson() {
    Heads h;
    h.Centre(5, 7, 0.9f);
    h.Centre(5, 8, 0.5f);  // inside the 5x5 window of the peak: not a centre
    h.BoxAt(5, 7, 0.5f, -0.5f, 8.0f, 6.0f);
    h.RegressAll(5, 7, 3.0f, 8.0f);
    h.HeatAll(3, 8, 0.8f);
    h.RefineAll(3, 8, 0.25f, -0.25f);
    return h;
  }
};

// A pose whose nose is at (x, y) and eyes 10 px above and 10 px to each side.
inline PersonPose PoseWithHeadAt(float x, float y, float score) {
  PersonPose pose;
  pose.score = score;
  pose.box = Box{x - 50, y - 30, 100, 300};
  pose.at(BodyPart::kNose) = {x, y, 0.9f};
  pose.at(BodyPart::kLeftEye) = {x + 10, y - 10, 0.9f};
  pose.at(BodyPart::kRightEye) = {x - 10, y - 10, 0.9f};
  return pose;
}

}  // namespace affect::analysis::body_test

#endif  // AFFECT_TESTS_ANALYSIS_BODY_BODY_FIXTURES_H_
