// The fixed palette garment colours are named from (README "Attire
// colours"): 21 names with sRGB centres chosen as typical garment colours
// as photographed (a real navy shirt is ~(35,45,75), far from CSS navy
// (0,0,128)). A colour takes the name of the centre nearest by CIEDE2000.
// Pure and thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_ATTIRE_COLOR_PALETTE_H_
#define AFFECT_SERVER_ANALYSIS_ATTIRE_COLOR_PALETTE_H_

#include <vector>

#include "server/analysis/attire/color_space.h"

namespace affect::analysis {

struct PaletteColor {
  const char* name;
  Rgb rgb;
  Lab lab;  // RgbToLab(rgb)
};

const std::vector<PaletteColor>& GarmentPalette();

// Index into GarmentPalette() of the nearest centre (CIEDE2000; ties: the
// earlier entry).
int NearestPaletteColor(const Lab& lab);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_ATTIRE_COLOR_PALETTE_H_
