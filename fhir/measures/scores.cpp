#include "measures/scores.hpp"

#include <cstdlib>

namespace alliance {

std::string format_tenths(Tenths value, bool with_sign) {
  std::string text;
  if (value < 0) {
    text = "-";
  } else if (with_sign) {
    text = "+";
  }
  const int magnitude = std::abs(value);
  text += std::to_string(magnitude / 10);
  text += '.';
  text += std::to_string(magnitude % 10);
  return text;
}

double tenths_to_points(Tenths value) { return static_cast<double>(value) / 10.0; }

}  // namespace alliance
