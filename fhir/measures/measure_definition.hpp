// A measure as the plugin uses it: what the panel asks and how answers are keyed.
// Loaded from FHIR Questionnaire files (measure_library.hpp): the wording is licensed
// content that a clinic installs, never compiled into the code.
#pragma once

#include <string>
#include <vector>

namespace alliance {

// The family of a measure decides when it is asked and how it is scored.
enum class MeasureKind {
  outcome_rating_scale,  // ORS, CORS, YCORS: start of the session, "how have you been doing?"
  session_rating_scale,  // SRS, CSRS, GSRS, CGSRS: end of the session, "how was this session?"
};

// "ORS" or "SRS": the family's short code.
const char* measure_code(MeasureKind kind);

// The measures PCOMS has (../shared/domain/pcoms.md). The code is what panel messages,
// the store and the configuration call a measure.
//   ORS    Outcome Rating Scale (13 and over, and other raters)
//   SRS    Session Rating Scale
//   CORS   Child Outcome Rating Scale (6 to 12)
//   CSRS   Child Session Rating Scale (12 and under)
//   YCORS  Young Child Outcome Rating Scale (5 and under; no cutoff)
//   GSRS   Group Session Rating Scale
//   CGSRS  Child Group Session Rating Scale (12 and under, in groups)
inline constexpr const char* kMeasureCodes[] = {"ORS", "SRS", "CORS", "CSRS", "YCORS", "GSRS", "CGSRS"};
bool is_measure_code(const std::string& code);
// The family of a known measure code (ORS, CORS and YCORS are outcome measures).
MeasureKind family_of(const std::string& code);

// A FHIR Coding as read from the Questionnaire.
struct Coding {
  std::string system;
  std::string code;
  std::string display;
};

struct MeasureItem {
  std::string link_id;  // Questionnaire item linkId; the key of the answer in messages
  std::string text;     // what the client reads next to the line
  std::string short_name;  // "Goals and Topics": item.code.display, else the text
  Coding coding;           // item.code[0] (the project's pcoms-item code): for item Observations
  // What the therapist reads aloud for this item in an audio session, in the measure's
  // language (the Questionnaire's data, like `text`); empty when the file has none.
  std::string verbal_script;
};

struct MeasureDefinition {
  MeasureKind kind = MeasureKind::outcome_rating_scale;
  std::string code = "ORS";  // one of kMeasureCodes
  std::string language = "en";  // Questionnaire.language (BCP 47), "en" when absent
  std::string url;         // Questionnaire.url
  std::string version;     // Questionnaire.version
  std::string title;       // Questionnaire.title: the panel's title
  // The title in the default language: a chart's code text stays in the clinic's
  // language whichever language the client answered in. Set by the loader.
  std::string chart_title;
  std::string instructions;  // Questionnaire.description: shown above the lines
  // Read aloud before the items in an audio session (the time frame and the 0 to 10
  // scale in spoken words); empty when the file has none.
  std::string verbal_introduction;
  std::vector<MeasureItem> items;  // the scales, in order
  std::string total_link_id;       // the readOnly calculated total item
  std::string total_text;          // its text ("ORS total score")
  Coding measure_coding;           // the SNOMED CT code of the total (Questionnaire.code)
  Coding total_coding;             // the total item's own code (the project's code system)
  // Items that record who filled the form in (pcoms.md: self, or another person and
  // the relationship): a `coding` item with code pcoms-item|rater and one with
  // pcoms-item|rater-relationship. Empty when the Questionnaire has none.
  std::string rater_link_id;
  std::string relationship_link_id;
  std::string resource_json;       // the Questionnaire as loaded, to create it on the server
  std::string source_file;         // where it was loaded from, for messages

  // "url|version": how a QuestionnaireResponse refers to it.
  std::string canonical() const { return url + "|" + version; }
};

}  // namespace alliance
