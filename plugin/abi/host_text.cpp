#include "abi/host_text.hpp"

#include <algorithm>

namespace alliance {

namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

std::size_t utf8_sequence_length(std::string_view text) {
  if (text.empty()) return 0;
  const auto byte = [&](std::size_t index) { return static_cast<unsigned char>(text[index]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  // The allowed range of the second byte narrows for E0, ED, F0 and F4 (Unicode's
  // table 3-7): that is what excludes overlong forms, surrogates and > U+10FFFF.
  std::size_t length = 0;
  unsigned char second_low = 0x80;
  unsigned char second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;
    if (lead == 0xED) second_high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < second_low || byte(1) > second_high) return 0;
  for (std::size_t index = 2; index < length; ++index) {
    if (!is_continuation(byte(index))) return 0;
  }
  return length;
}

bool is_valid_utf8(std::string_view text) {
  while (!text.empty()) {
    const std::size_t length = utf8_sequence_length(text);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

RepairedText repair_text(std::string_view raw, std::size_t maximum_bytes) {
  RepairedText repaired;
  repaired.text.reserve(std::min(raw.size(), maximum_bytes));
  while (!raw.empty()) {
    const std::size_t length = utf8_sequence_length(raw);
    const bool bad = length == 0 || raw.front() == '\0';
    const std::string_view piece = bad ? kReplacementCharacter : raw.substr(0, length);
    if (repaired.text.size() + piece.size() > maximum_bytes) {
      repaired.cut = true;
      break;
    }
    repaired.text += piece;
    repaired.replaced = repaired.replaced || bad;
    raw.remove_prefix(bad ? 1 : length);
  }
  return repaired;
}

}  // namespace alliance
