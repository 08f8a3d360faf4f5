#include "abi/plugin.hpp"

#include <future>

#include "abi/host_copy.hpp"
#include "runtime/log_text.hpp"
#include "panels/panel_message.hpp"

namespace alliance {

Plugin::Plugin(const thp_host_api& host, Configuration configuration, MeasureLibrary measures)
    : configuration_(std::move(configuration)),
      measures_(std::move(measures)),
      keys_(load_keys(configuration_)),
      store_(Store::open(configuration_.store_path, keys_)),
      host_(host, worker_, configuration_.log_level),
      delivery_(configuration_.fhir
                    ? std::make_unique<Delivery>(worker_, *store_, measures_, *configuration_.fhir, host_)
                    : nullptr),
      server_history_(delivery_ && configuration_.fhir->read_history
                          ? std::make_unique<ServerHistory>(
                                worker_, *configuration_.fhir,
                                [this](bool renew, ServerHistory::HeadersReady ready) {
                                  delivery_->authorize(renew, std::move(ready));
                                },
                                [this](LogLevel level, std::string_view line) { host_.log(level, std::string(line)); })
                          : nullptr),
      workflow_(
          configuration_, measures_, *store_, host_, &utc_now,
          [this] {
            if (delivery_) delivery_->wake();
          },
          [this](std::chrono::milliseconds delay, std::function<void()> work) {
            worker_.post_after(delay, guarded_job("save_retry", std::move(work)));
          }) {
  worker_.report_failures_to([this](std::string_view description) {
    host_.log(LogLevel::error, "event=worker_job outcome=failed " + std::string(description));
  });
  if (server_history_) workflow_.use_server_history(server_history_.get(), configuration_.fhir->identifier_system);
  host_.log(LogLevel::info, "event=plugin_started pending=" + std::to_string(store_->count_in_state("pending")) +
                                " failed=" + std::to_string(store_->count_in_state("failed")) +
                                " delivery=" + (delivery_ ? "on" : "off"));
  post("purge", [this] { purge(); });
  if (delivery_) post("delivery_start", [this] { delivery_->start(); });
}

OutboxKeys Plugin::load_keys(const Configuration& configuration) {
  // Its reasons start with the setting (store.key_file or store.retired_key_files).
  return OutboxKeys::load(configuration.store_key_file, configuration.retired_key_files);
}

void Plugin::purge() {
  const Store::PurgeCounts counts =
      store_->purge(std::chrono::system_clock::now(), std::chrono::hours(24 * configuration_.payload_retention_days),
                    std::chrono::hours(24 * configuration_.trend_retention_days));
  if (counts.payloads > 0 || counts.trend_rows > 0) {
    host_.log(LogLevel::info, "event=purged payloads=" + std::to_string(counts.payloads) +
                                  " trend_rows=" + std::to_string(counts.trend_rows));
  }
}

Plugin::~Plugin() {
  // The worker's jobs use the members below; stop it before any of them goes.
  worker_.drain_and_stop(std::chrono::milliseconds(0));
}

thp_status Plugin::refuse(const char* event, const std::string& reason) {
  host_.log(LogLevel::warning, std::string("event=") + event + " outcome=refused reason=" + log_value(reason));
  return THP_ERROR_INVALID_ARGUMENT;
}

void Plugin::log_job_failure(const char* event, std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& error) {
    host_.log(LogLevel::error, std::string("event=") + event + " outcome=failed reason=" + log_value(error.what()));
  } catch (...) {
    host_.log(LogLevel::error, std::string("event=") + event + " outcome=failed reason=unknown");
  }
}

void Plugin::log_adjustments(const char* event, const std::vector<std::string>& adjustments) {
  // Each names the field and what was done with it, never its value.
  for (const std::string& adjustment : adjustments) {
    host_.log(LogLevel::warning, std::string("event=") + event + " outcome=host_data_adjusted " + adjustment);
  }
}

thp_status Plugin::session_started(const thp_session* session) {
  std::string error;
  std::vector<std::string> adjustments;
  auto details = copy_session(session, error, adjustments);
  if (!details) return refuse("session_started", error);
  log_adjustments("session_started", adjustments);
  return post("session_started", [this, details = std::move(*details)]() mutable {
    workflow_.session_started(std::move(details));
  });
}

thp_status Plugin::session_ended(thp_str session_id) {
  std::string error;
  auto id = copy_identifier(session_id, "session_id", error);
  if (!id) return refuse("session_ended", error);
  return post("session_ended", [this, id = std::move(*id)] { workflow_.session_ended(id); });
}

thp_status Plugin::participant_joined(thp_str session_id, const thp_participant* participant) {
  std::string error;
  auto id = copy_identifier(session_id, "session_id", error);
  if (!id) return refuse("participant_joined", error);
  std::vector<std::string> adjustments;
  auto details = copy_participant(participant, error, adjustments);
  if (!details) return refuse("participant_joined", error);
  log_adjustments("participant_joined", adjustments);
  return post("participant_joined", [this, id = std::move(*id), details = std::move(*details)]() mutable {
    workflow_.participant_joined(id, std::move(details));
  });
}

thp_status Plugin::participant_left(thp_str session_id, thp_str participant_id) {
  std::string error;
  auto session = copy_identifier(session_id, "session_id", error);
  if (!session) return refuse("participant_left", error);
  auto participant = copy_identifier(participant_id, "participant_id", error);
  if (!participant) return refuse("participant_left", error);
  return post("participant_left", [this, session = std::move(*session), participant = std::move(*participant)] {
    workflow_.participant_left(session, participant);
  });
}

thp_status Plugin::panel_message(thp_panel_id panel, thp_str json) {
  if (json.len > 0 && json.ptr == nullptr) return refuse("panel_message", "json has a length but no characters");
  // An oversized message is not copied: the workflow answers it from its size alone.
  std::string text;
  if (json.len <= kMaximumPanelMessageBytes && json.len > 0) text.assign(json.ptr, json.len);
  const size_t received_bytes = json.len;
  return post("panel_message", [this, panel, text = std::move(text), received_bytes] {
    workflow_.panel_message(panel, text, received_bytes);
  });
}

thp_status Plugin::panel_closed(thp_panel_id panel, thp_panel_close_reason reason) {
  return post("panel_closed", [this, panel, reason] { workflow_.panel_closed(panel, reason); });
}

bool Plugin::drain(uint32_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // Submissions still waiting for a held store get one last try, when the bound leaves
  // room for the store's busy timeout (2 s); otherwise they are logged as lost.
  post("save_waiting", [this, deadline] {
    if (workflow_.waiting_saves() == 0) return;
    if (deadline - std::chrono::steady_clock::now() >= std::chrono::milliseconds(2000)) {
      workflow_.save_waiting_at_shutdown();
    } else {
      host_.log(LogLevel::error, "event=save_lost count=" + std::to_string(workflow_.waiting_saves()) +
                                     " reason=store_busy_at_shutdown");
    }
  });
  bool deliveries_finished = true;
  if (delivery_) {
    // A push in flight may finish within the time given; nothing new starts. What is
    // unfinished stays pending in the store for the next start.
    auto idle = std::make_shared<std::promise<void>>();
    std::future<void> finished = idle->get_future();
    post("delivery_finish", [this, idle] { delivery_->finish_then([idle] { idle->set_value(); }); });
    deliveries_finished = finished.wait_until(deadline) == std::future_status::ready;
  }
  const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  const bool queue_finished = worker_.drain_and_stop(std::max(remaining, std::chrono::milliseconds(0)));
  return deliveries_finished && queue_finished;
}

}  // namespace alliance
