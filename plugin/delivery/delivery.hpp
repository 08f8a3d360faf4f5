// Delivery to the chart. Takes due administrations from the store (marked in flight in
// one transaction), maps each to FHIR and pushes it over its own keep-alive
// connection from a small pool, then records the outcomes (delivered with the server's
// ids, pending with a backoff, or failed with the server's reason) in one transaction
// per batch. Nothing is lost: until the server confirms, an administration stays in
// the store, and one left in flight by a stopped process is pending again at start.
//
// Two ways to push, by configuration (fhir.transactions):
//   transaction   one Bundle with the QuestionnaireResponse and the Observations
//   one by one    conditional creates in the Bundle's order (for servers without
//                 transactions): the QuestionnaireResponse, then the item
//                 Observations (fhir.item_observations) derived from its server id,
//                 then the total, whose hasMember names the items' server ids; a
//                 stopped administration is the QuestionnaireResponse alone.
//                 If-None-Exist keeps every step idempotent, so a retry after a
//                 failure half-way creates nothing twice.
//
// What is written follows the chart profiles (fhir.chart, chart_bundle.hpp): the
// fhir-native resources, flowsheet rows, and the clinical note (plugin/documents,
// drawn here on the worker before mapping). Without conditional creates
// (fhir.conditional_creates false, always one by one) each entry's ifNoneExist is run
// as a search first and the entry is written only when nothing is found; a refusal
// that says it already exists counts once that search confirms it
// (docs/chart-profiles.md).
//
// Questionnaires (fhir.ensure_questionnaires): before the first push of an
// administration whose Questionnaire this process has not yet seen on the server, a
// conditional create (If-None-Exist: url and version) puts it there; its server id is
// kept per canonical, and with fhir.questionnaire_reference "server_id" responses refer
// to "Questionnaire/<id>". Pushes of the same Questionnaire wait for the one request in
// flight. When it fails, those administrations go back to pending with the usual
// backoff (the Questionnaire's problem is no reason to give up on the results), except
// after a 401 that a new token did not cure, which fails like any other 401.
//
// Nothing is swallowed: every asynchronous path (the start, a wake-up, the timer, the
// job that records outcomes, each HTTPS answer and each token) runs inside guarded(),
// which logs a throw with the path's event name and then settles what the path owned
// (its push goes back to pending with a backoff; pushes waiting on the same
// Questionnaire too) and arms the timer again, so that delivery goes on and shutdown
// drains. A store that another process holds (SQLITE_BUSY) is such a throw: the
// timer looks again a second later.
//
// Every method runs on the plugin's worker thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "mapping/administration_bundle.hpp"
#include "mapping/chart_profiles.hpp"
#include "configuration/configuration.hpp"
#include "delivery/delivery_policy.hpp"
#include "abi/host_gateway.hpp"
#include "measures/measure_library.hpp"
#include "store/store.hpp"
#include "runtime/worker.hpp"

namespace alliance {

namespace fhir {
class HttpsClient;
struct HttpResult;
struct HttpHeader;
namespace auth {
class TokenSource;
}
}  // namespace fhir

class Worker;

class Delivery {
 public:
  // Creates the connection pool; throws std::runtime_error naming the fhir.* key when
  // the settings cannot work (e.g. an unreadable CA file).
  Delivery(Worker& worker, Store& store, const MeasureLibrary& measures, const FhirConfiguration& settings,
           HostGateway& host);
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  // Returns what a previous process left in flight to pending, then starts pushing.
  void start();
  // Something was saved: push now if a connection is free.
  void wake();
  // Starts nothing new; `on_idle` runs once nothing is in flight (at once if idle).
  void finish_then(std::function<void()> on_idle);
  // The headers that authorize a request to the server (a SMART bearer token, or none
  // without SMART), for the plugin's reads (ServerHistory). On failure: nullopt and a
  // reason without PHI. `renew`: the server refused the token; get a new one.
  void authorize(bool renew, std::function<void(std::optional<std::vector<fhir::HttpHeader>>, std::string)> ready);

 private:
  struct Push;  // one administration on its way

  // A Questionnaire on the server, by canonical ("url|version").
  struct QuestionnaireOnServer {
    std::string id;       // the server's id, once created or found
    bool in_flight = false;
    std::vector<std::shared_ptr<Push>> waiting;  // pushes that go on once it is there
  };

