// Delivery to the chart: takes the oldest due administration from the store, maps it
// to a FHIR transaction, pushes it over HTTPS and records the outcome (delivered with
// the server's ids, retry later with backoff, or failed with the server's reason).
// One push at a time. Nothing is lost: until the server confirms, the administration
// stays in the store, and one left in flight by a stopped process is pending again at
// the next start.
//
// Every method runs on the plugin's worker thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "administration_bundle.hpp"
#include "configuration.hpp"
#include "host_gateway.hpp"
#include "measure_library.hpp"
#include "store.hpp"

namespace alliance {

namespace fhir {
class HttpsClient;
struct HttpResult;
}  // namespace fhir

class Worker;

class Delivery {
 public:
  // Creates the HTTPS client; throws std::runtime_error naming the fhir.* key when
  // the settings cannot work (e.g. an unreadable CA file).
  Delivery(Worker& worker, Store& store, const MeasureLibrary& measures, const FhirConfiguration& settings,
           HostGateway& host);
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  // Returns what a previous process left in flight to pending, then starts pushing.
  void start();
  // Something was saved: push now if nothing is in flight.
  void wake();
  // Starts nothing new; `on_idle` runs once nothing is in flight (at once if idle).
  void finish_then(std::function<void()> on_idle);

 private:
  void attempt_next();
  void finish_attempt(const std::string& administration_id, MeasureKind kind, int attempts,
                      const std::string& authored_at, const fhir::HttpResult& result);
  void schedule_next_due();

  struct Timer;
  Worker& worker_;
  Store& store_;
  const MeasureLibrary& measures_;
  FhirConfiguration settings_;
  fhir::MappingSettings mapping_;
  HostGateway& host_;
  std::unique_ptr<fhir::HttpsClient> client_;
  std::unique_ptr<Timer> timer_;
  bool in_flight_ = false;
  bool stopping_ = false;
  std::function<void()> on_idle_;
};

}  // namespace alliance
