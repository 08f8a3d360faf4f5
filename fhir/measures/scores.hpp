// Scores are kept as whole tenths of a point (0 to 100 per item, 0 to 400 per total).
// A mark on a 10 cm line is read to one decimal, so tenths are exact: no floating
// point rounding can move a total across a cutoff.
#pragma once

#include <optional>
#include <string>

namespace alliance {

using Tenths = int;

constexpr Tenths kItemMaximumTenths = 100;

// "27.3", "-5.0", "+5.0" (with_sign) for display and for JSON text.
std::string format_tenths(Tenths value, bool with_sign = false);

// A score as a JSON-friendly number (27.3).
double tenths_to_points(Tenths value);

}  // namespace alliance
