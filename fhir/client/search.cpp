#include "client/search.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>
#include <algorithm>
#include <cctype>

namespace alliance::fhir {

namespace {

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& character : result) character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
  return result;
}

std::string port_or_default(const boost::urls::url_view& url) {
  return url.has_port() ? std::string(url.port()) : std::string("443");
}

}  // namespace

std::string search_target(std::string_view resource_type,
                          const std::vector<std::pair<std::string, std::string>>& parameters) {
  boost::urls::url target;
  target.set_path(resource_type);
  for (const auto& [name, value] : parameters) target.params().append({name, value});
  return std::string(target.buffer());
}

std::string search_target_of_query(std::string_view resource_type, std::string_view query) {
  std::vector<std::pair<std::string, std::string>> parameters;
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (const size_t equals = pair.find('='); equals != std::string_view::npos) {
      parameters.emplace_back(pair.substr(0, equals), pair.substr(equals + 1));
    }
  }
  return search_target(resource_type, parameters);
}

std::string next_page_target(const std::string& base_url, const std::string& next_url) {
  const auto base = boost::urls::parse_uri(base_url);
  const auto next = boost::urls::parse_uri(next_url);
  if (!base || !next) return {};
  if (base->scheme_id() != boost::urls::scheme::https || next->scheme_id() != boost::urls::scheme::https) return {};
  if (next->has_userinfo()) return {};
  if (lower(base->encoded_host()) != lower(next->encoded_host()) || port_or_default(*base) != port_or_default(*next)) {
    return {};
  }
  std::string base_path(base->encoded_path());
  while (!base_path.empty() && base_path.back() == '/') base_path.pop_back();
  const std::string path(next->encoded_path());
  std::string relative;
  if (path == base_path || path == base_path + "/") {
    relative.clear();
  } else if (path.rfind(base_path + "/", 0) == 0) {
    relative = path.substr(base_path.size() + 1);
  } else {
    return {};
  }
  if (next->has_query()) relative += "?" + std::string(next->encoded_query());
  // "" would be the base itself without a query: no search, so no page.
  return relative;
}

std::string encode_query_value(std::string_view value) {
  static const char* const hex = "0123456789ABCDEF";
  std::string encoded;
  for (const char character : value) {
    const auto byte = static_cast<unsigned char>(character);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9') || byte == '-' ||
        byte == '.' || byte == '_' || byte == '~') {
      encoded += character;
    } else {
      encoded += '%';
      encoded += hex[byte >> 4];
      encoded += hex[byte & 0x0F];
    }
  }
  return encoded;
}

}  // namespace alliance::fhir
