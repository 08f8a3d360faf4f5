#include "alliance_host.hpp"

#include <dlfcn.h>
#include <openssl/rand.h>

#include <ctime>
#include <fstream>
#include <future>
#include <iterator>
#include <sstream>

namespace janus_host {
namespace {

thp_str view(const std::string& text) { return thp_str{text.data(), text.size()}; }

std::string text_of(thp_str value) {
  if (value.len == 0 || value.ptr == nullptr) return {};
  return std::string(value.ptr, value.len);
}

// The configuration as Alliance reads it: the whole file, bounded.
constexpr std::size_t kMaximumConfigurationBytes = 1024 * 1024;

std::string random_nonce() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string nonce;
  for (unsigned char byte : bytes) {
    nonce += hex[byte >> 4];
    nonce += hex[byte & 0x0f];
  }
  return nonce;
}

thp_participant_role role_of(Role role) {
  switch (role) {
    case Role::client:
      return THP_ROLE_CLIENT;
    case Role::clinician:
      return THP_ROLE_CLINICIAN;
    case Role::other_rater:
      return THP_ROLE_OTHER_RATER;
  }
  return THP_ROLE_CLIENT;
}

thp_appointment_kind appointment_kind_of(const std::string& kind) {
  if (kind == "couple") return THP_APPOINTMENT_COUPLE;
  if (kind == "family") return THP_APPOINTMENT_FAMILY;
  if (kind == "group") return THP_APPOINTMENT_GROUP;
  return THP_APPOINTMENT_INDIVIDUAL;
}

// A participant as the ABI carries it; its views point into `claims`.
thp_participant participant_of(const ParticipantClaims& claims) {
  thp_participant participant{};
  participant.struct_size = sizeof participant;
  participant.participant_id = view(claims.participant);
  participant.role = role_of(claims.role);
  participant.display_name = view(claims.display_name);
  participant.age_years = claims.age_years;
  participant.birth_date = view(claims.birth_date);
  participant.preferred_language = view(claims.preferred_language);
  participant.fhir_reference = view(claims.fhir_reference);
  participant.rates_participant_id = view(claims.rates_participant);
  participant.relationship = view(claims.relationship);
  return participant;
}

}  // namespace

AllianceHost::AllianceHost(AdapterSettings settings, JanusSide& janus)
    : settings_(std::move(settings)), janus_(janus) {
  host_api_.struct_size = sizeof host_api_;
  host_api_.abi_major = THP_ABI_MAJOR;
  host_api_.abi_minor = THP_ABI_MINOR;
  host_api_.host = reinterpret_cast<thp_host*>(this);
  // Panel functions on the host thread only: the plugin reaches them through
  // run_on_host_thread, as the ABI asks of a host that does not set the flag.
  host_api_.flags = 0;
  host_api_.log = &AllianceHost::host_log;
  host_api_.panel_open = &AllianceHost::host_panel_open;
  host_api_.panel_post = &AllianceHost::host_panel_post;
  host_api_.panel_close = &AllianceHost::host_panel_close;
  host_api_.run_on_host_thread = &AllianceHost::host_run_on_host_thread;
}

AllianceHost::~AllianceHost() { stop(std::chrono::milliseconds(5000)); }

std::string AllianceHost::start() {
  std::promise<std::string> loaded;
  std::future<std::string> result = loaded.get_future();
  bool posted = thread_.post([this, &loaded](bool run) {
    loaded.set_value(run ? load_plugin() : std::string("the adapter is stopping"));
  });
  if (!posted) return "the adapter is stopping";
  std::string error = result.get();
  if (error.empty()) running_ = true;
  return error;
}

