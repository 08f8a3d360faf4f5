#pragma once

// The machine-readable account of a run (--record): every panel with the messages
// that crossed it, the plugin's log lines, every hook call with its duration, and
// the failures. Tests read it instead of parsing the transcript.

#include "hook_call.hpp"
#include "host_state.hpp"

#include <telehealth/plugin_abi.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace host_sim {

struct RecordContents {
  std::string scenario_name;
  std::string plugin_abi;  // as the plugin declared it, e.g. "1.0"
  HostState state;
  std::vector<HookCall> hook_calls;
  std::optional<thp_status> shutdown_status;
  std::size_t cancelled_tasks = 0;
};

nlohmann::ordered_json build_record(const RecordContents& contents);

// Writes `record` to `path`; returns why not on failure.
std::optional<std::string> write_record(const std::string& path,
                                        const nlohmann::ordered_json& record);

}  // namespace host_sim
