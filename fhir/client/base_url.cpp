#include "client/base_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <algorithm>
#include <cctype>

namespace alliance::fhir::detail {

namespace {

bool is_host_name_character(char character) {
  const auto byte = static_cast<unsigned char>(character);
  return std::isalnum(byte) != 0 || character == '-' || character == '.' || character == '_';
}

std::string to_lower(std::string text) {
  for (char& character : text) character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
  return text;
}

struct Authority {
  std::string host;
  bool host_is_ip_address = false;
  std::string port;
  std::string host_in_url;  // with brackets around an IPv6 address, as in URLs
};

// The host and port of `url`, checked; `setting` names the setting in messages
// ("base_url"), `example` shows the expected form.
std::optional<Authority> authority_of(const boost::urls::url_view& url, const char* setting, const char* example,
                                      const char* default_port, std::string& error) {
  Authority authority;
  switch (url.host_type()) {
    case boost::urls::host_type::name:
      authority.host = to_lower(url.host_address());
      for (char character : authority.host) {
        if (!is_host_name_character(character)) {
          error = std::string(setting) + " has a host name with characters a DNS name cannot contain";
          return std::nullopt;
        }
      }
      break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      authority.host = url.host_address();
      authority.host_is_ip_address = true;
      break;
    default:
      break;
  }
  if (authority.host.empty()) {
    error = std::string(setting) + " has no host name; expected " + example;
    return std::nullopt;
  }

  if (url.has_port()) {
    // Checked here: port_number() wraps numbers above 65535 around instead of failing.
    const std::string_view port = url.port();
    unsigned long number = 0;
    for (char digit : port) {
      number = number * 10 + static_cast<unsigned long>(digit - '0');  // the grammar admits digits only
      if (number > 65535) break;
    }
    if (port.empty() || number == 0 || number > 65535) {
      error = std::string(setting) + " has a port that is not a number from 1 to 65535";
      return std::nullopt;
    }
    authority.port = std::to_string(number);
  } else {
    authority.port = default_port;
  }
  authority.host_in_url = url.host_type() == boost::urls::host_type::ipv6 ? "[" + authority.host + "]" : authority.host;
  return authority;
}

std::string base64(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  encoded.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t index = 0;
  for (; index + 2 < bytes.size(); index += 3) {
    const auto group = static_cast<unsigned>(static_cast<unsigned char>(bytes[index])) << 16 |
                       static_cast<unsigned>(static_cast<unsigned char>(bytes[index + 1])) << 8 |
                       static_cast<unsigned>(static_cast<unsigned char>(bytes[index + 2]));
    encoded += alphabet[group >> 18 & 63];
    encoded += alphabet[group >> 12 & 63];
    encoded += alphabet[group >> 6 & 63];
    encoded += alphabet[group & 63];
  }
  const std::size_t rest = bytes.size() - index;
  if (rest > 0) {
    auto group = static_cast<unsigned>(static_cast<unsigned char>(bytes[index])) << 16;
    if (rest == 2) group |= static_cast<unsigned>(static_cast<unsigned char>(bytes[index + 1])) << 8;
    encoded += alphabet[group >> 18 & 63];
    encoded += alphabet[group >> 12 & 63];
    encoded += rest == 2 ? alphabet[group >> 6 & 63] : '=';
    encoded += '=';
  }
  return encoded;
}

}  // namespace

std::optional<BaseUrl> parse_base_url(std::string_view text, std::string& error) {
  const auto parsed = boost::urls::parse_uri(boost::urls::string_view(text.data(), text.size()));
  if (!parsed) {
    error = "base_url is not a valid URL; expected https://host[:port][/path], e.g. https://ehr.example.org/fhir/R4";
    return std::nullopt;
  }
  const boost::urls::url_view& url = *parsed;

  if (url.scheme_id() == boost::urls::scheme::http) {
    error = "base_url uses http://, which is refused: health data never travels unencrypted; use https://";
    return std::nullopt;
  }
  if (url.scheme_id() != boost::urls::scheme::https) {
    error = "base_url must start with https:// (it starts with " + std::string(url.scheme()) + ":)";
    return std::nullopt;
  }
  if (url.has_userinfo()) {
    error = "base_url must not contain a user name or password (user@host); credentials are configured separately";
    return std::nullopt;
  }
  if (url.has_query() || url.has_fragment()) {
    error = "base_url must not contain a query (?...) or a fragment (#...)";
    return std::nullopt;
  }

  std::optional<Authority> authority =
      authority_of(url, "base_url", "https://host[:port][/path]", "443", error);
  if (!authority) return std::nullopt;
  BaseUrl base;
  base.host = std::move(authority->host);
  base.host_is_ip_address = authority->host_is_ip_address;
  base.port = std::move(authority->port);

  base.path = std::string(url.encoded_path());
  // Boost.URL 1.81 reads "https://host:8443x/fhir" as port 8443 and path "x/fhir"; a
  // request target must start with '/', so that is a typo, not a base URL.
  if (!base.path.empty() && base.path.front() != '/') {
    error = "base_url is not a valid URL (the port must be followed by '/' or nothing); expected "
            "https://host[:port][/path], e.g. https://ehr.example.org/fhir/R4";
    return std::nullopt;
  }
  while (!base.path.empty() && base.path.back() == '/') base.path.pop_back();

  // Brackets around an IPv6 address in the Host header and in messages, as in URLs.
  const std::string& host_in_url = authority->host_in_url;
  base.host_header = base.port == "443" ? host_in_url : host_in_url + ":" + base.port;
  base.server = host_in_url + ":" + base.port;
  return base;
}

std::optional<ProxyUrl> parse_proxy_url(std::string_view text, std::string_view username, std::string_view password,
                                        std::string& error) {
  const auto parsed = boost::urls::parse_uri(boost::urls::string_view(text.data(), text.size()));
  if (!parsed) {
    error = "proxy_url is not a valid URL; expected http://host[:port], e.g. http://proxy.example.org:3128";
    return std::nullopt;
  }
  const boost::urls::url_view& url = *parsed;
  if (url.scheme_id() == boost::urls::scheme::https) {
    error = "proxy_url uses https://, which is not supported: give the proxy as http://host[:port] (the CONNECT "
            "request to the proxy names only the server's host and port; the TLS session with the server runs "
            "through the tunnel end to end)";
    return std::nullopt;
  }
  if (url.scheme_id() != boost::urls::scheme::http) {
    error = "proxy_url must start with http:// (it starts with " + std::string(url.scheme()) + ":)";
    return std::nullopt;
  }
  if (url.has_userinfo()) {
    error = "proxy_url must not contain a user name or password (user@host); set proxy_username and proxy_password";
    return std::nullopt;
  }
  if (url.has_query() || url.has_fragment() || (!url.encoded_path().empty() && url.encoded_path() != "/")) {
    error = "proxy_url must be http://host[:port] only, without a path, query or fragment";
    return std::nullopt;
  }
  std::optional<Authority> authority = authority_of(url, "proxy_url", "http://host[:port]", "80", error);
  if (!authority) return std::nullopt;

  if (username.empty() && !password.empty()) {
    error = "proxy_password is set but proxy_username is not";
    return std::nullopt;
  }
  // RFC 7617: the user-id of Basic authentication cannot contain a colon, and neither
  // part may contain control characters.
  if (username.find(':') != std::string_view::npos) {
    error = "proxy_username must not contain ':'";
    return std::nullopt;
  }
  const auto has_control_character = [](std::string_view value) {
    return std::any_of(value.begin(), value.end(), [](char character) {
      const auto byte = static_cast<unsigned char>(character);
      return byte < 0x20 || byte == 0x7f;
    });
  };
  if (has_control_character(username) || has_control_character(password)) {
    error = "proxy_username and proxy_password must not contain control characters";
    return std::nullopt;
  }

  ProxyUrl proxy;
  proxy.host = std::move(authority->host);
  proxy.host_is_ip_address = authority->host_is_ip_address;
  proxy.port = std::move(authority->port);
  proxy.server = authority->host_in_url + ":" + proxy.port;
  if (!username.empty()) {
    std::string credentials(username);
    credentials.append(":").append(password);
    proxy.authorization = "Basic " + base64(credentials);
  }
  return proxy;
}

std::string join_target(const BaseUrl& base_url, std::string_view relative_target) {
  while (!relative_target.empty() && relative_target.front() == '/') relative_target.remove_prefix(1);
  std::string target = base_url.path;
  if (relative_target.empty()) return target.empty() ? "/" : target;
  if (relative_target.front() == '?') {
    if (target.empty()) target = "/";
  } else {
    target += '/';
  }
  target += relative_target;
  return target;
}

}  // namespace alliance::fhir::detail
