#include "base_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
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

  BaseUrl base;
  switch (url.host_type()) {
    case boost::urls::host_type::name:
      base.host = to_lower(url.host_address());
      for (char character : base.host) {
        if (!is_host_name_character(character)) {
          error = "base_url has a host name with characters a DNS name cannot contain";
          return std::nullopt;
        }
      }
      break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      base.host = url.host_address();
      base.host_is_ip_address = true;
      break;
    default:
      break;
  }
  if (base.host.empty()) {
    error = "base_url has no host name; expected https://host[:port][/path]";
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
      error = "base_url has a port that is not a number from 1 to 65535";
      return std::nullopt;
    }
    base.port = std::to_string(number);
  } else {
    base.port = "443";
  }

  base.path = std::string(url.encoded_path());
  while (!base.path.empty() && base.path.back() == '/') base.path.pop_back();

  // Brackets around an IPv6 address in the Host header and in messages, as in URLs.
  const std::string host_in_url = url.host_type() == boost::urls::host_type::ipv6 ? "[" + base.host + "]" : base.host;
  base.host_header = base.port == "443" ? host_in_url : host_in_url + ":" + base.port;
  base.server = host_in_url + ":" + base.port;
  return base;
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
