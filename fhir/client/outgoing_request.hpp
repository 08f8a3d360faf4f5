// A request as it goes on the wire: absolute target, every header, body. Building it
// checks what the caller gave (target, extra headers) before any connection is made.
// Internal to the HTTPS client.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "client/base_url.hpp"
#include "client/https_client.hpp"

namespace alliance::fhir::detail {

struct OutgoingRequest {
  HttpMethod method = HttpMethod::get;
  std::string target;                // "/fhir/R4/Observation?subject=Patient/1"
  std::vector<HttpHeader> headers;   // Host first; Content-Length is added when sent
  std::string body;
};

// The FHIR JSON media type, for both Accept and Content-Type.
inline constexpr const char* fhir_json_media_type = "application/fhir+json";

// Returns the request to send, or nothing with `failure` set (invalid_url for a target
// that cannot be part of a URL, invalid_request for an extra header).
std::optional<OutgoingRequest> prepare_request(HttpRequest request, const BaseUrl& base_url, HttpResult& failure);

// "alliance/<version>".
std::string user_agent();

}  // namespace alliance::fhir::detail
