#include "server/analysis/attire/attire_describer.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "server/analysis/attire/color_space.h"
#include "server/analysis/image_input.h"
#include "server/analysis/proto_conversions.h"
#include "server/common/status_macros.h"

namespace affect::analysis {
namespace {

// The face box's central patch (below the eyes, above the mouth): cheeks
// and nose, the most reliable skin sample in a BlazeFace box.
constexpr float kSkinPatchLeft = 0.3f;
constexpr float kSkinPatchRight = 0.7f;
constexpr float kSkinPatchTop = 0.5f;
constexpr float kSkinPatchBottom = 0.7f;
constexpr int kMinSkinPixels = 20;

struct Person {
  Box face;
  float size = 0.0f;  // longer side of the face box
  GarmentBoxes regions;
  bool upper_from_pose = false;
  bool lower_from_pose = false;
};

// Whole-pixel rectangle covering `box` inside the image.
cv::Rect PixelRect(const Box& box, int width, int height) {
  const int x0 = std::clamp(static_cast<int>(std::floor(box.x)), 0, width);
  const int y0 = std::clamp(static_cast<int>(std::floor(box.y)), 0, height);
  const int x1 = std::clamp(static_cast<int>(std::ceil(box.right())), 0, width);
  const int y1 = std::clamp(static_cast<int>(std::ceil(box.bottom())), 0, height);
  return cv::Rect(x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0));
}

bool Contains(const Box& box, float x, float y) {
  return x >= box.x && x < box.right() && y >= box.y && y < box.bottom();
}

std::optional<Lab> SkinReference(const cv::Mat& rgb, const Box& face) {
  const Box patch{face.x + kSkinPatchLeft * face.width, face.y + kSkinPatchTop * face.height,
                  (kSkinPatchRight - kSkinPatchLeft) * face.width,
                  (kSkinPatchBottom - kSkinPatchTop) * face.height};
  const cv::Rect rect = PixelRect(patch, rgb.cols, rgb.rows);
  std::vector<float> l, a, b;
  for (int y = rect.y; y < rect.y + rect.height; ++y) {
    const cv::Vec3b* row = rgb.ptr<cv::Vec3b>(y);
    for (int x = rect.x; x < rect.x + rect.width; ++x) {
      const Lab lab = RgbToLab(Rgb{row[x][0], row[x][1], row[x][2]});
      l.push_back(lab.l);
      a.push_back(lab.a);
      b.push_back(lab.b);
    }
  }
  if (static_cast<int>(l.size()) < kMinSkinPixels) return std::nullopt;
  const auto median = [](std::vector<float>& v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  return Lab{median(l), median(a), median(b)};
}

}  // namespace

absl::Status AttireOptions::Validate() const {
  if (!(min_in_image >= 0.0f && min_in_image <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("min_in_image ", min_in_image));
  }
  if (!(min_visible_share >= 0.0f && min_visible_share <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("min_visible_share ", min_visible_share));
  }
  if (colors.clusters < 1 || colors.clusters > 16) {
    return absl::InvalidArgumentError(absl::StrCat("colors.clusters ", colors.clusters));
  }
  if (max_region_samples < 1) {
    return absl::InvalidArgumentError(absl::StrCat("max_region_samples ", max_region_samples));
  }
  if (!(pose_geometry.min_keypoint_score >= 0.0f && pose_geometry.min_keypoint_score <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pose_geometry.min_keypoint_score ", pose_geometry.min_keypoint_score));
  }
  if (!(pose_geometry.upper_top_of_torso >= 0.0f && pose_geometry.upper_top_of_torso < 1.0f) ||
      !(pose_geometry.shoulder_inset >= 0.0f && pose_geometry.shoulder_inset < 0.5f) ||
      !(pose_geometry.hip_widening >= 0.0f && pose_geometry.hip_widening <= 2.0f)) {
    return absl::InvalidArgumentError(
        "pose_geometry: upper_top_of_torso must be in [0, 1), shoulder_inset in [0, 0.5), "
        "hip_widening in [0, 2]");
  }
  return absl::OkStatus();
}

absl::StatusOr<AttireDescriber> AttireDescriber::Create(const AttireOptions& options) {
  AFFECT_RETURN_IF_ERROR(options.Validate());
  return AttireDescriber(options);
}

absl::StatusOr<std::vector<v1::PersonAttire>> AttireDescriber::Describe(
    const cv::Mat& rgb, const google::protobuf::RepeatedPtrField<v1::Face>& faces,
    const cv::Mat& person_mask,
    const google::protobuf::RepeatedPtrField<v1::DetectedObject>* objects,
    const std::vector<v1::ModelRef>& models,
    absl::Span<const std::optional<PersonPose>> poses) const {
  AFFECT_RETURN_IF_ERROR(ValidateRgbImage(rgb));
  if (person_mask.type() != CV_8UC1 || person_mask.size() != rgb.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "person mask must be CV_8UC1 of the image size ", rgb.cols, "x", rgb.rows, ", got type ",
        person_mask.type(), " ", person_mask.cols, "x", person_mask.rows));
  }
  if (!poses.empty() && poses.size() != static_cast<size_t>(faces.size())) {
    return absl::InvalidArgumentError(absl::StrCat("attire: ", poses.size(), " poses for ",
                                                   faces.size(), " faces (one each, or none)"));
  }
  const int width = rgb.cols;
  const int height = rgb.rows;
  std::vector<Person> people;
  std::vector<Box> grown_faces;
  for (int f = 0; f < faces.size(); ++f) {
    const v1::Face& face = faces[f];
    Person person;
    person.face = FromProto(face.box());
    person.size = std::max(person.face.width, person.face.height);
    if (!poses.empty() && poses[f].has_value()) {
      const PoseGarmentBoxes from_pose =
          GarmentRegionsFromPose(person.face, *poses[f], options_.pose_geometry, options_.geometry);
      person.regions = from_pose.boxes;
      person.upper_from_pose = from_pose.upper_from_pose;
      person.lower_from_pose = from_pose.lower_from_pose;
    } else {
      person.regions = GarmentRegionsFor(person.face, options_.geometry);
    }
    people.push_back(person);
    grown_faces.push_back(ExpandBox(person.face, options_.face_margin));
  }

