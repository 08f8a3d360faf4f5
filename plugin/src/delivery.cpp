#include "delivery.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "delivery_policy.hpp"
#include "https_client.hpp"
#include "utc_clock.hpp"
#include "worker.hpp"

namespace alliance {

struct Delivery::Timer {
  explicit Timer(void* io_context) : timer(*static_cast<boost::asio::io_context*>(io_context)) {}
  boost::asio::steady_timer timer;
};

namespace {

fhir::HttpsClientSettings client_settings(const FhirConfiguration& settings) {
  fhir::HttpsClientSettings client;
  client.base_url = settings.base_url;
  client.ca_file = settings.ca_file.string();
  const std::chrono::milliseconds step = std::chrono::seconds(settings.timeout_seconds);
  client.timeouts.resolve = client.timeouts.connect = client.timeouts.tls_handshake = step;
  client.timeouts.write = client.timeouts.read = step;
  client.response_limit_bytes = settings.response_limit_bytes;
  return client;
}

}  // namespace

Delivery::Delivery(Worker& worker, Store& store, const MeasureLibrary& measures, const FhirConfiguration& settings,
                   HostGateway& host)
    : worker_(worker),
      store_(store),
      measures_(measures),
      settings_(settings),
      host_(host),
      timer_(std::make_unique<Timer>(worker.io_context_handle())) {
  mapping_.identifier_system = settings.identifier_system;
  fhir::HttpsClientCreation creation = fhir::HttpsClient::create(worker.io_context_handle(), client_settings(settings));
  if (!creation.client) throw std::runtime_error("fhir: " + creation.error);
  client_ = std::move(creation.client);
}

// The client goes first: it abandons what is in flight without running callbacks.
Delivery::~Delivery() { client_.reset(); }

void Delivery::start() {
  store_.reset_in_flight();
  attempt_next();
}

void Delivery::wake() {
  if (in_flight_ || stopping_) return;
  timer_->timer.cancel();
  attempt_next();
}

void Delivery::finish_then(std::function<void()> on_idle) {
  stopping_ = true;
  timer_->timer.cancel();
  if (!in_flight_) {
    on_idle();
    return;
  }
  on_idle_ = std::move(on_idle);
}

void Delivery::attempt_next() {
  if (in_flight_ || stopping_) return;
  std::optional<StoredAdministration> due = store_.next_due(utc_now());
  if (!due) {
    schedule_next_due();
    return;
  }
  const Administration& administration = due->administration;
  const MeasureKind kind = administration.scored.kind;
  const fhir::BundleResult bundle = fhir::administration_bundle(administration, measures_.get(kind), mapping_);
  if (!bundle.error.empty()) {
    store_.mark_failed(administration.administration_id, bundle.error);
    host_.log(LogLevel::error, std::string("event=delivery_failed measure=") + measure_code(kind) +
                                   " reason=cannot_map");
    worker_.post([this] { attempt_next(); });
    return;
  }
  store_.mark_in_flight(administration.administration_id);
  in_flight_ = true;
  fhir::HttpRequest request;
  request.method = fhir::HttpMethod::post;
  request.target = "";  // a transaction is POSTed to the base URL
  request.body = bundle.bundle.dump();
  client_->send(std::move(request), [this, id = administration.administration_id, kind,
                                     attempts = due->delivery_attempts + 1,
                                     authored_at = administration.authored_at](fhir::HttpResult result) {
    finish_attempt(id, kind, attempts, authored_at, result);
  });
}

void Delivery::finish_attempt(const std::string& administration_id, MeasureKind kind, int attempts,
                              const std::string& authored_at, const fhir::HttpResult& result) {
  in_flight_ = false;
  const std::string measure = std::string("measure=") + measure_code(kind);
  const auto now = std::chrono::system_clock::now();
  AttemptOutcome outcome;
  outcome.transport_failed = !result.ok();
  outcome.transport_error = result.message;
  outcome.status = result.response.status;
  outcome.body = result.response.body;
  if (const auto retry_after = result.response.headers.find("retry-after");
      retry_after != result.response.headers.end()) {
    outcome.retry_after = retry_after->second;
  }
  const DeliveryDecision decision = decide(outcome, 2, now);
  switch (decision.verdict) {
    case AttemptVerdict::delivered: {
      store_.mark_delivered(administration_id, decision.server_resources, format_utc(now));
      // From the client's submit (authored) to the server's confirmation.
      const auto submitted = parse_utc(authored_at);
      const long long latency =
          submitted ? std::chrono::duration_cast<std::chrono::milliseconds>(now - *submitted).count() : -1;
      host_.log(LogLevel::info, "event=delivered " + measure + " attempts=" + std::to_string(attempts) +
                                    " latency_ms=" + std::to_string(latency));
      break;
    }
    case AttemptVerdict::retry: {
      const auto delay = std::max(retry_delay(attempts, std::chrono::seconds(settings_.retry_initial_seconds),
                                              std::chrono::seconds(settings_.retry_maximum_seconds)),
                                  decision.earliest_retry);
      store_.mark_for_retry(administration_id, format_utc(now + delay), decision.stored_error);
      host_.log(LogLevel::warning, "event=delivery_retry " + measure + " attempts=" + std::to_string(attempts) +
                                       " retry_in_seconds=" + std::to_string(delay.count()) + " reason=\"" +
                                       decision.log_reason + "\"");
      break;
    }
    case AttemptVerdict::failed:
      store_.mark_failed(administration_id, decision.stored_error);
      host_.log(LogLevel::error, "event=delivery_failed " + measure + " attempts=" + std::to_string(attempts) +
                                     " reason=\"" + decision.log_reason + "\"");
      break;
  }
  if (stopping_) {
    if (on_idle_) std::exchange(on_idle_, nullptr)();
    return;
  }
  attempt_next();
}

void Delivery::schedule_next_due() {
  const std::optional<std::string> next = store_.next_attempt_time();
  if (!next) return;  // nothing pending: wake() starts the next push
  const auto due = parse_utc(*next).value_or(std::chrono::system_clock::now());
  const auto delay = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(due - std::chrono::system_clock::now()),
                              std::chrono::milliseconds(0));
  timer_->timer.expires_after(delay);
  timer_->timer.async_wait([this](const boost::system::error_code& error) {
    if (!error) attempt_next();
  });
}

}  // namespace alliance
