#include "plugin.hpp"

#include "panel_message.hpp"

namespace alliance {

Plugin::Plugin(const thp_host_api& host, Configuration configuration, MeasureLibrary measures)
    : configuration_(std::move(configuration)),
      measures_(std::move(measures)),
      store_(Store::open(configuration_.store_path)),
      host_(host, worker_, configuration_.log_level),
      workflow_(configuration_, measures_, *store_, host_, &utc_now) {
  host_.log(LogLevel::info, "event=plugin_started pending=" + std::to_string(store_->count_in_state("pending")));
}

Plugin::~Plugin() {
  // The worker's jobs use the members below; stop it before any of them goes.
  worker_.drain_and_stop(std::chrono::milliseconds(0));
}

thp_status Plugin::refuse(const char* event, const std::string& reason) {
  host_.log(LogLevel::warning, std::string("event=") + event + " outcome=refused reason=\"" + reason + "\"");
  return THP_ERROR_INVALID_ARGUMENT;
}

thp_status Plugin::post(const char* event, std::function<void()> work) {
  const bool queued = worker_.post([this, event, work = std::move(work)] {
    try {
      work();
    } catch (const std::exception& error) {
      host_.log(LogLevel::error, std::string("event=") + event + " outcome=failed reason=\"" + error.what() + "\"");
    } catch (...) {
      host_.log(LogLevel::error, std::string("event=") + event + " outcome=failed reason=unknown");
    }
  });
  return queued ? THP_OK : THP_ERROR_UNAVAILABLE;
}

thp_status Plugin::session_started(const thp_session* session) {
  std::string error;
  auto details = copy_session(session, error);
  if (!details) return refuse("session_started", error);
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
  auto details = copy_participant(participant, error);
  if (!details) return refuse("participant_joined", error);
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

bool Plugin::drain(uint32_t timeout_ms) { return worker_.drain_and_stop(std::chrono::milliseconds(timeout_ms)); }

}  // namespace alliance
