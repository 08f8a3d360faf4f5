#include "auth/token_response.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "reading/json_reader.hpp"
#include "auth/smart_configuration.hpp"

namespace alliance::fhir::auth {

namespace {

constexpr std::size_t response_limit_bytes = 256 * 1024;
constexpr std::size_t access_token_limit = 16 * 1024;
constexpr std::size_t credential_like_run = 40;

bool equal_ignoring_case(std::string_view left, std::string_view right) {
  return left.size() == right.size() && std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

bool is_unreserved(char character) {
  return std::isalnum(static_cast<unsigned char>(character)) != 0 || character == '-' || character == '.' ||
         character == '_' || character == '~';
}

// RFC 6749 appendix A.4: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
bool is_scope_character(char character) {
  const auto byte = static_cast<unsigned char>(character);
  return byte >= 0x21 && byte <= 0x7e && character != '"' && character != '\\';
}

// Characters of base64, base64url, JWTs and hex: a long run of them may be a token or
// an assertion that a server echoed back.
bool is_token_character(char character) {
  return std::isalnum(static_cast<unsigned char>(character)) != 0 || character == '-' || character == '_' ||
         character == '.' || character == '~' || character == '+' || character == '/' || character == '=';
}

bool has_credential_like_run(std::string_view text) {
  std::size_t run = 0;
  for (char character : text) {
    run = is_token_character(character) ? run + 1 : 0;
    if (run >= credential_like_run) return true;
  }
  return false;
}

TokenResponseReading failure(TokenErrorKind kind, std::string error, bool permanent) {
  TokenResponseReading reading;
  reading.kind = kind;
  reading.error = std::move(error);
  reading.permanent = permanent;
  return reading;
}

std::string quoted_list(const std::vector<std::string>& list) {
  std::string text;
  for (const std::string& entry : list) {
    if (!text.empty()) text += " ";
    text += entry;
  }
  return printable(text);
}

// expires_in as seconds, or nothing when it is there but no positive number.
std::optional<std::chrono::seconds> read_lifetime(const nlohmann::json& response) {
  const auto found = response.find("expires_in");
  if (found == response.end() || found->is_null()) return default_token_lifetime;
  double seconds = 0;
  if (found->is_number()) {
    seconds = found->get<double>();
  } else if (found->is_string()) {
    const std::string& text = found->get_ref<const std::string&>();
    if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char character) {
          return std::isdigit(static_cast<unsigned char>(character)) != 0;
        })) {
      return std::nullopt;
    }
    seconds = std::stod(text);
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(seconds) || seconds < 1) return std::nullopt;
  if (seconds > static_cast<double>(longest_token_lifetime.count())) return longest_token_lifetime;
  return std::chrono::seconds(static_cast<long long>(std::floor(seconds)));
}

// `scope` of a 200 answer. An unreadable one leaves the token usable: it works or not on
// the FHIR server whatever this field says, and only a report of the grant needs it.
GrantedScopes read_granted_scopes(const nlohmann::json& response) {
  GrantedScopes granted;
  const auto found = response.find("scope");
  if (found == response.end() || found->is_null()) return granted;
  granted.state = GrantedScopesState::unreadable;
  if (!found->is_string()) return granted;
  const std::string& text = found->get_ref<const std::string&>();
  if (text.size() > granted_scopes_limit_bytes) return granted;
  // Empty or blank is read as it says, no scopes granted, rather than as "as requested":
  // a report that wrongly says "nothing" is checked; one that wrongly says "all" is not.
  if (text.find_first_not_of(" \t") == std::string::npos) {
    granted.state = GrantedScopesState::listed;
    return granted;
  }
  const std::optional<std::string> normalized = normalize_scopes(text);
  if (!normalized) return granted;
  granted.state = GrantedScopesState::listed;
  granted.scopes = split_scopes(*normalized);
  return granted;
}

