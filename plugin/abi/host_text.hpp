// Text from the host, made safe before anything else reads it. The ABI says host
// strings are UTF-8, but a host is untrusted: a byte sequence that is not UTF-8 makes
// every later JSON document that carries it fail to serialize, far from the hook that
// let it in. These checks run at the boundary (session_details.cpp), where the header
// says what happens to each field.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace alliance {

// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) at the start of `text`, or 0 if there is none.
std::size_t utf8_sequence_length(std::string_view text);

// True when all of `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

struct RepairedText {
  std::string text;
  bool replaced = false;  // a byte that was not UTF-8 (or a NUL) became U+FFFD
  bool cut = false;       // `raw` did not fit: the text ends at the last whole character that did
};

// `raw` as valid UTF-8 of at most `maximum_bytes` bytes: every byte that does not begin
// a well-formed sequence, and every NUL, becomes U+FFFD (one per byte, as the WHATWG
// decoder gives for a lone byte), and the text stops before the first character that
// would not fit whole. Reads no more of `raw` than it keeps, so a huge host string
// costs no more than a short one.
RepairedText repair_text(std::string_view raw, std::size_t maximum_bytes);

}  // namespace alliance
