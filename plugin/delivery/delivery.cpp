#include "delivery/delivery.hpp"

#include <algorithm>
#include <new>
#include <nlohmann/json.hpp>
#include <typeinfo>

#include "documents/clinical_note.hpp"
#include "documents/note_pdf.hpp"
#include "runtime/fault_injection.hpp"
#include "mapping/chart_bundle.hpp"
#include "mapping/created_resource.hpp"
#include "client/https_client.hpp"
#include "client/search.hpp"
#include "mapping/one_by_one.hpp"
#include "configuration/https_client_settings.hpp"
#include "runtime/log_text.hpp"
#include "auth/token_source.hpp"
#include "mapping/transaction_response.hpp"
#include "reading/utc_clock.hpp"
#include "runtime/worker.hpp"

namespace alliance {

using nlohmann::json;

struct Delivery::Push {
  StoredAdministration stored;
  const MeasureDefinition* measure = nullptr;  // from the library, which outlives Delivery
  size_t connection = 0;
  fhir::BundleResult bundle;
  std::vector<fhir::NoteAttachment> note;  // the document profile's note, drawn once per attempt
  std::vector<json> created;  // one by one: the resources the server confirmed so far
  std::map<std::string, std::string> server_references;  // one by one: fullUrl -> "Type/id"
  bool token_renewed = false;  // a 401 has had its one new token
  bool settled = false;        // its outcome is decided: nothing may settle it again
};

namespace {

AttemptOutcome outcome_of(const fhir::HttpResult& result) {
  AttemptOutcome outcome;
  outcome.transport_failed = !result.ok();
  outcome.transport_error = result.message;
  outcome.status = result.response.status;
  outcome.body = result.response.body;
  if (const auto retry_after = result.response.headers.find("retry-after");
      retry_after != result.response.headers.end()) {
    outcome.retry_after = retry_after->second;
  }
  return outcome;
}

// The id a conditional create answered with: from Location, else from the body.
std::string created_id(const fhir::HttpResult& result, const std::string& type) {
  const auto header = result.response.headers.find("location");
  return created_resource_id(header != result.response.headers.end() ? header->second : std::string(),
                             result.response.body, type);
}

// What a throw was, for the log: its kind, and its text only when that is known to hold
// no PHI (the store's messages name files and SQLite's reasons; a JSON error's text
// may quote the server's answer, so only its number is given).
std::string describe_throw(const std::exception* error) {
  if (error == nullptr) return "kind=unknown";
  if (dynamic_cast<const StoreBusy*>(error) != nullptr) return "kind=store_busy reason=" + log_value(error->what());
  if (dynamic_cast<const StoreError*>(error) != nullptr) return "kind=store reason=" + log_value(error->what());
  if (const auto* json_error = dynamic_cast<const json::exception*>(error)) {
    return "kind=json json_error=" + std::to_string(json_error->id);
  }
  if (dynamic_cast<const std::bad_alloc*>(error) != nullptr) return "kind=memory";
  return std::string("kind=exception type=") + log_value(typeid(*error).name());
}

// When a path failed: how soon the timer looks in the store again (a held store is
// usually free again within seconds).
constexpr std::chrono::milliseconds kAfterFailure{1000};

}  // namespace

Delivery::Delivery(Worker& worker, Store& store, const MeasureLibrary& measures, const FhirConfiguration& settings,
                   HostGateway& host)
    : worker_(worker),
      store_(store),
      measures_(measures),
      settings_(settings),
      host_(host) {
  mapping_.identifier_system = settings.identifier_system;
  mapping_.item_observations = settings.item_observations;
  mapping_.chart = settings.chart;
  for (int index = 0; index < settings.concurrency; ++index) {
    fhir::HttpsClientCreation creation =
        fhir::HttpsClient::create(worker.io_context_handle(), https_client_settings(settings));
    if (!creation.client) throw std::runtime_error("fhir: " + creation.error);
    connections_.push_back(std::move(creation.client));
  }
  connection_busy_.assign(connections_.size(), false);
  if (settings.smart) {
    fhir::auth::TokenSourceCreation creation = fhir::auth::TokenSource::create(
        worker.io_context_handle(), https_client_settings(settings), smart_settings(*settings.smart));
    if (!creation.source) throw std::runtime_error("fhir.smart: " + creation.error);
    tokens_ = std::move(creation.source);
  }
}

// The connections go first: they abandon what is in flight without running callbacks.
Delivery::~Delivery() {
  worker_.cancel(timer_);
  connections_.clear();
  tokens_.reset();
}

template <typename Work>
void Delivery::guarded(const char* event, const std::shared_ptr<Push>& push, Work&& work) {
  try {
    work();
    return;
  } catch (const std::exception& error) {
    host_.log(LogLevel::error, std::string("event=") + event + " outcome=failed " + describe_throw(&error));
  } catch (...) {
    host_.log(LogLevel::error, std::string("event=") + event + " outcome=failed " + describe_throw(nullptr));
  }
  recover(push);
}

void Delivery::recover(const std::shared_ptr<Push>& push) {
  try {
    settle_after_failure(push);
    if (!stopping_) arm_timer(kAfterFailure);
  } catch (...) {
    // Out of memory, or the log threw: the timer is the one thing left to try.
    try {
      if (!stopping_) arm_timer(kAfterFailure);
    } catch (...) {
      host_.log(LogLevel::error, "event=delivery_recovery_failed");
    }
  }
}

void Delivery::settle_after_failure(const std::shared_ptr<Push>& push) {
  if (!push || push->settled) return;
  // The pushes that wait for the same Questionnaire wait for an answer that will not
  // come now: they go back to pending too.
  std::vector<std::shared_ptr<Push>> affected{push};
  const auto questionnaire = questionnaires_.find(push->stored.administration.questionnaire);
  if (questionnaire != questionnaires_.end() && questionnaire->second.in_flight &&
      std::find(questionnaire->second.waiting.begin(), questionnaire->second.waiting.end(), push) !=
          questionnaire->second.waiting.end()) {
    questionnaire->second.in_flight = false;
    affected.swap(questionnaire->second.waiting);
  }
  AttemptOutcome outcome;
  outcome.transport_failed = true;
  outcome.transport_error = "the plugin failed while handling this attempt (see the log); tried again later";
  DeliveryDecision decision;
  decision.verdict = AttemptVerdict::retry;
  decision.stored_error = outcome.transport_error;
  decision.log_reason = "internal_error";
  for (const std::shared_ptr<Push>& waiting : affected) {
    if (!waiting->settled) settle(waiting, decision, outcome);
  }
}

void Delivery::arm_timer(std::chrono::milliseconds delay) {
  // The worker's own timer rather than Asio's: an armed Asio timer would keep the idle
  // worker sleeping in epoll, where a host's hook costs more to wake it (worker.hpp).
  worker_.cancel(timer_);  // a wait already armed
  timer_ = worker_.post_after(delay, [this] {
    timer_ = 0;
    on_timer();
  });
}

void Delivery::on_timer() {
  guarded("delivery_timer", nullptr, [this] {
    fault_injection::pass(fault_injection::Point::retry_timer);
    flush();  // outcomes a held store could not take before
    fill_now();
  });
}

void Delivery::start() {
  guarded("delivery_start", nullptr, [this] { fill_now(); });
}

void Delivery::wake() {
  if (stopping_) return;
  guarded("delivery_wake", nullptr, [this] { fill_now(); });
}

void Delivery::finish_then(std::function<void()> on_idle) {
  stopping_ = true;
  worker_.cancel(timer_);
  timer_ = 0;
  if (in_flight_ == 0) {
    flush();
    on_idle();
    return;
  }
  on_idle_ = std::move(on_idle);
}

std::chrono::seconds Delivery::backoff(int attempts) {
  const auto delay = retry_delay(attempts, std::chrono::seconds(settings_.retry_initial_seconds),
                                 std::chrono::seconds(settings_.retry_maximum_seconds));
  // Equal jitter: half the delay, plus a random share of the other half, so that
  // many clinics' plugins do not all come back to a recovering server at once.
  std::uniform_int_distribution<long long> share(0, delay.count() / 2);
  return std::chrono::seconds(delay.count() - delay.count() / 2 + share(jitter_));
}

// Throws when the store does (e.g. held by another process): callers are guarded.
void Delivery::fill_now() {
  if (stopping_) return;
  if (!in_flight_reset_) {
    const int returned = store_.reset_in_flight();
    in_flight_reset_ = true;
    if (returned > 0) host_.log(LogLevel::info, "event=delivery_resumed in_flight_returned=" + std::to_string(returned));
  }
  const size_t free = connections_.size() - static_cast<size_t>(in_flight_);
  if (free == 0) return;
  std::vector<StoredAdministration> due = store_.take_due(utc_now(), free);
  for (StoredAdministration& stored : due) {
    auto push = std::make_shared<Push>();
    push->stored = std::move(stored);
    // Counted in flight first, so that whatever happens next settles it exactly once.
    for (size_t index = 0; index < connection_busy_.size(); ++index) {
      if (!connection_busy_[index]) {
        push->connection = index;
        connection_busy_[index] = true;
        break;
      }
    }
    ++in_flight_;
    guarded("delivery_push", push, [this, &push] {
      const Administration& administration = push->stored.administration;
      const MeasureDefinition* measure = measures_.by_canonical(administration.questionnaire);
      if (measure == nullptr) {
        push->bundle.error = "the Questionnaire " + administration.questionnaire +
                             " is no longer installed in measures.questionnaire_folder";
      } else {
        push->measure = measure;
        std::string note_error;
        if (settings_.chart.document) push->note = note_attachments(administration, *measure, note_error);
        push->bundle = note_error.empty() ? fhir::chart_bundle(administration, *measure, mapping_, push->note)
                                          : fhir::BundleResult{{}, note_error};
      }
      if (!push->bundle.error.empty()) {
        DeliveryDecision decision;
        decision.verdict = AttemptVerdict::failed;
        decision.stored_error = push->bundle.error;
        decision.log_reason = "cannot_map";
        settle(push, decision, AttemptOutcome{});
        return;
      }
      start_push(push);
    });
  }
  if (!unrecorded_.empty()) flush();
  if (in_flight_ == 0) schedule_next_due();
}

void Delivery::start_push(const std::shared_ptr<Push>& push) {
  push->created.clear();
  push->server_references.clear();
  // Only the fhir-native profile refers to a Questionnaire.
  if (settings_.ensure_questionnaires && settings_.chart.fhir_native) {
    ensure_questionnaire(push);
  } else {
    send_mapped(push);
  }
}

void Delivery::with_authorization(const std::shared_ptr<Push>& push,
                                  std::function<void(std::vector<fhir::HttpHeader>)> send,
                                  std::function<void(const AttemptOutcome&)> no_token) {
  if (!tokens_) {
    send({});
    return;
  }
  tokens_->get([this, push, send = std::move(send), no_token = std::move(no_token)](fhir::auth::TokenResult token) {
    guarded("delivery_token", push, [&] {
      fault_injection::pass(fault_injection::Point::token_callback);
      if (!token.ok) {
        // No token, nothing sent: the administration waits, and the log says why
        // (a refused key is a configuration problem for IT).
        AttemptOutcome outcome;
        outcome.transport_failed = true;
        outcome.transport_error = "no access token: " + token.error;
        if (no_token) {
          no_token(outcome);
        } else {
          complete(push, outcome);
        }
        return;
      }
      send({{"Authorization", token.authorization_header_value}});
    });
  });
}

void Delivery::authorize(bool renew, std::function<void(std::optional<std::vector<fhir::HttpHeader>>, std::string)> ready) {
  if (!tokens_) {
    ready(std::vector<fhir::HttpHeader>{}, std::string());
    return;
  }
  if (renew) tokens_->invalidate();
  tokens_->get([this, ready = std::move(ready)](fhir::auth::TokenResult token) {
    // The history read owns what `ready` does; a throw is logged here, not dropped.
    guarded("history_token", nullptr, [&] {
      if (!token.ok) {
        ready(std::nullopt, "no access token: " + token.error);
        return;
      }
      ready(std::vector<fhir::HttpHeader>{{"Authorization", token.authorization_header_value}}, std::string());
    });
  });
}

bool Delivery::retry_with_new_token(const std::shared_ptr<Push>& push, int status) {
  if (status != 401 || !tokens_ || push->token_renewed) return false;
  push->token_renewed = true;
  tokens_->invalidate();
  host_.log(LogLevel::info, "event=token_refused action=renew measure=" + push->stored.measure);
  start_push(push);
  return true;
}

void Delivery::ensure_questionnaire(const std::shared_ptr<Push>& push) {
  QuestionnaireOnServer& questionnaire = questionnaires_[push->stored.administration.questionnaire];
  if (!questionnaire.id.empty()) {
    send_mapped(push);
    return;
  }
  questionnaire.waiting.push_back(push);
  if (questionnaire.in_flight) return;  // the push that asked first brings the answer for all
  questionnaire.in_flight = true;
  post_questionnaire(push);
}

void Delivery::post_questionnaire(const std::shared_ptr<Push>& push) {
  const std::string canonical = push->stored.administration.questionnaire;
  // Without a token nothing was sent: that is no news about the Questionnaire.
  const auto no_token = [this, canonical](const AttemptOutcome& outcome) {
    questionnaire_settled(canonical, "", outcome, false);
  };
  with_authorization(
      push,
      [this, push, canonical](std::vector<fhir::HttpHeader> headers) {
        const MeasureDefinition& measure = *push->measure;
        fhir::HttpRequest request;
        request.method = fhir::HttpMethod::post;
        request.target = "Questionnaire";
        request.body = measure.resource_json;
        request.extra_headers = std::move(headers);
        request.extra_headers.push_back(
            {"If-None-Exist", "url=" + fhir::encode_query_value(measure.url) + "&version=" + fhir::encode_query_value(measure.version)});
        connections_[push->connection]->send(std::move(request), [this, push, canonical](fhir::HttpResult result) {
          guarded("delivery_answer", push, [&] { questionnaire_answered(push, canonical, result); });
        });
      },
      no_token);
}

void Delivery::questionnaire_answered(const std::shared_ptr<Push>& push, const std::string& canonical,
                                      const fhir::HttpResult& result) {
  fault_injection::pass(fault_injection::Point::https_callback);
  const int status = result.ok() ? result.response.status : 0;
  if (status == 401 && tokens_ && !push->token_renewed) {
    // One new token and one more try, as for every request of this push.
    push->token_renewed = true;
    tokens_->invalidate();
    host_.log(LogLevel::info, "event=token_refused action=renew measure=" + push->stored.measure);
    post_questionnaire(push);
    return;
  }
  // 201: created; 200: the server had it (If-None-Exist matched one).
  const std::string id = (status == 200 || status == 201) ? created_id(result, "Questionnaire") : std::string();
  if (!id.empty()) {
    host_.log(LogLevel::info, "event=questionnaire_ensured measure=" + push->stored.measure +
                                  " status=" + std::to_string(status));
  }
  questionnaire_settled(canonical, id, outcome_of(result), true);
}

void Delivery::questionnaire_settled(const std::string& canonical, const std::string& id,
                                     const AttemptOutcome& outcome, bool sent) {
  QuestionnaireOnServer& questionnaire = questionnaires_[canonical];
  questionnaire.in_flight = false;
  questionnaire.id = id;
  std::vector<std::shared_ptr<Push>> waiting;
  waiting.swap(questionnaire.waiting);
  if (!id.empty()) {
    // Each on its own: one push that fails here goes back to pending alone.
    for (const std::shared_ptr<Push>& push : waiting) guarded("delivery_push", push, [&] { send_mapped(push); });
    return;
  }
  // The administrations are fine; the Questionnaire is not on the server yet. They
  // wait with the usual backoff (and Retry-After) for whatever IT has to fix, except
  // after a 401 that a new token did not cure, which fails like every other 401.
  DeliveryDecision decision;
  if (!sent) {
    decision = decide(outcome, 1, std::chrono::system_clock::now());
    for (const std::shared_ptr<Push>& push : waiting) settle(push, decision, outcome);
    return;
  }
  if (!outcome.transport_failed && (outcome.status == 200 || outcome.status == 201)) {
    decision.stored_error = "HTTP " + std::to_string(outcome.status) + " without the Questionnaire's id";
    decision.log_reason = "status=" + std::to_string(outcome.status) + " no_id";
  } else {
    decision = decide(outcome, 1, std::chrono::system_clock::now());
    if (decision.verdict == AttemptVerdict::failed && outcome.status != 401) decision.verdict = AttemptVerdict::retry;
  }
  decision.stored_error = "cannot create Questionnaire " + canonical + ": " + decision.stored_error;
  decision.log_reason = "questionnaire_not_created " + decision.log_reason;
  for (const std::shared_ptr<Push>& push : waiting) settle(push, decision, outcome);
}

void Delivery::send_mapped(const std::shared_ptr<Push>& push) {
  if (settings_.questionnaire_reference == "server_id") {
    const auto found = questionnaires_.find(push->stored.administration.questionnaire);
    if (found != questionnaires_.end() && !found->second.id.empty()) {
      fhir::BundleResult mapped = fhir::chart_bundle(push->stored.administration, *push->measure, mapping_,
                                                     push->note, "Questionnaire/" + found->second.id);
      if (mapped.error.empty()) push->bundle = std::move(mapped);
    }
  }
  // An empty transaction is refused by some servers: with nothing to write (a stopped
  // administration under the flowsheet profile alone), the entry path settles it.
  if (settings_.transactions && !push->bundle.bundle["entry"].empty()) {
    send_transaction(push);
  } else {
    send_entry(push, 0);
  }
}

void Delivery::send_transaction(const std::shared_ptr<Push>& push) {
  with_authorization(push, [this, push](std::vector<fhir::HttpHeader> headers) {
    fhir::HttpRequest request;
    request.method = fhir::HttpMethod::post;
    request.target = "";  // a transaction is POSTed to the base URL
    request.body = push->bundle.bundle.dump();
    request.extra_headers = std::move(headers);
    // Only each entry's status and location are read (transaction_response.cpp); the
    // created resources echoed back would cost the server and this worker for nothing.
    // A server that ignores the hint still answers in full, which is read as well.
    request.extra_headers.push_back({"Prefer", "return=minimal"});
    connections_[push->connection]->send(std::move(request), [this, push](fhir::HttpResult result) {
      guarded("delivery_answer", push, [&] {
        fault_injection::pass(fault_injection::Point::https_callback);
        if (result.ok() && retry_with_new_token(push, result.response.status)) return;
        complete(push, outcome_of(result));
      });
    });
  });
}

void Delivery::send_entry(const std::shared_ptr<Push>& push, size_t index) {
  if (index >= push->bundle.bundle["entry"].size()) {
    // Every entry is on the server: read like the transaction-response it stands for.
    AttemptOutcome outcome;
    outcome.status = 200;
    outcome.body = fhir::as_transaction_response(push->created);
    complete(push, outcome);
    return;
  }
  if (settings_.conditional_creates) {
    post_entry(push, index);
  } else {
    // The server takes no If-None-Exist: look for what an earlier attempt wrote first.
    find_entry(push, index, false);
  }
}

void Delivery::post_entry(const std::shared_ptr<Push>& push, size_t index) {
  with_authorization(push, [this, push, index](std::vector<fhir::HttpHeader> headers) {
    const json& entry = push->bundle.bundle["entry"][index];
    const std::string type = entry["request"]["url"].get<std::string>();
    json resource = entry["resource"];
    fhir::resolve_references(resource, push->server_references);
    fhir::HttpRequest request;
    request.method = fhir::HttpMethod::post;
    request.target = type;
    request.body = resource.dump();
    request.extra_headers = std::move(headers);
    if (settings_.conditional_creates) {
      request.extra_headers.push_back({"If-None-Exist", entry["request"]["ifNoneExist"].get<std::string>()});
    }
    connections_[push->connection]->send(std::move(request), [this, push, index, type](fhir::HttpResult result) {
      guarded("delivery_answer", push, [&] { entry_answered(push, index, type, result); });
    });
  });
}

void Delivery::find_entry(const std::shared_ptr<Push>& push, size_t index, bool after_refusal) {
  with_authorization(push, [this, push, index, after_refusal](std::vector<fhir::HttpHeader> headers) {
    const json& entry = push->bundle.bundle["entry"][index];
    const std::string type = entry["request"]["url"].get<std::string>();
    fhir::HttpRequest request;
    request.method = fhir::HttpMethod::get;
    request.target = fhir::search_target_of_query(type, entry["request"]["ifNoneExist"].get<std::string>());
    request.extra_headers = std::move(headers);
    connections_[push->connection]->send(std::move(request), [this, push, index, type, after_refusal](fhir::HttpResult result) {
      guarded("delivery_answer", push, [&] { entry_found(push, index, type, after_refusal, result); });
    });
  });
}

void Delivery::entry_found(const std::shared_ptr<Push>& push, size_t index, const std::string& type,
                           bool after_refusal, const fhir::HttpResult& result) {
  fault_injection::pass(fault_injection::Point::https_callback);
  if (result.ok() && retry_with_new_token(push, result.response.status)) return;
  if (!result.ok() || result.response.status != 200) {
    complete(push, outcome_of(result));  // the server's reason (e.g. a search it refuses) for IT
    return;
  }
  const fhir::SearchMatches matches = fhir::read_search_matches(result.response.body, type);
  if (!matches.error.empty()) {
    AttemptOutcome outcome = outcome_of(result);
    outcome.status = 502;  // a success that cannot be read: tried again
    complete(push, outcome);
    return;
  }
  if (!matches.ids.empty()) {
    // Written by an earlier attempt (whose answer was lost): not written again.
    if (matches.ids.size() > 1) {
      host_.log(LogLevel::warning, "event=earlier_write_found measure=" + push->stored.measure + " type=" + type +
                                       " matches=" + std::to_string(matches.ids.size()));
    }
    entry_created(push, index, type, matches.ids.front(), 200);
    return;
  }
  if (!after_refusal) {
    post_entry(push, index);
    return;
  }
  // The server said it has this reading, but its search does not find it: wait and look
  // again rather than claim a delivery nobody can confirm.
  AttemptOutcome outcome;
  outcome.transport_failed = true;
  // Words without the search itself: they reach the log, and the search names the client.
  outcome.transport_error = "the server answered that the " + type +
                            " already exists, but its search does not find it; tried again later";
  complete(push, outcome);
}

void Delivery::entry_answered(const std::shared_ptr<Push>& push, size_t index, const std::string& type,
                              const fhir::HttpResult& result) {
  fault_injection::pass(fault_injection::Point::https_callback);
  if (result.ok() && retry_with_new_token(push, result.response.status)) return;
  if (result.ok() && fhir::says_already_exists(result.response.status, result.response.body)) {
    // An EHR refuses a repeated reading: an earlier attempt arrived. Its id comes from
    // the search that finds it.
    host_.log(LogLevel::info, "event=already_exists measure=" + push->stored.measure + " type=" + type +
                                  " status=" + std::to_string(result.response.status));
    find_entry(push, index, true);
    return;
  }
  const std::string id = result.ok() ? created_id(result, type) : std::string();
  if (!result.ok() || (result.response.status != 200 && result.response.status != 201) || id.empty()) {
    AttemptOutcome outcome = outcome_of(result);
    if (outcome.status == 200 || outcome.status == 201) outcome.status = 502;  // a success without an id
    complete(push, outcome);
    return;
  }
  entry_created(push, index, type, id, result.response.status);
}

void Delivery::entry_created(const std::shared_ptr<Push>& push, size_t index, const std::string& type,
                             const std::string& id, int status) {
  push->created.push_back({{"type", type}, {"id", id}, {"status", status}});
  push->server_references[push->bundle.bundle["entry"][index]["fullUrl"].get<std::string>()] = type + "/" + id;
  send_entry(push, index + 1);
}

void Delivery::complete(const std::shared_ptr<Push>& push, const AttemptOutcome& outcome) {
  settle(push, decide(outcome, push->bundle.bundle["entry"].size(), std::chrono::system_clock::now()), outcome);
}

void Delivery::settle(const std::shared_ptr<Push>& push, const DeliveryDecision& decision,
                      const AttemptOutcome& outcome) {
  if (push->settled) return;
  push->settled = true;
  --in_flight_;
  connection_busy_[push->connection] = false;
  const auto now = std::chrono::system_clock::now();
  const int attempts = push->stored.delivery_attempts + 1;
  const std::string measure = "measure=" + push->stored.measure;
  DeliveryRecord record;
  record.administration_id = push->stored.administration.administration_id;
  record.at = format_utc(now);
  record.http_status = outcome.transport_failed ? 0 : outcome.status;
  record.log_reason = decision.log_reason;
  switch (decision.verdict) {
    case AttemptVerdict::delivered: {
      record.state = DeliveryRecord::State::delivered;
      record.server_resources = decision.server_resources;
      record.log_reason = "delivered";
      // From the client's submit (authored) to the server's confirmation.
      const auto submitted = parse_utc(push->stored.administration.authored_at);
      const long long latency =
          submitted ? std::chrono::duration_cast<std::chrono::milliseconds>(now - *submitted).count() : -1;
      host_.log(LogLevel::info, "event=delivered " + measure + " attempts=" + std::to_string(attempts) +
                                    " latency_ms=" + std::to_string(latency));
      break;
    }
    case AttemptVerdict::retry: {
      const auto delay = std::max(backoff(attempts), decision.earliest_retry);
      record.state = DeliveryRecord::State::pending;
      record.next_attempt_at = format_utc(now + delay);
      record.error = decision.stored_error;
      host_.log(LogLevel::warning, "event=delivery_retry " + measure + " attempts=" + std::to_string(attempts) +
                                       " retry_in_seconds=" + std::to_string(delay.count()) + " reason=" +
                                       log_value(decision.log_reason));
      break;
    }
    case AttemptVerdict::failed:
      record.state = DeliveryRecord::State::failed;
      record.error = decision.stored_error;
      host_.log(LogLevel::error, "event=delivery_failed " + measure + " attempts=" + std::to_string(attempts) +
                                     " reason=" + log_value(decision.log_reason));
      break;
  }
  unrecorded_.push_back(std::move(record));
  if (stopping_) {
    if (in_flight_ == 0) {
      flush();
      if (on_idle_) std::exchange(on_idle_, nullptr)();
    }
    return;
  }
  // Outcomes that complete together are written together: one commit for the batch.
  if (!flush_posted_) {
    flush_posted_ = true;
    worker_.post([this] {
      flush_posted_ = false;
      guarded("delivery_job", nullptr, [this] {
        fault_injection::pass(fault_injection::Point::worker_job);
        flush();
        fill_now();
      });
    });
  }
}

std::vector<fhir::NoteAttachment> Delivery::note_attachments(const Administration& administration,
                                                             const MeasureDefinition& measure, std::string& error) {
  // The client's trend as this process's store has it, for the graph; the note of a
  // later attempt may show more sessions, which is the chart's truth by then.
  const ClinicalNote note = clinical_note(administration, measure, store_.trend(administration.client_key));
  std::vector<fhir::NoteAttachment> attachments;
  if (settings_.chart.document_text) {
    attachments.push_back({"text/plain; charset=utf-8", note.language, note.title, note_text(note)});
  }
  if (settings_.chart.document_pdf) {
    NotePdf pdf = note_pdf(note);
    if (!pdf.error.empty()) {
      error = "cannot draw the note's PDF: " + pdf.error;
      return {};
    }
    attachments.push_back({"application/pdf", note.language, note.title, std::move(pdf.bytes)});
  }
  return attachments;
}

void Delivery::flush() {
  if (unrecorded_.empty()) return;
  std::vector<DeliveryRecord> records;
  records.swap(unrecorded_);
  try {
    store_.record(records);
  } catch (const std::exception& error) {
    // The rows stay in flight in the store, so they are pushed again at the next start
    // (the server's ifNoneExist makes that safe); keep the outcomes for the next try.
    host_.log(LogLevel::error, "event=delivery_record_failed reason=" + log_value(error.what()));
    unrecorded_.insert(unrecorded_.end(), records.begin(), records.end());
  }
}

void Delivery::schedule_next_due() {
  // A new result wakes the worker at once (wake()). Results that alliancectl retry made
  // pending again, from another process, are found by looking at the store at least
  // every store_check_seconds, whatever is or is not due.
  const std::chrono::milliseconds check_again = std::chrono::seconds(settings_.store_check_seconds);
  std::chrono::milliseconds delay = check_again;
  if (const std::optional<std::string> next = store_.next_attempt_time()) {
    const auto due = parse_utc(*next).value_or(std::chrono::system_clock::now());
    delay = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(due - std::chrono::system_clock::now()),
                       std::chrono::milliseconds(0), check_again);
  }
  arm_timer(delay);
}

}  // namespace alliance