TokenResponseReading read_grant(std::string_view body) {
  JsonReading document = read_json(body, JsonLimits{response_limit_bytes, kServerAnswerMaximumDepth, false});
  if (!document.ok()) {
    return failure(TokenErrorKind::invalid_response,
                   "the token endpoint's answer (HTTP 200) is not usable JSON: " + document.error, false);
  }
  const nlohmann::json response = std::move(document.value);
  if (!response.is_object()) {
    return failure(TokenErrorKind::invalid_response, "the token endpoint's answer (HTTP 200) is not a JSON object", false);
  }
  const auto token = response.find("access_token");
  if (token == response.end() || !token->is_string()) {
    return failure(TokenErrorKind::invalid_response, "the token endpoint's answer (HTTP 200) has no access_token", false);
  }
  const std::string& access_token = token->get_ref<const std::string&>();
  if (access_token.empty() || access_token.size() > access_token_limit ||
      !std::all_of(access_token.begin(), access_token.end(), [](char character) {
        const auto byte = static_cast<unsigned char>(character);
        return byte > 0x20 && byte < 0x7f;
      })) {
    return failure(TokenErrorKind::invalid_response,
                   "the token endpoint's access_token is empty, longer than 16 KiB, or contains spaces, control "
                   "characters or non-ASCII bytes",
                   false);
  }
  const auto type = response.find("token_type");
  if (type == response.end() || !type->is_string() || !equal_ignoring_case(type->get_ref<const std::string&>(), "bearer")) {
    const std::string named = type != response.end() && type->is_string()
                                  ? "token_type \"" + printable(type->get_ref<const std::string&>(), 40) + "\""
                                  : std::string("no token_type");
    return failure(TokenErrorKind::invalid_response,
                   "the token endpoint issued a token with " + named +
                       "; the plugin uses Bearer tokens only (check the EHR's client registration)",
                   true);
  }
  const std::optional<std::chrono::seconds> lifetime = read_lifetime(response);
  if (!lifetime) {
    return failure(TokenErrorKind::invalid_response, "the token endpoint's expires_in is not a positive number of seconds",
                   false);
  }
  TokenResponseReading reading;
  reading.grant = TokenGrant{access_token, *lifetime, read_granted_scopes(response)};
  return reading;
}

}  // namespace

std::string basic_authorization(std::string_view client_id, std::string_view client_secret) {
  // form_encode of one field is "name=value": the value alone is what follows '='.
  const auto encoded = [](std::string_view text) {
    const std::string field = form_encode({{"", std::string(text)}});
    return field.substr(1);
  };
  std::string credentials = encoded(client_id) + ":" + encoded(client_secret);
  std::string base64((credentials.size() + 2) / 3 * 4 + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()),
                                     reinterpret_cast<const unsigned char*>(credentials.data()),
                                     static_cast<int>(credentials.size()));
  OPENSSL_cleanse(credentials.data(), credentials.size());
  base64.resize(static_cast<size_t>(length));
  return "Basic " + base64;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static constexpr std::string_view hex = "0123456789ABCDEF";
  const auto encode = [](std::string& out, std::string_view text) {
    for (char character : text) {
      if (is_unreserved(character)) {
        out += character;
      } else if (character == ' ') {
        out += '+';
      } else {
        const auto byte = static_cast<unsigned char>(character);
        out += '%';
        out += hex[byte >> 4];
        out += hex[byte & 0x0f];
      }
    }
  };
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    encode(body, name);
    body += '=';
    encode(body, value);
  }
  return body;
}

std::optional<std::string> normalize_scopes(std::string_view scopes) {
  std::string normalized;
  std::size_t index = 0;
  while (index < scopes.size()) {
    if (scopes[index] == ' ' || scopes[index] == '\t') {
      ++index;
      continue;
    }
    const std::size_t end = std::min(scopes.find_first_of(" \t", index), scopes.size());
    const std::string_view scope = scopes.substr(index, end - index);
    if (!std::all_of(scope.begin(), scope.end(), is_scope_character)) return std::nullopt;
    if (!normalized.empty()) normalized += ' ';
    normalized += scope;
    index = end;
  }
  if (normalized.empty()) return std::nullopt;
  return normalized;
}

std::vector<std::string> split_scopes(std::string_view scopes) {
  std::vector<std::string> list;
  std::size_t index = 0;
  while (index < scopes.size()) {
    const std::size_t start = scopes.find_first_not_of(" \t", index);
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(scopes.find_first_of(" \t", start), scopes.size());
    list.emplace_back(scopes.substr(start, end - start));
    index = end;
  }
  return list;
}

