// read_token_response (fhir/auth/token_response.cpp): a SMART token endpoint's answer.
// The first byte picks the HTTP status the body came with.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "auth/token_response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr int statuses[] = {200, 400, 401, 403, 408, 429, 500, 503};
  const int status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  alliance::fhir::auth::TokenRequestContext context;
  context.client_id = "alliance-plugin";
  context.key_id = "key-1";
  context.scopes = "system/Observation.c system/QuestionnaireResponse.c";
  context.scopes_supported = {"system/*.c", "system/Observation.rs"};
  const alliance::fhir::auth::TokenResponseReading reading =
      alliance::fhir::auth::read_token_response(status, body, context);
  if (reading.grant) {
    FUZZ_CHECK(status == 200);
    FUZZ_CHECK(!reading.grant->access_token.empty() && reading.grant->access_token.size() <= 16 * 1024);
    FUZZ_CHECK(reading.grant->lifetime.count() >= 1 &&
               reading.grant->lifetime <= alliance::fhir::auth::longest_token_lifetime);
  } else {
    FUZZ_CHECK(!reading.error.empty());
  }
  return 0;
}
