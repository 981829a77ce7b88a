// sRGB <-> CIELAB (D65 white, 2-degree observer) and the CIEDE2000 colour
// difference (Sharma, Wu & Dalal, Color Res. Appl. 30(1), 2005), for
// clustering and naming garment colours in a perceptual space. Pure.
#ifndef AFFECT_SERVER_ANALYSIS_ATTIRE_COLOR_SPACE_H_
#define AFFECT_SERVER_ANALYSIS_ATTIRE_COLOR_SPACE_H_

#include <cstdint>

namespace affect::analysis {

struct Rgb {
  uint8_t r = 0;
  uint8_t g = 0;
  uint8_t b = 0;
};

struct Lab {
  float l = 0.0f;  // [0, 100]
  float a = 0.0f;
  float b = 0.0f;
};

Lab RgbToLab(Rgb rgb);
// Rounded and clamped to [0, 255].
Rgb LabToRgb(const Lab& lab);

// CIE76: Euclidean distance in Lab (what k-means minimises).
float DeltaE76(const Lab& x, const Lab& y);
// CIEDE2000 with kC = kH = 1 and lightness weight `kl` (1 for colour naming;
// larger values forgive lightness differences, e.g. shading on skin).
float DeltaE2000(const Lab& x, const Lab& y, float kl = 1.0f);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_ATTIRE_COLOR_SPACE_H_