std::string AllianceHost::load_plugin() {
  std::ifstream file(settings_.configuration_path, std::ios::binary);
  if (!file) return "cannot read Alliance's configuration " + settings_.configuration_path;
  std::string configuration;
  configuration.resize(kMaximumConfigurationBytes + 1);
  file.read(configuration.data(), static_cast<std::streamsize>(configuration.size()));
  configuration.resize(static_cast<std::size_t>(file.gcount()));
  if (configuration.size() > kMaximumConfigurationBytes) {
    return "Alliance's configuration " + settings_.configuration_path + " is over 1 MiB";
  }

  // RTLD_LOCAL: the plugin's symbols stay its own, whatever Janus has loaded GLOBAL.
  library_ = dlopen(settings_.plugin_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library_ == nullptr) {
    const char* reason = dlerror();
    return "cannot load " + settings_.plugin_path + ": " + (reason ? reason : "unknown error");
  }
  auto entry = reinterpret_cast<thp_plugin_entry_fn>(dlsym(library_, THP_ENTRY_SYMBOL));
  if (entry == nullptr) {
    dlclose(library_);
    library_ = nullptr;
    return settings_.plugin_path + " has no " THP_ENTRY_SYMBOL;
  }
  plugin_ = thp_plugin_api{};
  plugin_.struct_size = sizeof plugin_;
  char error[2048] = {0};
  thp_status status = entry(&host_api_, view(configuration), view(settings_.configuration_path),
                            &plugin_, error, sizeof error);
  if (status != THP_OK) {
    // On failure the plugin holds nothing and runs no thread, so it may go.
    dlclose(library_);
    library_ = nullptr;
    return "Alliance did not start (status " + std::to_string(status) + "): " + error;
  }
  if (plugin_.abi_major != THP_ABI_MAJOR || plugin_.shutdown == nullptr ||
      plugin_.session_started == nullptr || plugin_.session_ended == nullptr ||
      plugin_.participant_joined == nullptr || plugin_.participant_left == nullptr ||
      plugin_.panel_message == nullptr || plugin_.panel_closed == nullptr) {
    if (plugin_.shutdown != nullptr) plugin_.shutdown(plugin_.plugin, 1000);
    return "Alliance's hook table is not ABI " + std::to_string(THP_ABI_MAJOR) + "'s";
  }
  return {};
}

void AllianceHost::stop(std::chrono::milliseconds plugin_timeout) {
  if (stopped_.exchange(true)) return;
  bool was_running = running_.exchange(false);
  thread_.stop([this, was_running, plugin_timeout] {
    if (!was_running) return;
    thp_status status = call_hook("shutdown", [&] {
      return plugin_.shutdown(plugin_.plugin, static_cast<std::uint32_t>(plugin_timeout.count()));
    });
    if (status != THP_OK) log(THP_LOG_WARNING, "Alliance abandoned work at shutdown (it keeps what it saved)");
  });
  // The library stays mapped: Janus is stopping, and a plugin's last log line or a
  // cancelled task's code must still be there to run.
}

// ---------------------------------------------------------------------------------
// From Janus's threads.

void AllianceHost::handle_destroyed(HandleKey handle) {
  thread_.post([this, handle](bool run) {
    if (!run || !running_) return;
    refused_registrations_.erase(handle);
    for (auto nonce = binding_nonces_.begin(); nonce != binding_nonces_.end();) {
      nonce = nonce->second == handle ? binding_nonces_.erase(nonce) : std::next(nonce);
    }
    perform(directory_.handle_gone(handle));
  });
}

void AllianceHost::page_request(HandleKey handle, std::string transaction, PageRequest request) {
  bool posted = thread_.post([this, handle, transaction = std::move(transaction),
                              request = std::move(request)](bool run) mutable {
    if (!run) return;
    if (!running_) {
      tell_error(handle, transaction, "unavailable", "Alliance is not running");
      return;
    }
    on_request(handle, transaction, request);
  });
  (void)posted;  // Not posted: Janus is stopping, and so is every page's connection.
}

void AllianceHost::room_event(RoomEvent event) {
  thread_.post([this, event = std::move(event)](bool run) {
    if (run && running_) on_room_event(event);
  });
}

// ---------------------------------------------------------------------------------
// On the host thread.

