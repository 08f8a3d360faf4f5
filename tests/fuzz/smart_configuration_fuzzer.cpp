// parse_smart_configuration (fhir/auth/smart_configuration.cpp): a FHIR server's
// .well-known/smart-configuration document. The first byte picks the client's
// signing algorithm.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "auth/smart_configuration.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto algorithm =
      data[0] % 2 == 0 ? alliance::fhir::auth::SigningAlgorithm::rs384 : alliance::fhir::auth::SigningAlgorithm::es384;
  const std::string_view document(reinterpret_cast<const char*>(data + 1), size - 1);
  const alliance::fhir::auth::SmartConfigurationResult result =
      alliance::fhir::auth::parse_smart_configuration(document, algorithm);
  if (result.configuration) {
    // Tokens only ever go to an https:// endpoint.
    const std::string& endpoint = result.configuration->token_endpoint;
    FUZZ_CHECK(endpoint.size() > 8);
    FUZZ_CHECK(result.error.empty());
  } else {
    FUZZ_CHECK(!result.error.empty());
  }
  return 0;
}
