// The plugin's side of the host's function table. It hides one difference between
// hosts: some let panel functions be called from any thread, others only from their
// own thread (THP_HOST_FLAG_PANEL_CALLS_FROM_ANY_THREAD). Callers on the worker thread
// use one interface either way; results come back on the worker thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "runtime/log_level.hpp"
#include "telehealth/plugin_abi.h"

namespace alliance {

class Worker;

class HostGateway {
 public:
  // `api` is copied (no more than its struct_size). `worker` must outlive every
  // callback, which the plugin's shutdown order guarantees.
  HostGateway(const thp_host_api& api, Worker& worker, LogLevel minimum_level);

  // Any thread. `message` must contain no PHI: callers log opaque tags, counts and codes.
  void log(LogLevel level, std::string_view message) const;
  bool logs(LogLevel level) const { return level >= minimum_level_; }

  using PanelOpened = std::function<void(thp_status status, thp_panel_id panel)>;

  // Worker thread. Opens a panel; `on_opened` runs later on the worker thread.
  void open_panel(std::string session_id, std::string participant_id, std::string title, std::string html,
                  PanelOpened on_opened);
  // Worker thread. Fire and forget; failures are logged.
  void post_to_panel(thp_panel_id panel, std::string json);
  void close_panel(thp_panel_id panel);

 private:
  bool panels_from_any_thread() const;
  // Runs `work` on the host's thread when the host requires it, else right here.
  void call_panel_function(std::function<void()> work);

  thp_host_api api_{};
  Worker& worker_;
  LogLevel minimum_level_;
};

}  // namespace alliance
