// The plugin's one configuration file (JSON). Every key is optional except where
// noted; unknown keys are errors (they are usually typos that would otherwise be
// silently ignored). The README's configuration reference lists every key.
//
//   {
//     "store":    { "path": "/var/lib/alliance/alliance.db",          (required)
//                   "key_file": "/etc/alliance/store.key",             (required)
//                   "retired_key_files": [], "payload_retention_days": 30,
//                   "trend_retention_days": 3650 },
//     "measures": { "questionnaire_folder": "/usr/lib/.../measures",  (required)
//                   "default_language": "en",
//                   "enabled": ["ORS", "SRS", "CORS", "CSRS", "YCORS", "GSRS", "CGSRS"],
//                   "other_rater_measure": "ORS", "record_not_completed": false },
//     "scoring":  { "ors_clinical_cutoff": { "adult": 25, "adolescent": 28, "child": 32 },
//                   "age_bands": { "child_from": 6, "adolescent_from": 13, "adult_from": 18 },
//                   "reliable_change": 5, "srs_alliance_cutoff": 36,
//                   "srs_item_cutoff": 9, "srs_alliance_drop": 1,
//                   "expected_treatment_response_file": "/etc/alliance/etr.json" },
//     "fhir":     { "base_url": "https://ehr.example.org/fhir/R4",        (optional)
//                   "ca_file": "/etc/alliance/ehr-ca.pem",
//                   "identifier_system": "https://clinic.example.org/sid/alliance",
//                   "timeout_seconds": 10, "response_limit_bytes": 8388608,
//                   "retry_initial_seconds": 5, "retry_maximum_seconds": 300, "store_check_seconds": 60,
//                   "ensure_questionnaires": true, "questionnaire_reference": "canonical",
//                   "item_observations": false, "read_history": false },
//     "log_level": "info"
//   }
//
// Without "fhir", results are scored and stored but stay pending: nothing is sent.
//
// Relative paths are resolved against the folder of the configuration file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/chart_profiles.hpp"
#include "runtime/log_level.hpp"
#include "session/measure_selection.hpp"
#include "scoring/scoring.hpp"

namespace alliance {

// SMART Backend Services (fhir.smart): a private_key_jwt client of the EHR.
struct SmartConfiguration {
  std::string client_id;
  std::filesystem::path private_key_file;  // RSA (RS384) or EC P-384 (ES384), mode 600
  std::string key_id;
  // Default: what the other fhir.* settings need (see default_scopes_for).
  std::string scopes = "system/QuestionnaireResponse.c system/Observation.c";
  bool scopes_given = false;  // fhir.smart.scopes was set: used as written
  bool send_scope = true;      // false: the token request names no scope (fhir.smart.send_scope)
  std::string token_endpoint;  // empty: discovered from .well-known/smart-configuration
  // fhir.smart.client_secret_file: a client id and secret sent as HTTP Basic to the token
  // endpoint (RFC 6749 2.3.1; Oracle Health's system accounts) instead of a signed JWT;
  // then private_key_file and key_id are not used. Never logged.
  std::string client_secret;
};

struct FhirConfiguration {
  std::string base_url;                // https only
  std::filesystem::path ca_file;       // empty: the system's trusted CAs
  std::string identifier_system = "https://fhir.alliance-plugin.org/sid/administration";
  int timeout_seconds = 10;            // for each step: resolve, connect, handshake, write, read
  std::size_t response_limit_bytes = 8 * 1024 * 1024;
  int retry_initial_seconds = 5;       // the first retry; doubles up to the maximum
  int retry_maximum_seconds = 300;
  // How often the delivery worker looks in the store even when nothing is due, so that
  // results another process made pending (alliancectl retry) go without a restart.
  int store_check_seconds = 60;
  std::filesystem::path client_certificate_file;  // mutual TLS: both or neither
  std::filesystem::path client_key_file;
  int concurrency = 4;                 // connections, and pushes in flight at once
  bool transactions = true;            // false: conditional creates one by one
  std::optional<SmartConfiguration> smart;  // absent: no Authorization header
  std::string proxy_url;                    // http://host:port of an HTTPS proxy (CONNECT)
  std::string proxy_username;
  std::string proxy_password;               // read from fhir.proxy.password_file; never logged
  // Before the first administration of a measure, make sure its Questionnaire is on
  // the server (conditional create on url and version).
  bool ensure_questionnaires = true;
  // How a QuestionnaireResponse names its Questionnaire: "canonical" (url|version) or
  // "server_id" (Questionnaire/<id> on the server, for EHRs that want that).
  std::string questionnaire_reference = "canonical";
  bool item_observations = false;  // also one Observation per item, linked by hasMember
  // Read the client's earlier ORS/SRS totals from the server at session start, so a
  // client seen by another site keeps one trajectory (needs .rs scopes for Observation).
  bool read_history = false;
  // false: the server takes no If-None-Exist (most EHRs): before each write, delivery
  // searches for what an earlier attempt may have written (the entry's ifNoneExist).
  bool conditional_creates = true;
  // fhir.chart: which writes the record system accepts (chart_profiles.hpp).
  fhir::ChartProfiles chart;
};

struct Configuration {
  std::filesystem::path store_path;
  std::filesystem::path store_key_file;                 // seals PHI at rest (outbox_keys.hpp)
  std::vector<std::filesystem::path> retired_key_files;  // older keys, to open older rows
  int payload_retention_days = 30;    // delivered payloads are dropped after this
  int trend_retention_days = 3650;    // the trend's scores are dropped after this
  std::filesystem::path questionnaire_folder;
  SelectionRules selection;  // measures.*: which measure for whom
  ScoringRules scoring;      // scoring.*: cutoffs, reliable change, age bands
  // scoring.expected_treatment_response_file: a licensed ETR table (expected_response.hpp),
  // loaded at start into scoring.expected_response; empty: none installed.
  std::filesystem::path expected_response_file;
  LogLevel log_level = LogLevel::info;
  std::optional<FhirConfiguration> fhir;  // absent: nothing is sent to a chart
};

struct ConfigurationProblem {
  std::string key;     // "scoring.reliable_change"
  std::string reason;  // "must be a number from 0.1 to 40"
};

struct ConfigurationResult {
  std::optional<Configuration> configuration;  // set when there are no problems
  std::vector<ConfigurationProblem> problems;
};

// The SMART scopes the settings need: create QuestionnaireResponse and Observation;
// with ensure_questionnaires, create and search Questionnaire; with read_history,
// read and search Observation.
std::string default_scopes_for(const FhirConfiguration& settings);

// `origin` is the file the text came from (may be empty: then relative paths are
// taken from the current folder).
ConfigurationResult parse_configuration(std::string_view text, const std::filesystem::path& origin);

// Every key the configuration file may hold, dotted ("fhir.smart.client_id"), objects
// included ("fhir.smart"): the one list the reader checks each object against, and
// that tests hold docs/configuration.md to.
const std::vector<std::string>& configuration_keys();

// "key: reason" lines joined with "; ", for error buffers and logs.
std::string describe(const std::vector<ConfigurationProblem>& problems);

}  // namespace alliance
