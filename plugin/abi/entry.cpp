// The plugin's C boundary: the one exported symbol and the hook table. Nothing thrown
// inside the plugin crosses this line: every entry catches everything, returns a
// status and logs.
#include <algorithm>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>

#include "abi/plugin.hpp"
#include "configuration/configuration.hpp"
#include "configuration/start_up.hpp"
#include "runtime/log_text.hpp"
#include "telehealth/plugin_abi.h"

namespace {

using alliance::Plugin;

void write_error(char* buffer, size_t capacity, const std::string& text) {
  if (buffer == nullptr || capacity == 0) return;
  const size_t length = std::min(text.size(), capacity - 1);
  std::memcpy(buffer, text.data(), length);
  buffer[length] = '\0';
}

Plugin* as_plugin(thp_plugin* plugin) { return reinterpret_cast<Plugin*>(plugin); }

// Runs a hook body with the C boundary's guarantees.
template <typename Body>
thp_status guarded(thp_plugin* plugin, const char* hook, Body&& body) noexcept {
  if (plugin == nullptr) return THP_ERROR_INVALID_ARGUMENT;
  try {
    return body(*as_plugin(plugin));
  } catch (const std::exception& error) {
    try {
      as_plugin(plugin)->host().log(alliance::LogLevel::error,
                                    std::string("event=") + hook + " outcome=failed reason=" + alliance::log_value(error.what()));
    } catch (...) {
    }
  } catch (...) {
  }
  return THP_ERROR_INTERNAL;
}

thp_status hook_shutdown(thp_plugin* plugin, uint32_t timeout_ms) {
  if (plugin == nullptr) return THP_ERROR_INVALID_ARGUMENT;
  Plugin* instance = as_plugin(plugin);
  bool finished = false;
  try {
    finished = instance->drain(timeout_ms);
    instance->host().log(finished ? alliance::LogLevel::info : alliance::LogLevel::warning,
                         std::string("event=plugin_stopped drained=") + (finished ? "yes" : "no"));
  } catch (...) {
  }
  delete instance;
  return finished ? THP_OK : THP_ERROR_UNAVAILABLE;
}

thp_status hook_session_started(thp_plugin* plugin, const thp_session* session) {
  return guarded(plugin, "session_started", [&](Plugin& instance) { return instance.session_started(session); });
}
thp_status hook_session_ended(thp_plugin* plugin, thp_str session_id) {
  return guarded(plugin, "session_ended", [&](Plugin& instance) { return instance.session_ended(session_id); });
}
thp_status hook_participant_joined(thp_plugin* plugin, thp_str session_id, const thp_participant* participant) {
  return guarded(plugin, "participant_joined",
                 [&](Plugin& instance) { return instance.participant_joined(session_id, participant); });
}
thp_status hook_participant_left(thp_plugin* plugin, thp_str session_id, thp_str participant_id) {
  return guarded(plugin, "participant_left",
                 [&](Plugin& instance) { return instance.participant_left(session_id, participant_id); });
}
thp_status hook_panel_message(thp_plugin* plugin, thp_panel_id panel, thp_str json) {
  return guarded(plugin, "panel_message", [&](Plugin& instance) { return instance.panel_message(panel, json); });
}
thp_status hook_panel_closed(thp_plugin* plugin, thp_panel_id panel, thp_panel_close_reason reason) {
  return guarded(plugin, "panel_closed", [&](Plugin& instance) { return instance.panel_closed(panel, reason); });
}

// The host table must be ABI 1.x and large enough for every 1.0 member.
constexpr size_t kHostApiVersion10Size = offsetof(thp_host_api, run_on_host_thread) + sizeof(thp_host_api::run_on_host_thread);

std::string check_host(const thp_host_api* host, const thp_plugin_api* out_api) {
  if (host == nullptr) return "the host table is NULL";
  if (host->abi_major != THP_ABI_MAJOR) {
    return "this plugin speaks plugin ABI " + std::to_string(THP_ABI_MAJOR) + "." + std::to_string(THP_ABI_MINOR) +
           " but the host speaks " + std::to_string(host->abi_major) + "." + std::to_string(host->abi_minor) +
           "; install a build of the plugin made for this host";
  }
  if (host->struct_size < kHostApiVersion10Size) return "the host table is smaller than ABI 1.0 requires";
  if (host->log == nullptr || host->panel_open == nullptr || host->panel_post == nullptr ||
      host->panel_close == nullptr || host->run_on_host_thread == nullptr) {
    return "the host table lacks a 1.0 function";
  }
  if (out_api == nullptr) return "out_api is NULL";
  if (out_api->struct_size < sizeof(thp_plugin_api)) return "the host's plugin table is smaller than ABI 1.0 requires";
  return {};
}

}  // namespace

