#include "server/analysis/annotate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/analysis/face/expression_labels.h"
#include "server/analysis/face_blur.h"
#include "opencv2/imgproc.hpp"
#include "server/analysis/image_input.h"

namespace affect::analysis {
namespace {

const cv::Scalar kFaceColor(0, 200, 255);
const cv::Scalar kWhite(255, 255, 255);
const cv::Scalar kBlack(0, 0, 0);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

// Darkens `rect` (clipped to the image) so text on it stays readable while
// what lies beneath still shows through.
void Backdrop(cv::Mat* image, cv::Rect rect) {
  rect &= cv::Rect(0, 0, image->cols, image->rows);
  if (rect.empty()) return;
  cv::Mat roi = (*image)(rect);
  roi.convertTo(roi, -1, 0.3, 0.0);
}

struct Painter {
  cv::Mat* image;
  float sx = 1.0f;  // analysis pixels -> Mat pixels
  float sy = 1.0f;
  float scale = 1.0f;

  int Thickness() const { return std::max(1, static_cast<int>(std::lround(2.0f * scale))); }
  double FontScale() const { return 0.5 * scale; }

  cv::Rect ToRect(const v1::BoundingBox& box) const {
    return cv::Rect(cv::Point(static_cast<int>(std::lround(box.x() * sx)),
                              static_cast<int>(std::lround(box.y() * sy))),
                    cv::Point(static_cast<int>(std::lround((box.x() + box.width()) * sx)),
                              static_cast<int>(std::lround((box.y() + box.height()) * sy))));
  }
  cv::Point ToPoint(const v1::Point& p) const {
    return cv::Point(static_cast<int>(std::lround(p.x() * sx)),
                     static_cast<int>(std::lround(p.y() * sy)));
  }

  // Text on a dark backdrop; `origin` is the backdrop's top-left corner,
  // moved inside the image when needed.
  cv::Rect Label(const std::string& text, cv::Point origin, const cv::Scalar& color) const {
    int baseline = 0;
    const int thickness = std::max(1, Thickness() / 2);
    const cv::Size size = cv::getTextSize(text, kFont, FontScale(), thickness, &baseline);
    const int pad = std::max(2, Thickness());
    cv::Rect backdrop(origin.x, origin.y, size.width + 2 * pad, size.height + baseline + 2 * pad);
    backdrop.x = std::clamp(backdrop.x, 0, std::max(0, image->cols - backdrop.width));
    backdrop.y = std::clamp(backdrop.y, 0, std::max(0, image->rows - backdrop.height));
    Backdrop(image, backdrop);
    cv::putText(*image, text, cv::Point(backdrop.x + pad, backdrop.y + pad + size.height), kFont,
                FontScale(), color, thickness, cv::LINE_AA);
    return backdrop;
  }
};

const char* ShortName(v1::Expression expression) {
  switch (expression) {
    case v1::EXPRESSION_ANGRY:
      return "ang";
    case v1::EXPRESSION_DISGUST:
      return "dis";
    case v1::EXPRESSION_FEAR:
      return "fea";
    case v1::EXPRESSION_HAPPY:
      return "hap";
    case v1::EXPRESSION_SAD:
      return "sad";
    case v1::EXPRESSION_SURPRISE:
      return "sur";
    case v1::EXPRESSION_NEUTRAL:
      return "neu";
    default:
      return "?";
  }
}

// A stable, distinct colour per object class (hue spread by the golden
// ratio), in RGB.
cv::Scalar ClassColor(int class_id) {
  const double hue = std::fmod(0.61803398875 * (class_id + 1), 1.0) * 180.0;
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue, 200, 255));
  cv::Mat rgb;
  cv::cvtColor(hsv, rgb, cv::COLOR_HSV2RGB);
  const cv::Vec3b c = rgb.at<cv::Vec3b>(0, 0);
  return cv::Scalar(c[0], c[1], c[2]);
}

void DrawExpressionBars(const Painter& p, const v1::ExpressionResult& expression,
                        const cv::Rect& face) {
  const int rows = expression.scores_size();
  if (rows == 0) return;
  const int row_height = std::max(8, static_cast<int>(std::lround(11.0f * p.scale)));
  const int text_width = static_cast<int>(std::lround(30.0f * p.scale));
  const int bar_width = std::max(30, static_cast<int>(std::lround(60.0f * p.scale)));
  const int panel_width = text_width + bar_width + 6;
  const int panel_height = rows * row_height + 4;
  int x = face.x + face.width + p.Thickness() + 2;
  if (x + panel_width > p.image->cols) x = face.x - panel_width - p.Thickness() - 2;
  x = std::clamp(x, 0, std::max(0, p.image->cols - panel_width));
  const int y = std::clamp(face.y, 0, std::max(0, p.image->rows - panel_height));
  Backdrop(p.image, cv::Rect(x, y, panel_width, panel_height));
  const double font = 0.33 * p.scale;
  for (int i = 0; i < rows; ++i) {
    const v1::ExpressionScore& score = expression.scores(i);
    const int top = y + 2 + i * row_height;
    cv::putText(*p.image, ShortName(score.expression()),
                cv::Point(x + 2, top + row_height - 2), kFont, font, kWhite, 1, cv::LINE_AA);
    const int length = static_cast<int>(std::lround(std::clamp(score.score(), 0.0f, 1.0f) *
                                                    bar_width));
    if (length > 0) {
      cv::rectangle(*p.image,
                    cv::Rect(x + text_width, top + 1, length, std::max(2, row_height - 3)),
                    ExpressionColor(score.expression()), cv::FILLED);
    }
  }
}

