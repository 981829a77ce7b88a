// One fabric in light and in shadow: which colour clusters are the same
// material, and which colour a person would name it by.
//
// Shading darkens a fabric but hardly turns its hue: on the demo photos a
// red top splits into a lit cluster (~(165,45,25), named red) and a
// shadowed one (~(85,15,5), named maroon) with hue angles 1-10 degrees
// apart, while the skin beside it sits about 25 degrees away. Two chromatic
// clusters are therefore one material (grouped by single linkage) when
// their hue angles are within max_hue_difference_deg and the lighter one is
// at least min_lit_chroma_ratio as chromatic as the darker: shade lowers
// chroma along with lightness, so a lighter but much paler cluster is
// another material (skin beside a red top, a desaturated highlight).
// Achromatic clusters (chroma under min_chroma: black, greys, white, and
// dark navy under warm light) are never grouped: black is every colour's
// deepest shadow, and a black dress's highlights must not rename it
// "dark grey".
//
// A chromatic group is named by its lit surface, the mean of its samples
// between the lit_low_quantile and lit_high_quantile of lightness (the
// brightest few per cent are left out as specular highlights), because a
// person names a garment by how it looks in the light, not by its shadows:
// the mean of a shaded red top, (122,25,9), is CSS maroon. Achromatic groups
// keep their mean.
//
// Pure and thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_ATTIRE_SHADE_GROUPING_H_
#define AFFECT_SERVER_ANALYSIS_ATTIRE_SHADE_GROUPING_H_

#include <vector>

#include "absl/types/span.h"
#include "server/analysis/attire/color_space.h"

namespace affect::analysis {

struct ShadeGroupingOptions {
  // Off: every cluster is its own group, named by its mean (the behaviour
  // before shade grouping).
  bool enabled = true;
  // C*ab below which a colour counts as achromatic.
  float min_chroma = 15.0f;
  float max_hue_difference_deg = 12.0f;
  float min_lit_chroma_ratio = 0.8f;
  // Lightness quantiles bounding a chromatic group's lit surface.
  float lit_low_quantile = 0.75f;
  float lit_high_quantile = 0.95f;
};

// C*ab, the distance from the neutral axis.
float Chroma(const Lab& lab);
// h_ab in degrees, [0, 360).
float HueDegrees(const Lab& lab);

// Group id (0-based, in order of first member) for each cluster centre.
std::vector<int> GroupShades(absl::Span<const Lab> centers, const ShadeGroupingOptions& options);

// The colour to name a group of samples by: the mean of `samples`, and for a
// chromatic mean (when enabled) the mean of the samples whose lightness lies
// between the two lit quantiles. REQUIRES: `samples` not empty.
Lab NamingColor(absl::Span<const Lab> samples, const ShadeGroupingOptions& options);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_ATTIRE_SHADE_GROUPING_H_
