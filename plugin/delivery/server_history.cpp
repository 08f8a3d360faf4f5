#include "delivery/server_history.hpp"

#include <cctype>
#include <stdexcept>
#include <typeinfo>
#include <utility>

#include "client/https_client.hpp"
#include "client/search.hpp"
#include "configuration/https_client_settings.hpp"
#include "runtime/log_text.hpp"
#include "measures/measure_definition.hpp"
#include "measures/measure_library.hpp"
#include "runtime/worker.hpp"

namespace alliance {

struct ServerHistory::Fetch {
  Done done;
  std::string target;  // of the next request
  int pages = 0;
  int skipped = 0;
  bool token_renewed = false;  // one new token per fetch, as Delivery does per push
  std::vector<fhir::HistoryPoint> points;
};

namespace {

// "Patient/<id>" with a FHIR id ([A-Za-z0-9-.]{1,64}).
bool is_patient_reference(const std::string& reference) {
  constexpr std::string_view prefix = "Patient/";
  if (reference.rfind(prefix, 0) != 0) return false;
  const std::string_view id = std::string_view(reference).substr(prefix.size());
  if (id.empty() || id.size() > 64) return false;
  for (const char character : id) {
    const auto byte = static_cast<unsigned char>(character);
    if (std::isalnum(byte) == 0 && character != '-' && character != '.') return false;
  }
  return true;
}

// The code search parameter: every measure's SNOMED CT code where it has one, and
// every pcoms-measure code, as system|code joined by commas (FHIR's "or").
std::string measure_codes_parameter() {
  std::string codes;
  const auto add = [&codes](const std::string& system, const std::string& code) {
    if (!codes.empty()) codes += ',';
    codes += system + "|" + code;
  };
  for (const char* measure : kMeasureCodes) {
    const std::string snomed = snomed_code_of(measure);
    if (!snomed.empty()) add(kSnomedSystem, snomed);
  }
  for (const char* measure : kMeasureCodes) {
    std::string code = measure;
    for (char& character : code) character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
    add(kMeasureCodeSystem, code);
  }
  return codes;
}

}  // namespace


namespace {

// The end of each asynchronous path of a read: a throw is not dropped by the HTTPS
// client or the token source but ends the read as failed (logged, and the session
// scores without it).
template <typename Work, typename Fail>
void ending_in_failure(Work&& work, Fail&& fail) {
  try {
    work();
  } catch (const std::exception& error) {
    fail(std::string("internal_error type=") + log_value(typeid(error).name()));
  } catch (...) {
    fail("internal_error type=unknown");
  }
}

}  // namespace

std::string ServerHistory::search_target(const std::string& patient_reference, int page_size) {
  return fhir::search_target("Observation", {{"subject", patient_reference},
                                             {"code", measure_codes_parameter()},
                                             {"_count", std::to_string(page_size)}});
}

ServerHistory::ServerHistory(Worker& worker, const FhirConfiguration& settings, Authorize authorize, Log log,
                             ServerHistoryLimits limits)
    : worker_(worker),
      base_url_(settings.base_url),
      authorize_(std::move(authorize)),
      log_(std::move(log)),
      limits_(limits) {
  fhir::HttpsClientCreation creation = fhir::HttpsClient::create(worker.io_context_handle(), https_client_settings(settings));
  if (!creation.client) throw std::runtime_error("fhir: " + creation.error);
  client_ = std::move(creation.client);
  if (limits_.page_size < 1) limits_.page_size = 1;
  if (limits_.maximum_pages < 1) limits_.maximum_pages = 1;
}

// The connection goes first: it abandons what is in flight without running callbacks.
ServerHistory::~ServerHistory() {
  *alive_ = false;
  client_.reset();
}

void ServerHistory::fetch(const std::string& patient_reference, Done done) {
  auto fetch = std::make_shared<Fetch>();
  fetch->done = std::move(done);
  if (!is_patient_reference(patient_reference)) {
    // Later, as promised, not from inside this call.
    worker_.post([this, fetch, alive = std::weak_ptr<bool>(alive_)] {
      const auto still = alive.lock();
      if (still && *still) fail(fetch, "no_patient_reference");
    });
    return;
  }
  fetch->target = search_target(patient_reference, limits_.page_size);
  request_page(fetch);
}

void ServerHistory::request_page(const std::shared_ptr<Fetch>& fetch, bool renew_token) {
  authorize_(renew_token, [this, fetch, alive = std::weak_ptr<bool>(alive_)](
                 std::optional<std::vector<fhir::HttpHeader>> headers, std::string error) {
    const auto still = alive.lock();
    if (!still || !*still) return;
    ending_in_failure([&] { send_page(fetch, std::move(headers), error); },
                      [&](const std::string& reason) { fail(fetch, reason); });
  });
}

void ServerHistory::send_page(const std::shared_ptr<Fetch>& fetch, std::optional<std::vector<fhir::HttpHeader>> headers,
                              const std::string& error) {
  if (!headers) {
    fail(fetch, "no_authorization detail=" + log_value(error));
    return;
  }
  fhir::HttpRequest request;
  request.method = fhir::HttpMethod::get;
  request.target = fetch->target;
  request.extra_headers = std::move(*headers);
  request.extra_headers.push_back({"Accept", "application/fhir+json"});
  // The client's callbacks never run once it is destroyed, and it dies with `this`.
  client_->send(std::move(request), [this, fetch](fhir::HttpResult result) {
    ending_in_failure([&] { page_answered(fetch, result); }, [&](const std::string& reason) { fail(fetch, reason); });
  });
}

void ServerHistory::page_answered(const std::shared_ptr<Fetch>& fetch, const fhir::HttpResult& result) {
    if (!result.ok()) {
      fail(fetch, std::string("transport kind=") + fhir::to_string(result.error) + " detail=" + log_value(result.message));
      return;
    }
    if (result.response.status == 401 && !fetch->token_renewed) {
      // A token the server no longer takes (revoked, or expired early): one new one.
      fetch->token_renewed = true;
      if (log_) log_(LogLevel::info, "event=token_refused action=renew for=history");
      request_page(fetch, /*renew_token=*/true);
      return;
    }
    if (result.response.status != 200) {
      fail(fetch, "http_status status=" + std::to_string(result.response.status));
      return;
    }
    fhir::HistoryPage page = fhir::read_observation_history(result.response.body);
    if (!page.error.empty()) {
      fail(fetch, "unreadable_page detail=" + log_value(page.error));  // the error never quotes the body
      return;
    }
    ++fetch->pages;
    fetch->skipped += page.skipped_entries;
    for (fhir::HistoryPoint& point : page.points) fetch->points.push_back(std::move(point));
    if (page.next_url.empty()) {
      if (log_) {
        log_(LogLevel::info, "event=history_fetched pages=" + std::to_string(fetch->pages) +
                                 " points=" + std::to_string(fetch->points.size()) +
                                 " skipped=" + std::to_string(fetch->skipped));
      }
      std::exchange(fetch->done, nullptr)(std::move(fetch->points));
      return;
    }
    if (fetch->pages >= limits_.maximum_pages) {
      fail(fetch, "too_many_pages pages=" + std::to_string(fetch->pages));
      return;
    }
    fetch->target = fhir::next_page_target(base_url_, page.next_url);
    if (fetch->target.empty()) {
      fail(fetch, "next_link_elsewhere");  // never follow a link (with a credential) to another server
      return;
    }
    request_page(fetch);
}

void ServerHistory::fail(const std::shared_ptr<Fetch>& fetch, const std::string& reason) {
  if (log_) {
    log_(LogLevel::warning, "event=history_failed pages=" + std::to_string(fetch->pages) + " reason=" + reason);
  }
  if (fetch->done) std::exchange(fetch->done, nullptr)(std::nullopt);
}

}  // namespace alliance
