#include "server/analysis/attire/shade_grouping.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace affect::analysis {
namespace {

constexpr double kPi = 3.14159265358979323846;

float HueDistanceDegrees(float x, float y) {
  const float d = std::abs(x - y);
  return std::min(d, 360.0f - d);
}

int Root(const std::vector<int>& parent, int i) {
  while (parent[static_cast<size_t>(i)] != i) i = parent[static_cast<size_t>(i)];
  return i;
}

// Linear interpolation between order statistics, as numpy's default.
float Quantile(const std::vector<float>& sorted, float q) {
  const double position = std::clamp(static_cast<double>(q), 0.0, 1.0) * (sorted.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  const double t = position - static_cast<double>(below);
  return static_cast<float>(sorted[below] + t * (sorted[above] - sorted[below]));
}

Lab Mean(absl::Span<const Lab> samples) {
  double l = 0.0, a = 0.0, b = 0.0;
  for (const Lab& s : samples) {
    l += s.l;
    a += s.a;
    b += s.b;
  }
  const double n = static_cast<double>(samples.size());
  return Lab{static_cast<float>(l / n), static_cast<float>(a / n), static_cast<float>(b / n)};
}

}  // namespace

float Chroma(const Lab& lab) { return std::hypot(lab.a, lab.b); }

float HueDegrees(const Lab& lab) {
  const double h = std::atan2(lab.b, lab.a) * 180.0 / kPi;
  return static_cast<float>(h < 0.0 ? h + 360.0 : h);
}

std::vector<int> GroupShades(absl::Span<const Lab> centers, const ShadeGroupingOptions& options) {
  std::vector<int> parent(centers.size());
  std::iota(parent.begin(), parent.end(), 0);
  if (options.enabled) {
    for (size_t i = 0; i < centers.size(); ++i) {
      if (Chroma(centers[i]) < options.min_chroma) continue;
      for (size_t j = i + 1; j < centers.size(); ++j) {
        if (Chroma(centers[j]) < options.min_chroma) continue;
        if (HueDistanceDegrees(HueDegrees(centers[i]), HueDegrees(centers[j])) >
            options.max_hue_difference_deg) {
          continue;
        }
        const Lab& lighter = centers[i].l >= centers[j].l ? centers[i] : centers[j];
        const Lab& darker = centers[i].l >= centers[j].l ? centers[j] : centers[i];
        if (Chroma(lighter) < options.min_lit_chroma_ratio * Chroma(darker)) continue;
        // Union under the smaller root, so that ids do not depend on the
        // order pairs are met in.
        const int ri = Root(parent, static_cast<int>(i));
        const int rj = Root(parent, static_cast<int>(j));
        parent[static_cast<size_t>(std::max(ri, rj))] = std::min(ri, rj);
      }
    }
  }
  std::vector<int> group(centers.size(), -1);
  std::vector<int> id_of_root(centers.size(), -1);
  int next = 0;
  for (size_t i = 0; i < centers.size(); ++i) {
    const size_t root = static_cast<size_t>(Root(parent, static_cast<int>(i)));
    if (id_of_root[root] < 0) id_of_root[root] = next++;
    group[i] = id_of_root[root];
  }
  return group;
}

Lab NamingColor(absl::Span<const Lab> samples, const ShadeGroupingOptions& options) {
  const Lab mean = Mean(samples);
  if (!options.enabled || Chroma(mean) < options.min_chroma) return mean;
  std::vector<float> lightness;
  lightness.reserve(samples.size());
  for (const Lab& s : samples) lightness.push_back(s.l);
  std::sort(lightness.begin(), lightness.end());
  const float low = Quantile(lightness, options.lit_low_quantile);
  const float high = Quantile(lightness, options.lit_high_quantile);
  std::vector<Lab> lit;
  for (const Lab& s : samples) {
    if (s.l >= low && s.l <= high) lit.push_back(s);
  }
  return lit.empty() ? mean : Mean(lit);
}

}  // namespace affect::analysis