void AllianceHost::on_request(HandleKey handle, const std::string& transaction, PageRequest& request) {
  switch (request.kind) {
    case PageRequest::Kind::register_token: {
      if (directory_.is_registered(handle)) {
        tell_error(handle, transaction, "already_registered", "this handle has registered already");
        return;
      }
      TokenCheck check = check_participant_token(request.token, settings_.token_secret,
                                                 static_cast<std::int64_t>(std::time(nullptr)),
                                                 settings_.token_lifetime_limit_seconds);
      if (!check.claims) {
        // The reason, never the token: it names a patient's chart. A page that keeps
        // trying is answered every time but logged only at first, so that no page can
        // fill Janus's log.
        int refusals = ++refused_registrations_[handle];
        if (refusals <= kLoggedRefusalsPerHandle) {
          log(THP_LOG_WARNING, "refused a participant token: " + check.reason);
        } else if (refusals == kLoggedRefusalsPerHandle + 1) {
          log(THP_LOG_WARNING, "refused a participant token again; this page's further refusals are not logged");
        }
        tell_error(handle, transaction, check.error, check.reason);
        return;
      }
      janus_.send_to_page(handle, transaction,
                          {{"alliance", std::string("registered")},
                           {"participant", check.claims->participant},
                           {"role", std::string(role_name(check.claims->role))}});
      std::string nonce = random_nonce();
      if (nonce.empty()) {
        log(THP_LOG_ERROR, "no random bytes for a binding nonce: the page is not seated");
        return;
      }
      binding_nonces_[nonce] = handle;
      perform(directory_.registered(handle, std::move(*check.claims)));
      janus_.announce_binding(handle, nonce);
      return;
    }
    case PageRequest::Kind::panel_message:
    case PageRequest::Kind::panel_closed: {
      if (!directory_.is_registered(handle)) {
        tell_error(handle, transaction, "not_registered", "register with a token first");
        return;
      }
      auto panel = panels_.find(request.panel);
      if (panel == panels_.end() || panel->second.handle != handle) {
        tell_error(handle, transaction, "unknown_panel", "no such panel is open on this page");
        return;
      }
      if (request.kind == PageRequest::Kind::panel_message) {
        thp_panel_id panel_id = request.panel;
        call_hook("panel_message", [&] {
          return plugin_.panel_message(plugin_.plugin, panel_id, view(request.text));
        });
        return;
      }
      panels_.erase(panel);
      thp_panel_id panel_id = request.panel;
      thp_panel_close_reason reason = request.reason;
      call_hook("panel_closed", [&] { return plugin_.panel_closed(plugin_.plugin, panel_id, reason); });
      return;
    }
    case PageRequest::Kind::end_session:
      perform(directory_.end_requested(handle));
      return;
  }
}

void AllianceHost::on_room_event(const RoomEvent& event) {
  switch (event.kind) {
    case RoomEvent::Kind::binding: {
      auto nonce = binding_nonces_.find(event.nonce);
      if (nonce == binding_nonces_.end()) return;  // another adapter's, or a handle gone since
      HandleKey handle = nonce->second;
      binding_nonces_.erase(nonce);
      perform(directory_.handle_in_janus_session(handle, event.janus_session));
      return;
    }
    case RoomEvent::Kind::joined:
      perform(directory_.feed_joined(event.room, event.feed, event.janus_session));
      return;
    case RoomEvent::Kind::left:
      perform(directory_.feed_left(event.room, event.feed));
      return;
    case RoomEvent::Kind::destroyed:
      perform(directory_.room_destroyed(event.room));
      return;
  }
}

void AllianceHost::perform(const DirectoryActions& actions) {
  for (const DirectoryAction& action : actions) {
    switch (action.kind) {
      case DirectoryAction::Kind::start_session:
        start_session(action);
        break;
      case DirectoryAction::Kind::join:
        join(action);
        break;
      case DirectoryAction::Kind::leave:
        leave(action.session_id, action.participant_id);
        break;
      case DirectoryAction::Kind::end_session:
        end_session(action.session_id);
        break;
      case DirectoryAction::Kind::tell_state:
        janus_.send_to_page(action.handle, "",
                            {{"alliance", std::string("session")}, {"state", action.state}});
        break;
      case DirectoryAction::Kind::tell_error:
        tell_error(action.handle, "", action.error, action.reason);
        break;
    }
  }
}

void AllianceHost::start_session(const DirectoryAction& action) {
  const ParticipantClaims* clinician = nullptr;
  std::vector<thp_participant> participants;
  participants.reserve(action.participants.size());
  HostSession& session = sessions_[action.session_id];
  for (const SeatedParticipant& seated : action.participants) {
    if (seated.claims.role == Role::clinician && clinician == nullptr) clinician = &seated.claims;
    participants.push_back(participant_of(seated.claims));
    session.attendees[seated.claims.participant] = seated.handle;
  }
  std::vector<const thp_participant*> pointers;
  for (const thp_participant& participant : participants) pointers.push_back(&participant);
  static const std::string none;
  thp_session started{};
  started.struct_size = sizeof started;
  started.session_id = view(action.session_id);
  started.appointment_kind = appointment_kind_of(clinician ? clinician->appointment_kind : none);
  started.medium = THP_MEDIUM_VIDEO;
  started.start_time = view(clinician ? clinician->start_time : none);
  started.encounter_reference = view(clinician ? clinician->encounter : none);
  started.participants = pointers.data();
  started.participant_count = pointers.size();
  log(THP_LOG_INFO, "a room's session started with " + std::to_string(pointers.size()) + " participants");
  call_hook("session_started", [&] { return plugin_.session_started(plugin_.plugin, &started); });
}

