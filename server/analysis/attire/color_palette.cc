#include "server/analysis/attire/color_palette.h"

#include <cstddef>

namespace affect::analysis {
namespace {

PaletteColor Entry(const char* name, uint8_t r, uint8_t g, uint8_t b) {
  const Rgb rgb{r, g, b};
  return PaletteColor{name, rgb, RgbToLab(rgb)};
}

}  // namespace

const std::vector<PaletteColor>& GarmentPalette() {
  static const std::vector<PaletteColor>* const kPalette = new std::vector<PaletteColor>{
      Entry("black", 25, 25, 28),       Entry("dark grey", 72, 72, 75),
      Entry("grey", 128, 128, 128),     Entry("light grey", 190, 190, 190),
      Entry("white", 240, 240, 240),    Entry("navy", 30, 40, 80),
      Entry("blue", 30, 75, 205),       Entry("light blue", 140, 180, 225),
      Entry("turquoise", 50, 190, 190), Entry("teal", 0, 120, 120),
      Entry("green", 50, 150, 60),      Entry("dark green", 25, 75, 40),
      Entry("olive", 110, 110, 45),     Entry("yellow", 240, 210, 50),
      Entry("orange", 240, 130, 30),    Entry("red", 200, 30, 35),
      Entry("maroon", 110, 25, 35),     Entry("pink", 240, 150, 180),
      Entry("purple", 115, 45, 150),    Entry("beige", 215, 195, 160),
      Entry("brown", 110, 70, 40),
  };
  return *kPalette;
}

int NearestPaletteColor(const Lab& lab) {
  const std::vector<PaletteColor>& palette = GarmentPalette();
  int best = 0;
  float best_distance = DeltaE2000(lab, palette[0].lab);
  for (size_t i = 1; i < palette.size(); ++i) {
    const float distance = DeltaE2000(lab, palette[i].lab);
    if (distance < best_distance) {
      best_distance = distance;
      best = static_cast<int>(i);
    }
  }
  return best;
}

}  // namespace affect::analysis
