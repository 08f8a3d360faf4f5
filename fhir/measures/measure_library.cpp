#include "measures/measure_library.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>

#include "reading/json_reader.hpp"

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

constexpr const char* kItemCodeSystem = "https://fhir.alliance-plugin.org/CodeSystem/pcoms-item";

struct SnomedMeasure {
  const char* snomed;
  const char* measure;
};
// pcoms.md, "Codes": SNOMED CT observable entities for the totals.
constexpr SnomedMeasure kSnomedMeasures[] = {
    {kOutcomeRatingScaleSnomed, "ORS"}, {kSessionRatingScaleSnomed, "SRS"}, {"718458005", "CORS"},
    {"718762000", "CSRS"},             {"718431003", "CGSRS"},
};

std::string lower(std::string text) {
  for (char& character : text) character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
  return text;
}

// The measure's code and the coding of its total, from Questionnaire.code: SNOMED CT
// where it has one, else the project's pcoms-measure code system.
std::optional<std::pair<std::string, Coding>> measure_from_codes(const json& questionnaire) {
  const auto codes = questionnaire.find("code");
  if (codes == questionnaire.end() || !codes->is_array()) return std::nullopt;
  std::optional<std::pair<std::string, Coding>> own;
  for (const json& coding : *codes) {
    if (!coding.is_object()) continue;
    const std::string system = string_field(coding, "system");
    const std::string code = string_field(coding, "code");
    if (system == kSnomedSystem) {
      for (const SnomedMeasure& known : kSnomedMeasures) {
        if (code == known.snomed) return std::pair{std::string(known.measure), coding_from(coding)};
      }
    }
    if (system == kMeasureCodeSystem) {
      for (const char* known : kMeasureCodes) {
        if (code == lower(known)) own = std::pair{std::string(known), coding_from(coding)};
      }
    }
  }
  return own;
}

// The spoken introduction and item scripts (docs/measures.md, "Scripts for verbal
// administration"): `display` items found by their linkId's ending, hidden from a
// generic form renderer, since they are the reader's words and not the client's.
constexpr const char* kIntroductionSuffix = "-verbal-introduction";
constexpr const char* kScriptSuffix = "-verbal-script";
constexpr const char* kHiddenExtension = "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden";
// A script is read aloud in one breath or a few: a page of text is a mistake in the file.
constexpr size_t kMaximumScriptBytes = 2000;

bool ends_with(const std::string& text, const char* suffix) {
  const std::string_view ending(suffix);
  return text.size() >= ending.size() && text.compare(text.size() - ending.size(), ending.size(), ending) == 0;
}

bool is_hidden(const json& item) {
  const auto extensions = item.find("extension");
  if (extensions == item.end() || !extensions->is_array()) return false;
  for (const json& extension : *extensions) {
    if (extension.is_object() && string_field(extension, "url") == kHiddenExtension) {
      const auto value = extension.find("valueBoolean");
      return value != extension.end() && value->is_boolean() && value->get<bool>();
    }
  }
  return false;
}

// The text of a verbal display item, or "" with a problem added.
std::string verbal_text(const json& item, const std::string& where, std::vector<std::string>& problems) {
  const auto text = item.find("text");
  if (text == item.end() || !text->is_string() || text->get<std::string>().empty()) {
    problems.push_back(where + ".text: required, the words the therapist reads aloud");
    return {};
  }
  std::string words = text->get<std::string>();
  if (words.size() > kMaximumScriptBytes) {
    problems.push_back(where + ".text: longer than " + std::to_string(kMaximumScriptBytes) + " bytes");
    return {};
  }
  if (!is_hidden(item)) {
    problems.push_back(where + ": needs the extension " + kHiddenExtension +
                       " with valueBoolean true, so that a form renderer does not show the therapist's words to the client");
    return {};
  }
  if (item.contains("item")) {
    problems.push_back(where + ": a display item cannot have nested items");
    return {};
  }
  return words;
}