void AllianceHost::join(const DirectoryAction& action) {
  auto session = sessions_.find(action.session_id);
  if (session == sessions_.end() || action.participants.empty()) return;
  const SeatedParticipant& seated = action.participants.front();
  session->second.attendees[seated.claims.participant] = seated.handle;
  thp_participant participant = participant_of(seated.claims);
  call_hook("participant_joined", [&] {
    return plugin_.participant_joined(plugin_.plugin, view(action.session_id), &participant);
  });
}

void AllianceHost::leave(const std::string& session_id, const std::string& participant_id) {
  auto session = sessions_.find(session_id);
  if (session == sessions_.end()) return;
  // Absent first, so that a panel_open queued meanwhile finds them gone; then their
  // panels close before the plugin hears of it, as host-sim does.
  session->second.attendees.erase(participant_id);
  close_panels(session_id, &participant_id);
  // After the end the call is over: leaving the post-session window only closes the
  // leaver's panels (above). A plugin forgets a session once its last panel closes, so
  // a participant_left then would only be logged as for an unknown session.
  if (session->second.ended) return;
  call_hook("participant_left", [&] {
    return plugin_.participant_left(plugin_.plugin, view(session_id), view(participant_id));
  });
}

void AllianceHost::end_session(const std::string& session_id) {
  auto session = sessions_.find(session_id);
  if (session == sessions_.end() || session->second.ended) return;
  session->second.ended = true;
  call_hook("session_ended", [&] { return plugin_.session_ended(plugin_.plugin, view(session_id)); });
  thread_.post_at(HostThread::Clock::now() + settings_.post_session_window,
                  [this, session_id](bool run) {
                    if (run && running_) close_window(session_id);
                  });
}

void AllianceHost::close_window(const std::string& session_id) {
  close_panels(session_id, nullptr);
  sessions_.erase(session_id);
  directory_.forget_session(session_id);
}

void AllianceHost::close_panels(const std::string& session_id, const std::string* participant_id) {
  std::vector<thp_panel_id> closing;
  for (const auto& [panel_id, panel] : panels_) {
    if (panel.session_id == session_id && (participant_id == nullptr || panel.participant_id == *participant_id)) {
      closing.push_back(panel_id);
    }
  }
  for (thp_panel_id panel_id : closing) {
    HandleKey handle = panels_[panel_id].handle;
    panels_.erase(panel_id);
    janus_.send_to_page(handle, "", {{"alliance", std::string("panel_close")}, {"panel", panel_id}});
    call_hook("panel_closed", [&] {
      return plugin_.panel_closed(plugin_.plugin, panel_id, THP_PANEL_PARTICIPANT_LEFT);
    });
  }
}

void AllianceHost::tell_error(HandleKey handle, const std::string& transaction, std::string_view error,
                              std::string_view reason) {
  janus_.send_to_page(handle, transaction,
                      {{"alliance", std::string("error")},
                       {"error", std::string(error)},
                       {"reason", std::string(reason)}});
}

template <typename Call>
thp_status AllianceHost::call_hook(std::string_view name, Call call) {
  auto started = std::chrono::steady_clock::now();
  std::chrono::nanoseconds cpu_started = thread_cpu_time();
  thp_status status = call();
  std::chrono::nanoseconds cpu = thread_cpu_time() - cpu_started;
  hook_times_.record(name, std::chrono::steady_clock::now() - started, cpu);
  if (status != THP_OK) {
    log(THP_LOG_WARNING, "Alliance's " + std::string(name) + " hook returned status " + std::to_string(status));
  }
  return status;
}

// ---------------------------------------------------------------------------------
// Host functions, called by the plugin.