extern "C" THP_EXPORT thp_status thp_plugin_entry(const thp_host_api* host, thp_str configuration,
                                                  thp_str configuration_origin, thp_plugin_api* out_api, char* error,
                                                  size_t error_capacity) {
  try {
    if (const std::string problem = check_host(host, out_api); !problem.empty()) {
      write_error(error, error_capacity, problem);
      return THP_ERROR_INCOMPATIBLE_ABI;
    }
    if ((configuration.len > 0 && configuration.ptr == nullptr) ||
        (configuration_origin.len > 0 && configuration_origin.ptr == nullptr)) {
      write_error(error, error_capacity, "configuration has a length but no characters");
      return THP_ERROR_INVALID_ARGUMENT;
    }
    const std::string_view text(configuration.ptr == nullptr ? "" : configuration.ptr, configuration.len);
    const std::filesystem::path origin(
        std::string(configuration_origin.ptr == nullptr ? "" : configuration_origin.ptr, configuration_origin.len));
    const std::string where = origin.empty() ? "configuration" : origin.string();

    auto parsed = alliance::parse_configuration(text, origin);
    if (!parsed.configuration) {
      write_error(error, error_capacity, where + ": " + alliance::describe(parsed.problems));
      return THP_ERROR_CONFIGURATION;
    }
    alliance::StartUp start = alliance::prepare_start(std::move(*parsed.configuration));
    if (!start.problems.empty()) {
      write_error(error, error_capacity, where + ": " + alliance::describe(start.problems));
      return THP_ERROR_CONFIGURATION;
    }
    Plugin* instance = nullptr;
    try {
      instance = new Plugin(*host, std::move(start.configuration), std::move(*start.measures));
    } catch (const alliance::StoreError& failure) {
      write_error(error, error_capacity, where + ": store.path: " + failure.what());
      return THP_ERROR_CONFIGURATION;
    } catch (const std::exception& failure) {
      write_error(error, error_capacity, where + ": " + failure.what());
      return THP_ERROR_CONFIGURATION;
    }
    // Fill no more than the host allocated; it is at least the 1.0 size (checked).
    thp_plugin_api api{};
    api.struct_size = sizeof(thp_plugin_api);
    api.abi_major = THP_ABI_MAJOR;
    api.abi_minor = THP_ABI_MINOR;
    api.plugin = reinterpret_cast<thp_plugin*>(instance);
    api.shutdown = &hook_shutdown;
    api.session_started = &hook_session_started;
    api.session_ended = &hook_session_ended;
    api.participant_joined = &hook_participant_joined;
    api.participant_left = &hook_participant_left;
    api.panel_message = &hook_panel_message;
    api.panel_closed = &hook_panel_closed;
    std::memcpy(out_api, &api, sizeof api);
    return THP_OK;
  } catch (const std::exception& failure) {
    write_error(error, error_capacity, std::string("internal error: ") + failure.what());
  } catch (...) {
    write_error(error, error_capacity, "internal error");
  }
  return THP_ERROR_INTERNAL;
}
