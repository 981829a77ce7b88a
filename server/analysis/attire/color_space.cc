#include "server/analysis/attire/color_space.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace affect::analysis {
namespace {

constexpr double kPi = 3.14159265358979323846;
// D65 reference white.
constexpr double kWhiteX = 0.95047;
constexpr double kWhiteY = 1.0;
constexpr double kWhiteZ = 1.08883;
constexpr double kDelta = 6.0 / 29.0;

// sRGB transfer curve, 8-bit value -> linear [0, 1], tabulated.
const std::array<double, 256>& LinearTable() {
  static const std::array<double, 256> kTable = [] {
    std::array<double, 256> table{};
    for (int i = 0; i < 256; ++i) {
      const double c = i / 255.0;
      table[static_cast<size_t>(i)] =
          c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
    }
    return table;
  }();
  return kTable;
}

double LabF(double t) {
  return t > kDelta * kDelta * kDelta ? std::cbrt(t) : t / (3.0 * kDelta * kDelta) + 4.0 / 29.0;
}

double LabFInverse(double t) {
  return t > kDelta ? t * t * t : 3.0 * kDelta * kDelta * (t - 4.0 / 29.0);
}

uint8_t ToByte(double linear) {
  const double c = linear <= 0.0031308 ? 12.92 * linear
                                       : 1.055 * std::pow(std::max(linear, 0.0), 1.0 / 2.4) - 0.055;
  return static_cast<uint8_t>(std::clamp(std::lround(c * 255.0), 0L, 255L));
}

double Degrees(double radians) { return radians * 180.0 / kPi; }
double Radians(double degrees) { return degrees * kPi / 180.0; }

}  // namespace

Lab RgbToLab(Rgb rgb) {
  const std::array<double, 256>& lin = LinearTable();
  const double r = lin[rgb.r];
  const double g = lin[rgb.g];
  const double b = lin[rgb.b];
  const double x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
  const double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
  const double z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
  const double fx = LabF(x / kWhiteX);
  const double fy = LabF(y / kWhiteY);
  const double fz = LabF(z / kWhiteZ);
  return Lab{static_cast<float>(116.0 * fy - 16.0), static_cast<float>(500.0 * (fx - fy)),
             static_cast<float>(200.0 * (fy - fz))};
}

Rgb LabToRgb(const Lab& lab) {
  const double fy = (lab.l + 16.0) / 116.0;
  const double fx = fy + lab.a / 500.0;
  const double fz = fy - lab.b / 200.0;
  const double x = kWhiteX * LabFInverse(fx);
  const double y = kWhiteY * LabFInverse(fy);
  const double z = kWhiteZ * LabFInverse(fz);
  const double r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
  const double g = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z;
  const double b = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
  return Rgb{ToByte(r), ToByte(g), ToByte(b)};
}

float DeltaE76(const Lab& x, const Lab& y) {
  return std::sqrt((x.l - y.l) * (x.l - y.l) + (x.a - y.a) * (x.a - y.a) +
                   (x.b - y.b) * (x.b - y.b));
}

float DeltaE2000(const Lab& x, const Lab& y, float kl) {
  const double l1 = x.l, a1 = x.a, b1 = x.b;
  const double l2 = y.l, a2 = y.a, b2 = y.b;
  const double c1 = std::hypot(a1, b1);
  const double c2 = std::hypot(a2, b2);
  const double c_mean = 0.5 * (c1 + c2);
  const double c_mean7 = std::pow(c_mean, 7.0);
  const double g = 0.5 * (1.0 - std::sqrt(c_mean7 / (c_mean7 + std::pow(25.0, 7.0))));
  const double a1p = (1.0 + g) * a1;
  const double a2p = (1.0 + g) * a2;
  const double c1p = std::hypot(a1p, b1);
  const double c2p = std::hypot(a2p, b2);
  const auto hue = [](double b, double ap) {
    if (b == 0.0 && ap == 0.0) return 0.0;
    const double h = Degrees(std::atan2(b, ap));
    return h < 0.0 ? h + 360.0 : h;
  };
  const double h1p = hue(b1, a1p);
  const double h2p = hue(b2, a2p);
  const double dl = l2 - l1;
  const double dc = c2p - c1p;
  double dh = 0.0;
  if (c1p * c2p != 0.0) {
    dh = h2p - h1p;
    if (dh > 180.0) dh -= 360.0;
    if (dh < -180.0) dh += 360.0;
  }
  const double d_big_h = 2.0 * std::sqrt(c1p * c2p) * std::sin(Radians(dh / 2.0));
  const double l_mean = 0.5 * (l1 + l2);
  const double cp_mean = 0.5 * (c1p + c2p);
  double h_mean = h1p + h2p;
  if (c1p * c2p != 0.0) {
    if (std::abs(h1p - h2p) <= 180.0) {
      h_mean = 0.5 * (h1p + h2p);
    } else if (h1p + h2p < 360.0) {
      h_mean = 0.5 * (h1p + h2p + 360.0);
    } else {
      h_mean = 0.5 * (h1p + h2p - 360.0);
    }
  }
  const double t = 1.0 - 0.17 * std::cos(Radians(h_mean - 30.0)) +
                   0.24 * std::cos(Radians(2.0 * h_mean)) +
                   0.32 * std::cos(Radians(3.0 * h_mean + 6.0)) -
                   0.20 * std::cos(Radians(4.0 * h_mean - 63.0));
  const double d_theta = 30.0 * std::exp(-std::pow((h_mean - 275.0) / 25.0, 2.0));
  const double cp_mean7 = std::pow(cp_mean, 7.0);
  const double rc = 2.0 * std::sqrt(cp_mean7 / (cp_mean7 + std::pow(25.0, 7.0)));
  const double sl = 1.0 + 0.015 * (l_mean - 50.0) * (l_mean - 50.0) /
                              std::sqrt(20.0 + (l_mean - 50.0) * (l_mean - 50.0));
  const double sc = 1.0 + 0.045 * cp_mean;
  const double sh = 1.0 + 0.015 * cp_mean * t;
  const double rt = -std::sin(Radians(2.0 * d_theta)) * rc;
  const double tl = dl / (static_cast<double>(kl) * sl);
  const double tc = dc / sc;
  const double th = d_big_h / sh;
  return static_cast<float>(std::sqrt(tl * tl + tc * tc + th * th + rt * tc * th));
}

}  // namespace affect::analysis