// A top-level display item: the introduction when its linkId says so, else text a
// form shows that the plugin does not use.
void read_top_level_display(const json& item, const std::string& where, MeasureDefinition& measure,
                            std::vector<std::string>& problems) {
  if (!ends_with(string_field(item, "linkId"), kIntroductionSuffix)) return;
  const std::string where_named = where + " (" + string_field(item, "linkId") + ")";
  if (!measure.verbal_introduction.empty()) {
    problems.push_back(where_named + ": a second verbal introduction");
    return;
  }
  measure.verbal_introduction = verbal_text(item, where_named, problems);
}

// The script of a scale item: its nested display item whose linkId ends in
// "-verbal-script". A scale item nests nothing else the plugin would have to answer.
std::string read_item_script(const json& item, const std::string& where, std::vector<std::string>& problems) {
  const auto children = item.find("item");
  if (children == item.end()) return {};
  if (!children->is_array()) {
    problems.push_back(where + ".item: must be a list");
    return {};
  }
  std::string script;
  bool found = false;
  for (size_t index = 0; index < children->size(); ++index) {
    const json& child = (*children)[index];
    const std::string child_where = where + ".item[" + std::to_string(index) + "]";
    if (!child.is_object() || string_field(child, "type") != "display") {
      problems.push_back(child_where + ": a scale may nest display items only (its script)");
      continue;
    }
    const std::string link_id = string_field(child, "linkId");
    if (!ends_with(link_id, kScriptSuffix)) continue;
    const std::string child_named = child_where + " (" + link_id + ")";
    if (found) {
      problems.push_back(child_named + ": a second verbal script for this item");
      continue;
    }
    found = true;
    script = verbal_text(child, child_named, problems);
  }
  return script;
}

}  // namespace

