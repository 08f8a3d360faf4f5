// check_participant_token (sdk-stubs/janus-host/participant_token.cpp): what a page
// presents on its Alliance handle in Janus. A forger cannot make a MAC, so each input is
// read twice: as a token as it came (the shape and the signature), and as a payload the
// backend signed (the JSON reading behind the signature).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "participant_token.hpp"

namespace {
constexpr std::string_view kSecret = "the-fuzzer's-secret-of-thirty-two-bytes-or-more";
constexpr std::int64_t kNow = 1'800'000'000;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Unsigned by us: never believed.
  janus_host::TokenCheck forged = janus_host::check_participant_token(text, kSecret, kNow, 300);
  FUZZ_CHECK(!forged.claims.has_value() || text.find('.') != std::string_view::npos);
  FUZZ_CHECK(forged.claims.has_value() == forged.error.empty());

  janus_host::TokenCheck signed_check =
      janus_host::check_participant_token(janus_host::sign_participant_token(text, kSecret), kSecret, kNow, 300);
  if (signed_check.claims) {
    // What a good token promises the directory: every required claim, and alive.
    FUZZ_CHECK(!signed_check.claims->room.empty() && !signed_check.claims->feed.empty());
    FUZZ_CHECK(!signed_check.claims->session.empty() && !signed_check.claims->participant.empty());
    FUZZ_CHECK(signed_check.claims->expires > kNow && signed_check.claims->expires <= kNow + 300);
    FUZZ_CHECK(signed_check.claims->age_years >= -1 && signed_check.claims->age_years <= 150);
    FUZZ_CHECK(text.find('\0') == std::string_view::npos);
  } else {
    FUZZ_CHECK(signed_check.error == "invalid_token" || signed_check.error == "expired_token");
    FUZZ_CHECK(!signed_check.reason.empty());
  }
  return 0;
}
