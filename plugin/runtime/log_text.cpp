#include "runtime/log_text.hpp"

namespace alliance {

std::string log_value(std::string_view text) {
  std::string value = "\"";
  const bool cut = text.size() > kLogTextLimit;
  if (cut) {
    text = text.substr(0, kLogTextLimit);
    // Do not leave half of a UTF-8 sequence at the cut: drop continuation bytes and
    // the lead byte they belong to.
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.remove_suffix(1);
    if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.remove_suffix(1);
  }
  for (const char character : text) {
    const auto byte = static_cast<unsigned char>(character);
    if (character == '"') {
      value += '\'';
    } else if (byte < 0x20 || byte == 0x7F) {
      value += ' ';
    } else {
      value += character;
    }
  }
  if (cut) value += "...";
  value += '"';
  return value;
}

bool repeat_worth_logging(long long count) {
  if (count <= 3) return true;
  while (count % 10 == 0) count /= 10;
  return count == 1;
}

}  // namespace alliance