  // Runs `work`; a throw is logged with `event` and recovered from (see the top).
  template <typename Work>
  void guarded(const char* event, const std::shared_ptr<Push>& push, Work&& work);
  // After a throw: `push` (if any) and the pushes waiting on its Questionnaire go back
  // to pending; the timer looks in the store again soon.
  void recover(const std::shared_ptr<Push>& push);
  void settle_after_failure(const std::shared_ptr<Push>& push);
  void arm_timer(std::chrono::milliseconds delay);
  void on_timer();

  void fill_now();
  void start_push(const std::shared_ptr<Push>& push);
  // With SMART: the Authorization header (fetching a token first), then `send`. Without
  // a token: `no_token` with the outcome when given, else the push completes with it.
  void with_authorization(const std::shared_ptr<Push>& push,
                          std::function<void(std::vector<fhir::HttpHeader>)> send,
                          std::function<void(const AttemptOutcome&)> no_token = nullptr);
  // A 401: one new token and one more try, then the verdict stands.
  bool retry_with_new_token(const std::shared_ptr<Push>& push, int status);
  void ensure_questionnaire(const std::shared_ptr<Push>& push);
  void post_questionnaire(const std::shared_ptr<Push>& push);
  // The Questionnaire request ended: the waiting pushes go on (`id` set) or complete
  // with `outcome`'s failure; `sent` is false when no request went out (no token).
  void questionnaire_answered(const std::shared_ptr<Push>& push, const std::string& canonical,
                              const fhir::HttpResult& result);
  void questionnaire_settled(const std::string& canonical, const std::string& id, const AttemptOutcome& outcome,
                             bool sent);
  // Maps again when the response must name the Questionnaire's server id, then sends.
  void send_mapped(const std::shared_ptr<Push>& push);
  void send_transaction(const std::shared_ptr<Push>& push);
  // One by one: the Bundle's entry `index`, then the next. With conditional creates a
  // POST with If-None-Exist; without, a search for an earlier attempt's write first
  // (find_entry), and a POST only when there is none.
  void send_entry(const std::shared_ptr<Push>& push, size_t index);
  void post_entry(const std::shared_ptr<Push>& push, size_t index);
  void entry_answered(const std::shared_ptr<Push>& push, size_t index, const std::string& type,
                      const fhir::HttpResult& result);
  // Runs the entry's ifNoneExist as a search: before writing, or after the server
  // refused a write as already existing (`after_refusal`: then it must be found).
  void find_entry(const std::shared_ptr<Push>& push, size_t index, bool after_refusal);
  void entry_found(const std::shared_ptr<Push>& push, size_t index, const std::string& type, bool after_refusal,
                   const fhir::HttpResult& result);
  void entry_created(const std::shared_ptr<Push>& push, size_t index, const std::string& type, const std::string& id,
                     int status);
  // The document profile's attachments: the clinical note as text and/or PDF; on a
  // drawing failure none, and `error` says why.
  std::vector<fhir::NoteAttachment> note_attachments(const Administration& administration,
                                                     const MeasureDefinition& measure, std::string& error);
  void complete(const std::shared_ptr<Push>& push, const AttemptOutcome& outcome);
  // Records the verdict on one attempt (delivered, pending with a backoff, or failed).
  void settle(const std::shared_ptr<Push>& push, const DeliveryDecision& decision, const AttemptOutcome& outcome);
  void flush();
  void schedule_next_due();
  std::chrono::seconds backoff(int attempts);

  Worker& worker_;
  Store& store_;
  const MeasureLibrary& measures_;
  FhirConfiguration settings_;
  fhir::MappingSettings mapping_;
  HostGateway& host_;
  std::vector<std::unique_ptr<fhir::HttpsClient>> connections_;
  std::unique_ptr<fhir::auth::TokenSource> tokens_;  // with fhir.smart
  std::vector<bool> connection_busy_;
  Worker::TimerId timer_ = 0;  // the wait armed by arm_timer, if any
  std::map<std::string, QuestionnaireOnServer> questionnaires_;  // by canonical, for this process
  std::vector<DeliveryRecord> unrecorded_;  // outcomes waiting for the next flush
  bool flush_posted_ = false;
  int in_flight_ = 0;
  bool stopping_ = false;
  bool in_flight_reset_ = false;  // what a stopped process left in flight is pending again
  std::function<void()> on_idle_;
  std::mt19937 jitter_{std::random_device{}()};
};

}  // namespace alliance
