#include "alliancectl/terminal_text.hpp"

#include <cstdint>

namespace alliance::control {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void append_byte_escape(std::string& out, unsigned char byte) {
  out += "\\x";
  out += kHexDigits[byte >> 4];
  out += kHexDigits[byte & 0x0F];
}

void append_code_point_escape(std::string& out, std::uint32_t code_point) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHexDigits[(code_point >> shift) & 0x0F];
}

// The length of the well-formed UTF-8 sequence at `at` (2 to 4) and its code point, or
// 0 when the bytes there are not one (a stray continuation byte, a truncated sequence,
// an overlong form, a surrogate, or beyond U+10FFFF).
std::size_t utf8_sequence(std::string_view text, std::size_t at, std::uint32_t& code_point) {
  const auto lead = static_cast<unsigned char>(text[at]);
  std::size_t length = 0;
  std::uint32_t minimum = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, minimum = 0x80, code_point = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, minimum = 0x800, code_point = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, minimum = 0x10000, code_point = lead & 0x07u;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  for (std::size_t index = 1; index < length; ++index) {
    const auto next = static_cast<unsigned char>(text[at + index]);
    if ((next & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3Fu);
  }
  if (code_point < minimum || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) return 0;
  return length;
}

bool reorders_or_controls(std::uint32_t code_point) {
  return (code_point >= 0x80 && code_point <= 0x9F) || (code_point >= 0x202A && code_point <= 0x202E) ||
         (code_point >= 0x2066 && code_point <= 0x2069);
}

}  // namespace

std::string terminal_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  while (at < text.size()) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte >= 0x20 && byte < 0x7F) {
      if (byte == '\\') out += '\\';
      out += static_cast<char>(byte);
      ++at;
      continue;
    }
    if (byte < 0x80) {
      if (byte == '\n') out += "\\n";
      else if (byte == '\r') out += "\\r";
      else if (byte == '\t') out += "\\t";
      else append_byte_escape(out, byte);  // the other C0 controls and DEL
      ++at;
      continue;
    }
    std::uint32_t code_point = 0;
    const std::size_t length = utf8_sequence(text, at, code_point);
    if (length == 0) {
      append_byte_escape(out, byte);
      ++at;
    } else if (reorders_or_controls(code_point)) {
      append_code_point_escape(out, code_point);
      at += length;
    } else {
      out.append(text.substr(at, length));
      at += length;
    }
  }
  return out;
}

}  // namespace alliance::control
