#include "scenario_run.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <doctest/doctest.h>

#include "log_privacy.hpp"
#include "store/outbox_keys.hpp"
#include "store/store.hpp"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace alliance::integration {

using nlohmann::json;

std::filesystem::path key_file_of(const std::filesystem::path& configuration) {
  std::filesystem::path key = configuration;
  return key.replace_extension(".key");
}

std::filesystem::path write_run_configuration(const std::string& name, const json& fhir, const json& measures) {
  const std::filesystem::path path = host_sim_test::output_path(name + "-alliance.json");
  // A fresh store key for every run, private to its owner as the plugin demands.
  unsigned char key[32];
  RAND_bytes(key, sizeof key);
  unsigned char encoded[64] = {};
  EVP_EncodeBlock(encoded, key, sizeof key);
  const std::filesystem::path key_file = key_file_of(path);
  {
    std::ofstream out(key_file);
    out << encoded << "\n";
  }
  ::chmod(key_file.c_str(), 0600);
  json configuration = {{"store", {{"path", "state-" + name + "/alliance.db"}, {"key_file", key_file.string()}}},
                        {"measures", {{"questionnaire_folder", ALLIANCE_QUESTIONNAIRE_DIR}}},
                        {"log_level", "debug"}};
  if (!fhir.is_null()) configuration["fhir"] = fhir;
  if (!measures.is_null()) configuration["measures"].merge_patch(measures);
  std::ofstream(path) << configuration.dump(2);
  return path;
}

std::vector<json> read_administrations(const std::filesystem::path& database, const std::filesystem::path& key_file) {
  const OutboxKeys keys = OutboxKeys::load(key_file);
  auto store = Store::open(database, keys);
  std::vector<json> rows;
  for (const StoredAdministration& stored : store->all()) {
    const Administration& administration = stored.administration;
    const ScoredMeasure& scored = administration.scored;
    json row = {{"administration_id", administration.administration_id},
                {"measure", stored.measure},
                {"total_tenths", scored.total},
                {"item_scores_tenths", json(scored.item_scores).dump()},
                {"session_number", scored.session_number},
                {"age_years", administration.age_years},
                {"patient_reference", administration.patient_reference},
                {"practitioner_reference", administration.practitioner_reference},
                {"encounter_reference", administration.encounter_reference},
                {"questionnaire", administration.questionnaire},
                {"delivery_state", stored.delivery_state},
                {"delivery_attempts", stored.delivery_attempts},
                {"last_error", stored.last_error},
                {"server_resources", stored.server_resources}};
    row["cutoff_tenths"] = scored.cutoff ? json(*scored.cutoff) : json(nullptr);
    rows.push_back(std::move(row));
  }
  return rows;
}

ScenarioRun run_scenario(const std::string& scenario_file, const RunOptions& options) {
  return run_scenario(scenario_file, options, nullptr);
}

ScenarioRun run_scenario(const std::string& scenario_file, const RunOptions& options, const json& measures) {
  static int runs = 0;
  // ctest runs test cases as parallel processes that share the output folder.
  const std::string name = std::filesystem::path(scenario_file).stem().string() + "-" + std::to_string(getpid()) +
                           "-" + std::to_string(++runs);
  const std::filesystem::path configuration = write_run_configuration(name, options.fhir, measures);
  const std::filesystem::path record = host_sim_test::output_path(name + "-record.json");
  const std::string scenario_path = std::filesystem::path(scenario_file).is_absolute()
                                        ? scenario_file
                                        : std::string(ALLIANCE_SCENARIO_DIR) + "/" + scenario_file;
  std::vector<std::string> arguments{"--plugin",   ALLIANCE_PLUGIN_PATH,  "--config", configuration.string(),
                                     "--scenario", scenario_path,         "--record", record.string()};
  arguments.insert(arguments.end(), options.extra_arguments.begin(), options.extra_arguments.end());
  ScenarioRun run;
  run.process = host_sim_test::run_host_sim(arguments);
  run.folder = configuration.parent_path();
  run.configuration = configuration;
  run.database = run.folder / ("state-" + name) / "alliance.db";
  run.key_file = key_file_of(configuration);
  if (std::filesystem::exists(record)) run.record = host_sim_test::read_json(record);
  if (std::filesystem::exists(run.database)) run.rows = read_administrations(run.database, run.key_file);
  // Every run's log is checked for PHI from its own scenario: so every integration
  // test that runs a scenario also proves that its logs hold none.
  run.log_privacy_problems = log_line_problems(recorded_log_lines(run.record),
                                               phi_of(host_sim_test::read_json(scenario_path)));
  for (const std::string& problem : run.log_privacy_problems) FAIL_CHECK("log privacy: " << problem);
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

std::string describe(const ScenarioRun& run) {
  return "exit " + std::to_string(run.process.exit_status) + "\n" + run.process.standard_output + "\n" +
         run.process.standard_error;
}

}  // namespace alliance::integration
