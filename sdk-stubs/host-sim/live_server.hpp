#pragma once

// host-sim --serve: serves one session live on loopback (127.0.0.1 and ::1, one port).
// GET /session/<session>/<participant>?key=KEY is that participant's page; its script
// talks to /ws/<session>/<participant>?key=KEY (a WebSocket) and relays panel messages
// between the panel frames (/panel/...?key=KEY) and the plugin. Every one of them
// needs that participant's own key (page_keys.hpp); GET / names no one. Boost.Asio and
// Beast stay inside live_server.cpp.
//
// Threads: the caller's thread runs the event loop and is the host thread: every
// plugin hook and every task the plugin queues with run_on_host_thread runs on it.
// Plugin threads only wake it (through the Host's change listener).

#include "hook_call.hpp"
#include "hook_watchdog.hpp"
#include "host.hpp"
#include "scenario.hpp"
#include "transcript.hpp"

#include <telehealth/plugin_abi.h>

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace host_sim {

struct LiveServerSettings {
  // "localhost": 127.0.0.1 and ::1 (where the machine has it); or one of the two.
  std::string bind_address = "localhost";
  std::uint16_t port = 0;                  // 0: any free port
  std::chrono::milliseconds hook_limit{5000};
  bool trace_timing = false;  // "timing <event> <microseconds>" lines (timing_trace.hpp)
};

struct LiveOutcome {
  bool served = false;  // false: could not listen (see error)
  std::string error;
  std::vector<HookCall> hook_calls;
};

// Listens, prints "page <participant_id> <role> <url with the participant's key>" for
// each participant and then "ready <url of />" to `announcements`, and serves until SIGINT or SIGTERM. Must be called
// on the thread that constructed `host`. Returns with the plugin still running: the
// caller shuts it down.
LiveOutcome serve_live(const ScenarioSession& session, const thp_plugin_api& plugin, Host& host,
                       Transcript& transcript, HookWatchdog& watchdog,
                       const LiveServerSettings& settings, std::ostream& announcements);

}  // namespace host_sim
