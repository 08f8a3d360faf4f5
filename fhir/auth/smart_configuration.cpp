#include "auth/smart_configuration.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "reading/json_reader.hpp"

namespace alliance::fhir::auth {

namespace {

constexpr std::size_t document_limit_bytes = 256 * 1024;
constexpr std::size_t url_limit = 2048;
constexpr std::size_t list_limit = 1000;
constexpr std::size_t entry_limit = 1000;

const char* const where = smart_configuration_name;


bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string joined(const std::vector<std::string>& list) {
  std::string text;
  for (const std::string& entry : list) {
    if (!text.empty()) text += ", ";
    text += entry;
  }
  return printable(text);
}

SmartConfigurationResult refused(std::string error) {
  SmartConfigurationResult result;
  result.error = std::move(error);
  result.permanent = true;
  return result;
}

// Reads an optional list of strings; false (and `error`) when it is there but wrong.
bool read_list(const nlohmann::json& document, const char* name, std::vector<std::string>& list, std::string& error) {
  const auto found = document.find(name);
  if (found == document.end() || found->is_null()) return true;
  if (!found->is_array() || found->size() > list_limit) {
    error = std::string(where) + ": " + name + " is not a list of at most 1000 strings";
    return false;
  }
  for (const nlohmann::json& entry : *found) {
    if (!entry.is_string() || entry.get_ref<const std::string&>().size() > entry_limit) {
      error = std::string(where) + ": " + name + " holds an entry that is not a string of at most 1000 characters";
      return false;
    }
    list.push_back(entry.get<std::string>());
  }
  return true;
}

}  // namespace

std::string printable(std::string_view text, std::size_t limit) {
  std::string result;
  for (char character : text) {
    if (result.size() >= limit) {
      result += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(character);
    result += (byte >= 0x20 && byte < 0x7f) ? character : '?';
  }
  return result;
}

SmartConfigurationResult parse_smart_configuration(std::string_view document,
                                                   std::optional<SigningAlgorithm> algorithm) {
  if (document.size() > document_limit_bytes) return refused(std::string(where) + " is larger than 256 KiB");
  JsonReading reading = read_json(document, JsonLimits{document_limit_bytes, kServerAnswerMaximumDepth, false});
  if (!reading.ok()) return refused(std::string(where) + " is not usable JSON: " + reading.error);
  const nlohmann::json parsed = std::move(reading.value);
  if (!parsed.is_object()) return refused(std::string(where) + " is not a JSON object");

  SmartConfiguration configuration;
  const auto endpoint = parsed.find("token_endpoint");
  if (endpoint == parsed.end() || !endpoint->is_string() || endpoint->get_ref<const std::string&>().empty()) {
    return refused(std::string(where) + " names no token_endpoint; configure the token endpoint in the settings");
  }
  configuration.token_endpoint = endpoint->get<std::string>();
  const std::string& url = configuration.token_endpoint;
  if (url.size() > url_limit) return refused(std::string(where) + ": token_endpoint is longer than 2048 characters");
  if (std::any_of(url.begin(), url.end(), [](char character) {
        const auto byte = static_cast<unsigned char>(character);
        return byte <= 0x20 || byte >= 0x7f;
      })) {
    return refused(std::string(where) + ": token_endpoint contains spaces, control characters or non-ASCII bytes");
  }
  if (!starts_with_ignoring_case(url, "https://")) {
    return refused(std::string(where) + ": token_endpoint is not an https:// URL; tokens never travel unencrypted");
  }

  std::string error;
  if (!read_list(parsed, "token_endpoint_auth_methods_supported", configuration.token_endpoint_auth_methods_supported, error) ||
      !read_list(parsed, "token_endpoint_auth_signing_alg_values_supported",
                 configuration.token_endpoint_auth_signing_alg_values_supported, error) ||
      !read_list(parsed, "grant_types_supported", configuration.grant_types_supported, error) ||
      !read_list(parsed, "scopes_supported", configuration.scopes_supported, error)) {
    return refused(error);
  }

  const auto& methods = configuration.token_endpoint_auth_methods_supported;
  if (!algorithm) {
    if (!methods.empty() && !contains(methods, "client_secret_basic")) {
      return refused("the FHIR server's token endpoint does not offer client_secret_basic (a client id and secret "
                     "as HTTP Basic), which fhir.smart.client_secret_file uses; it lists: " + joined(methods) +
                     "; use a private key (fhir.smart.private_key_file) if it lists private_key_jwt");
    }
  } else if (!methods.empty() && !contains(methods, "private_key_jwt")) {
    return refused("the FHIR server's token endpoint does not offer private_key_jwt (asymmetric) client "
                   "authentication, which SMART Backend Services need; it lists: " + joined(methods));
  }
  const auto& algorithms = configuration.token_endpoint_auth_signing_alg_values_supported;
  const char* ours = algorithm ? to_string(*algorithm) : "";
  if (algorithm && !algorithms.empty() && !contains(algorithms, ours)) {
    return refused(std::string("the FHIR server's token endpoint does not accept ") + ours +
                   " client assertions (it lists: " + joined(algorithms) + "); use a key of a type it accepts (" +
                   "an RSA key signs RS384, an EC P-384 key ES384)");
  }
  const auto& grants = configuration.grant_types_supported;
  if (!grants.empty() && !contains(grants, "client_credentials")) {
    return refused("the FHIR server's token endpoint does not offer the client_credentials grant that SMART "
                   "Backend Services use; it lists: " + joined(grants));
  }

  SmartConfigurationResult result;
  result.configuration = std::move(configuration);
  return result;
}

}  // namespace alliance::fhir::auth
