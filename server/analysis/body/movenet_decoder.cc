#include "server/analysis/body/movenet_decoder.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/analysis/body/pose_face_link.h"
#include "server/common/status_macros.h"

namespace affect::analysis {
namespace {

constexpr std::array<absl::string_view, kBodyPartCount> kBodyPartNames = {
    "nose",           "left_eye",   "right_eye",   "left_ear",   "right_ear",   "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip",      "left_knee",  "right_knee",  "left_ankle", "right_ankle"};

// Channels of each head, in the module's output order.
constexpr std::array<int64_t, 6> kHeadChannels = {
    1, 2, 2, kBodyPartCount, 2 * kBodyPartCount, 2 * kBodyPartCount};
constexpr std::array<absl::string_view, 6> kHeadNames = {"center_heatmap",      "box_scale",
                                                         "box_offset",          "keypoint_heatmap",
                                                         "keypoint_regression", "keypoint_offset"};

struct Grid {
  int64_t height = 0;
  int64_t width = 0;
};

// [H, W, C] or [1, H, W, C] with the expected C; returns H, W.
absl::StatusOr<Grid> HeadGrid(const Tensor& head, int index) {
  const std::vector<int64_t>& s = head.shape();
  std::vector<int64_t> dims = s;
  if (dims.size() == 4 && dims[0] == 1) dims.erase(dims.begin());
  if (dims.size() != 3 || dims[2] != kHeadChannels[index] || dims[0] <= 0 || dims[1] <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("MoveNet output ", index, " (", kHeadNames[index], ") has shape ",
                     head.DebugString(), "; expected [H,W,", kHeadChannels[index], "]"));
  }
  return Grid{dims[0], dims[1]};
}

// The graph's MaxPool (window x window, stride 1, SAME, -inf border) at one cell.
float WindowMax(const float* values, const Grid& g, int64_t y, int64_t x, int window) {
  const int64_t half = window / 2;
  float best = -std::numeric_limits<float>::infinity();
  for (int64_t yy = std::max<int64_t>(0, y - half); yy <= std::min(g.height - 1, y + half); ++yy) {
    for (int64_t xx = std::max<int64_t>(0, x - half); xx <= std::min(g.width - 1, x + half); ++xx) {
      best = std::max(best, values[yy * g.width + xx]);
    }
  }
  return best;
}

// One person candidate of the graph, in grid cells.
struct Candidate {
  int64_t cy = 0;
  int64_t cx = 0;
  float center_score = 0.0f;
  float ymin = 0.0f, xmin = 0.0f, ymax = 0.0f, xmax = 0.0f;
  std::array<float, kBodyPartCount> regressed_y{};
  std::array<float, kBodyPartCount> regressed_x{};

  bool Inside(float y, float x) const { return y >= ymin && y < ymax && x >= xmin && x < xmax; }
};

}  // namespace

absl::string_view BodyPartName(int part) {
  if (part < 0 || part >= kBodyPartCount) return "";
  return kBodyPartNames[static_cast<size_t>(part)];
}

