// The FHIR server's base URL and the optional proxy's URL, checked and taken apart
// once, when the client is made. Internal to the HTTPS client.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace alliance::fhir::detail {

struct BaseUrl {
  std::string host;               // a DNS name (lower case) or an IP address without brackets
  bool host_is_ip_address = false;
  std::string port;               // "443" unless the URL names another
  std::string path;               // "/fhir/R4"; "" for the server's root; never ends with '/'
  std::string host_header;        // the Host header: "ehr.example.org" or "localhost:8443"
  std::string server;             // "host:port", how messages name the server
};

// Accepts https://host[:port][/path] only. On failure returns nothing and says why in
// `error`, in words for clinic IT (without echoing the URL: it might hold a password).
std::optional<BaseUrl> parse_base_url(std::string_view text, std::string& error);

// An HTTP proxy for CONNECT tunnels, from proxy_url, proxy_username, proxy_password.
struct ProxyUrl {
  std::string host;               // a DNS name (lower case) or an IP address without brackets
  bool host_is_ip_address = false;
  std::string port;               // "80" unless the URL names another
  std::string server;             // "host:port", how messages name the proxy
  // "Basic <base64 of user:password>" when a user name is set, else empty. A
  // credential: never logged, never put into a message.
  std::string authorization;
};

// Accepts http://host[:port] with at most a "/" for a path. On failure returns nothing
// and says why in `error`, never echoing the URL or the credentials.
std::optional<ProxyUrl> parse_proxy_url(std::string_view text, std::string_view username, std::string_view password,
                                        std::string& error);

// The request target for a target relative to the base URL: "" -> "/fhir/R4",
// "Observation?x=1" -> "/fhir/R4/Observation?x=1", "?x=1" -> "/fhir/R4?x=1".
std::string join_target(const BaseUrl& base_url, std::string_view relative_target);

}  // namespace alliance::fhir::detail