std::optional<MeasureDefinition> parse_questionnaire(const std::string& text, const std::string& source,
                                                     std::vector<std::string>& problems) {
  // Files IT may replace (measures.questionnaire_folder): read as strictly as the
  // configuration, so that a key given twice cannot mean two things.
  fhir::JsonReading reading =
      fhir::read_json(text, fhir::JsonLimits{static_cast<std::size_t>(kMaximumQuestionnaireBytes), 32, false});
  if (!reading.ok()) {
    problems.push_back(source + ": not a JSON object (" + reading.error + ")");
    return std::nullopt;
  }
  const json questionnaire = std::move(reading.value);
  if (!questionnaire.is_object()) {
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
  const auto identified = measure_from_codes(questionnaire);
  if (!identified) {
    problems.push_back(source + ": code must name the measure: SNOMED CT " + kOutcomeRatingScaleSnomed +
                       " (ORS), " + kSessionRatingScaleSnomed + " (SRS), 718458005 (CORS), 718762000 (CSRS), "
                       "718431003 (CGSRS), or " + kMeasureCodeSystem + " ors, srs, cors, csrs, ycors, gsrs, cgsrs");
    return std::nullopt;
  }
  measure.code = identified->first;
  measure.kind = family_of(measure.code);
  measure.measure_coding = identified->second;
  measure.resource_json = text;
  const std::string language = string_field(questionnaire, "language");
  measure.language = language.empty() ? "en" : language;
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
    const std::string type = string_field(item, "type");
    if (type == "display") {
      read_top_level_display(item, where, measure, problems);
      continue;
    }
    if (type == "choice" || type == "coding") {  // "coding" is the R5 name
      // Who filled the form in: recorded by the plugin, not asked of the client.
      const Coding code = first_coding(item);
      if (code.system == kItemCodeSystem && code.code == "rater") {
        measure.rater_link_id = link_id;
      } else if (code.system == kItemCodeSystem && code.code == "rater-relationship") {
        measure.relationship_link_id = link_id;
      } else {
        problems.push_back(where + ": a choice item must have code " + kItemCodeSystem +
                           " rater or rater-relationship");
      }
      continue;
    }
    if (type != "decimal") {
      problems.push_back(where + ".type: must be \"decimal\" (or \"choice\" for the rater items)");
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
    const Coding item_coding = first_coding(item);
    const std::string& short_name = item_coding.display;
    std::string script = read_item_script(item, where + " (" + link_id + ")", problems);
    measure.items.push_back(
        {link_id, item_text, short_name.empty() ? item_text : short_name, item_coding, std::move(script)});
  }
  if (measure.items.size() != 4) {
    problems.push_back(source + ": item: the measure needs 4 scale items (decimal, not readOnly); found " +
                       std::to_string(measure.items.size()));
  }
  if (measure.total_link_id.empty()) problems.push_back(source + ": item: a readOnly decimal total item is required");
  if (problems.size() != problems_before) return std::nullopt;
  return measure;
}

const char* snomed_code_of(const std::string& measure_code) {
  for (const SnomedMeasure& known : kSnomedMeasures) {
    if (measure_code == known.measure) return known.snomed;
  }
  return "";
}

const MeasureDefinition* MeasureLibrary::find(const std::string& code, const std::string& preferred_language) const {
  const std::string wanted = lower(preferred_language);
  const std::string primary = wanted.substr(0, wanted.find('-'));
  const MeasureDefinition* exact = nullptr;
  const MeasureDefinition* same_primary = nullptr;
  const MeasureDefinition* fallback = nullptr;
  for (const MeasureDefinition& measure : measures) {
    if (measure.code != code) continue;
    const std::string language = lower(measure.language);
    if (!wanted.empty() && language == wanted) exact = &measure;
    if (!primary.empty() && language.substr(0, language.find('-')) == primary && same_primary == nullptr) {
      same_primary = &measure;
    }
    if (language == lower(default_language)) fallback = &measure;
  }
  if (exact != nullptr) return exact;
  if (same_primary != nullptr) return same_primary;
  return fallback;
}

const MeasureDefinition* MeasureLibrary::by_canonical(const std::string& canonical) const {
  for (const MeasureDefinition& measure : measures) {
    if (measure.canonical() == canonical) return &measure;
  }
  return nullptr;
}

std::vector<std::string> MeasureLibrary::languages_of(const std::string& code) const {
  std::vector<std::string> languages;
  for (const MeasureDefinition& measure : measures) {
    if (measure.code == code) languages.push_back(measure.language);
  }
  return languages;
}

std::optional<MeasureLibrary> load_measure_library(const std::filesystem::path& folder,
                                                   std::vector<std::string>& problems,
                                                   const std::vector<std::string>& required_codes,
                                                   const std::string& default_language) {
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    problems.push_back(folder.string() + ": not a folder");
    return std::nullopt;
  }
  MeasureLibrary library;
  library.default_language = default_language;
  const size_t problems_before = problems.size();
  // Sorted, so that messages and the choice between duplicates never depend on the
  // order the file system lists the folder in.
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    const std::string source = path.string();
    if (std::filesystem::file_size(path, error) > kMaximumQuestionnaireBytes) {
      problems.push_back(source + ": larger than 1 MiB");
      continue;
    }
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    if (!file) {
      problems.push_back(source + ": cannot be read");
      continue;
    }
    auto measure = parse_questionnaire(text.str(), source, problems);
    if (!measure) continue;
    bool duplicate = false;
    for (const MeasureDefinition& earlier : library.measures) {
      if (earlier.code == measure->code && lower(earlier.language) == lower(measure->language)) {
        problems.push_back(source + ": a second Questionnaire for the " + measure->code + " in language \"" +
                           measure->language + "\" (first: " + earlier.source_file + ")");
        duplicate = true;
      } else if (earlier.canonical() == measure->canonical()) {
        problems.push_back(source + ": url and version " + measure->canonical() + " are also those of " +
                           earlier.source_file + " (each language needs its own url)");
        duplicate = true;
      }
    }
    if (!duplicate) library.measures.push_back(std::move(*measure));
  }
  if (error) problems.push_back(folder.string() + ": " + error.message());
  for (const std::string& code : required_codes) {
    bool found = false;
    for (const MeasureDefinition& measure : library.measures) {
      found = found || (measure.code == code && lower(measure.language) == lower(default_language));
    }
    if (!found) {
      problems.push_back(folder.string() + ": no Questionnaire for the " + code + " in the default language \"" +
                         default_language + "\" (the measure is switched on in measures.enabled)");
    }
  }
  if (problems.size() != problems_before) return std::nullopt;
  for (MeasureDefinition& measure : library.measures) {
    const MeasureDefinition* in_default = library.find(measure.code, default_language);
    measure.chart_title = in_default != nullptr ? in_default->title : measure.title;
  }
  return library;
}

}  // namespace alliance
