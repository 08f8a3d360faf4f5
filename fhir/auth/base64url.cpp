#include "auth/base64url.hpp"

#include <array>
#include <cstdint>

namespace alliance::fhir::auth {

namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The value of a base64url character, or -1.
int value_of(char character) {
  if (character >= 'A' && character <= 'Z') return character - 'A';
  if (character >= 'a' && character <= 'z') return character - 'a' + 26;
  if (character >= '0' && character <= '9') return character - '0' + 52;
  if (character == '-') return 62;
  if (character == '_') return 63;
  return -1;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t index = 0;
  for (; index + 3 <= bytes.size(); index += 3) {
    const std::uint32_t group = (std::uint32_t{static_cast<unsigned char>(bytes[index])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(bytes[index + 1])} << 8) |
                                std::uint32_t{static_cast<unsigned char>(bytes[index + 2])};
    text += alphabet[(group >> 18) & 0x3f];
    text += alphabet[(group >> 12) & 0x3f];
    text += alphabet[(group >> 6) & 0x3f];
    text += alphabet[group & 0x3f];
  }
  const std::size_t rest = bytes.size() - index;
  if (rest == 1) {
    const std::uint32_t group = std::uint32_t{static_cast<unsigned char>(bytes[index])} << 16;
    text += alphabet[(group >> 18) & 0x3f];
    text += alphabet[(group >> 12) & 0x3f];
  } else if (rest == 2) {
    const std::uint32_t group = (std::uint32_t{static_cast<unsigned char>(bytes[index])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(bytes[index + 1])} << 8);
    text += alphabet[(group >> 18) & 0x3f];
    text += alphabet[(group >> 12) & 0x3f];
    text += alphabet[(group >> 6) & 0x3f];
  }
  return text;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;  // no byte count encodes to this length
  std::string bytes;
  bytes.reserve(text.size() * 3 / 4);
  std::uint32_t group = 0;
  int bits = 0;
  for (char character : text) {
    const int value = value_of(character);
    if (value < 0) return std::nullopt;
    group = ((group << 6) | static_cast<std::uint32_t>(value)) & 0xffffffu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((group >> bits) & 0xff);
    }
  }
  return bytes;
}

}  // namespace alliance::fhir::auth