std::chrono::milliseconds renewal_margin(std::chrono::milliseconds lifetime) {
  return std::min<std::chrono::milliseconds>(std::chrono::seconds(60), lifetime / 5);
}

TokenResponseReading read_token_response(int status, std::string_view body, const TokenRequestContext& context) {
  if (body.size() > response_limit_bytes) {
    return failure(status == 200 ? TokenErrorKind::invalid_response : TokenErrorKind::server_error,
                   "the token endpoint's answer (HTTP " + std::to_string(status) + ") is larger than 256 KiB", false);
  }
  if (status == 200) return read_grant(body);

  // An OAuth error (RFC 6749 section 5.2), if the body is one.
  std::string code;
  std::string description;
  const nlohmann::json response =
      read_json(body, JsonLimits{response_limit_bytes, kServerAnswerMaximumDepth, false}).value;
  if (response.is_object()) {
    const auto error = response.find("error");
    if (error != response.end() && error->is_string()) code = printable(error->get_ref<const std::string&>(), 60);
    const auto text = response.find("error_description");
    if (text != response.end() && text->is_string() && !has_credential_like_run(text->get_ref<const std::string&>())) {
      description = printable(text->get_ref<const std::string&>());
    }
  }
  std::string answer = "HTTP " + std::to_string(status);
  if (!code.empty()) answer += ", " + code;
  if (!description.empty()) answer += ": " + description;
  const std::string client = "client id \"" + printable(context.client_id, 100) + "\"";

  if ((code == "invalid_client" || (code.empty() && status == 401)) && context.key_id.empty()) {
    // No key id: the client authenticated with a secret (client_secret_basic).
    return failure(TokenErrorKind::client_rejected,
                   "the token endpoint refused the client id and secret (" + answer + "). Most likely the secret "
                   "in fhir.smart.client_secret_file is not the one the EHR issued to " + client +
                   ", it was replaced at the EHR, or that client id is not registered there",
                   true);
  }
  if (code == "invalid_client" || (code.empty() && status == 401)) {
    return failure(TokenErrorKind::client_rejected,
                   "the token endpoint refused the client's key (" + answer + "). Most likely the private key does "
                   "not match the public key registered for " + client + " under key id \"" +
                   printable(context.key_id, 100) + "\", or that client id or key id is not registered at the EHR; " +
                   "a computer clock that is minutes off also does this",
                   true);
  }
  if (code == "invalid_scope") {
    std::string message = "the token endpoint refused the scopes \"" + printable(context.scopes) + "\" (" + answer +
                          "); ask the EHR to grant them to " + client + ", or change the scopes in the settings";
    if (!context.scopes_supported.empty()) message += " (the server lists: " + quoted_list(context.scopes_supported) + ")";
    return failure(TokenErrorKind::request_rejected, message, true);
  }
  if (code == "unauthorized_client") {
    return failure(TokenErrorKind::request_rejected,
                   "the token endpoint does not let " + client + " use the client_credentials grant (" + answer +
                       "); the EHR's registration of the backend must allow it",
                   true);
  }
  if (code == "invalid_grant") {
    return failure(TokenErrorKind::request_rejected,
                   "the token endpoint refused the client assertion (" + answer + "); check that this computer's "
                   "clock is right and that the key is the one registered for " + client,
                   true);
  }
  if (code == "unsupported_grant_type" || code == "invalid_request") {
    return failure(TokenErrorKind::request_rejected,
                   "the token endpoint refused the token request (" + answer + "); it may not support SMART Backend "
                   "Services, check the token endpoint URL",
                   true);
  }
  if (status == 408 || status == 429 || status >= 500) {
    return failure(TokenErrorKind::server_error, "the token endpoint answered " + answer + "; trying again later", false);
  }
  return failure(TokenErrorKind::request_rejected,
                 "the token endpoint answered " + answer + " instead of a token; check the token endpoint URL and the "
                 "EHR's registration of " + client,
                 true);
}

}  // namespace alliance::fhir::auth
