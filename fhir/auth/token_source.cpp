#include "auth/token_source.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cctype>
#include <chrono>
#include <vector>

#include "client/io_context_wake.hpp"
#include "auth/smart_discovery.hpp"
#include "auth/token_response.hpp"

namespace alliance::fhir::auth {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t identifier_limit = 256;
constexpr std::size_t scopes_limit = 2048;
// A renewal that fails for a passing reason still hands out the old token while it
// has at least this long to live.
constexpr std::chrono::seconds fallback_minimum_life{5};

TokenResult failure(TokenErrorKind kind, std::string error, bool permanent) {
  TokenResult result;
  result.kind = kind;
  result.error = std::move(error);
  result.permanent = permanent;
  return result;
}

TokenResult success(const std::string& authorization, const GrantedScopes& granted_scopes) {
  TokenResult result;
  result.ok = true;
  result.authorization_header_value = authorization;
  result.granted_scopes = granted_scopes;
  return result;
}

// Visible ASCII and spaces (RFC 6749's VSCHAR), 1 to 256 of them.
bool is_valid_identifier(std::string_view text) {
  return !text.empty() && text.size() <= identifier_limit && std::all_of(text.begin(), text.end(), [](char character) {
           const auto byte = static_cast<unsigned char>(character);
           return byte >= 0x20 && byte < 0x7f;
         });
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

}  // namespace

const char* to_string(TokenErrorKind kind) {
  switch (kind) {
    case TokenErrorKind::none: return "none";
    case TokenErrorKind::configuration: return "configuration";
    case TokenErrorKind::discovery: return "discovery";
    case TokenErrorKind::unreachable: return "unreachable";
    case TokenErrorKind::client_rejected: return "client_rejected";
    case TokenErrorKind::request_rejected: return "request_rejected";
    case TokenErrorKind::server_error: return "server_error";
    case TokenErrorKind::invalid_response: return "invalid_response";
  }
  return "unknown";
}

// Everything lives here, on the io_context's thread. Handlers hold it weakly and lock
// it while they run, so that a callback may destroy the TokenSource under them.
struct TokenSource::Core : std::enable_shared_from_this<Core> {
  Core(boost::asio::io_context& context, HttpsClientSettings client, SmartSettings smart, std::unique_ptr<SigningKey> key)
      : io_context(context), client_settings(std::move(client)), settings(std::move(smart)), signing_key(std::move(key)) {}

  boost::asio::io_context& io_context;
  const HttpsClientSettings client_settings;
  const SmartSettings settings;  // scopes normalized
  const std::unique_ptr<SigningKey> signing_key;

  std::unique_ptr<HttpsClient> discovery_client;  // for the FHIR base URL, when the token endpoint is not configured
  std::unique_ptr<HttpsClient> token_client;      // once the token endpoint is known
  std::string token_endpoint;
  std::vector<std::string> scopes_supported;

  // The cached token: "Bearer ..." or empty, and what was granted with it.
  std::string authorization;
  GrantedScopes granted_scopes;
  SteadyClock::time_point renew_after;
  SteadyClock::time_point expires_at;

  bool fetching = false;
  std::vector<Callback> waiting;
  std::atomic<bool> closed{false};

  void get(Callback callback) {
    if (!authorization.empty() && SteadyClock::now() < renew_after) {
      deliver({std::move(callback)}, success(authorization, granted_scopes));
      return;
    }
    waiting.push_back(std::move(callback));
    if (fetching) return;
    fetching = true;
    if (token_client) {
      request_token();
    } else {
      discover();
    }
  }

  void discover() {
    fetch_smart_configuration(*discovery_client, signing_key ? std::optional(signing_key->algorithm()) : std::nullopt,
                              [weak = weak_from_this()](SmartConfigurationResult result) {
                                if (auto core = weak.lock()) core->discovered(std::move(result));
                              });
  }

  void discovered(SmartConfigurationResult result) {
    if (!result.configuration) {
      finish(failure(TokenErrorKind::discovery, std::move(result.error), result.permanent));
      return;
    }
    HttpsClientSettings token_settings = client_settings;
    token_settings.base_url = result.configuration->token_endpoint;
    HttpsClientCreation creation = HttpsClient::create(&io_context, token_settings);
    if (!creation.client) {
      finish(failure(TokenErrorKind::configuration,
                     "the token endpoint that the FHIR server's SMART configuration names cannot be used: " +
                         creation.error,
                     true));
      return;
    }
    token_client = std::move(creation.client);
    token_endpoint = std::move(result.configuration->token_endpoint);
    scopes_supported = std::move(result.configuration->scopes_supported);
    request_token();
  }

  void request_token() {
    HttpRequest request;
    request.method = HttpMethod::post;
    request.target = "";
    std::vector<std::pair<std::string, std::string>> form{{"grant_type", "client_credentials"}};
    if (settings.send_scope) form.emplace_back("scope", settings.scopes);
    request.extra_headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    if (signing_key) {
      const ClientAssertion assertion = make_client_assertion(
          *signing_key, {settings.client_id, token_endpoint, settings.key_id}, settings.clock);
      if (!assertion.ok()) {
        finish(failure(TokenErrorKind::configuration, assertion.error, false));
        return;
      }
      form.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      form.emplace_back("client_assertion", assertion.jwt);
    } else {
      request.extra_headers.push_back({"Authorization", basic_authorization(settings.client_id, settings.client_secret)});
    }
    request.body = form_encode(form);
    const SteadyClock::time_point requested_at = SteadyClock::now();
    token_client->send(std::move(request), [weak = weak_from_this(), requested_at](HttpResult result) {
      if (auto core = weak.lock()) core->answered(std::move(result), requested_at);
    });
  }