bool HasExpression(const v1::Face& face) {
  return face.has_expression() && face.expression().scores_size() > 0;
}

cv::Scalar FaceColor(const v1::Face& face) {
  return HasExpression(face) ? ExpressionColor(face.expression().dominant()) : kFaceColor;
}

void DrawFaceBox(const Painter& p, const v1::Face& face, const AnnotateOptions& options) {
  const cv::Scalar color = FaceColor(face);
  cv::rectangle(*p.image, p.ToRect(face.box()), color, p.Thickness(), cv::LINE_AA);
  if (options.landmarks) {
    for (const v1::Landmark& landmark : face.landmarks()) {
      cv::circle(*p.image, p.ToPoint(landmark.position()), std::max(1, p.Thickness()), color,
                 cv::FILLED, cv::LINE_AA);
    }
  }
}

void DrawFaceLabel(const Painter& p, const v1::Face& face) {
  const cv::Rect box = p.ToRect(face.box());
  std::string text = face.track_id() != 0 ? absl::StrCat("#", face.track_id())
                                          : absl::StrCat("face ", face.index());
  if (HasExpression(face)) {
    absl::StrAppend(&text, " ", ExpressionName(face.expression().dominant()),
                    absl::StrFormat(" %.2f", face.expression().dominant_score()));
  }
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, kFont, p.FontScale(), 1, &baseline);
  p.Label(text, cv::Point(box.x, box.y - size.height - baseline - 3 * p.Thickness()),
          FaceColor(face));
}

void DrawAttire(const Painter& p, const v1::PersonAttire& attire) {
  const int swatch = std::max(10, static_cast<int>(std::lround(14.0f * p.scale)));
  for (const v1::GarmentRegion& garment : attire.garments()) {
    const cv::Rect region = p.ToRect(garment.region());
    cv::rectangle(*p.image, region, kWhite, std::max(1, p.Thickness() / 2), cv::LINE_4);
    int y = region.y + p.Thickness() + 1;
    for (const v1::NamedColor& color : garment.colors()) {
      const cv::Rect square(region.x + p.Thickness() + 1, y, swatch, swatch);
      cv::rectangle(*p.image, square, cv::Scalar(color.red(), color.green(), color.blue()),
                    cv::FILLED);
      cv::rectangle(*p.image, square, kWhite, 1);
      p.Label(absl::StrFormat("%s %.0f%%", color.name(), 100.0f * color.share()),
              cv::Point(square.x + swatch + 2, y), kWhite);
      y += swatch + 3;
    }
  }
}

void DrawObjects(const Painter& p, const v1::Scene& scene) {
  for (const v1::DetectedObject& object : scene.objects()) {
    const cv::Scalar color = ClassColor(object.class_id());
    const cv::Rect box = p.ToRect(object.box());
    cv::rectangle(*p.image, box, color, std::max(1, p.Thickness() / 2), cv::LINE_AA);
    p.Label(absl::StrFormat("%s %.2f", object.label(), object.score()),
            cv::Point(box.x, box.y + box.height), color);
  }
}

// COCO-17 limbs: head, arms, torso, legs (keypoint indices, proto order).
constexpr std::pair<int, int> kLimbs[] = {{0, 1},   {0, 2},   {1, 3},   {2, 4},     // head
                                          {5, 7},   {7, 9},   {6, 8},   {8, 10},    // arms
                                          {5, 6},   {5, 11},  {6, 12},  {11, 12},   // torso
                                          {11, 13}, {13, 15}, {12, 14}, {14, 16}};  // legs
const cv::Scalar kSkeletonColor(80, 255, 120);

