// Turns a failed network step into an error kind and a message clinic IT can act on,
// and recognises the failures that mean "the server had already closed this
// kept-alive connection". Internal to the HTTPS client.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "client/https_client.hpp"

namespace boost::system {
class error_code;
}

namespace alliance::fhir::detail {

enum class TransportStep { resolve, connect, tls_handshake, write, read };

struct StepOutcome {
  HttpErrorKind error = HttpErrorKind::none;
  std::string message;
  // The server closed or reset the connection before sending any byte of a response:
  // on a reused connection this is a stale keep-alive, safe to retry once.
  bool closed_before_response = false;
};

struct FailureContext {
  std::string server;  // "host:port", or "the proxy host:port" for the steps that reach the proxy
  const char* url_setting = "base_url";  // the setting that names `server` ("proxy_url"), for hints
  std::chrono::milliseconds step_timeout{};
  std::size_t response_limit_bytes = 0;
  std::size_t header_limit_bytes = 0;
  // OpenSSL's reason for refusing the server's certificate ("unable to get local
  // issuer certificate", "hostname mismatch"), when it refused it.
  std::string certificate_problem;
  bool response_started = false;  // some bytes of the response had arrived
};

StepOutcome describe_failure(TransportStep step, const boost::system::error_code& error, const FailureContext& context);

StepOutcome cancelled_outcome();

// Opening a tunnel through the proxy: sending CONNECT (TransportStep::write) or reading
// the proxy's answer (TransportStep::read) failed. `context.server` names the proxy.
StepOutcome describe_proxy_failure(TransportStep step, const boost::system::error_code& error,
                                   const FailureContext& context);

// The proxy answered CONNECT with `status` (not 2xx) instead of opening the tunnel to
// `server`. `credentials_set`: proxy_username was configured.
StepOutcome describe_proxy_refusal(unsigned status, const std::string& proxy, const std::string& server,
                                   bool credentials_set);

}  // namespace alliance::fhir::detail
