#include "configuration/configuration.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "client/secret_file.hpp"
#include "reading/json_reader.hpp"


namespace alliance {

using nlohmann::json;

namespace {

constexpr std::size_t kMaximumConfigurationBytes = 256 * 1024;
constexpr std::size_t kClientKeyLimitBytes = 64 * 1024;  // a PEM private key
constexpr std::size_t kPasswordLimitBytes = 4 * 1024;
// The file nests four levels deep (fhir.smart.scopes); deeper is refused at once.
constexpr int kMaximumConfigurationDepth = 32;

class Reader {
 public:
  explicit Reader(std::vector<ConfigurationProblem>& problems) : problems_(problems) {}

  void problem(std::string key, std::string reason) { problems_.push_back({std::move(key), std::move(reason)}); }

  // Reports keys of `object` (whose own key is `prefix` without its last dot) that
  // configuration_keys() does not have.
  void check_keys(const json& object, const std::string& prefix) {
    const std::vector<std::string>& known = configuration_keys();
    for (const auto& [key, value] : object.items()) {
      if (std::find(known.begin(), known.end(), prefix + key) == known.end()) problem(prefix + key, "unknown key");
    }
  }

  const json* object(const json& parent, const char* key, const std::string& full_key, bool required) {
    const auto found = parent.find(key);
    if (found == parent.end()) {
      if (required) problem(full_key, "required");
      return nullptr;
    }
    if (!found->is_object()) {
      problem(full_key, "must be an object");
      return nullptr;
    }
    return &*found;
  }

  std::optional<std::string> text(const json& parent, const char* key, const std::string& full_key, bool required) {
    const auto found = parent.find(key);
    if (found == parent.end()) {
      if (required) problem(full_key, "required");
      return std::nullopt;
    }
    if (!found->is_string() || found->get_ref<const std::string&>().empty()) {
      problem(full_key, "must be non-empty text");
      return std::nullopt;
    }
    return found->get<std::string>();
  }

  // A file the plugin will need to read: checked now, so IT hears about it at start.
  void readable_file(const std::filesystem::path& file, const std::string& full_key) {
    std::error_code error;
    if (std::filesystem::is_directory(file, error)) {
      problem(full_key, file.string() + " is a folder, not a file");
      return;
    }
    std::ifstream input(file);
    if (!input) problem(full_key, file.string() + " cannot be read");
  }

  // A secret file (a key, a password): read now as every secret is read, so that a
  // link, a file others may read or another account's file is reported at start.
  SecretFile secret_file(const std::filesystem::path& file, const std::string& full_key, std::size_t limit_bytes) {
    SecretFile secret = read_secret_file(file.string(), full_key, limit_bytes);
    if (!secret.error.empty()) {
      // The reason starts with the setting's name; the problem carries it as its key.
      std::string reason = secret.error;
      if (reason.starts_with(full_key + " ")) reason.erase(0, full_key.size() + 1);
      problem(full_key, std::move(reason));
    }
    return secret;
  }

  // The first line of a secret file (a password, a client secret), read as every secret
  // is read: an editor's final newline is not part of it. Nothing when the file is
  // refused (reported under `full_key`).
  std::optional<std::string> secret_line(const std::filesystem::path& file, const std::string& full_key) {
    SecretFile secret = secret_file(file, full_key, kPasswordLimitBytes);
    if (!secret.error.empty()) return std::nullopt;
    const std::string_view content = secret.content;
    std::string_view line = content.substr(0, content.find('\n'));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return std::string(line);
  }

  // A whole number within [minimum, maximum].
  template <typename Number>
  void whole_number(const json& parent, const char* key, const std::string& full_key, Number minimum, Number maximum,
                    Number& out) {
    const auto found = parent.find(key);
    if (found == parent.end()) return;
    if (!found->is_number_integer() || found->get<long long>() < static_cast<long long>(minimum) ||
        found->get<long long>() > static_cast<long long>(maximum)) {
      problem(full_key, "must be a whole number from " + std::to_string(minimum) + " to " + std::to_string(maximum));
      return;
    }
    out = static_cast<Number>(found->get<long long>());
  }

