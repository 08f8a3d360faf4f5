// Runs one scenario file through host-sim with the built plugin, in a fresh folder
// with its own configuration and store, and collects everything a test asserts on.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host_sim_process.hpp"

namespace alliance::integration {

struct ScenarioRun {
  host_sim_test::HostSimRun process;
  nlohmann::json record;                  // host-sim's --record file
  std::vector<nlohmann::json> rows;       // the store's administrations, oldest first
  std::filesystem::path folder;           // configuration, store and record live here
  std::filesystem::path configuration;    // the plugin configuration of this run
  std::filesystem::path database;         // its store
  std::filesystem::path key_file;         // the key that seals the store
  // What the plugin logged that it must not have (log_privacy.hpp); each one also
  // fails the calling test.
  std::vector<std::string> log_privacy_problems;

  // The panels opened for a participant, in order.
  std::vector<nlohmann::json> panels_of(const std::string& participant_id) const;
  // Every message the plugin posted to a participant's panels whose "type" is `type`.
  std::vector<nlohmann::json> messages_to(const std::string& participant_id, const std::string& type) const;
  std::vector<nlohmann::json> rows_of(const std::string& patient_reference) const;
  std::string all_log_text() const;
};

struct RunOptions {
  std::vector<std::string> extra_arguments;  // appended to host-sim's command line
  nlohmann::json fhir;                       // the configuration's "fhir" section, or null
};

// `scenario_file` is a name in tests/scenarios or an absolute path.
ScenarioRun run_scenario(const std::string& scenario_file, const RunOptions& options = {});

// For a failed check's message: host-sim's exit status, then what it printed.
std::string describe(const ScenarioRun& run);
// The same, with `measures` merged into the configuration's "measures" section (e.g.
// {"record_not_completed": true}).
ScenarioRun run_scenario(const std::string& scenario_file, const RunOptions& options, const nlohmann::json& measures);

// Writes a configuration for one run (store at state-NAME/alliance.db beside it, its
// key at NAME.key, debug logging, and `fhir` when not null) and returns its path.
// `measures`, when not null, is merged into the "measures" section.
std::filesystem::path write_run_configuration(const std::string& name, const nlohmann::json& fhir = nullptr,
                                              const nlohmann::json& measures = nullptr);
std::filesystem::path key_file_of(const std::filesystem::path& configuration);

// The store's administrations as JSON rows (opened with its key), oldest first:
// administration_id, measure, total_tenths, item_scores_tenths ("[63,71,58,99]"),
// cutoff_tenths, session_number, age_years, patient_reference, practitioner_reference,
// encounter_reference, questionnaire, delivery_state, delivery_attempts, last_error,
// server_resources.
std::vector<nlohmann::json> read_administrations(const std::filesystem::path& database,
                                                 const std::filesystem::path& key_file);

}  // namespace alliance::integration
