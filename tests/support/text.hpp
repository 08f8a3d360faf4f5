// Small text checks the tests share (each test file had its own copy, which a unity
// batch of test files cannot hold twice).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace alliance::testing {

inline bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// One entry per line, for a check's message.
inline std::string joined(const std::vector<std::string>& entries) {
  std::string text;
  for (const std::string& entry : entries) text += entry + "\n";
  return text;
}

}  // namespace alliance::testing
