// Logs carry no PHI: every scenario in tests/scenarios runs through host-sim with the
// real plugin at debug level, delivering to the test FHIR server, and no line the
// plugin logged may name a participant, an identifier, a date of birth, an answer, a
// total, a decline reason or a credential. Every line is also one structured event.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "fhir_server.hpp"
#include "scenario_run.hpp"

using namespace alliance::integration;
using nlohmann::json;

namespace {

// Scenarios that cannot run here, each with the reason; every other file in the
// folder runs, so a new scenario is covered without touching this test.
const std::map<std::string, std::string> kNotRunnable = {};
constexpr int kLongestWaitMs = 2000;

// One line as the plugin writes it: `event=<name>` first, then `key=value` pairs
// separated by single spaces, where a value is either free of spaces and quotes or is
// a quoted text without inner quotes (a failure reason from a server or the OS).
const std::regex kStructuredLine(R"(^event=[a-z_]+( [a-z0-9_]+=("[^"]*"|[^ "]+))*$)");

// Keys that would only ever hold PHI; no line may use them.
const std::set<std::string> kForbiddenKeys = {
    "name",  "display_name", "client",    "patient", "patient_reference", "encounter", "encounter_reference",
    "birth_date", "participant", "participant_id", "session_id", "total", "score", "scores", "answer",
    "answers", "token", "authorization", "assertion", "subject"};

const std::set<std::string> kLevels = {"debug", "info", "warning", "error"};

// A number in tenths as the plugin would write it ("27.3").
std::string tenths_text(long long tenths) {
  return std::to_string(tenths / 10) + "." + std::to_string(std::llabs(tenths % 10));
}

void add_identifier(std::set<std::string>& phi, const std::string& reference) {
  if (reference.empty()) return;
  phi.insert(reference);
  const size_t slash = reference.find('/');
  if (slash != std::string::npos && slash + 1 < reference.size()) phi.insert(reference.substr(slash + 1));
}

void add_number(std::set<std::string>& phi, const json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  // "1" or "10" appear in every log (counts, attempts); a decimal is specific enough.
  if (text.find('.') != std::string::npos) phi.insert(text);
}

// Everything of a scenario (as personalized for this run) that is PHI.
std::set<std::string> phi_of(const json& scenario) {
  std::set<std::string> phi;
  for (const json& session : scenario.value("sessions", json::array())) {
    phi.insert(session.value("session_id", ""));
    add_identifier(phi, session.value("encounter_reference", ""));
    for (const json& participant : session.value("participants", json::array())) {
      const std::string name = participant.value("display_name", "");
      phi.insert(name);
      std::string word;
      for (const char character : name + " ") {
        if (std::isalpha(static_cast<unsigned char>(character)) != 0) {
          word += character;
          continue;
        }
        if (word.size() >= 3) phi.insert(word);
        word.clear();
      }
      phi.insert(participant.value("participant_id", ""));
      phi.insert(participant.value("birth_date", ""));
      add_identifier(phi, participant.value("fhir_reference", ""));
    }
    for (const json& step : session.value("steps", json::array())) {
      if (!step.contains("message") || !step["message"].is_object()) continue;
      const json& message = step["message"];
      if (message.value("type", "") == "decline" && message.contains("reason") && message["reason"].is_string()) {
        phi.insert(message["reason"].get<std::string>());
      }
      if (!message.contains("answers") || !message["answers"].is_object()) continue;
      long long total_tenths = 0;
      bool all_numbers = true;
      for (const auto& [item, value] : message["answers"].items()) {
        add_number(phi, value);
        if (value.is_number()) {
          total_tenths += std::llround(value.get<double>() * 10);
        } else {
          all_numbers = false;
        }
      }
      if (all_numbers && !message["answers"].empty()) phi.insert(tenths_text(total_tenths));
    }
  }
  phi.erase("");
  return phi;
}

struct LogLine {
  std::string level;
  std::string message;
};

// The record's lines, and every line host-sim's --verbose transcript shows as the
// plugin's; the two must agree, so no line escapes the check.
std::vector<LogLine> log_lines_of(const ScenarioRun& run) {
  std::vector<LogLine> lines;
  for (const json& line : run.record.value("logs", json::array())) {
    lines.push_back({line.value("level", ""), line.value("message", "")});
  }
  size_t transcript_lines = 0;
  for (const std::string* stream : {&run.process.standard_output, &run.process.standard_error}) {
    std::istringstream text(*stream);
    for (std::string line; std::getline(text, line);) {
      const size_t marker = line.find("plugin log (");
      if (marker == std::string::npos) continue;
      ++transcript_lines;
      const size_t level_end = line.find_first_of(",)", marker);
      const size_t message = line.find("): ", marker);
      REQUIRE_MESSAGE(message != std::string::npos, line);
      lines.push_back({line.substr(marker + 12, level_end - marker - 12), line.substr(message + 3)});
    }
  }
  CHECK_MESSAGE(transcript_lines == run.record.value("logs", json::array()).size(),
                "the transcript and the record disagree about the plugin's log lines");
  return lines;
}

// A number counts only as a whole number ("6.3" is not found in "127.0.0.1" or
// "16.35"); any other text counts wherever it occurs.
bool contains_phi(const std::string& line, const std::string& secret) {
  const bool number = std::all_of(secret.begin(), secret.end(), [](char character) {
    return std::isdigit(static_cast<unsigned char>(character)) != 0 || character == '.';
  });
  const auto part_of_number = [](char character) {
    return std::isdigit(static_cast<unsigned char>(character)) != 0 || character == '.';
  };
  for (size_t at = line.find(secret); at != std::string::npos; at = line.find(secret, at + 1)) {
    if (!number) return true;
    const bool before = at > 0 && part_of_number(line[at - 1]);
    const bool after = at + secret.size() < line.size() && part_of_number(line[at + secret.size()]);
    if (!before && !after) return true;
  }
  return false;
}

// Fails the test for each line that leaks PHI or is not one structured event.
void check_lines(const std::string& scenario_file, const std::vector<LogLine>& lines, const std::set<std::string>& phi) {
  CAPTURE(scenario_file);
  for (const LogLine& line : lines) {
    CAPTURE(line.message);
    CHECK_MESSAGE(kLevels.count(line.level) == 1, "level: " << line.level);
    CHECK_MESSAGE(std::regex_match(line.message, kStructuredLine), "not a structured event line");
    CHECK(line.message.find('\n') == std::string::npos);
    static const std::regex key(R"( ([a-z0-9_]+)=)");
    for (auto match = std::sregex_iterator(line.message.begin(), line.message.end(), key);
         match != std::sregex_iterator(); ++match) {
      CHECK_MESSAGE(kForbiddenKeys.count((*match)[1]) == 0, "forbidden key " << (*match)[1]);
    }
    for (const std::string& secret : phi) {
      CHECK_MESSAGE(!contains_phi(line.message, secret), "PHI in a log line: " << secret);
    }
    // No credential of any kind: no bearer token, no JWT (client assertion or access
    // token), no long opaque run of token characters.
    CHECK(line.message.find("Bearer") == std::string::npos);
    CHECK(line.message.find("eyJ") == std::string::npos);
    CHECK_FALSE(std::regex_search(line.message, std::regex("[A-Za-z0-9_+=-]{40,}")));
  }
}

std::string describe(const ScenarioRun& run) {
  return "exit " + std::to_string(run.process.exit_status) + "\n" + run.process.standard_output + "\n" +
         run.process.standard_error;
}

[[maybe_unused]] std::vector<std::string> scenario_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(ALLIANCE_SCENARIO_DIR)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_SUITE("integration") {
#ifndef ALLIANCE_LOG_PRIVACY_SMART
  TEST_CASE("no log line of any scenario carries PHI and every line is one structured event") {
    const std::vector<std::string> files = scenario_files();
    REQUIRE(files.size() >= 10);
    size_t lines_checked = 0;
    size_t delivered = 0;
    for (const std::string& file : files) {
      CAPTURE(file);
      if (const auto skipped = kNotRunnable.find(file); skipped != kNotRunnable.end()) {
        MESSAGE("not run: " << file << ": " << skipped->second);
        continue;
      }
      PersonalizedScenario scenario = personalize_scenario(file);
      json personalized = host_sim_test::read_json(scenario.path);
      // killed_after_saved waits 30 s for a test to kill the host; here the host may
      // simply stop, so long waits are cut short (every event before them still runs).
      for (json& session : personalized["sessions"]) {
        for (json& step : session["steps"]) {
          if (step.value("action", "") == "wait" && step.value("ms", 0) > kLongestWaitMs) step["ms"] = kLongestWaitMs;
        }
      }
      scenario.path = host_sim_test::write_output_file("log-privacy-" + file, personalized.dump(2)).string();
      // The original references too: a suffix-free id in a log is as much a leak.
      std::set<std::string> phi = phi_of(personalized);
      for (const std::string& secret : phi_of(host_sim_test::read_json(std::string(ALLIANCE_SCENARIO_DIR) + "/" + file))) {
        phi.insert(secret);
      }
      const ScenarioRun run = run_scenario(scenario.path, {{"--verbose"}, fhir_settings()});
      REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
      const std::vector<LogLine> lines = log_lines_of(run);
      check_lines(file, lines, phi);
      lines_checked += lines.size();
      for (const json& row : run.rows) delivered += row["delivery_state"] == "delivered" ? 1 : 0;
    }
    MESSAGE("log lines checked: " << lines_checked << "; administrations delivered: " << delivered);
    // The richest path ran: sessions, measures saved, and deliveries to the server.
    CHECK(lines_checked > 100);
    CHECK(delivered > 10);
  }
#else
  // Built into alliance_smart_tests, which hold the token-count lock: a session whose
  // deliveries need SMART tokens (a client assertion, then a bearer token), once with
  // a key the server knows and once with one it refuses, so the refusal's reason is
  // logged too. Neither credential nor any PHI may reach the log.
  TEST_CASE("no log line of a SMART delivery carries a token or PHI") {
    const std::string authorization = smart_test_authorization();
    const std::string token = authorization.substr(authorization.find(' ') + 1);
    for (const std::string key : {"es384.key", "wrong-es384.key"}) {
      CAPTURE(key);
      const PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
      seed_on(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE, scenario, authorization);
      json settings = fhir_settings(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE);
      settings["smart"] = {{"client_id", "alliance-test-client"},
                           {"private_key_file", std::string(ALLIANCE_TEST_KEYS) + "/" + key},
                           {"key_id", "alliance-es384"}};
      const ScenarioRun run = run_scenario(scenario.path, {{"--verbose"}, settings});
      REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
      REQUIRE(run.rows.size() == 2);
      for (const json& row : run.rows) {
        CHECK(row["delivery_state"] == (key == "es384.key" ? "delivered" : "pending"));
      }
      std::set<std::string> phi = phi_of(host_sim_test::read_json(scenario.path));
      phi.insert(token);
      check_lines("normal_session.json", log_lines_of(run), phi);
    }
  }
#endif
}