  // Does pixel (x, y) of person p's region belong to p rather than to a
  // nearer person whose regions also cover it?
  const auto owned_by = [&](size_t p, float x, float y) {
    const float own = std::abs(x - people[p].face.center_x()) / std::max(people[p].size, 1.0f);
    for (size_t q = 0; q < people.size(); ++q) {
      if (q == p) continue;
      const GarmentBoxes& r = people[q].regions;
      if (!Contains(r.upper, x, y) && !Contains(r.lower, x, y)) continue;
      const float other = std::abs(x - people[q].face.center_x()) / std::max(people[q].size, 1.0f);
      if (other < own) return false;
    }
    return true;
  };
  const auto in_any_face = [&](float x, float y) {
    return std::any_of(grown_faces.begin(), grown_faces.end(),
                       [&](const Box& f) { return Contains(f, x, y); });
  };

  std::vector<v1::PersonAttire> out;
  for (size_t p = 0; p < people.size(); ++p) {
    const v1::Face& face = faces[static_cast<int>(p)];
    v1::PersonAttire attire;
    attire.set_face_index(face.index());
    attire.set_track_id(face.track_id());
    for (const v1::ModelRef& model : models) *attire.add_models() = model;
    const std::optional<Lab> skin =
        options_.exclude_skin ? SkinReference(rgb, people[p].face) : std::nullopt;

    const auto source_of = [](bool from_pose) {
      return from_pose ? v1::REGION_SOURCE_POSE : v1::REGION_SOURCE_FACE_GEOMETRY;
    };
    const std::tuple<v1::GarmentPart, Box, v1::RegionSource> parts[] = {
        {v1::GARMENT_PART_UPPER_BODY, people[p].regions.upper,
         source_of(people[p].upper_from_pose)},
        {v1::GARMENT_PART_LOWER_BODY, people[p].regions.lower,
         source_of(people[p].lower_from_pose)}};
    for (const auto& [part, nominal, source] : parts) {
      const float nominal_area = nominal.area();
      if (nominal_area <= 0.0f) continue;
      const Box clipped = ClipBox(nominal, static_cast<float>(width), static_cast<float>(height));
      if (clipped.area() / nominal_area < options_.min_in_image) continue;
      const cv::Rect rect = PixelRect(clipped, width, height);
      const int64_t rect_area = static_cast<int64_t>(rect.width) * rect.height;
      const int step =
          std::max(1, static_cast<int>(std::floor(std::sqrt(static_cast<double>(rect_area) /
                                                            options_.max_region_samples))));
      // Every count below is taken on a grid of `step` px, so a region costs
      // at most max_region_samples pixel visits whatever the image size.
      int64_t visible = 0;
      std::vector<Rgb> pixels;
      std::vector<bool> skin_like;
      for (int y = rect.y; y < rect.y + rect.height; y += step) {
        const uint8_t* mask_row = person_mask.ptr<uint8_t>(y);
        const cv::Vec3b* row = rgb.ptr<cv::Vec3b>(y);
        for (int x = rect.x; x < rect.x + rect.width; x += step) {
          if (mask_row[x] == 0) continue;
          const float px = static_cast<float>(x) + 0.5f;
          const float py = static_cast<float>(y) + 0.5f;
          if (in_any_face(px, py) || !owned_by(p, px, py)) continue;
          ++visible;
          const Rgb color{row[x][0], row[x][1], row[x][2]};
          pixels.push_back(color);
          skin_like.push_back(skin.has_value() &&
                              DeltaE2000(RgbToLab(color), *skin, options_.skin_lightness_weight) <
                                  options_.skin_delta_e);
        }
      }
      v1::GarmentRegion* region = attire.add_garments();
      region->set_part(part);
      region->set_source(source);
      *region->mutable_region() = ToProto(clipped);
      const float visible_share = std::min(
          1.0f, static_cast<float>(visible) * static_cast<float>(step * step) / nominal_area);
      region->set_visible_share(visible_share);
      if (visible_share < options_.min_visible_share) continue;
      if (std::find(skin_like.begin(), skin_like.end(), true) != skin_like.end()) {
        std::vector<Rgb> kept;
        for (size_t i = 0; i < pixels.size(); ++i) {
          if (!skin_like[i]) kept.push_back(pixels[i]);
        }
        pixels = std::move(kept);
      }
      for (const NamedColorShare& color : DominantColors(pixels, options_.colors)) {
        v1::NamedColor* named = region->add_colors();
        named->set_name(color.name);
        named->set_red(color.rgb.r);
        named->set_green(color.rgb.g);
        named->set_blue(color.rgb.b);
        named->set_share(color.share);
      }
    }
    out.push_back(std::move(attire));
  }

  if (objects != nullptr) {
    std::vector<Box> bodies;
    std::vector<Box> face_boxes;
    for (const Person& person : people) {
      bodies.push_back(person.regions.body);
      face_boxes.push_back(person.face);
    }
    std::vector<std::vector<v1::Accessory>> accessories =
        AssignAccessories(bodies, face_boxes, *objects, options_.accessories);
    for (size_t p = 0; p < out.size(); ++p) {
      for (v1::Accessory& accessory : accessories[p]) {
        *out[p].add_accessories() = std::move(accessory);
      }
    }
  }
  return out;
}

}  // namespace affect::analysis
