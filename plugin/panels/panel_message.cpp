#include "panels/panel_message.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "reading/json_reader.hpp"

namespace alliance {

using fhir::JsonReading;
using fhir::read_json;
using nlohmann::json;

bool to_item_tenths(double value, Tenths& out) {
  if (!std::isfinite(value) || value < 0.0 || value > 10.0) return false;
  const double scaled = value * 10.0;
  const double rounded = std::round(scaled);
  // A page's slider produces values like 6.300000000000001; anything farther from a
  // tenth than float noise (10.05, 3.14) is refused rather than silently rounded.
  if (std::fabs(scaled - rounded) > 1e-6) return false;
  out = static_cast<Tenths>(rounded);
  return true;
}

namespace {

InvalidMessage invalid(std::string field, std::string message) {
  return InvalidMessage{{MessageProblem{std::move(field), std::move(message)}}};
}

const char* json_type_words(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "true/false";
    case json::value_t::string: return "text";
    case json::value_t::array: return "a list";
    case json::value_t::object: return "an object";
    default: return "a number";
  }
}

PanelMessage parse_answers(const json& message, const MeasureDefinition& measure) {
  const auto answers_field = message.find("answers");
  if (answers_field == message.end()) return invalid("answers", "The answers are missing.");
  if (!answers_field->is_object()) {
    return invalid("answers", std::string("The answers must be an object, not ") + json_type_words(*answers_field) + ".");
  }
  const json& answers = *answers_field;
  InvalidMessage problems;
  SubmittedAnswers submitted;
  for (const MeasureItem& item : measure.items) {
    const std::string field = "answers." + item.link_id;
    const auto answer = answers.find(item.link_id);
    if (answer == answers.end()) {
      problems.problems.push_back({field, "Please mark the line for \"" + item.text + "\"."});
      continue;
    }
    if (!answer->is_number()) {
      problems.problems.push_back(
          {field, std::string("The mark for \"") + item.text + "\" must be a number, not " + json_type_words(*answer) + "."});
      continue;
    }
    Tenths tenths = 0;
    if (!to_item_tenths(answer->get<double>(), tenths)) {
      problems.problems.push_back(
          {field, "The mark for \"" + item.text + "\" must be from 0.0 to 10.0, in steps of 0.1."});
      continue;
    }
    submitted.item_scores.push_back(tenths);
  }
  // Keys the form does not have are one problem however many there are: a page that
  // sends a thousand must not get a thousand lines back.
  std::size_t unknown_keys = 0;
  for (const auto& answer : answers.items()) {
    // Not a structured binding: clang before 16 (the fuzz preset) cannot capture one.
    const std::string& key = answer.key();
    const bool known = std::any_of(measure.items.begin(), measure.items.end(),
                                   [&key](const MeasureItem& item) { return item.link_id == key; });
    if (!known) ++unknown_keys;
  }
  if (unknown_keys == 1) {
    problems.problems.push_back({"answers", "This form has no question with the key given."});
  } else if (unknown_keys > 1) {
    problems.problems.push_back(
        {"answers", "This form has no questions with " + std::to_string(unknown_keys) + " of the keys given."});
  }
  if (problems.problems.size() > kMaximumReportedProblems) problems.problems.resize(kMaximumReportedProblems);
  if (!problems.problems.empty()) return problems;
  return submitted;
}

}  // namespace

PanelMessage parse_panel_message(std::string_view text, const MeasureDefinition& measure) {
  if (text.size() > kMaximumPanelMessageBytes) {
    return invalid("", "The message is too large (" + std::to_string(text.size()) + " bytes; at most " +
                           std::to_string(kMaximumPanelMessageBytes) + ").");
  }
  // Strict: a NUL byte with more text after it, or a key given twice, could be read one
  // way by the host and another by the plugin.
  JsonReading reading = read_json(text, fhir::JsonLimits{kMaximumPanelMessageBytes, kMaximumPanelMessageDepth, false});
  if (!reading.ok()) return invalid("", "The message is not valid JSON (" + reading.error + ").");
  const json message = std::move(reading.value);
  if (!message.is_object()) return invalid("", "The message must be a JSON object.");

  const auto type = message.find("type");
  if (type == message.end() || !type->is_string()) return invalid("type", "The message type is missing.");
  const auto measure_field = message.find("measure");
  if (measure_field == message.end() || !measure_field->is_string()) {
    return invalid("measure", "The message does not say which measure it is for.");
  }
  if (measure_field->get_ref<const std::string&>() != measure.code) {
    return invalid("measure", std::string("This panel collects the ") + measure.code +
                                  "; the message is for another measure.");
  }

  const std::string& type_name = type->get_ref<const std::string&>();
  if (type_name == "submit") return parse_answers(message, measure);
  if (type_name == "decline") {
    DeclinedMeasure declined;
    const auto reason = message.find("reason");
    if (reason != message.end() && !reason->is_null()) {
      if (!reason->is_string()) return invalid("reason", "The reason must be text.");
      declined.reason = reason->get<std::string>();
      if (declined.reason.size() > kMaximumDeclineReasonBytes) {
        return invalid("reason", "The reason is too long (at most " + std::to_string(kMaximumDeclineReasonBytes) +
                                     " characters).");
      }
    }
    return declined;
  }
  return invalid("type", "Unknown message type.");
}

}  // namespace alliance
