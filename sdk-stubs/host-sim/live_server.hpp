#pragma once

// host-sim --serve: serves one session live on loopback. GET / lists the pages;
// GET /session/<session>/<participant> is that participant's page; its script talks to
// /ws/<session>/<participant> (a WebSocket) and relays panel messages between the
// panel frames and the plugin. Boost.Asio and Beast stay inside live_server.cpp.
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
  std::string bind_address = "127.0.0.1";  // loopback only; the command line checks it
  std::uint16_t port = 0;                  // 0: any free port
  std::chrono::milliseconds hook_limit{5000};
};

struct LiveOutcome {
  bool served = false;  // false: could not listen (see error)
  std::string error;
  std::vector<HookCall> hook_calls;
};

// Listens, prints "page <participant_id> <role> <url>" for each participant and then
// "ready <url>" to `announcements`, and serves until SIGINT or SIGTERM. Must be called
// on the thread that constructed `host`. Returns with the plugin still running: the
// caller shuts it down.
LiveOutcome serve_live(const ScenarioSession& session, const thp_plugin_api& plugin, Host& host,
                       Transcript& transcript, HookWatchdog& watchdog,
                       const LiveServerSettings& settings, std::ostream& announcements);

}  // namespace host_sim
