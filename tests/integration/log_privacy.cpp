#include "log_privacy.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>
#include <sstream>

#include <doctest/doctest.h>

#include "scenario_run.hpp"

namespace alliance::integration {

using nlohmann::json;

namespace {

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

}  // namespace

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

std::vector<LogLine> recorded_log_lines(const json& record) {
  std::vector<LogLine> lines;
  for (const json& line : record.value("logs", json::array())) {
    lines.push_back({line.value("level", ""), line.value("message", "")});
  }
  return lines;
}

std::vector<std::string> log_line_problems(const std::vector<LogLine>& lines, const std::set<std::string>& phi) {
  std::vector<std::string> problems;
  static const std::regex key(R"( ([a-z0-9_]+)=)");
  static const std::regex long_token("[A-Za-z0-9_+=-]{40,}");
  for (const LogLine& line : lines) {
    const auto problem = [&](const std::string& what) { problems.push_back(what + ": " + line.message); };
    if (kLevels.count(line.level) == 0) problem("unknown level " + line.level);
    if (!std::regex_match(line.message, kStructuredLine)) problem("not one structured event line");
    for (auto match = std::sregex_iterator(line.message.begin(), line.message.end(), key);
         match != std::sregex_iterator(); ++match) {
      if (kForbiddenKeys.count((*match)[1]) != 0) problem("the key " + (*match)[1].str() + " is only ever PHI");
    }
    for (const std::string& secret : phi) {
      // The line itself is shown, so that the leak can be found; it is test data.
      if (contains_phi(line.message, secret)) problem("PHI of the scenario (\"" + secret + "\") in a log line");
    }
    // No credential of any kind: no bearer token, no JWT (client assertion or access
    // token), no long opaque run of token characters.
    if (line.message.find("Bearer") != std::string::npos || line.message.find("eyJ") != std::string::npos ||
        std::regex_search(line.message, long_token)) {
      problem("a credential in a log line");
    }
  }
  return problems;
}

std::vector<LogLine> log_lines_of(const ScenarioRun& run) {
  std::vector<LogLine> lines = recorded_log_lines(run.record);
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

void check_lines(const std::string& scenario_file, const std::vector<LogLine>& lines, const std::set<std::string>& phi) {
  CAPTURE(scenario_file);
  for (const std::string& problem : log_line_problems(lines, phi)) FAIL_CHECK(problem);
  for (const LogLine& line : lines) CHECK(line.message.find('\n') == std::string::npos);
}

}  // namespace alliance::integration
