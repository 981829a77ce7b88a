// Dominant colours of a set of pixels: k-means in CIELAB, clusters of one
// fabric in light and shadow grouped (shade_grouping.h), each group named
// from the garment palette by its lit colour, groups with the same name
// merged.
//
// Why cluster before naming: naming pixel by pixel splits one shaded navy
// shirt into navy, black and blue; a cluster's mean is named once. Why a
// fixed k = 4: garments show one to three colours, and one spare cluster
// absorbs shadows and stray skin or background; merging by name then removes
// the duplicates this causes. (No elbow rule: on small regions the cost
// curve over k = 1..5 is flat, so its choice would turn on noise; merging by
// name reaches the same "how many colours" answer deterministically.) Why
// group shades before naming: a strongly shaded red top clusters into a
// lit red and a shadowed part whose mean is, by any palette, maroon; named
// apart, the top reads "maroon" as often as "red".
//
// Deterministic: k-means++ seeding (Arthur & Vassilvitskii, 2007) driven by
// std::mt19937 with a fixed seed, using the generator's raw 32-bit output
// (whose sequence the C++ standard fixes), never a std:: distribution (whose
// algorithm it does not). Same pixels in, same colours out, on every
// platform. Pure and thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_ATTIRE_COLOR_CLUSTERING_H_
#define AFFECT_SERVER_ANALYSIS_ATTIRE_COLOR_CLUSTERING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "server/analysis/attire/color_space.h"
#include "server/analysis/attire/shade_grouping.h"

namespace affect::analysis {

struct ColorClusteringOptions {
  int clusters = 4;
  int max_iterations = 20;
  // Above this many pixels an evenly strided subset is clustered.
  int max_samples = 4096;
  // With fewer pixels no colour is reported (too little to tell).
  int min_pixels = 64;
  // Named colours with a smaller share are dropped.
  float min_share = 0.08f;
  uint32_t seed = 20240601;
  ShadeGroupingOptions shades;
};

struct ColorCluster {
  Lab center;
  Rgb mean_rgb;  // mean sRGB of the member pixels
  int count = 0;
  std::vector<int> members;  // indices of the member samples, ascending
};

// Lloyd's k-means under CIE76 from k-means++ seeds. Returns the non-empty
// clusters (at most k; fewer when the samples have fewer distinct colours).
// `rgb` holds the samples' sRGB values (same length as `samples`) for the
// cluster means.
std::vector<ColorCluster> KMeansLab(absl::Span<const Lab> samples, absl::Span<const Rgb> rgb,
                                    int k, int max_iterations, uint32_t seed);

struct NamedColorShare {
  std::string name;
  Rgb rgb;              // mean sRGB of the pixels with this name
  float share = 0.0f;   // of all the pixels passed in
};

// Largest share first (ties: palette order). Empty below min_pixels.
std::vector<NamedColorShare> DominantColors(absl::Span<const Rgb> pixels,
                                            const ColorClusteringOptions& options);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_ATTIRE_COLOR_CLUSTERING_H_
