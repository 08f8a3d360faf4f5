// A measure as the plugin uses it: what the panel asks and how answers are keyed.
// Loaded from FHIR Questionnaire files (measure_library.hpp): the wording is licensed
// content that a clinic installs, never compiled into the code.
#pragma once

#include <string>
#include <vector>

namespace alliance {

enum class MeasureKind {
  outcome_rating_scale,  // ORS: start of the session, "how have you been doing?"
  session_rating_scale,  // SRS: end of the session, "how was this session for you?"
};

// "ORS" or "SRS": the short code used in panel messages and in the store.
const char* measure_code(MeasureKind kind);

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
};

struct MeasureDefinition {
  MeasureKind kind = MeasureKind::outcome_rating_scale;
  std::string url;         // Questionnaire.url
  std::string version;     // Questionnaire.version
  std::string title;       // Questionnaire.title: the panel's title
  std::string instructions;  // Questionnaire.description: shown above the lines
  std::vector<MeasureItem> items;  // the scales, in order
  std::string total_link_id;       // the readOnly calculated total item
  std::string total_text;          // its text ("ORS total score")
  Coding measure_coding;           // the SNOMED CT code of the total (Questionnaire.code)
  Coding total_coding;             // the total item's own code (the project's code system)
  std::string source_file;         // where it was loaded from, for messages

  // "url|version": how a QuestionnaireResponse refers to it.
  std::string canonical() const { return url + "|" + version; }
};

}  // namespace alliance
