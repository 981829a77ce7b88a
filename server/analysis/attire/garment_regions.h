// Where a person's clothes are, from their face box alone.
//
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

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_ATTIRE_GARMENT_REGIONS_H_
