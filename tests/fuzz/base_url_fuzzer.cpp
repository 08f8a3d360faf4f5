// parse_base_url and parse_proxy_url (fhir/client/base_url.cpp): fhir.base_url and
// fhir.proxy.url from the configuration; they name the hosts the plugin connects to.
// The input is "url\nusername\npassword" (missing parts are empty).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "client/base_url.hpp"
#include "fuzz_check.hpp"

namespace {

// The part up to the next newline; `rest` moves past it.
std::string_view next_line(std::string_view& rest) {
  const std::size_t end = std::min(rest.find('\n'), rest.size());
  const std::string_view line = rest.substr(0, end);
  rest.remove_prefix(std::min(end + 1, rest.size()));
  return line;
}

void check_port(const std::string& port) {
  FUZZ_CHECK(!port.empty() && port.size() <= 5);
  const unsigned long number = std::stoul(port);
  FUZZ_CHECK(number >= 1 && number <= 65535);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view url = next_line(rest);
  const std::string_view username = next_line(rest);
  const std::string_view password = rest;
  namespace client = alliance::fhir::detail;

  std::string error;
  if (const auto base = client::parse_base_url(url, error)) {
    FUZZ_CHECK(!base->host.empty());
    check_port(base->port);
    FUZZ_CHECK(base->path.empty() || base->path.back() != '/');
    FUZZ_CHECK(client::join_target(*base, "Observation?x=1").front() == '/');
  } else {
    FUZZ_CHECK(!error.empty());
  }
  error.clear();
  if (const auto proxy = client::parse_proxy_url(url, username, password, error)) {
    FUZZ_CHECK(!proxy->host.empty());
    check_port(proxy->port);
  } else {
    FUZZ_CHECK(!error.empty());
  }
  return 0;
}