void DrawSkeleton(const Painter& p, const v1::PersonBody& body) {
  const auto seen = [&](int k) {
    return k < body.keypoints_size() && body.keypoints(k).score() >= kSkeletonMinScore;
  };
  for (const auto& [a, b] : kLimbs) {
    if (!seen(a) || !seen(b)) continue;
    cv::line(*p.image, p.ToPoint(body.keypoints(a).position()),
             p.ToPoint(body.keypoints(b).position()), kSkeletonColor, p.Thickness(), cv::LINE_AA);
  }
  for (int k = 0; k < body.keypoints_size(); ++k) {
    if (!seen(k)) continue;
    cv::circle(*p.image, p.ToPoint(body.keypoints(k).position()), p.Thickness() + 1, kWhite,
               cv::FILLED, cv::LINE_AA);
  }
  if (body.cues_size() > 0) {
    std::string cues;
    for (const v1::PostureCue& cue : body.cues()) {
      absl::StrAppend(&cues, cues.empty() ? "" : ", ", cue.name());
    }
    const cv::Rect box = p.ToRect(body.box());
    p.Label(cues, cv::Point(box.x, box.y + box.height), kSkeletonColor);
  }
}

const char* LevelName(v1::LightingLevel level) {
  switch (level) {
    case v1::LIGHTING_LEVEL_DARK:
      return "dark";
    case v1::LIGHTING_LEVEL_DIM:
      return "dim";
    case v1::LIGHTING_LEVEL_NORMAL:
      return "normal";
    case v1::LIGHTING_LEVEL_BRIGHT:
      return "bright";
    default:
      return "?";
  }
}

void DrawSceneTag(const Painter& p, const v1::Scene& scene) {
  std::string text;
  if (scene.categories_size() > 0) {
    absl::StrAppend(&text, scene.categories(0).category(),
                    absl::StrFormat(" %.2f", scene.categories(0).score()));
  }
  if (scene.environment() != v1::ENVIRONMENT_UNSPECIFIED) {
    absl::StrAppend(&text, text.empty() ? "" : " | ",
                    scene.environment() == v1::ENVIRONMENT_INDOOR ? "indoor" : "outdoor",
                    absl::StrFormat(" %.2f", scene.environment_confidence()));
  }
  if (scene.has_lighting()) {
    absl::StrAppend(&text, text.empty() ? "" : " | ", "light ",
                    LevelName(scene.lighting().level()),
                    absl::StrFormat(" %.2f", scene.lighting().brightness()));
  }
  if (!text.empty()) p.Label(text, cv::Point(0, 0), kWhite);
}

}  // namespace

cv::Scalar ExpressionColor(v1::Expression expression) {
  switch (expression) {
    case v1::EXPRESSION_ANGRY:
      return cv::Scalar(220, 40, 40);
    case v1::EXPRESSION_DISGUST:
      return cv::Scalar(60, 170, 60);
    case v1::EXPRESSION_FEAR:
      return cv::Scalar(160, 80, 200);
    case v1::EXPRESSION_HAPPY:
      return cv::Scalar(250, 210, 40);
    case v1::EXPRESSION_SAD:
      return cv::Scalar(60, 120, 230);
    case v1::EXPRESSION_SURPRISE:
      return cv::Scalar(250, 140, 40);
    case v1::EXPRESSION_NEUTRAL:
      return cv::Scalar(180, 180, 180);
    default:
      return kFaceColor;
  }
}

absl::Status AnnotateImage(const v1::ImageAnalysis& analysis, const AnnotateOptions& options,
                           cv::Mat* rgb) {
  if (rgb == nullptr) return absl::InvalidArgumentError("no image to annotate");
  if (absl::Status status = ValidateRgbImage(*rgb); !status.ok()) return status;
  if (options.blur_faces) {
    if (absl::Status blurred = BlurFaces(analysis, rgb); !blurred.ok()) return blurred;
  }
  Painter p;
  p.image = rgb;
  if (analysis.size().width() > 0 && analysis.size().height() > 0) {
    p.sx = static_cast<float>(rgb->cols) / static_cast<float>(analysis.size().width());
    p.sy = static_cast<float>(rgb->rows) / static_cast<float>(analysis.size().height());
  }
  p.scale = options.scale > 0.0f
                ? options.scale
                : std::max(1.0f, static_cast<float>(std::min(rgb->cols, rgb->rows)) / 600.0f);
  if (options.objects && analysis.has_scene()) DrawObjects(p, analysis.scene());
  if (options.attire) {
    for (const v1::PersonAttire& attire : analysis.attire()) DrawAttire(p, attire);
  }
  if (options.skeletons) {
    for (const v1::PersonBody& body : analysis.bodies()) DrawSkeleton(p, body);
  }
  // Layers: boxes, then expression panels, then labels, so that no panel
  // hides another face's label.
  if (options.faces) {
    for (const v1::Face& face : analysis.faces()) DrawFaceBox(p, face, options);
    if (options.expression_bars) {
      for (const v1::Face& face : analysis.faces()) {
        if (HasExpression(face)) DrawExpressionBars(p, face.expression(), p.ToRect(face.box()));
      }
    }
    for (const v1::Face& face : analysis.faces()) DrawFaceLabel(p, face);
  }
  if (options.scene_tag && analysis.has_scene()) DrawSceneTag(p, analysis.scene());
  return absl::OkStatus();
}

}  // namespace affect::analysis
