#include "server/analysis/attire/color_clustering.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "server/analysis/attire/color_palette.h"

namespace affect::analysis {
namespace {

float SquaredDistance(const Lab& x, const Lab& y) {
  const float dl = x.l - y.l;
  const float da = x.a - y.a;
  const float db = x.b - y.b;
  return dl * dl + da * da + db * db;
}

int Nearest(const Lab& sample, const std::vector<Lab>& centers) {
  int best = 0;
  float best_distance = std::numeric_limits<float>::infinity();
  for (size_t c = 0; c < centers.size(); ++c) {
    const float d = SquaredDistance(sample, centers[c]);
    if (d < best_distance) {
      best_distance = d;
      best = static_cast<int>(c);
    }
  }
  return best;
}

std::vector<Lab> SeedPlusPlus(absl::Span<const Lab> samples, int k, std::mt19937* rng) {
  std::vector<Lab> centers;
  centers.push_back(samples[(*rng)() % samples.size()]);
  std::vector<double> distance(samples.size());
  while (static_cast<int>(centers.size()) < k) {
    double total = 0.0;
    for (size_t i = 0; i < samples.size(); ++i) {
      distance[i] = SquaredDistance(samples[i], centers[static_cast<size_t>(
                                                    Nearest(samples[i], centers))]);
      total += distance[i];
    }
    if (total <= 0.0) break;  // every sample sits on a centre already
    const double target = static_cast<double>((*rng)()) / 4294967296.0 * total;
    double cumulative = 0.0;
    size_t chosen = samples.size() - 1;
    for (size_t i = 0; i < samples.size(); ++i) {
      cumulative += distance[i];
      if (cumulative > target && distance[i] > 0.0) {
        chosen = i;
        break;
      }
    }
    centers.push_back(samples[chosen]);
  }
  return centers;
}

}  // namespace

std::vector<ColorCluster> KMeansLab(absl::Span<const Lab> samples, absl::Span<const Rgb> rgb,
                                    int k, int max_iterations, uint32_t seed) {
  if (samples.empty() || k <= 0 || rgb.size() != samples.size()) return {};
  std::mt19937 rng(seed);
  std::vector<Lab> centers = SeedPlusPlus(samples, k, &rng);
  std::vector<int> assignment(samples.size(), -1);
  for (int iteration = 0; iteration < std::max(1, max_iterations); ++iteration) {
    bool changed = false;
    for (size_t i = 0; i < samples.size(); ++i) {
      const int nearest = Nearest(samples[i], centers);
      changed |= nearest != assignment[i];
      assignment[i] = nearest;
    }
    if (!changed && iteration > 0) break;
    std::vector<double> sum_l(centers.size(), 0.0), sum_a(centers.size(), 0.0),
        sum_b(centers.size(), 0.0);
    std::vector<int> count(centers.size(), 0);
    for (size_t i = 0; i < samples.size(); ++i) {
      const size_t c = static_cast<size_t>(assignment[i]);
      sum_l[c] += samples[i].l;
      sum_a[c] += samples[i].a;
      sum_b[c] += samples[i].b;
      ++count[c];
    }
    for (size_t c = 0; c < centers.size(); ++c) {
      if (count[c] == 0) continue;  // an empty cluster keeps its centre
      centers[c] = Lab{static_cast<float>(sum_l[c] / count[c]),
                       static_cast<float>(sum_a[c] / count[c]),
                       static_cast<float>(sum_b[c] / count[c])};
    }
  }
  std::vector<ColorCluster> clusters;
  for (size_t c = 0; c < centers.size(); ++c) {
    double r = 0.0, g = 0.0, b = 0.0;
    std::vector<int> members;
    for (size_t i = 0; i < samples.size(); ++i) {
      if (assignment[i] != static_cast<int>(c)) continue;
      r += rgb[i].r;
      g += rgb[i].g;
      b += rgb[i].b;
      members.push_back(static_cast<int>(i));
    }
    if (members.empty()) continue;
    const int count = static_cast<int>(members.size());
    const auto mean = [count](double v) {
      return static_cast<uint8_t>(std::clamp(std::lround(v / count), 0L, 255L));
    };
    clusters.push_back(
        ColorCluster{centers[c], Rgb{mean(r), mean(g), mean(b)}, count, std::move(members)});
  }
  return clusters;
}

std::vector<NamedColorShare> DominantColors(absl::Span<const Rgb> pixels,
                                            const ColorClusteringOptions& options) {
  if (static_cast<int>(pixels.size()) < std::max(1, options.min_pixels)) return {};
  const size_t max_samples = static_cast<size_t>(std::max(1, options.max_samples));
  const size_t stride = (pixels.size() + max_samples - 1) / max_samples;
  std::vector<Rgb> rgb;
  std::vector<Lab> lab;
  for (size_t i = 0; i < pixels.size(); i += stride) {
    rgb.push_back(pixels[i]);
    lab.push_back(RgbToLab(pixels[i]));
  }
  const std::vector<ColorCluster> clusters =
      KMeansLab(lab, rgb, options.clusters, options.max_iterations, options.seed);
  std::vector<Lab> cluster_centers;
  for (const ColorCluster& cluster : clusters) cluster_centers.push_back(cluster.center);
  const std::vector<int> group_of = GroupShades(cluster_centers, options.shades);
  const int groups =
      group_of.empty() ? 0 : *std::max_element(group_of.begin(), group_of.end()) + 1;
  // Merge groups by palette name, keyed by palette index (its order breaks
  // ties below).
  struct Merged {
    double r = 0.0, g = 0.0, b = 0.0;
    int count = 0;
  };
  std::map<int, Merged> merged;
  for (int group = 0; group < groups; ++group) {
    std::vector<Lab> members;
    Merged sum;
    for (size_t c = 0; c < clusters.size(); ++c) {
      if (group_of[c] != group) continue;
      for (int i : clusters[c].members) members.push_back(lab[static_cast<size_t>(i)]);
      sum.r += static_cast<double>(clusters[c].mean_rgb.r) * clusters[c].count;
      sum.g += static_cast<double>(clusters[c].mean_rgb.g) * clusters[c].count;
      sum.b += static_cast<double>(clusters[c].mean_rgb.b) * clusters[c].count;
      sum.count += clusters[c].count;
    }
    Merged& m = merged[NearestPaletteColor(NamingColor(members, options.shades))];
    m.r += sum.r;
    m.g += sum.g;
    m.b += sum.b;
    m.count += sum.count;
  }
  std::vector<NamedColorShare> out;
  const double total = static_cast<double>(lab.size());
  for (const auto& [index, m] : merged) {
    const float share = static_cast<float>(m.count / total);
    if (share < options.min_share) continue;
    const auto mean = [&m](double v) {
      return static_cast<uint8_t>(std::clamp(std::lround(v / m.count), 0L, 255L));
    };
    out.push_back(NamedColorShare{GarmentPalette()[static_cast<size_t>(index)].name,
                                  Rgb{mean(m.r), mean(m.g), mean(m.b)}, share});
  }
  std::stable_sort(out.begin(), out.end(), [](const NamedColorShare& x, const NamedColorShare& y) {
    return x.share > y.share;
  });
  return out;
}

}  // namespace affect::analysis
