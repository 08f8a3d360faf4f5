// An administration as JSON text: the plaintext of the store's sealed payload.
#pragma once

#include <optional>
#include <string>

#include "measures/administration.hpp"

namespace alliance {

std::string encode_administration(const Administration& administration);
// Nothing when the text is not an encoded administration.
std::optional<Administration> decode_administration(const std::string& text);

}  // namespace alliance
