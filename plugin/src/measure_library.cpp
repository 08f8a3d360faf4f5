#include "measure_library.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace alliance {

using nlohmann::json;

const char* measure_code(MeasureKind kind) {
  return kind == MeasureKind::outcome_rating_scale ? "ORS" : "SRS";
}

bool is_measure_code(const std::string& code) {
  for (const char* known : kMeasureCodes) {
    if (code == known) return true;
  }
  return false;
}

MeasureKind family_of(const std::string& code) {
  return code == "ORS" || code == "CORS" || code == "YCORS" ? MeasureKind::outcome_rating_scale
                                                             : MeasureKind::session_rating_scale;
}

namespace {

constexpr std::uintmax_t kMaximumQuestionnaireBytes = 1024 * 1024;

std::string string_field(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

Coding coding_from(const json& coding) {
  return {string_field(coding, "system"), string_field(coding, "code"), string_field(coding, "display")};
}

// The first Coding of an element's `code` list, or an empty one.
Coding first_coding(const json& element) {
  const auto codes = element.find("code");
  if (codes == element.end() || !codes->is_array() || codes->empty() || !(*codes)[0].is_object()) return {};
  return coding_from((*codes)[0]);
}

// The measure's kind and its SNOMED CT coding, from Questionnaire.code.
std::optional<std::pair<MeasureKind, Coding>> kind_from_codes(const json& questionnaire) {
  const auto codes = questionnaire.find("code");
  if (codes == questionnaire.end() || !codes->is_array()) return std::nullopt;
  for (const json& coding : *codes) {
    if (!coding.is_object() || string_field(coding, "system") != kSnomedSystem) continue;
    const std::string code = string_field(coding, "code");
    if (code == kOutcomeRatingScaleSnomed) return std::pair{MeasureKind::outcome_rating_scale, coding_from(coding)};
    if (code == kSessionRatingScaleSnomed) return std::pair{MeasureKind::session_rating_scale, coding_from(coding)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<MeasureDefinition> parse_questionnaire(const std::string& text, const std::string& source,
                                                     std::vector<std::string>& problems) {
  const json questionnaire = json::parse(text, nullptr, false);
  if (questionnaire.is_discarded() || !questionnaire.is_object()) {
    problems.push_back(source + ": not a JSON object");
    return std::nullopt;
  }
  if (string_field(questionnaire, "resourceType") != "Questionnaire") {
    problems.push_back(source + ": resourceType must be \"Questionnaire\"");
    return std::nullopt;
  }
  const size_t problems_before = problems.size();
  MeasureDefinition measure;
  measure.source_file = source;
  const auto kind = kind_from_codes(questionnaire);
  if (!kind) {
    problems.push_back(source + ": code must include SNOMED CT " + kOutcomeRatingScaleSnomed + " (ORS) or " +
                       kSessionRatingScaleSnomed + " (SRS)");
    return std::nullopt;
  }
  measure.kind = kind->first;
  measure.measure_coding = kind->second;
  measure.url = string_field(questionnaire, "url");
  measure.version = string_field(questionnaire, "version");
  measure.title = string_field(questionnaire, "title");
  measure.instructions = string_field(questionnaire, "description");
  if (measure.url.empty()) problems.push_back(source + ": url: required");
  if (measure.version.empty()) problems.push_back(source + ": version: required");
  if (measure.title.empty()) problems.push_back(source + ": title: required");

  const auto items = questionnaire.find("item");
  if (items == questionnaire.end() || !items->is_array()) {
    problems.push_back(source + ": item: required, a list of the measure's scales");
    return std::nullopt;
  }
  for (size_t index = 0; index < items->size(); ++index) {
    const json& item = (*items)[index];
    const std::string where = source + ": item[" + std::to_string(index) + "]";
    if (!item.is_object()) {
      problems.push_back(where + ": must be an object");
      continue;
    }
    const std::string link_id = string_field(item, "linkId");
    if (link_id.empty()) problems.push_back(where + ".linkId: required");
    if (string_field(item, "type") != "decimal") {
      problems.push_back(where + ".type: must be \"decimal\"");
      continue;
    }
    if (item.value("readOnly", false)) {
      if (!measure.total_link_id.empty()) problems.push_back(where + ": a second readOnly total item");
      measure.total_link_id = link_id;
      measure.total_text = string_field(item, "text");
      measure.total_coding = first_coding(item);
      if (measure.total_coding.code.empty()) problems.push_back(where + ".code: the total item needs a code");
      continue;
    }
    const std::string item_text = string_field(item, "text");
    if (item_text.empty()) problems.push_back(where + ".text: required");
    const std::string short_name = first_coding(item).display;
    measure.items.push_back({link_id, item_text, short_name.empty() ? item_text : short_name});
  }
  if (measure.items.size() != 4) {
    problems.push_back(source + ": item: the measure needs 4 scale items (decimal, not readOnly); found " +
                       std::to_string(measure.items.size()));
  }
  if (measure.total_link_id.empty()) problems.push_back(source + ": item: a readOnly decimal total item is required");
  if (problems.size() != problems_before) return std::nullopt;
  return measure;
}

std::optional<MeasureLibrary> load_measure_library(const std::filesystem::path& folder,
                                                   std::vector<std::string>& problems) {
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    problems.push_back(folder.string() + ": not a folder");
    return std::nullopt;
  }
  std::optional<MeasureDefinition> outcome;
  std::optional<MeasureDefinition> session_rating;
  const size_t problems_before = problems.size();
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    const std::string source = entry.path().string();
    if (entry.file_size() > kMaximumQuestionnaireBytes) {
      problems.push_back(source + ": larger than 1 MiB");
      continue;
    }
    std::ifstream file(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    if (!file) {
      problems.push_back(source + ": cannot be read");
      continue;
    }
    auto measure = parse_questionnaire(text.str(), source, problems);
    if (!measure) continue;
    auto& slot = measure->kind == MeasureKind::outcome_rating_scale ? outcome : session_rating;
    if (slot) {
      problems.push_back(source + ": a second Questionnaire for the " + measure_code(measure->kind) + " (first: " +
                         slot->source_file + ")");
      continue;
    }
    slot = std::move(measure);
  }
  if (error) problems.push_back(folder.string() + ": " + error.message());
  if (!outcome) problems.push_back(folder.string() + ": no Questionnaire for the ORS (SNOMED CT 716613004)");
  if (!session_rating) problems.push_back(folder.string() + ": no Questionnaire for the SRS (SNOMED CT 720482000)");
  if (problems.size() != problems_before) return std::nullopt;
  return MeasureLibrary{std::move(*outcome), std::move(*session_rating)};
}

}  // namespace alliance
