#include "scenario_run.hpp"

#include <sqlite3.h>

#include <unistd.h>

#include <stdexcept>

namespace alliance::integration {

using nlohmann::json;

std::filesystem::path write_run_configuration(const std::string& name, const json& fhir) {
  json configuration = {{"store", {{"path", "state-" + name + "/alliance.db"}}},
                        {"measures", {{"questionnaire_folder", ALLIANCE_QUESTIONNAIRE_DIR}}},
                        {"log_level", "debug"}};
  if (!fhir.is_null()) configuration["fhir"] = fhir;
  return host_sim_test::write_output_file(name + "-alliance.json", configuration.dump(2));
}

std::vector<json> read_administrations(const std::filesystem::path& database) {
  sqlite3* connection = nullptr;
  if (sqlite3_open_v2(database.c_str(), &connection, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(connection);
    throw std::runtime_error("cannot open " + database.string());
  }
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(connection, "SELECT * FROM administrations ORDER BY authored_at, rowid", -1, &statement, nullptr);
  std::vector<json> rows;
  while (statement != nullptr && sqlite3_step(statement) == SQLITE_ROW) {
    json row;
    for (int column = 0; column < sqlite3_column_count(statement); ++column) {
      const std::string name = sqlite3_column_name(statement, column);
      switch (sqlite3_column_type(statement, column)) {
        case SQLITE_INTEGER: row[name] = sqlite3_column_int64(statement, column); break;
        case SQLITE_NULL: row[name] = nullptr; break;
        default: row[name] = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
      }
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(statement);
  sqlite3_close(connection);
  return rows;
}

ScenarioRun run_scenario(const std::string& scenario_file, const RunOptions& options) {
  static int runs = 0;
  // ctest runs test cases as parallel processes that share the output folder.
  const std::string name = std::filesystem::path(scenario_file).stem().string() + "-" + std::to_string(getpid()) +
                           "-" + std::to_string(++runs);
  const std::filesystem::path configuration = write_run_configuration(name, options.fhir);
  const std::filesystem::path record = host_sim_test::output_path(name + "-record.json");
  std::vector<std::string> arguments{"--plugin",   ALLIANCE_PLUGIN_PATH,
                                     "--config",   configuration.string(),
                                     "--scenario", std::filesystem::path(scenario_file).is_absolute()
                                                     ? scenario_file
                                                     : std::string(ALLIANCE_SCENARIO_DIR) + "/" + scenario_file,
                                     "--record",   record.string()};
  arguments.insert(arguments.end(), options.extra_arguments.begin(), options.extra_arguments.end());
  ScenarioRun run;
  run.process = host_sim_test::run_host_sim(arguments);
  run.folder = configuration.parent_path();
  run.configuration = configuration;
  run.database = run.folder / ("state-" + name) / "alliance.db";
  if (std::filesystem::exists(record)) run.record = host_sim_test::read_json(record);
  if (std::filesystem::exists(run.database)) run.rows = read_administrations(run.database);
  return run;
}

std::vector<json> ScenarioRun::panels_of(const std::string& participant_id) const {
  std::vector<json> panels;
  for (const json& panel : record.value("panels", json::array())) {
    if (panel.value("participant_id", "") == participant_id) panels.push_back(panel);
  }
  return panels;
}

std::vector<json> ScenarioRun::messages_to(const std::string& participant_id, const std::string& type) const {
  std::vector<json> messages;
  for (const json& panel : panels_of(participant_id)) {
    for (const json& message : panel.value("to_panel", json::array())) {
      if (message.is_object() && message.value("type", "") == type) messages.push_back(message);
    }
  }
  return messages;
}

std::vector<json> ScenarioRun::rows_of(const std::string& patient_reference) const {
  std::vector<json> selected;
  for (const json& row : rows) {
    if (row.value("patient_reference", "") == patient_reference) selected.push_back(row);
  }
  return selected;
}

std::string ScenarioRun::all_log_text() const {
  std::string text;
  for (const json& line : record.value("logs", json::array())) text += line.value("message", "") + "\n";
  return text;
}

}  // namespace alliance::integration
