#include "alliancectl/connection_test.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <ostream>
#include <vector>

#include "alliancectl/capability_report.hpp"
#include "configuration/https_client_settings.hpp"
#include "alliancectl/scope_check.hpp"
#include "alliancectl/terminal_text.hpp"
#include "auth/token_response.hpp"
#include "runtime/worker.hpp"

namespace alliance::control {

namespace {

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

// The client's message without its own closing hint (" (check ca_file, ...)"): the
// advice here names the settings in full (fhir.ca_file) and should not be said twice.
std::string without_hint(const std::string& message) {
  const std::size_t hint = message.rfind(" (check ");
  if (hint == std::string::npos || message.empty() || message.back() != ')') return message;
  return message.substr(0, hint);
}

// Starts an asynchronous operation whose callback runs on the worker and waits for its
// result, at most `limit` (the client's own timeouts normally end it much sooner).
template <typename Result, typename Start>
std::optional<Result> wait_for(Start start, std::chrono::seconds limit) {
  auto promise = std::make_shared<std::promise<Result>>();
  std::future<Result> future = promise->get_future();
  start([promise](Result result) { promise->set_value(std::move(result)); });
  if (future.wait_for(limit) != std::future_status::ready) return std::nullopt;
  return future.get();
}

std::string joined(const std::vector<std::string>& scopes) {
  std::string text;
  for (const std::string& scope : scopes) text += (text.empty() ? "" : " ") + scope;
  return text;
}

// The settings that add a scope to the default set, for the advice on a missing one.
std::string settings_needing(const std::vector<std::string>& missing, const FhirConfiguration& settings) {
  std::string text;
  for (const std::string& scope : missing) {
    if (scope == "system/Questionnaire.crs" && settings.ensure_questionnaires) {
      text += ", or set fhir.ensure_questionnaires to false (it needs " + scope + ")";
    } else if (scope == "system/Observation.rs" && settings.read_history) {
      text += ", or set fhir.read_history to false (it needs " + scope + ")";
    }
  }
  return text;
}

}  // namespace

std::string describe_granted_scopes(const fhir::auth::GrantedScopes& granted) {
  using fhir::auth::GrantedScopesState;
  switch (granted.state) {
    case GrantedScopesState::as_requested:
      return "as requested (the token endpoint's answer names no scope, which OAuth 2.0 reads as the scopes requested)";
    case GrantedScopesState::listed:
      return granted.scopes.empty() ? std::string("none") : joined(granted.scopes);
    case GrantedScopesState::unreadable:
      return "unknown (the token endpoint's scope field is unreadable)";
  }
  return "unknown";
}

std::string missing_scope_problem(const fhir::auth::GrantedScopes& granted, const FhirConfiguration& settings) {
  if (granted.state != fhir::auth::GrantedScopesState::listed || !settings.smart) return "";
  const std::vector<std::string> missing =
      missing_scopes(fhir::auth::split_scopes(settings.smart->scopes), granted.scopes);
  if (missing.empty()) return "";
  return "the EHR granted " + (granted.scopes.empty() ? std::string("no scopes") : "only \"" + joined(granted.scopes) + "\"") +
         " but Alliance needs \"" + joined(missing) + "\" as well: ask the EHR administrator to grant " +
         (missing.size() == 1 ? "it" : "them") + " to client " + settings.smart->client_id +
         (settings.smart->scopes_given ? ", or correct fhir.smart.scopes" : "") + settings_needing(missing, settings);
}

std::string advice_for(const fhir::HttpResult& result) {
  using fhir::HttpErrorKind;
  const std::string message = without_hint(result.message);
  switch (result.error) {
    case HttpErrorKind::none:
      return "";
    case HttpErrorKind::resolve:
      // The client names the setting whose host it looked up: the proxy's or the server's.
      if (contains(result.message, "proxy_url")) {
        return "cannot resolve the proxy's host name: " + message +
               " (check the host name in fhir.proxy.url and this computer's DNS settings)";
      }
      return "cannot resolve the server's host name: " + message +
             " (check the host name in fhir.base_url and this computer's DNS settings)";
    case HttpErrorKind::connect:
      return "cannot connect to the server: " + message +
             " (check the host and port in fhir.base_url, that the server runs, and the firewall or fhir.proxy)";
    case HttpErrorKind::timeout:
      // Without a reachable DNS server the lookup never answers and the client's resolve
      // deadline ends it as a timeout; its message is the only sign of which step it was.
      if (contains(message, "looking up the address")) {
        return "cannot resolve the server's host name: " + message +
               " (check the host name in fhir.base_url and this computer's DNS settings)";
      }
      return "the server did not answer in time: " + message +
             " (check fhir.base_url and the firewall, or raise fhir.timeout_seconds)";
    case HttpErrorKind::certificate_rejected:
      if (contains(message, "not issued for") || contains(message, "mismatch")) {
        return "TLS verification failed: host name mismatch: " + message +
               " (use in fhir.base_url the host name the server's certificate is issued for)";
      }
      return "TLS verification failed: the server's certificate is not trusted (check fhir.ca_file): " + message;
    case HttpErrorKind::tls_handshake:
      if (contains(message, "client certificate")) {
        return "the server refused the client certificate (check fhir.client_certificate_file and "
               "fhir.client_key_file): " + message;
      }
      return "the TLS handshake failed: " + message;
    case HttpErrorKind::proxy:
      return "the proxy did not open a tunnel to the server: " + message +
             " (check fhir.proxy.url, fhir.proxy.username and fhir.proxy.password_file)";
    default:
      return std::string(fhir::to_string(result.error)) + ": " + message;
  }
}

std::string advice_for(const fhir::auth::TokenResult& result) {
  using fhir::auth::TokenErrorKind;
  const std::string& message = result.error;
  switch (result.kind) {
    case TokenErrorKind::none:
      return "";
    case TokenErrorKind::configuration:
      return "fhir.smart cannot work as configured: " + message;
    case TokenErrorKind::discovery:
      return "SMART discovery failed: " + message +
             " (check the server's .well-known/smart-configuration, or set fhir.smart.token_endpoint)";
    case TokenErrorKind::unreachable:
      return "cannot reach the token endpoint: " + message;
    case TokenErrorKind::client_rejected:
      return "token refused: the EHR does not accept this client: " + message +
             " (check fhir.smart.client_id and its credential, fhir.smart.key_id and fhir.smart.private_key_file or "
             "fhir.smart.client_secret_file, against the EHR's registration)";
    case TokenErrorKind::request_rejected:
      return "token refused: " + message + " (check fhir.smart.scopes against what the EHR granted this client)";
    case TokenErrorKind::server_error:
    case TokenErrorKind::invalid_response:
      return "the token endpoint failed: " + message;
  }
  return message;
}

int test_connection(const FhirConfiguration& settings, std::ostream& out) {
  std::vector<std::string> problems;
  const fhir::HttpsClientSettings client_settings = https_client_settings(settings);
  // Every step has its timeout; the whole of one request is bounded by their sum.
  const auto limit = std::chrono::seconds(5 * settings.timeout_seconds + 5);

  // Every text from the configuration or the server goes through terminal_text(): it
  // is shown, never obeyed by the terminal.
  out << "server: " << terminal_text(settings.base_url) << "\n";
  out << "TLS: trusting "
      << (settings.ca_file.empty() ? std::string("the system's CAs") : terminal_text(settings.ca_file.string()));
  if (!settings.client_certificate_file.empty()) {
    out << ", client certificate " << terminal_text(settings.client_certificate_file.string());
  }
  if (!settings.proxy_url.empty()) out << ", through the proxy " << terminal_text(settings.proxy_url);
  out << "\n";

  Worker worker;
  fhir::HttpsClientCreation client = fhir::HttpsClient::create(worker.io_context_handle(), client_settings);
  std::unique_ptr<fhir::auth::TokenSource> tokens;
  std::string authorization;
  if (!client.client) {
    problems.push_back("cannot set up the HTTPS client from the fhir settings: " + client.error);
  } else if (settings.smart) {
    fhir::auth::TokenSourceCreation creation =
        fhir::auth::TokenSource::create(worker.io_context_handle(), client_settings, smart_settings(*settings.smart));
    if (!creation.source) {
      problems.push_back("fhir.smart: " + creation.error);
    } else {
      tokens = std::move(creation.source);
      const auto token = wait_for<fhir::auth::TokenResult>(
          [&](auto callback) { tokens->get(std::move(callback)); }, 2 * limit);
      if (!token) {
        problems.push_back("no answer from the token endpoint in time");
      } else if (!token->ok) {
        problems.push_back(advice_for(*token));
      } else {
        authorization = token->authorization_header_value;
        out << "SMART: token granted\n";
        if (settings.smart->send_scope) {
          out << "SMART: scopes requested: " << terminal_text(settings.smart->scopes) << "\n";
        } else {
          out << "SMART: scopes requested: none sent (fhir.smart.send_scope is false); needed: "
              << terminal_text(settings.smart->scopes) << "\n";
        }
        out << "SMART: scopes granted: " << terminal_text(describe_granted_scopes(token->granted_scopes)) << "\n";
        if (std::string problem = missing_scope_problem(token->granted_scopes, settings); !problem.empty()) {
          problems.push_back(std::move(problem));
        }
      }
    }
  }

  if (client.client) {
    fhir::HttpRequest request;
    request.target = "metadata";
    if (!authorization.empty()) request.extra_headers.push_back({"Authorization", authorization});
    const auto answer =
        wait_for<fhir::HttpResult>([&](auto callback) { client.client->send(std::move(request), std::move(callback)); }, limit);
    if (!answer) {
      problems.push_back("no answer to GET metadata in time");
    } else if (!answer->ok()) {
      problems.push_back(advice_for(*answer));
    } else if (answer->response.status != 200) {
      out << "reached the server: it answered GET metadata with HTTP " << answer->response.status << "\n";
      if (answer->response.status == 401 || answer->response.status == 403) {
        problems.push_back("token refused by the FHIR server (HTTP " + std::to_string(answer->response.status) +
                           "): " + (settings.smart ? "check fhir.smart.scopes and the client's registration at the EHR"
                                                   : "it wants authorization: configure fhir.smart"));
      } else {
        problems.push_back("GET metadata answered HTTP " + std::to_string(answer->response.status) +
                           " instead of a CapabilityStatement: check that fhir.base_url is the FHIR base");
      }
    } else {
      out << "reached the server: GET metadata answered HTTP 200\n";
      const CapabilityReport report = read_capability_statement(answer->response.body);
      if (!report.error.empty()) {
        problems.push_back(report.error);
      } else {
        out << "FHIR version: " << (report.fhir_version.empty() ? "not given" : terminal_text(report.fhir_version))
            << "\n";
        out << "transaction: " << (report.transaction ? "supported" : "not supported")
            << (settings.transactions ? "" : " (not needed: fhir.transactions is false)") << "\n";
        out << "QuestionnaireResponse: " << describe_support(report, "QuestionnaireResponse") << "\n";
        out << "Observation: " << describe_support(report, "Observation") << "\n";
        out << "DocumentReference: " << describe_support(report, "DocumentReference") << "\n";
        if (settings.ensure_questionnaires && settings.chart.fhir_native) {
          out << "Questionnaire: " << describe_support(report, "Questionnaire") << "\n";
        }
        out << "chart profiles this server takes: " << joined_profiles(fitting_profiles(report)) << "\n";
        out << "exactly once: "
            << (settings.conditional_creates ? "conditional creates (If-None-Exist)"
                : settings.chart.find_by_reading
                    ? "a search by patient, code or document type, and time before each write (fhir.chart.find_by reading)"
                    : "a search by identifier before each write")
            << "\n";
        if (settings.chart.document && !settings.conditional_creates) {
          // What no CapabilityStatement can tell: whether the EHR keeps what the search
          // looks for (Oracle Health's documentation: it drops identifiers and sets a
          // document's date itself).
          out << "notes: found again by " << (settings.chart.find_by_reading ? "their date" : "their identifier")
              << " only if the EHR keeps it; where it does not (Oracle Health), a note whose answer is lost "
                 "is written twice (docs/chart-profiles.md)\n";
        }
        for (std::string& missing : missing_capabilities(report, settings)) problems.push_back(std::move(missing));
      }
    }
  }

  // The client and token source go once the io_context has stopped (token_source.hpp).
  worker.drain_and_stop(std::chrono::seconds(1));
  tokens.reset();
  client.client.reset();

  if (problems.empty()) {
    out << "result: the server offers everything the configuration needs\n";
    return 0;
  }
  out << "result: " << problems.size() << " problem" << (problems.size() == 1 ? "" : "s") << ":\n";
  // A problem may quote the server (its error text, its version, the scopes it granted).
  for (const std::string& problem : problems) out << "  - " << terminal_text(problem) << "\n";
  return 1;
}

}  // namespace alliance::control
