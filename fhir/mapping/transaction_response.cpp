#include "mapping/transaction_response.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "reading/json_reader.hpp"

namespace alliance::fhir {

using nlohmann::json;

namespace {

std::string text_of(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// "QuestionnaireResponse/123/_history/1", possibly absolute: the type and the id.
bool split_location(const std::string& location, std::string& type, std::string& id) {
  std::string path = location;
  if (const size_t history = path.find("/_history/"); history != std::string::npos) path.resize(history);
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == path.size()) return false;
  id = path.substr(slash + 1);
  const size_t type_start = path.rfind('/', slash - 1);
  type = path.substr(type_start == std::string::npos ? 0 : type_start + 1, slash - (type_start == std::string::npos ? 0 : type_start + 1));
  return !type.empty() && id.size() <= 64;
}

// The code at the start of a response status ("201 Created"); 0 when there is none.
// from_chars, not atoi: a status of twenty digits must not overflow.
int status_code_of(const std::string& status) {
  int code = 0;
  const auto [end, error] = std::from_chars(status.data(), status.data() + status.size(), code);
  if (error != std::errc() || end == status.data() || (end != status.data() + status.size() && *end != ' ')) return 0;
  return code;
}

}  // namespace

TransactionResult read_transaction_response(std::string_view body, size_t expected_entries) {
  TransactionResult result;
  JsonReading reading = read_json(body, kServerAnswerLimits);
  if (!reading.ok()) {
    result.error = "the server's answer is not usable JSON: " + reading.error;
    return result;
  }
  const json bundle = std::move(reading.value);
  if (!bundle.is_object()) {
    result.error = "the server's answer is not a JSON object";
    return result;
  }
  if (text_of(bundle, "resourceType") != "Bundle" || text_of(bundle, "type") != "transaction-response") {
    result.error = "the server's answer is not a transaction-response Bundle";
    return result;
  }
  const auto entries = bundle.find("entry");
  if (entries == bundle.end() || !entries->is_array() || entries->size() != expected_entries) {
    result.error = "the transaction-response does not have one entry per request";
    return result;
  }
  for (const json& entry : *entries) {
    const auto response = entry.is_object() ? entry.find("response") : entry.end();
    if (response == entry.end() || !response->is_object()) {
      result.error = "a transaction-response entry has no response";
      return result;
    }
    ServerResource resource;
    resource.status = status_code_of(text_of(*response, "status"));
    std::string location = text_of(*response, "location");
    // Some servers give the resource but no location: take type and id from it.
    if (location.empty() && entry.contains("resource") && entry["resource"].is_object()) {
      location = text_of(entry["resource"], "resourceType") + "/" + text_of(entry["resource"], "id");
    }
    if ((resource.status != 200 && resource.status != 201) || !split_location(location, resource.type, resource.id)) {
      result.error = "a transaction-response entry did not succeed (status " + std::to_string(resource.status) + ")";
      return result;
    }
    result.resources.push_back(std::move(resource));
  }
  return result;
}

// FHIR ids are 1 to 64 characters of [A-Za-z0-9-.]: anything else is no id of ours.
bool is_fhir_id(const std::string& id) {
  return !id.empty() && id.size() <= 64 &&
         id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.") == std::string::npos;
}

std::string read_created_id(std::string_view body, std::string_view type) {
  JsonReading reading = read_json(body, kServerAnswerLimits);
  if (!reading.ok() || !reading.value.is_object() || text_of(reading.value, "resourceType") != type) return {};
  std::string id = text_of(reading.value, "id");
  return is_fhir_id(id) ? id : std::string();
}

SearchMatches read_search_matches(std::string_view body, std::string_view type) {
  SearchMatches matches;
  const JsonReading reading = read_json(body, kServerAnswerLimits);
  if (!reading.ok()) {
    matches.error = "the server's search answer is not usable JSON: " + reading.error;
    return matches;
  }
  const json& bundle = reading.value;
  if (!bundle.is_object() || text_of(bundle, "resourceType") != "Bundle" || text_of(bundle, "type") != "searchset") {
    matches.error = "the server's search answer is not a searchset Bundle";
    return matches;
  }
  const auto entries = bundle.find("entry");
  if (entries == bundle.end()) return matches;
  if (!entries->is_array()) {
    matches.error = "the searchset's entry is not a list";
    return matches;
  }
  for (const json& entry : *entries) {
    if (!entry.is_object() || !entry.contains("resource") || !entry["resource"].is_object()) continue;
    const json& resource = entry["resource"];
    if (text_of(resource, "resourceType") != type) continue;
    if (entry.contains("search") && entry["search"].is_object()) {
      const std::string mode = text_of(entry["search"], "mode");
      if (!mode.empty() && mode != "match") continue;
    }
    const std::string id = text_of(resource, "id");
    if (!is_fhir_id(id)) {
      matches.ids.clear();
      matches.error = "a searchset entry has no usable id";
      return matches;
    }
    matches.ids.push_back(id);
  }
  return matches;
}

bool says_already_exists(int status, std::string_view body) {
  if (status < 400 || status > 499) return false;
  const JsonReading reading = read_json(body, kServerAnswerLimits);
  const json& outcome = reading.value;
  if (!reading.ok() || !outcome.is_object() || text_of(outcome, "resourceType") != "OperationOutcome" ||
      !outcome.contains("issue") || !outcome["issue"].is_array()) {
    return false;
  }
  if (status == 409) return true;
  for (const json& issue : outcome["issue"]) {
    if (issue.is_object() && text_of(issue, "code") == "duplicate") return true;
  }
  return false;
}

std::string describe_operation_outcome(std::string_view body, size_t maximum_bytes) {
  const JsonReading reading = read_json(body, kServerAnswerLimits);
  const json& outcome = reading.value;
  std::string text;
  if (outcome.is_object() && text_of(outcome, "resourceType") == "OperationOutcome" && outcome.contains("issue") &&
      outcome["issue"].is_array()) {
    for (const json& issue : outcome["issue"]) {
      if (!issue.is_object()) continue;
      if (!text.empty()) text += "; ";
      text += text_of(issue, "severity") + " " + text_of(issue, "code");
      std::string detail = text_of(issue, "diagnostics");
      if (detail.empty() && issue.contains("details") && issue["details"].is_object()) {
        detail = text_of(issue["details"], "text");
      }
      if (!detail.empty()) text += ": " + detail;
      if (issue.contains("expression") && issue["expression"].is_array()) {
        std::string expressions;
        for (const json& expression : issue["expression"]) {
          if (expression.is_string()) expressions += (expressions.empty() ? "" : ", ") + expression.get<std::string>();
        }
        if (!expressions.empty()) text += " (" + expressions + ")";
      }
    }
  }
  if (text.empty()) text = "no OperationOutcome in the answer (" + std::to_string(body.size()) + " bytes)";
  if (text.size() > maximum_bytes) text = text.substr(0, maximum_bytes) + "...";
  return text;
}

}  // namespace alliance::fhir
