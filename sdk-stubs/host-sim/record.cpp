#include "record.hpp"

#include "abi_names.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace host_sim {
namespace {

using Json = nlohmann::ordered_json;

template <typename Value>
Json value_or_null(const std::optional<Value>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json panel_entry(const PanelRecord& panel) {
  Json entry;
  entry["panel_id"] = panel.panel_id;
  entry["session_id"] = panel.session_id;
  entry["participant_id"] = panel.participant_id;
  entry["title"] = panel.title;
  entry["html_bytes"] = panel.html.size();
  entry["opened_at_ms"] = panel.opened_at_ms;
  entry["closed_at_ms"] = value_or_null(panel.closed_at_ms);
  entry["closed_by"] =
      panel.closed_by ? Json(*panel.closed_by == ClosedBy::Plugin ? "plugin" : "host") : Json(nullptr);
  entry["close_reason"] =
      panel.close_reason ? Json(std::string(close_reason_name(*panel.close_reason))) : Json(nullptr);
  entry["opened_on_host_thread"] = panel.opened_on_host_thread;
  entry["to_panel"] = Json::array();
  for (const Json& message : panel.to_panel) entry["to_panel"].push_back(message);
  entry["from_panel"] = panel.from_panel;
  return entry;
}

}  // namespace

Json build_record(const RecordContents& contents) {
  Json record;
  record["scenario"] = contents.scenario_name;
  record["abi"] = {{"host", std::to_string(THP_ABI_MAJOR) + "." + std::to_string(THP_ABI_MINOR)},
                   {"plugin", contents.plugin_abi}};
  record["panels"] = Json::array();
  for (const PanelRecord& panel : contents.state.panels) record["panels"].push_back(panel_entry(panel));
  record["logs"] = Json::array();
  for (const LogRecord& log : contents.state.logs) {
    record["logs"].push_back(
        {{"level", log.level}, {"message", log.message}, {"on_host_thread", log.on_host_thread}});
  }
  record["hook_calls"] = Json::array();
  for (const HookCall& call : contents.hook_calls) {
    record["hook_calls"].push_back(
        {{"hook", call.hook}, {"status", call.status}, {"micros", call.micros}});
  }
  record["failures"] = contents.state.failures;
  record["shutdown_status"] = value_or_null(contents.shutdown_status);
  record["cancelled_tasks"] = contents.cancelled_tasks;
  return record;
}

std::optional<std::string> write_record(const std::string& path, const Json& record) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return std::string(std::strerror(errno));
  // Plugin text (titles, logs) may hold invalid UTF-8; it is replaced, not fatal.
  out << record.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
  out.flush();
  if (!out) return std::string("write failed");
  return std::nullopt;
}

}  // namespace host_sim
