// Delivery to the chart. Takes due administrations from the store (marked in flight in
// one transaction), maps each to FHIR and pushes it over its own keep-alive
// connection from a small pool, then records the outcomes (delivered with the server's
// ids, pending with a backoff, or failed with the server's reason) in one transaction
// per batch. Nothing is lost: until the server confirms, an administration stays in
// the store, and one left in flight by a stopped process is pending again at start.
//
// Two ways to push, by configuration (fhir.transactions):
//   transaction   one Bundle with the QuestionnaireResponse and the Observation
//   one by one    conditional create of the QuestionnaireResponse, then of the
//                 Observation referring to its server id (for servers without
//                 transactions); If-None-Exist keeps both idempotent
//
// Every method runs on the plugin's worker thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "administration_bundle.hpp"
#include "configuration.hpp"
#include "delivery_policy.hpp"
#include "host_gateway.hpp"
#include "measure_library.hpp"
#include "store.hpp"

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

 private:
  struct Push;  // one administration on its way
  struct Timer;

  void fill();
  void start_push(const std::shared_ptr<Push>& push);
  // With SMART: the Authorization header (fetching a token first), then `send`.
  void with_authorization(const std::shared_ptr<Push>& push,
                          std::function<void(std::vector<fhir::HttpHeader>)> send);
  // A 401: one new token and one more try, then the verdict stands.
  bool retry_with_new_token(const std::shared_ptr<Push>& push, int status);
  void send_transaction(const std::shared_ptr<Push>& push);
  void send_response_then_observation(const std::shared_ptr<Push>& push);
  void send_observation(const std::shared_ptr<Push>& push, const std::string& response_id);
  void complete(const std::shared_ptr<Push>& push, const AttemptOutcome& outcome);
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
  std::unique_ptr<Timer> timer_;
  std::vector<DeliveryRecord> unrecorded_;  // outcomes waiting for the next flush
  bool flush_posted_ = false;
  int in_flight_ = 0;
  bool stopping_ = false;
  std::function<void()> on_idle_;
  std::mt19937 jitter_{std::random_device{}()};
};

}  // namespace alliance
