#include "server/analysis/voice/syllable_nuclei.h"

#include <algorithm>

namespace affect {

std::vector<int> FindSyllableNuclei(absl::Span<const float> energy_db,
                                    const std::vector<bool>& speech,
                                    const std::vector<bool>& voiced,
                                    const SyllableNucleiOptions& options) {
  const int n = static_cast<int>(energy_db.size());
  std::vector<int> nuclei;
  if (n == 0) return nuclei;
  std::vector<float> smooth(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const float left = energy_db[static_cast<size_t>(std::max(0, i - 1))];
    const float right = energy_db[static_cast<size_t>(std::min(n - 1, i + 1))];
    smooth[static_cast<size_t>(i)] =
        0.25f * left + 0.5f * energy_db[static_cast<size_t>(i)] + 0.25f * right;
  }
  std::vector<float> speech_energy;
  for (int i = 0; i < n; ++i) {
    if (speech[static_cast<size_t>(i)]) speech_energy.push_back(smooth[static_cast<size_t>(i)]);
  }
  if (speech_energy.empty()) return nuclei;
  const size_t middle = speech_energy.size() / 2;
  std::nth_element(speech_energy.begin(),
                   speech_energy.begin() + static_cast<std::ptrdiff_t>(middle),
                   speech_energy.end());
  const float median = speech_energy[middle];

  auto at = [&](int i) { return smooth[static_cast<size_t>(i)]; };
  for (int i = 0; i < n; ++i) {
    const auto index = static_cast<size_t>(i);
    if (!speech[index] || !voiced[index] || at(i) < median) continue;
    // Local maximum; on a plateau the first frame counts.
    const bool rises = i == 0 || at(i) > at(i - 1);
    const bool falls = i == n - 1 || at(i) >= at(i + 1);
    if (!rises || !falls) continue;
    if (nuclei.empty()) {
      nuclei.push_back(i);
      continue;
    }
    const int previous = nuclei.back();
    float dip = at(i);
    bool pause = false;
    for (int k = previous; k <= i; ++k) {
      dip = std::min(dip, at(k));
      pause = pause || !speech[static_cast<size_t>(k)];
    }
    if (pause || (at(previous) - dip >= options.min_dip_db && at(i) - dip >= options.min_dip_db)) {
      nuclei.push_back(i);
    } else if (at(i) > at(previous)) {
      nuclei.back() = i;  // same nucleus, louder top
    }
  }
  return nuclei;
}

}  // namespace affect