  // true or false.
  void flag(const json& parent, const char* key, const std::string& full_key, bool& out) {
    const auto found = parent.find(key);
    if (found == parent.end()) return;
    if (!found->is_boolean()) {
      problem(full_key, "must be true or false");
      return;
    }
    out = found->get<bool>();
  }

  // A FHIR Coding: {"system": absolute URI, "code": text, "display": text (optional)}.
  std::optional<Coding> coding(const json& value, const std::string& full_key) {
    if (!value.is_object()) {
      problem(full_key, "must be an object with \"system\" and \"code\" (and \"display\")");
      return std::nullopt;
    }
    bool good = true;
    for (const auto& [key, member] : value.items()) {
      if (key != "system" && key != "code" && key != "display") {
        problem(full_key + "." + key, "unknown key (a coding has system, code and display)");
        good = false;
      }
    }
    Coding result;
    const auto system = text(value, "system", full_key + ".system", true);
    const auto code = text(value, "code", full_key + ".code", true);
    const auto display = text(value, "display", full_key + ".display", false);
    if (system && (system->find(':') == std::string::npos || system->find_first_of(" |") != std::string::npos)) {
      problem(full_key + ".system", "must be an absolute URI without spaces or '|' (e.g. http://loinc.org or urn:oid:...)");
      good = false;
    }
    if (code && code->find_first_of("|,") != std::string::npos) {
      problem(full_key + ".code", "must not contain '|' or ','");
      good = false;
    }
    if (!system || !code || !good) return std::nullopt;
    result.system = *system;
    result.code = *code;
    if (display) result.display = *display;
    return result;
  }

  // A score in points (one decimal) within [minimum, maximum], stored in tenths.
  void score(const json& parent, const char* key, const std::string& full_key, Tenths minimum, Tenths maximum,
             Tenths& out) {
    const auto found = parent.find(key);
    if (found == parent.end()) return;
    const std::string range = "must be a number from " + format_tenths(minimum) + " to " + format_tenths(maximum) +
                              " with at most one decimal";
    if (!found->is_number()) {
      problem(full_key, range);
      return;
    }
    const double points = found->get<double>();
    const double scaled = points * 10.0;
    if (!std::isfinite(scaled) || std::fabs(scaled - std::round(scaled)) > 1e-6 ||
        scaled < static_cast<double>(minimum) - 1e-6 || scaled > static_cast<double>(maximum) + 1e-6) {
      problem(full_key, range);
      return;
    }
    out = static_cast<Tenths>(std::round(scaled));
  }