void AllianceHost::host_log(thp_host* host, thp_log_level level, thp_str message) {
  auto* self = reinterpret_cast<AllianceHost*>(host);
  if (self == nullptr || (message.len > 0 && message.ptr == nullptr)) return;
  self->janus_.log(level, std::string_view(message.ptr, message.len));
}

thp_status AllianceHost::host_panel_open(thp_host* host, thp_str session_id, thp_str participant_id,
                                         thp_str title, thp_str html, thp_panel_id* out_panel) {
  auto* self = reinterpret_cast<AllianceHost*>(host);
  if (self == nullptr) return THP_ERROR_INVALID_ARGUMENT;
  if (!self->thread_.on_host_thread()) return THP_ERROR_WRONG_THREAD;
  if (self->stopped_) return THP_ERROR_UNAVAILABLE;
  if (out_panel == nullptr || html.len == 0 || html.ptr == nullptr ||
      (session_id.len > 0 && session_id.ptr == nullptr) ||
      (participant_id.len > 0 && participant_id.ptr == nullptr) || (title.len > 0 && title.ptr == nullptr)) {
    return THP_ERROR_INVALID_ARGUMENT;
  }
  std::string session_text = text_of(session_id);
  std::string participant_text = text_of(participant_id);
  auto session = self->sessions_.find(session_text);
  if (session == self->sessions_.end()) return THP_ERROR_NOT_FOUND;
  auto attendee = session->second.attendees.find(participant_text);
  if (attendee == session->second.attendees.end()) return THP_ERROR_NOT_FOUND;
  thp_panel_id panel_id = self->next_panel_++;
  self->panels_[panel_id] = OpenPanel{session_text, participant_text, attendee->second};
  bool sent = self->janus_.send_to_page(attendee->second, "",
                                        {{"alliance", std::string("panel_open")},
                                         {"panel", panel_id},
                                         {"title", text_of(title)},
                                         {"html", text_of(html)}});
  if (!sent) {
    // The page is going (its handle's end is queued behind this call), or the text is
    // not UTF-8: the panel is open as far as the ABI goes, and closes when they leave.
    self->log(THP_LOG_WARNING, "a panel could not be shown on its page");
  }
  *out_panel = panel_id;
  return THP_OK;
}

thp_status AllianceHost::host_panel_post(thp_host* host, thp_panel_id panel, thp_str json) {
  auto* self = reinterpret_cast<AllianceHost*>(host);
  if (self == nullptr || (json.len > 0 && json.ptr == nullptr)) return THP_ERROR_INVALID_ARGUMENT;
  if (!self->thread_.on_host_thread()) return THP_ERROR_WRONG_THREAD;
  if (self->stopped_) return THP_ERROR_UNAVAILABLE;
  auto open = self->panels_.find(panel);
  if (open == self->panels_.end()) return THP_ERROR_NOT_FOUND;
  if (!self->janus_.send_to_page(open->second.handle, "",
                                 {{"alliance", std::string("panel_post")}, {"panel", panel}, {"text", text_of(json)}})) {
    self->log(THP_LOG_WARNING, "a panel message could not be sent to its page");
  }
  return THP_OK;
}

thp_status AllianceHost::host_panel_close(thp_host* host, thp_panel_id panel) {
  auto* self = reinterpret_cast<AllianceHost*>(host);
  if (self == nullptr) return THP_ERROR_INVALID_ARGUMENT;
  if (!self->thread_.on_host_thread()) return THP_ERROR_WRONG_THREAD;
  if (self->stopped_) return THP_ERROR_UNAVAILABLE;
  auto open = self->panels_.find(panel);
  if (open == self->panels_.end()) return THP_ERROR_NOT_FOUND;
  HandleKey handle = open->second.handle;
  self->panels_.erase(open);
  self->janus_.send_to_page(handle, "", {{"alliance", std::string("panel_close")}, {"panel", panel}});
  return THP_OK;
}

thp_status AllianceHost::host_run_on_host_thread(thp_host* host, thp_host_task task, void* user_data) {
  auto* self = reinterpret_cast<AllianceHost*>(host);
  if (self == nullptr || task == nullptr) return THP_ERROR_INVALID_ARGUMENT;
  bool posted = self->thread_.post([task, user_data](bool run) {
    task(user_data, run ? THP_TASK_RUN : THP_TASK_CANCELLED);
  });
  return posted ? THP_OK : THP_ERROR_UNAVAILABLE;
}

}  // namespace janus_host
