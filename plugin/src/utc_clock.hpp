#pragma once

#include <string>

namespace alliance {

// The current time as RFC 3339 UTC with milliseconds ("2026-11-02T15:04:05.123Z").
// Fixed width, so the store can order by it as text.
std::string utc_now();

}  // namespace alliance
