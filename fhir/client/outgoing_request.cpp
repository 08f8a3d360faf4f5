#include "client/outgoing_request.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#ifndef ALLIANCE_VERSION
#error "ALLIANCE_VERSION must be defined by the build (the project's version)"
#endif

namespace alliance::fhir::detail {

namespace {

bool equal_ignoring_case(std::string_view left, std::string_view right) {
  return left.size() == right.size() && std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

// Headers that frame the message or the connection: the client sets them itself,
// and a caller's value could split the request or desynchronise the connection.
constexpr std::array<std::string_view, 10> managed_header_names{
    "host",    "content-length", "transfer-encoding", "connection",       "keep-alive",
    "upgrade", "te",             "trailer",           "proxy-connection", "expect"};

bool is_managed_header(std::string_view name) {
  return std::any_of(managed_header_names.begin(), managed_header_names.end(),
                     [name](std::string_view managed) { return equal_ignoring_case(name, managed); });
}

// RFC 9110 token characters.
bool is_token_character(char character) {
  const auto byte = static_cast<unsigned char>(character);
  if (std::isalnum(byte) != 0) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(character) != std::string_view::npos;
}

bool is_valid_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_token_character);
}

// Visible ASCII, spaces and tabs, and bytes of UTF-8; never CR, LF or other controls,
// which would end the header early and let the value inject headers of its own.
bool is_valid_header_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char character) {
    const auto byte = static_cast<unsigned char>(character);
    return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
  });
}

// Anything that would break the request line (spaces, controls), a fragment (never
// sent to a server) or raw non-ASCII bytes (they must be percent-encoded).
bool is_valid_target(std::string_view target) {
  return std::all_of(target.begin(), target.end(), [](char character) {
    const auto byte = static_cast<unsigned char>(character);
    return byte > 0x20 && byte < 0x7f && character != '#';
  });
}

// "." and ".." segments (also percent-encoded) would let a relative target climb
// out of the base path once the server normalises it.
bool has_dot_segment(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view raw = path.substr(start, end - start);
    std::string segment;  // with %2E decoded
    for (std::size_t index = 0; index < raw.size(); ++index) {
      if (raw[index] == '%' && index + 2 < raw.size() && raw[index + 1] == '2' &&
          (raw[index + 2] == 'e' || raw[index + 2] == 'E')) {
        segment += '.';
        index += 2;
      } else {
        segment += raw[index];
      }
    }
    if (segment == "." || segment == "..") return true;
    start = end + 1;
  }
  return false;
}

void set_header(std::vector<HttpHeader>& headers, HttpHeader header) {
  auto existing = std::find_if(headers.begin(), headers.end(),
                               [&header](const HttpHeader& present) { return equal_ignoring_case(present.name, header.name); });
  if (existing != headers.end()) {
    existing->value = std::move(header.value);
  } else {
    headers.push_back(std::move(header));
  }
}

HttpResult failure_of(HttpErrorKind kind, std::string message) {
  HttpResult result;
  result.error = kind;
  result.message = std::move(message);
  return result;
}

}  // namespace

std::string user_agent() { return std::string("alliance/") + ALLIANCE_VERSION; }

std::optional<OutgoingRequest> prepare_request(HttpRequest request, const BaseUrl& base_url, HttpResult& failure) {
  // The messages name the problem, never the target or a header value (PHI, secrets).
  if (!is_valid_target(request.target)) {
    failure = failure_of(HttpErrorKind::invalid_url,
                         "the request target contains a space, a control character, '#' or a byte that is "
                         "not percent-encoded");
    return std::nullopt;
  }
  if (has_dot_segment(request.target)) {
    failure = failure_of(HttpErrorKind::invalid_url, "the request target contains a '.' or '..' path segment");
    return std::nullopt;
  }

  OutgoingRequest outgoing;
  outgoing.method = request.method;
  outgoing.target = join_target(base_url, request.target);
  outgoing.body = std::move(request.body);
  outgoing.headers.push_back({"Host", base_url.host_header});
  outgoing.headers.push_back({"User-Agent", user_agent()});
  outgoing.headers.push_back({"Accept", fhir_json_media_type});
  if (outgoing.method != HttpMethod::get || !outgoing.body.empty()) {
    outgoing.headers.push_back({"Content-Type", fhir_json_media_type});
  }

  for (HttpHeader& header : request.extra_headers) {
    if (!is_valid_header_name(header.name)) {
      failure = failure_of(HttpErrorKind::invalid_request, "an extra request header has a name that is not a valid HTTP token");
      return std::nullopt;
    }
    if (is_managed_header(header.name)) {
      failure = failure_of(HttpErrorKind::invalid_request,
                           "the extra request header " + header.name + " is managed by the HTTPS client itself");
      return std::nullopt;
    }
    if (!is_valid_header_value(header.value)) {
      failure = failure_of(HttpErrorKind::invalid_request,
                           "the value of the extra request header " + header.name + " contains a line break or control character");
      return std::nullopt;
    }
    set_header(outgoing.headers, std::move(header));
  }
  return outgoing;
}

}  // namespace alliance::fhir::detail