absl::StatusOr<std::vector<PersonPose>> MoveNetGraphPoses(absl::Span<const Tensor> heads,
                                                          int input_width, int input_height,
                                                          const MoveNetGraphOptions& options) {
  if (heads.size() != kHeadChannels.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MoveNet needs 6 outputs (center_heatmap, ", "box_scale, box_offset, keypoint_heatmap, ",
        "keypoint_regression, keypoint_offset), got ", heads.size()));
  }
  AFFECT_ASSIGN_OR_RETURN(const Grid g, HeadGrid(heads[0], 0));
  for (int i = 1; i < static_cast<int>(heads.size()); ++i) {
    AFFECT_ASSIGN_OR_RETURN(const Grid other, HeadGrid(heads[i], i));
    if (other.height != g.height || other.width != g.width) {
      return absl::InvalidArgumentError(
          absl::StrCat("MoveNet output ", kHeadNames[i], " ", heads[i].DebugString(),
                       " does not match center_heatmap ", heads[0].DebugString()));
    }
  }
  if (input_width <= 0 || input_height <= 0 || options.max_people <= 0 ||
      options.peak_window <= 0 || options.peak_window % 2 == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MoveNet input ", input_width, "x", input_height, ", max_people ", options.max_people,
        ", peak_window ", options.peak_window, " (must be positive, the window odd)"));
  }
  const float* center = heads[0].data();
  const float* box_scale = heads[1].data();
  const float* box_offset = heads[2].data();
  const float* heatmap = heads[3].data();
  const float* regression = heads[4].data();
  const float* refine = heads[5].data();
  const int64_t cells = g.height * g.width;

  // 1. Centre peaks and the graph's TopKV2 (sorted, equal values in index order).
  std::vector<float> peaks(static_cast<size_t>(cells));
  for (int64_t y = 0; y < g.height; ++y) {
    for (int64_t x = 0; x < g.width; ++x) {
      const float value = center[y * g.width + x];
      const bool peak = std::fabs(value - WindowMax(center, g, y, x, options.peak_window)) <
                        kMoveNetPeakTolerance;
      peaks[static_cast<size_t>(y * g.width + x)] = peak ? value : 0.0f;
    }
  }
  std::vector<int64_t> order(static_cast<size_t>(cells));
  std::iota(order.begin(), order.end(), int64_t{0});
  const int64_t people = std::min<int64_t>(options.max_people, cells);
  std::partial_sort(order.begin(), order.begin() + people, order.end(), [&](int64_t a, int64_t b) {
    const float va = peaks[static_cast<size_t>(a)];
    const float vb = peaks[static_cast<size_t>(b)];
    return va > vb || (va == vb && a < b);
  });

  // 2-3. Box and regressed keypoints per centre.
  std::vector<Candidate> candidates(static_cast<size_t>(people));
  for (int64_t p = 0; p < people; ++p) {
    Candidate& c = candidates[static_cast<size_t>(p)];
    const int64_t index = order[static_cast<size_t>(p)];
    c.cy = index / g.width;
    c.cx = index % g.width;
    c.center_score = peaks[static_cast<size_t>(index)];
    const float by = static_cast<float>(c.cy) + box_offset[index * 2];
    const float bx = static_cast<float>(c.cx) + box_offset[index * 2 + 1];
    const float half_h = std::max(box_scale[index * 2], 0.0f) * 0.5f;
    const float half_w = std::max(box_scale[index * 2 + 1], 0.0f) * 0.5f;
    const float grid_h = static_cast<float>(g.height);
    const float grid_w = static_cast<float>(g.width);
    c.ymin = std::clamp(by - half_h, 0.0f, grid_h);
    c.xmin = std::clamp(bx - half_w, 0.0f, grid_w);
    c.ymax = std::clamp(by + half_h, 0.0f, grid_h);
    c.xmax = std::clamp(bx + half_w, 0.0f, grid_w);
    for (int k = 0; k < kBodyPartCount; ++k) {
      c.regressed_y[k] = static_cast<float>(c.cy) + regression[index * 34 + 2 * k];
      c.regressed_x[k] = static_cast<float>(c.cx) + regression[index * 34 + 2 * k + 1];
    }
  }

  // 4. Keypoints: arg-max of the distance-weighted heatmap inside the box.
  const float sigma = static_cast<float>(std::min(g.height, g.width)) * kMoveNetSigmaFactor;
  auto weighted = [&](int64_t y, int64_t x, const Candidate& c, int k) {
    const float fy = static_cast<float>(y);
    const float fx = static_cast<float>(x);
    if (!c.Inside(fy, fx)) return 0.0f;
    const float dy = fy - c.regressed_y[k];
    const float dx = fx - c.regressed_x[k];
    return heatmap[(y * g.width + x) * kBodyPartCount + k] * std::exp(-(dy * dy + dx * dx) / sigma);
  };
  const float stride_y = static_cast<float>(input_height) / static_cast<float>(g.height);
  const float stride_x = static_cast<float>(input_width) / static_cast<float>(g.width);
  std::vector<PersonPose> poses;
  poses.reserve(candidates.size());
  for (const Candidate& c : candidates) {
    PersonPose pose;
    float kept_sum = 0.0f;
    int kept = 0;
    for (int k = 0; k < kBodyPartCount; ++k) {
      float best = -std::numeric_limits<float>::infinity();
      int64_t best_y = 0;
      int64_t best_x = 0;
      for (int64_t y = 0; y < g.height; ++y) {
        for (int64_t x = 0; x < g.width; ++x) {
          const float w = weighted(y, x, c, k);
          if (w > best) {  // first maximum in row-major order, as ArgMax
            best = w;
            best_y = y;
            best_x = x;
          }
        }
      }
      // The graph reduces over people before gathering the score.
      float score = 0.0f;
      for (const Candidate& other : candidates) {
        score = std::max(score, weighted(best_y, best_x, other, k));
      }
      const int64_t cell = best_y * g.width + best_x;
      BodyKeypoint& keypoint = pose.keypoints[static_cast<size_t>(k)];
      keypoint.y = (static_cast<float>(best_y) + refine[cell * 34 + 2 * k]) * stride_y;
      keypoint.x = (static_cast<float>(best_x) + refine[cell * 34 + 2 * k + 1]) * stride_x;
      keypoint.score = score;
      if (score > options.keypoint_threshold) {
        kept_sum += c.center_score * score;
        ++kept;
      }
    }
    // 5. Person score: centre score x mean kept keypoint score.
    pose.score = kept_sum / static_cast<float>(std::max(kept, 1));
    pose.box = Box::FromCorners(c.xmin * stride_x, c.ymin * stride_y, c.xmax * stride_x,
                                c.ymax * stride_y);
    poses.push_back(pose);
  }
  return poses;
}