  void answered(HttpResult http, SteadyClock::time_point requested_at) {
    TokenResult result;
    if (!http.ok()) {
      result = failure(TokenErrorKind::unreachable, "no access token: the token endpoint did not answer: " + http.message,
                       false);
    } else {
      TokenResponseReading reading = read_token_response(
          http.response.status, http.response.body,
          {settings.client_id, signing_key ? settings.key_id : std::string(), settings.scopes, scopes_supported});
      if (reading.grant) {
        const std::chrono::milliseconds lifetime = reading.grant->lifetime;
        authorization = "Bearer " + reading.grant->access_token;
        granted_scopes = std::move(reading.grant->granted_scopes);
        expires_at = requested_at + lifetime;
        renew_after = expires_at - renewal_margin(lifetime);
        finish(success(authorization, granted_scopes));
        return;
      }
      result = failure(reading.kind, std::move(reading.error), reading.permanent);
    }
    // A passing failure while the old token still works: keep using it.
    if (!result.permanent && !authorization.empty() && SteadyClock::now() + fallback_minimum_life < expires_at) {
      finish(success(authorization, granted_scopes));
      return;
    }
    finish(std::move(result));
  }

  void finish(const TokenResult& result) {
    fetching = false;
    std::vector<Callback> callbacks;
    callbacks.swap(waiting);
    deliver(std::move(callbacks), result);
  }

  // Runs the callbacks in order; stops when one of them destroyed the TokenSource.
  void deliver(std::vector<Callback> callbacks, const TokenResult& result) {
    for (Callback& callback : callbacks) {
      if (closed) return;
      try {
        callback(result);
      } catch (...) {
        // Callbacks must not throw: each caller ends its callbacks in its own handler,
        // which logs and settles what the token was for (Delivery::guarded). One that
        // throws anyway must not take the worker down nor keep the others waiting.
      }
    }
  }
};

TokenSource::TokenSource(std::shared_ptr<Core> core) : core_(std::move(core)) {}

TokenSource::~TokenSource() {
  core_->closed = true;
  // Handlers still queued find the core gone; one running right now holds it until
  // it returns.
}

std::optional<SigningAlgorithm> TokenSource::algorithm() const {
  if (!core_->signing_key) return std::nullopt;
  return core_->signing_key->algorithm();
}

TokenSourceCreation TokenSource::create(void* io_context, const HttpsClientSettings& fhir_client_settings,
                                        const SmartSettings& settings) {
  TokenSourceCreation creation;
  if (io_context == nullptr) {
    creation.error = "SMART Backend Services: no io_context";
    return creation;
  }
  auto& context = *static_cast<boost::asio::io_context*>(io_context);
  const std::string prefix = "SMART Backend Services settings: ";

  if (!is_valid_identifier(settings.client_id)) {
    creation.error = prefix + "client_id must be 1 to 256 printable ASCII characters (the id the EHR registered)";
    return creation;
  }
  const bool with_secret = !settings.client_secret.empty();
  if (with_secret && (settings.client_secret.size() > 4096 ||
                      settings.client_secret.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)) {
    creation.error = prefix + "the client secret must be one line of at most 4096 bytes";
    return creation;
  }
  if (!with_secret && !is_valid_identifier(settings.key_id)) {
    creation.error = prefix + "key_id must be 1 to 256 printable ASCII characters (the kid of the public key "
                              "registered with the EHR)";
    return creation;
  }
  const std::optional<std::string> scopes = normalize_scopes(settings.scopes);
  if (!scopes || scopes->size() > scopes_limit) {
    creation.error = prefix + "scopes must be one or more space-separated scopes (printable ASCII without '\"' or "
                              "'\\'), at most 2048 characters, e.g. system/Observation.c";
    return creation;
  }

  SigningKeyLoad key;
  if (!with_secret) {
    key = SigningKey::load_pem_file(settings.private_key_file);
    if (!key.key) {
      creation.error = prefix + key.error;
      return creation;
    }
  }

  SmartSettings normalized = settings;
  normalized.scopes = *scopes;
  auto core = std::make_shared<Core>(context, fhir_client_settings, std::move(normalized), std::move(key.key));

  if (!settings.token_endpoint.empty()) {
    if (!starts_with_ignoring_case(settings.token_endpoint, "https://")) {
      creation.error = prefix + "token_endpoint must be an https:// URL: tokens never travel unencrypted";
      return creation;
    }
    HttpsClientSettings token_settings = fhir_client_settings;
    token_settings.base_url = settings.token_endpoint;
    HttpsClientCreation client = HttpsClient::create(io_context, token_settings);
    if (!client.client) {
      creation.error = prefix + "token_endpoint: " + client.error;
      return creation;
    }
    core->token_client = std::move(client.client);
    core->token_endpoint = settings.token_endpoint;
  } else {
    HttpsClientCreation client = HttpsClient::create(io_context, fhir_client_settings);
    if (!client.client) {
      creation.error = prefix + "the FHIR server (for SMART discovery): " + client.error;
      return creation;
    }
    core->discovery_client = std::move(client.client);
  }
  creation.source.reset(new TokenSource(std::move(core)));
  return creation;
}

void TokenSource::get(Callback callback) {
  boost::asio::post(core_->io_context, [weak = std::weak_ptr<Core>(core_), callback = std::move(callback)]() mutable {
    if (auto core = weak.lock(); core && !core->closed) core->get(std::move(callback));
  });
  wake_io_context_owner(&core_->io_context);
}

void TokenSource::invalidate() {
  boost::asio::post(core_->io_context, [weak = std::weak_ptr<Core>(core_)] {
    if (auto core = weak.lock()) core->authorization.clear();
  });
  wake_io_context_owner(&core_->io_context);
}

}  // namespace alliance::fhir::auth
