// One running instance of the plugin: its configuration, measures, store, worker
// thread and session workflow. The hooks (called on the host's thread) copy and check
// their arguments, post the work to the worker and return at once.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "configuration/configuration.hpp"
#include "delivery/delivery.hpp"
#include "abi/host_gateway.hpp"
#include "measures/measure_library.hpp"
#include "store/outbox_keys.hpp"
#include "delivery/server_history.hpp"
#include "session/session_workflow.hpp"
#include "store/store.hpp"
#include "telehealth/plugin_abi.h"
#include "reading/utc_clock.hpp"
#include "runtime/worker.hpp"

namespace alliance {

class Plugin {
 public:
  // Throws std::runtime_error (or StoreError) with a reason for IT when it cannot start.
  Plugin(const thp_host_api& host, Configuration configuration, MeasureLibrary measures);
  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  thp_status session_started(const thp_session* session);
  thp_status session_ended(thp_str session_id);
  thp_status participant_joined(thp_str session_id, const thp_participant* participant);
  thp_status participant_left(thp_str session_id, thp_str participant_id);
  thp_status panel_message(thp_panel_id panel, thp_str json);
  thp_status panel_closed(thp_panel_id panel, thp_panel_close_reason reason);
  // Waits at most `timeout_ms` for queued work; true when it all ran.
  bool drain(uint32_t timeout_ms);

  HostGateway& host() { return host_; }

 private:
  // Queues `work` for the worker thread; exceptions inside it are logged, never thrown.
  // A template so that the hook's data is moved once into the one job the worker
  // queues, not wrapped twice (each wrapper a heap allocation on the host's thread).
  template <typename Work>
  thp_status post(const char* event, Work&& work) {
    return worker_.post(guarded_job(event, std::forward<Work>(work))) ? THP_OK : THP_ERROR_UNAVAILABLE;
  }
  // `work` with that handler around it, for the worker's timers too.
  template <typename Work>
  auto guarded_job(const char* event, Work&& work) {
    return [this, event, work = std::forward<Work>(work)]() mutable {
      try {
        work();
      } catch (...) {
        log_job_failure(event, std::current_exception());
      }
    };
  }
  void log_job_failure(const char* event, std::exception_ptr failure);
  thp_status refuse(const char* event, const std::string& reason);
  // Logs what the boundary repaired or dropped in the host's data (session_details.hpp).
  void log_adjustments(const char* event, const std::vector<std::string>& adjustments);
  static OutboxKeys load_keys(const Configuration& configuration);
  // Drops what the retention settings say is no longer kept (at start; hosts restart
  // plugins often enough that a daily timer is not needed yet).
  void purge();

  Configuration configuration_;
  MeasureLibrary measures_;
  OutboxKeys keys_;
  std::unique_ptr<Store> store_;
  Worker worker_;  // constructed before the gateway that posts to it; stopped in ~Plugin
  HostGateway host_;
  std::unique_ptr<Delivery> delivery_;  // absent when no FHIR server is configured
  std::unique_ptr<ServerHistory> server_history_;  // with fhir.read_history
  SessionWorkflow workflow_;
};

}  // namespace alliance