absl::StatusOr<MoveNetOptions> MoveNetOptions::FromParameters(const ParameterMap& parameters) {
  AFFECT_RETURN_IF_ERROR(
      CheckKnownParameters(parameters, {"peak_window", "max_people", "keypoint_threshold",
                                        "person_score_threshold", "same_head_fraction", "fit",
                                        "refine_max_faces", "refine_half_width", "refine_above",
                                        "refine_below"}));
  MoveNetOptions options;
  AFFECT_RETURN_IF_ERROR(ReadIntParameter(parameters, "peak_window", &options.graph.peak_window));
  AFFECT_RETURN_IF_ERROR(ReadIntParameter(parameters, "max_people", &options.graph.max_people));
  AFFECT_RETURN_IF_ERROR(
      ReadFloatParameter(parameters, "keypoint_threshold", &options.graph.keypoint_threshold));
  AFFECT_RETURN_IF_ERROR(
      ReadFloatParameter(parameters, "person_score_threshold", &options.person_score_threshold));
  AFFECT_RETURN_IF_ERROR(
      ReadFloatParameter(parameters, "same_head_fraction", &options.same_head_fraction));
  AFFECT_RETURN_IF_ERROR(ReadFitParameter(parameters, "fit", &options.fit));
  AFFECT_RETURN_IF_ERROR(
      ReadIntParameter(parameters, "refine_max_faces", &options.refine.max_faces));
  AFFECT_RETURN_IF_ERROR(
      ReadFloatParameter(parameters, "refine_half_width", &options.refine.half_width));
  AFFECT_RETURN_IF_ERROR(ReadFloatParameter(parameters, "refine_above", &options.refine.above));
  AFFECT_RETURN_IF_ERROR(ReadFloatParameter(parameters, "refine_below", &options.refine.below));
  AFFECT_RETURN_IF_ERROR(options.Validate());
  return options;
}

absl::Status MoveNetOptions::Validate() const {
  if (graph.peak_window <= 0 || graph.peak_window % 2 == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("peak_window must be a positive odd number, got ", graph.peak_window));
  }
  if (graph.max_people <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_people must be positive, got ", graph.max_people));
  }
  if (!(graph.keypoint_threshold >= 0.0f && graph.keypoint_threshold < 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("keypoint_threshold must be in [0, 1), got ", graph.keypoint_threshold));
  }
  if (!(person_score_threshold >= 0.0f && person_score_threshold <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("person_score_threshold must be in [0, 1], got ", person_score_threshold));
  }
  if (!(same_head_fraction >= 0.0f && same_head_fraction <= 10.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("same_head_fraction must be in [0, 10], got ", same_head_fraction));
  }
  return refine.Validate();
}

absl::StatusOr<MoveNetDecoder> MoveNetDecoder::Create(const MoveNetOptions& options,
                                                      int input_width, int input_height) {
  AFFECT_RETURN_IF_ERROR(options.Validate());
  if (input_width <= 0 || input_height <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("MoveNet input size ", input_width, "x", input_height, " is not positive"));
  }
  return MoveNetDecoder(options, input_width, input_height);
}

absl::StatusOr<MoveNetDecoder> MoveNetDecoder::FromConfig(const v1::ModelConfig& config) {
  if (config.input_size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("pose model '", config.name(), "' must have one input"));
  }
  AFFECT_ASSIGN_OR_RETURN(const ImageInputShape shape, ImageInputShapeOf(config.input(0)));
  absl::StatusOr<MoveNetOptions> options = MoveNetOptions::FromParameters(config.parameters());
  if (!options.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("pose model '", config.name(), "': ", options.status().message()));
  }
  return Create(*options, shape.width, shape.height);
}

absl::StatusOr<std::vector<PersonPose>> MoveNetDecoder::Decode(
    absl::Span<const Tensor> outputs, const InputTransform& transform) const {
  AFFECT_ASSIGN_OR_RETURN(std::vector<PersonPose> rows,
                          MoveNetGraphPoses(outputs, input_width_, input_height_, options_.graph));
  std::vector<PersonPose> people;
  for (PersonPose& pose : rows) {
    if (pose.score < options_.person_score_threshold) continue;
    for (BodyKeypoint& keypoint : pose.keypoints) {
      const Point image = transform.ToImage(Point{keypoint.x, keypoint.y});
      keypoint.x = image.x;
      keypoint.y = image.y;
    }
    pose.box = ClipBox(transform.ToImage(pose.box), static_cast<float>(transform.image_width),
                       static_cast<float>(transform.image_height));
    people.push_back(pose);
  }
  std::stable_sort(people.begin(), people.end(),
                   [](const PersonPose& a, const PersonPose& b) { return a.score > b.score; });
  std::vector<PersonPose> distinct;
  for (const PersonPose& pose : people) {
    const bool duplicate =
        std::any_of(distinct.begin(), distinct.end(), [&](const PersonPose& better) {
          return SameHead(better, pose, options_.same_head_fraction);
        });
    if (!duplicate) distinct.push_back(pose);
  }
  return distinct;
}

}  // namespace affect::analysis