 private:
  std::vector<ConfigurationProblem>& problems_;
};

// One measure's flowsheet rows ({"total": coding, "items": [four codings]}), or nothing
// when a part is wrong (each problem reported under `key`).
std::optional<fhir::FlowsheetRows> read_flowsheet_rows(Reader& reader, const json& value, const std::string& key) {
  fhir::FlowsheetRows rows;
  bool good = true;
  for (const auto& [name, member] : value.items()) {
    if (name != "total" && name != "items") {
      reader.problem(key + "." + name, "unknown key (rows have total and items)");
      good = false;
    }
  }
  if (const auto total = value.find("total"); total == value.end()) {
    reader.problem(key + ".total", "required");
    good = false;
  } else if (auto coding = reader.coding(*total, key + ".total")) {
    rows.total = *coding;
  } else {
    good = false;
  }
  const auto items = value.find("items");
  if (items == value.end()) return good ? std::optional(std::move(rows)) : std::nullopt;
  // Every PCOMS measure has four scales (pcoms.md).
  if (!items->is_array() || items->size() != 4) {
    reader.problem(key + ".items", "must list four codings, one per item in the measure's order");
    return std::nullopt;
  }
  for (size_t index = 0; index < items->size(); ++index) {
    if (auto coding = reader.coding((*items)[index], key + ".items[" + std::to_string(index) + "]")) {
      rows.items.push_back(*coding);
    } else {
      good = false;
    }
  }
  return good ? std::optional(std::move(rows)) : std::nullopt;
}

// fhir.chart: the profiles and their settings.
void read_chart(Reader& reader, const json& chart, fhir::ChartProfiles& profiles) {
  reader.check_keys(chart, "fhir.chart.");
  if (const auto listed = chart.find("profiles"); listed != chart.end()) {
    const std::string reason = "must be a list of one or more of \"fhir-native\", \"flowsheet\", \"document\", each once";
    if (!listed->is_array() || listed->empty()) {
      reader.problem("fhir.chart.profiles", reason);
    } else {
      profiles.fhir_native = false;
      std::vector<std::string> seen;
      for (const json& name : *listed) {
        const std::string value = name.is_string() ? name.get<std::string>() : std::string();
        if (std::find(seen.begin(), seen.end(), value) != seen.end() ||
            (value != "fhir-native" && value != "flowsheet" && value != "document")) {
          reader.problem("fhir.chart.profiles", reason);
          break;
        }
        seen.push_back(value);
        profiles.fhir_native = profiles.fhir_native || value == "fhir-native";
        profiles.flowsheet = profiles.flowsheet || value == "flowsheet";
        profiles.document = profiles.document || value == "document";
      }
    }
  }
  if (auto find_by = reader.text(chart, "find_by", "fhir.chart.find_by", false)) {
    if (*find_by != "identifier" && *find_by != "reading") {
      reader.problem("fhir.chart.find_by", "must be \"identifier\" or \"reading\" (subject, code and time)");
    } else {
      profiles.find_by_reading = *find_by == "reading";
    }
  }
  if (const json* flowsheet = reader.object(chart, "flowsheet", "fhir.chart.flowsheet", profiles.flowsheet)) {
    reader.check_keys(*flowsheet, "fhir.chart.flowsheet.");
    if (const auto category = flowsheet->find("category"); category != flowsheet->end()) {
      if (auto coding = reader.coding(*category, "fhir.chart.flowsheet.category")) profiles.flowsheet_category = *coding;
    }
    if (auto performer = reader.text(*flowsheet, "performer", "fhir.chart.flowsheet.performer", false)) {
      if (*performer != "rater" && *performer != "clinician") {
        reader.problem("fhir.chart.flowsheet.performer",
                       "must be \"rater\" (the client or their RelatedPerson) or \"clinician\" (the session's)");
      } else {
        profiles.flowsheet_performer_clinician = *performer == "clinician";
      }
    }
    if (const json* rows = reader.object(*flowsheet, "rows", "fhir.chart.flowsheet.rows", profiles.flowsheet)) {
      if (rows->empty()) reader.problem("fhir.chart.flowsheet.rows", "names no measure: give the rows of at least one");
      for (const auto& [measure, value] : rows->items()) {
        const std::string key = "fhir.chart.flowsheet.rows." + measure;
        if (!is_measure_code(measure)) {
          reader.problem(key, "is not a measure (ORS, SRS, CORS, CSRS, YCORS, GSRS, CGSRS)");
          continue;
        }
        if (!value.is_object()) {
          reader.problem(key, "must be an object with \"total\" (a coding) and optionally \"items\"");
          continue;
        }
        if (auto measure_rows = read_flowsheet_rows(reader, value, key)) {
          profiles.flowsheet_rows[measure] = std::move(*measure_rows);
        }
      }
    }
  }
  if (const json* document = reader.object(chart, "document", "fhir.chart.document", profiles.document)) {
    reader.check_keys(*document, "fhir.chart.document.");
    if (const auto type = document->find("type"); type == document->end()) {
      if (profiles.document) reader.problem("fhir.chart.document.type", "required by the document profile (a LOINC document type, e.g. 11506-3 Progress note)");
    } else if (auto coding = reader.coding(*type, "fhir.chart.document.type")) {
      profiles.document_type = *coding;
    }
    if (const auto category = document->find("category"); category != document->end()) {
      if (auto coding = reader.coding(*category, "fhir.chart.document.category")) profiles.document_category = *coding;
    }
    if (auto status = reader.text(*document, "doc_status", "fhir.chart.document.doc_status", false)) {
      if (*status != "preliminary" && *status != "final") {
        reader.problem("fhir.chart.document.doc_status",
                       "must be \"preliminary\" (for a clinician to review and sign) or \"final\"");
      } else {
        profiles.document_status = *status;
      }
    }
    if (const auto formats = document->find("formats"); formats != document->end()) {
      const std::string reason = "must list \"text/plain\", \"application/pdf\" or both";
      bool text = false;
      bool pdf = false;
      bool good = formats->is_array() && !formats->empty();
      for (const json& format : good ? *formats : json::array()) {
        const std::string value = format.is_string() ? format.get<std::string>() : std::string();
        if (value == "text/plain" && !text) text = true;
        else if (value == "application/pdf" && !pdf) pdf = true;
        else good = false;
      }
      if (!good) {
        reader.problem("fhir.chart.document.formats", reason);
      } else {
        profiles.document_text = text;
        profiles.document_pdf = pdf;
      }
    }
  }
}

std::filesystem::path resolve(const std::string& value, const std::filesystem::path& origin) {
  std::filesystem::path path(value);
  if (path.is_absolute() || origin.empty()) return path;
  return origin.parent_path() / path;
}

}  // namespace

const std::vector<std::string>& configuration_keys() {
  // The top-level objects and keys, then each object's keys.
  static const std::vector<std::string> keys = {
      "store",
      "measures",
      "scoring",
      "fhir",
      "log_level",
      "store.path",
      "store.key_file",
      "store.retired_key_files",
      "store.payload_retention_days",
      "store.trend_retention_days",
      "measures.questionnaire_folder",
      "measures.default_language",
      "measures.enabled",
      "measures.other_rater_measure",
      "measures.record_not_completed",
      "measures.media",
      "measures.share_srs_trend_with_client",
      "scoring.ors_clinical_cutoff",
      "scoring.reliable_change",
      "scoring.srs_alliance_cutoff",
      "scoring.srs_item_cutoff",
      "scoring.srs_alliance_drop",
      "scoring.age_bands",
      "scoring.expected_treatment_response_file",
      "scoring.ors_clinical_cutoff.adult",
      "scoring.ors_clinical_cutoff.adolescent",
      "scoring.ors_clinical_cutoff.child",
      "scoring.age_bands.child_from",
      "scoring.age_bands.adolescent_from",
      "scoring.age_bands.adult_from",
      "fhir.base_url",
      "fhir.ca_file",
      "fhir.identifier_system",
      "fhir.timeout_seconds",
      "fhir.response_limit_bytes",
      "fhir.retry_initial_seconds",
      "fhir.retry_maximum_seconds",
      "fhir.store_check_seconds",
      "fhir.concurrency",
      "fhir.transactions",
      "fhir.client_certificate_file",
      "fhir.client_key_file",
      "fhir.smart",
      "fhir.proxy",
      "fhir.ensure_questionnaires",
      "fhir.questionnaire_reference",
      "fhir.item_observations",
      "fhir.read_history",
      "fhir.conditional_creates",
      "fhir.chart",
      "fhir.smart.client_id",
      "fhir.smart.private_key_file",
      "fhir.smart.key_id",
      "fhir.smart.scopes",
      "fhir.smart.send_scope",
      "fhir.smart.token_endpoint",
      "fhir.smart.client_secret_file",
      "fhir.proxy.url",
      "fhir.proxy.username",
      "fhir.proxy.password_file",
      "fhir.chart.profiles",
      "fhir.chart.find_by",
      "fhir.chart.flowsheet",
      "fhir.chart.document",
      "fhir.chart.flowsheet.category",
      "fhir.chart.flowsheet.rows",
      "fhir.chart.flowsheet.performer",
      "fhir.chart.document.type",
      "fhir.chart.document.category",
      "fhir.chart.document.doc_status",
      "fhir.chart.document.formats",
  };
  return keys;
}

ConfigurationResult parse_configuration(std::string_view text, const std::filesystem::path& origin) {
  ConfigurationResult result;
  Reader reader(result.problems);
  if (text.size() > kMaximumConfigurationBytes) {
    reader.problem("(file)", "larger than 256 KiB");
    return result;
  }
  // Comments are allowed (// and /* */) so that the shipped template can explain every
  // key where IT edits it; JSON itself has none. Otherwise as strict as a server answer:
  // a key given twice is refused (a person reads the first, a parser may keep the last),
  // and so are a NUL byte and text after the object. Errors name the line and column.
  fhir::JsonReading reading =
      fhir::read_json(text, fhir::JsonLimits{kMaximumConfigurationBytes, kMaximumConfigurationDepth, true});
  if (!reading.ok()) {
    reader.problem("(file)", reading.error);
    return result;
  }
  const json root = std::move(reading.value);
  if (!root.is_object()) {
    reader.problem("(file)", "must be a JSON object");
    return result;
  }
  reader.check_keys(root, "");

  Configuration configuration;
  if (const json* store = reader.object(root, "store", "store", true)) {
    reader.check_keys(*store, "store.");
    if (auto path = reader.text(*store, "path", "store.path", true)) configuration.store_path = resolve(*path, origin);
    if (auto key = reader.text(*store, "key_file", "store.key_file", true)) {
      configuration.store_key_file = resolve(*key, origin);
    }
    if (const auto retired = store->find("retired_key_files"); retired != store->end()) {
      if (!retired->is_array()) {
        reader.problem("store.retired_key_files", "must be a list of key file paths");
      } else {
        for (const json& file : *retired) {
          if (!file.is_string() || file.get_ref<const std::string&>().empty()) {
            reader.problem("store.retired_key_files", "must be a list of key file paths");
            break;
          }
          configuration.retired_key_files.push_back(resolve(file.get<std::string>(), origin));
        }
      }
    }
    reader.whole_number(*store, "payload_retention_days", "store.payload_retention_days", 1, 3650,
                        configuration.payload_retention_days);
    reader.whole_number(*store, "trend_retention_days", "store.trend_retention_days", 1, 36500,
                        configuration.trend_retention_days);
  }
  if (const json* measures = reader.object(root, "measures", "measures", true)) {
    reader.check_keys(*measures, "measures.");
    if (auto folder = reader.text(*measures, "questionnaire_folder", "measures.questionnaire_folder", true)) {
      configuration.questionnaire_folder = resolve(*folder, origin);
    }
    SelectionRules& selection = configuration.selection;
    if (auto language = reader.text(*measures, "default_language", "measures.default_language", false)) {
      selection.default_language = *language;
    }
    const std::string known = "ORS, SRS, CORS, CSRS, YCORS, GSRS, CGSRS";
    if (const auto enabled = measures->find("enabled"); enabled != measures->end()) {
      selection.enabled.clear();
      if (!enabled->is_array()) {
        reader.problem("measures.enabled", "must be a list of measure codes (" + known + ")");
      } else {
        for (const json& code : *enabled) {
          if (!code.is_string() || !is_measure_code(code.get<std::string>())) {
            reader.problem("measures.enabled", "unknown measure " + code.dump() + "; the measures are " + known);
            continue;
          }
          selection.enabled.push_back(code.get<std::string>());
        }
      }
    }
    if (const auto rater = measures->find("other_rater_measure"); rater != measures->end()) {
      if (!rater->is_string() || (!rater->get_ref<const std::string&>().empty() &&
                                  family_of(rater->get<std::string>()) != MeasureKind::outcome_rating_scale) ||
          (!rater->get_ref<const std::string&>().empty() && !is_measure_code(rater->get<std::string>()))) {
        reader.problem("measures.other_rater_measure", "must be ORS, CORS or YCORS, or \"\" for no other-rater form");
      } else {
        selection.other_rater_measure = rater->get<std::string>();
      }
    }
    reader.flag(*measures, "record_not_completed", "measures.record_not_completed", selection.record_not_completed);
    if (const auto media = measures->find("media"); media != measures->end()) {
      const char* expected = "must be a list of session media: \"video\", \"audio\", \"in_person\"";
      if (!media->is_array()) {
        reader.problem("measures.media", expected);
      } else {
        selection.collect_video = selection.collect_audio = selection.collect_in_person = false;
        for (const json& medium : *media) {
          const std::string name = medium.is_string() ? medium.get<std::string>() : std::string();
          if (name == "video") selection.collect_video = true;
          else if (name == "audio") selection.collect_audio = true;
          else if (name == "in_person") selection.collect_in_person = true;
          else reader.problem("measures.media", "unknown medium " + medium.dump() + "; " + expected);
        }
      }
    }
    reader.flag(*measures, "share_srs_trend_with_client", "measures.share_srs_trend_with_client",
                selection.share_srs_trend_with_client);
  }
  if (const json* scoring = reader.object(root, "scoring", "scoring", false)) {
    reader.check_keys(*scoring, "scoring.");
    ScoringRules& rules = configuration.scoring;
    if (const json* cutoffs = reader.object(*scoring, "ors_clinical_cutoff", "scoring.ors_clinical_cutoff", false)) {
      reader.check_keys(*cutoffs, "scoring.ors_clinical_cutoff.");
      reader.score(*cutoffs, "adult", "scoring.ors_clinical_cutoff.adult", 0, 400, rules.adult_cutoff);
      reader.score(*cutoffs, "adolescent", "scoring.ors_clinical_cutoff.adolescent", 0, 400, rules.adolescent_cutoff);
      reader.score(*cutoffs, "child", "scoring.ors_clinical_cutoff.child", 0, 400, rules.child_cutoff);
    }
    if (const json* bands = reader.object(*scoring, "age_bands", "scoring.age_bands", false)) {
      reader.check_keys(*bands, "scoring.age_bands.");
      reader.whole_number(*bands, "child_from", "scoring.age_bands.child_from", 1, 30, rules.child_from_age);
      reader.whole_number(*bands, "adolescent_from", "scoring.age_bands.adolescent_from", 1, 30,
                          rules.adolescent_from_age);
      reader.whole_number(*bands, "adult_from", "scoring.age_bands.adult_from", 1, 30, rules.adult_from_age);
      if (!(rules.child_from_age < rules.adolescent_from_age && rules.adolescent_from_age < rules.adult_from_age)) {
        reader.problem("scoring.age_bands", "must rise: child_from < adolescent_from < adult_from");
      }
    }
    if (auto file = reader.text(*scoring, "expected_treatment_response_file",
                                "scoring.expected_treatment_response_file", false)) {
      configuration.expected_response_file = resolve(*file, origin);
      reader.readable_file(configuration.expected_response_file, "scoring.expected_treatment_response_file");
    }
    reader.score(*scoring, "reliable_change", "scoring.reliable_change", 1, 400, rules.reliable_change);
    reader.score(*scoring, "srs_alliance_cutoff", "scoring.srs_alliance_cutoff", 0, 400, rules.alliance_cutoff);
    reader.score(*scoring, "srs_item_cutoff", "scoring.srs_item_cutoff", 0, 100, rules.item_cutoff);
    reader.score(*scoring, "srs_alliance_drop", "scoring.srs_alliance_drop", 1, 400, rules.alliance_drop);
  }
  if (const json* fhir = reader.object(root, "fhir", "fhir", false)) {
    reader.check_keys(*fhir, "fhir.");
    FhirConfiguration settings;
    if (auto base_url = reader.text(*fhir, "base_url", "fhir.base_url", true)) {
      // PHI never travels in clear text: there is no http:// option.
      if (base_url->rfind("https://", 0) != 0) {
        reader.problem("fhir.base_url", "must start with https://");
      } else if (base_url->size() == 8 || base_url->find_first_of(" \t\r\n\"<>\\^`{|}") != std::string::npos) {
        reader.problem("fhir.base_url", "is not a valid URL");
      } else {
        settings.base_url = *base_url;
      }
    }
    if (auto ca_file = reader.text(*fhir, "ca_file", "fhir.ca_file", false)) {
      settings.ca_file = resolve(*ca_file, origin);
      reader.readable_file(settings.ca_file, "fhir.ca_file");
    }
    const auto certificate = reader.text(*fhir, "client_certificate_file", "fhir.client_certificate_file", false);
    const auto client_key = reader.text(*fhir, "client_key_file", "fhir.client_key_file", false);
    if (certificate.has_value() != client_key.has_value()) {
      reader.problem(certificate ? "fhir.client_key_file" : "fhir.client_certificate_file",
                     "mutual TLS needs both fhir.client_certificate_file and fhir.client_key_file");
    } else if (certificate) {
      settings.client_certificate_file = resolve(*certificate, origin);
      settings.client_key_file = resolve(*client_key, origin);
      reader.readable_file(settings.client_certificate_file, "fhir.client_certificate_file");
      reader.secret_file(settings.client_key_file, "fhir.client_key_file", kClientKeyLimitBytes);
    }
    if (auto system = reader.text(*fhir, "identifier_system", "fhir.identifier_system", false)) {
      if (system->find(':') == std::string::npos || system->find_first_of(" |") != std::string::npos) {
        reader.problem("fhir.identifier_system", "must be an absolute URI without spaces or '|'");
      } else {
        settings.identifier_system = *system;
      }
    }
    reader.whole_number(*fhir, "timeout_seconds", "fhir.timeout_seconds", 1, 300, settings.timeout_seconds);
    reader.whole_number(*fhir, "response_limit_bytes", "fhir.response_limit_bytes", std::size_t{1024},
                        std::size_t{256} * 1024 * 1024, settings.response_limit_bytes);
    reader.whole_number(*fhir, "retry_initial_seconds", "fhir.retry_initial_seconds", 1, 3600,
                        settings.retry_initial_seconds);
    reader.whole_number(*fhir, "retry_maximum_seconds", "fhir.retry_maximum_seconds", 1, 86400,
                        settings.retry_maximum_seconds);
    reader.whole_number(*fhir, "store_check_seconds", "fhir.store_check_seconds", 1, 3600,
                        settings.store_check_seconds);
    if (const json* smart = reader.object(*fhir, "smart", "fhir.smart", false)) {
      reader.check_keys(*smart, "fhir.smart.");
      SmartConfiguration client;
      if (auto id = reader.text(*smart, "client_id", "fhir.smart.client_id", true)) client.client_id = *id;
      // Either a signed JWT (private_key_file and key_id) or a client secret, not both.
      const bool with_secret = smart->contains("client_secret_file");
      if (with_secret && (smart->contains("private_key_file") || smart->contains("key_id"))) {
        reader.problem("fhir.smart.client_secret_file",
                       "give either a client secret or a private key (private_key_file and key_id), not both");
      }
      if (auto file = reader.text(*smart, "client_secret_file", "fhir.smart.client_secret_file", false)) {
        if (auto secret = reader.secret_line(resolve(*file, origin), "fhir.smart.client_secret_file")) {
          if (secret->empty()) reader.problem("fhir.smart.client_secret_file", "is empty");
          client.client_secret = std::move(*secret);
        }
      }
      if (auto key = reader.text(*smart, "private_key_file", "fhir.smart.private_key_file", !with_secret)) {
        client.private_key_file = resolve(*key, origin);
        reader.readable_file(client.private_key_file, "fhir.smart.private_key_file");
      }
      if (auto key_id = reader.text(*smart, "key_id", "fhir.smart.key_id", !with_secret)) client.key_id = *key_id;
      if (auto scopes = reader.text(*smart, "scopes", "fhir.smart.scopes", false)) {
        client.scopes = *scopes;
        client.scopes_given = true;
      }
      reader.flag(*smart, "send_scope", "fhir.smart.send_scope", client.send_scope);
      if (auto endpoint = reader.text(*smart, "token_endpoint", "fhir.smart.token_endpoint", false)) {
        if (endpoint->rfind("https://", 0) != 0) {
          reader.problem("fhir.smart.token_endpoint", "must start with https://");
        } else {
          client.token_endpoint = *endpoint;
        }
      }
      settings.smart = std::move(client);
    }
    if (const json* proxy = reader.object(*fhir, "proxy", "fhir.proxy", false)) {
      reader.check_keys(*proxy, "fhir.proxy.");
      if (auto url = reader.text(*proxy, "url", "fhir.proxy.url", true)) {
        if (url->rfind("http://", 0) != 0) {
          reader.problem("fhir.proxy.url", "must be http://host:port (the TLS session to the server runs inside the tunnel)");
        } else {
          settings.proxy_url = *url;
        }
      }
      if (auto user = reader.text(*proxy, "username", "fhir.proxy.username", false)) settings.proxy_username = *user;
      if (auto file = reader.text(*proxy, "password_file", "fhir.proxy.password_file", false)) {
        // A file, so that the password is in no configuration file and no log; read
        // as every secret file is (secret_file.hpp). The password is its first line.
        if (auto password = reader.secret_line(resolve(*file, origin), "fhir.proxy.password_file")) {
          settings.proxy_password = std::move(*password);
        }
      }
    }
    reader.whole_number(*fhir, "concurrency", "fhir.concurrency", 1, 16, settings.concurrency);
    if (const auto transactions = fhir->find("transactions"); transactions != fhir->end()) {
      if (!transactions->is_boolean()) {
        reader.problem("fhir.transactions", "must be true (one transaction Bundle per administration) or false "
                                            "(conditional creates one by one)");
      } else {
        settings.transactions = transactions->get<bool>();
      }
    }
    reader.flag(*fhir, "ensure_questionnaires", "fhir.ensure_questionnaires", settings.ensure_questionnaires);
    reader.flag(*fhir, "item_observations", "fhir.item_observations", settings.item_observations);
    reader.flag(*fhir, "read_history", "fhir.read_history", settings.read_history);
    reader.flag(*fhir, "conditional_creates", "fhir.conditional_creates", settings.conditional_creates);
    if (const json* chart = reader.object(*fhir, "chart", "fhir.chart", false)) read_chart(reader, *chart, settings.chart);
    if (auto reference = reader.text(*fhir, "questionnaire_reference", "fhir.questionnaire_reference", false)) {
      if (*reference != "canonical" && *reference != "server_id") {
        reader.problem("fhir.questionnaire_reference",
                       "must be \"canonical\" (url|version) or \"server_id\" (Questionnaire/<id> on the server)");
      } else {
        settings.questionnaire_reference = *reference;
      }
    }
    if (settings.questionnaire_reference == "server_id" && !settings.ensure_questionnaires) {
      reader.problem("fhir.questionnaire_reference",
                     "\"server_id\" needs fhir.ensure_questionnaires (the plugin learns the ids by creating them)");
    }
    if (!settings.conditional_creates && settings.transactions) {
      // Searching before each write needs the writes one by one: inside a transaction
      // nothing can be looked at between them.
      reader.problem("fhir.conditional_creates",
                     "false needs fhir.transactions false (delivery then searches before each write, one by one)");
    }
    if (settings.smart && !settings.smart->scopes_given) settings.smart->scopes = default_scopes_for(settings);
    if (settings.retry_maximum_seconds < settings.retry_initial_seconds) {
      reader.problem("fhir.retry_maximum_seconds", "must not be less than fhir.retry_initial_seconds");
    }
    configuration.fhir = std::move(settings);
  }
  if (auto level = reader.text(root, "log_level", "log_level", false)) {
    if (*level == "debug") configuration.log_level = LogLevel::debug;
    else if (*level == "info") configuration.log_level = LogLevel::info;
    else if (*level == "warning") configuration.log_level = LogLevel::warning;
    else if (*level == "error") configuration.log_level = LogLevel::error;
    else reader.problem("log_level", "must be one of debug, info, warning, error");
  }
  if (result.problems.empty()) result.configuration = std::move(configuration);
  return result;
}

std::string default_scopes_for(const FhirConfiguration& settings) {
  const fhir::ChartProfiles& chart = settings.chart;
  // Without conditional creates, delivery searches before it writes (SMART v2: c, s).
  const std::string create = settings.conditional_creates ? ".c" : ".cs";
  std::vector<std::string> scopes;
  if (chart.fhir_native) scopes.push_back("system/QuestionnaireResponse" + create);
  if (chart.fhir_native || chart.flowsheet) scopes.push_back("system/Observation" + create);
  if (chart.document) scopes.push_back("system/DocumentReference" + create);
  if (chart.fhir_native && settings.ensure_questionnaires) scopes.push_back("system/Questionnaire.crs");
  if (settings.read_history) scopes.push_back("system/Observation.rs");
  std::string joined;
  for (const std::string& scope : scopes) joined += (joined.empty() ? "" : " ") + scope;
  return joined;
}

std::string describe(const std::vector<ConfigurationProblem>& problems) {
  std::string text;
  for (const auto& problem : problems) {
    if (!text.empty()) text += "; ";
    text += problem.key + ": " + problem.reason;
  }
  return text;
}

}  // namespace alliance
