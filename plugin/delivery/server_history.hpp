// A client's earlier ORS/SRS totals from the FHIR server, so that a client seen by
// another clinic site keeps one trajectory (needs read scopes for Observation; see
// FhirConfiguration::read_history). Searches
//
//   GET [base]/Observation?subject=Patient/<id>&code=<system|code,...>&_count=100
//
// with every measure's SNOMED CT code and every pcoms-measure code, follows the
// server's `next` links (same server and base path only: a credential never goes
// elsewhere) up to a page limit, and reads each page with read_observation_history
// (observation_history.hpp). merge_history there combines the points with the store.
//
// Threading: construct, fetch() and destroy on the plugin's worker thread; `done` and
// the authorization provider's callback run there too.
//
// Privacy: log lines carry event names, counts, HTTP status codes and the HTTPS
// client's messages (which name the server and the failed step): never the patient
// reference, a request target, a body or a score.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "configuration/configuration.hpp"
#include "runtime/log_level.hpp"
#include "mapping/observation_history.hpp"

namespace alliance {

namespace fhir {
class HttpsClient;
struct HttpHeader;
struct HttpResult;
}  // namespace fhir

class Worker;

struct ServerHistoryLimits {
  int page_size = 100;    // _count of each request
  int maximum_pages = 5;  // more than this many pages is a failure: an incomplete set
                          // could name a wrong intake or previous total
};

class ServerHistory {
 public:
  // Hands the extra headers for one request (an Authorization header with SMART, an
  // empty list without) to its argument; nullopt and a reason for IT when there are
  // none to be had (then nothing is sent). The reason must carry no PHI. `renew`: the
  // server refused the last token (401), so get a new one rather than the cached one.
  using HeadersReady = std::function<void(std::optional<std::vector<fhir::HttpHeader>> headers, std::string error)>;
  using Authorize = std::function<void(bool renew, HeadersReady)>;
  // The points of every page, in the server's order; nullopt on any failure.
  using Done = std::function<void(std::optional<std::vector<fhir::HistoryPoint>>)>;
  using Log = std::function<void(LogLevel, std::string_view)>;

  // Makes its own HTTPS connection from `settings` (base URL, CA file, mutual TLS,
  // proxy, timeouts, response_limit_bytes). Throws std::runtime_error ("fhir: ...")
  // when the settings cannot work, like Delivery.
  ServerHistory(Worker& worker, const FhirConfiguration& settings, Authorize authorize, Log log,
                ServerHistoryLimits limits = {});
  // Abandons fetches in flight: their `done` never runs.
  ~ServerHistory();
  ServerHistory(const ServerHistory&) = delete;
  ServerHistory& operator=(const ServerHistory&) = delete;

  // Fetches the totals of `patient_reference` ("Patient/<id>"); `done` runs exactly
  // once, later (never from inside this call), unless this object is destroyed first.
  void fetch(const std::string& patient_reference, Done done);

  // The first request's target (relative to the base URL, percent-encoded), for tests.
  static std::string search_target(const std::string& patient_reference, int page_size);

 private:
  struct Fetch;
  void request_page(const std::shared_ptr<Fetch>& fetch, bool renew_token = false);
  // The steps after the headers and after each page's answer; a throw ends the read.
  void send_page(const std::shared_ptr<Fetch>& fetch, std::optional<std::vector<fhir::HttpHeader>> headers,
                 const std::string& error);
  void page_answered(const std::shared_ptr<Fetch>& fetch, const fhir::HttpResult& result);
  void fail(const std::shared_ptr<Fetch>& fetch, const std::string& reason);

  Worker& worker_;
  std::string base_url_;
  Authorize authorize_;
  Log log_;
  ServerHistoryLimits limits_;
  std::unique_ptr<fhir::HttpsClient> client_;
  // Checked by callbacks that may outlive this object (the authorization provider's).
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace alliance
