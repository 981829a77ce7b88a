// Where a person's clothes are: from the body pose when its keypoints are
// seen (GarmentRegionsFromPose), otherwise from the face box alone
// (GarmentRegionsFor).
//
// FROM THE FACE BOX
// With s = the face box's longer side (BlazeFace boxes run from about the
// brows to the chin, ~0.85 of a head height) and the chin at the box's
// bottom edge, centred on the face horizontally:
//
//   region   top            bottom         width
//   upper    chin + 0.75 s  chin + 2.5 s   1.6 s   chest to waist
//   lower    chin + 2.5 s   chin + 5.5 s   1.6 s   waist to about the knees
//   body     face top       chin + 7.0 s   3.0 s   whole figure (accessories)
//
// From the 8-head figure canon (chin at 1 head, waist ~3, crotch 4, knees 6,
// feet 8 heads below the crown; shoulders ~2 heads wide) with one head
// ~1.2 s: the upper region starts below the shoulder line (~0.6 head below
// the chin), so the neck, neckline and collarbones, where skin, necklaces and
// long hair falling from the head crowd the garment, stay out; it is as wide
// as the chest between the arms (~1.35 heads; the shoulders' 2 heads include
// the upper arms, which are skin or sleeves, and neighbours standing close;
// measured on the demo photos in README "Attire colours"). The waist falls
// at ~2.4 s below the chin, knees at ~6 s (the lower region stops short of
// them to stay on trousers/skirt), and the body box is wide enough for a bag
// held at the side. Assumes an upright person; regions are clipped to the
// image by the caller. Pure.
#ifndef AFFECT_SERVER_ANALYSIS_ATTIRE_GARMENT_REGIONS_H_
#define AFFECT_SERVER_ANALYSIS_ATTIRE_GARMENT_REGIONS_H_

#include "server/analysis/body/pose_types.h"
#include "server/analysis/geometry.h"

namespace affect::analysis {

// Ratios of the table above, in face sizes s below the chin / wide.
struct GarmentGeometry {
  float upper_top = 0.75f;
  float upper_bottom = 2.5f;
  float upper_width = 1.6f;
  float lower_top = 2.5f;
  float lower_bottom = 5.5f;
  float lower_width = 1.6f;
  float body_bottom = 7.0f;
  float body_width = 3.0f;
};

// Nominal (unclipped) regions in image pixels.
struct GarmentBoxes {
  Box upper;
  Box lower;
  Box body;
};

GarmentBoxes GarmentRegionsFor(const Box& face, const GarmentGeometry& geometry = {});

// FROM THE POSE (issue 18: the garment between shoulders and hips, and
// between hips and knees, where the person actually stands, bends or sits,
// instead of where an upright figure would be). With the shoulder line at the
// mean height of the two shoulders, the hip line likewise, torso length
// t = hip line - shoulder line:
//
//   region   top                       bottom       x extent
//   upper    shoulder line + 0.15 t    hip line     shoulders, each end moved
//                                                   0.1 shoulder width inwards
//   lower    hip line                  knee line    hips, widened by 0.5 hip
//                                                   width on each side
//   body     the pose's person box, joined with the face box
//
// The upper region starts a little below the shoulder line for the reason
// the face geometry starts below it (neckline, necklaces, hair); it stops
// short of the upper arms, which are skin or sleeves. Hip keypoints are the
// joint centres, narrower than the hips themselves, hence the widening. A
// region is taken from the pose only when all four of its keypoints reach
// `min_keypoint_score` and the region is not degenerate (shoulders above the
// hips, hips above the knees, nothing NaN); otherwise that region falls back
// to the face geometry, and `upper_from_pose` / `lower_from_pose` say which
// was used. Pure.
struct PoseGarmentOptions {
  float min_keypoint_score = 0.3f;
  float upper_top_of_torso = 0.15f;
  float shoulder_inset = 0.1f;
  float hip_widening = 0.5f;
};

struct PoseGarmentBoxes {
  GarmentBoxes boxes;
  bool upper_from_pose = false;
  bool lower_from_pose = false;
};

PoseGarmentBoxes GarmentRegionsFromPose(const Box& face, const PersonPose& pose,
                                        const PoseGarmentOptions& options = {},
                                        const GarmentGeometry& geometry = {});

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_ATTIRE_GARMENT_REGIONS_H_
