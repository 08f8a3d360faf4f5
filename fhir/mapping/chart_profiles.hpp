// Chart profiles: which writes a clinic's record system accepts (fhir.chart.profiles).
// Each profile is a set of resources per administration; profiles combine (Epic:
// flowsheet rows and a note; Oracle Health: rows where the clinic maps them, and a
// PDF). What each EHR accepts, and where that is documented: docs/chart-profiles.md.
//
//   fhir-native  QuestionnaireResponse, total (and item) Observations in the survey
//                category (administration_bundle.hpp): FHIR-native servers.
//   flowsheet    one Observation per total (and per item where rows are given) with
//                the category and codes of the clinic's flowsheet rows, the value as
//                a Quantity, the encounter: no QuestionnaireResponse, no Questionnaire.
//   document     one DocumentReference per administration: a clinical note as plain
//                text and/or a PDF with the trend graph (the plugin draws them; the
//                mapping is given their bytes).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "measures/measure_definition.hpp"

namespace alliance::fhir {

inline constexpr const char* kDocumentCategorySystem =
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category";

// The rows of one measure: the total's, and optionally one per item (in item order).
struct FlowsheetRows {
  Coding total;
  std::vector<Coding> items;  // empty: no item rows
};

struct ChartProfiles {
  bool fhir_native = true;
  bool flowsheet = false;
  bool document = false;

  // flowsheet: the category of the rows (Epic files vital-sign-style rows) and the
  // rows by measure code ("ORS", "SRS", ...). A measure without rows writes none.
  Coding flowsheet_category{"http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs",
                            "Vital Signs"};
  std::map<std::string, FlowsheetRows> flowsheet_rows;
  // Who the rows name as performer: the rater (the client, or their RelatedPerson), or
  // the session's clinician (Oracle Health takes only a Practitioner).
  bool flowsheet_performer_clinician = false;

  // document: its LOINC type (required), category, and docStatus: "preliminary" for a
  // clinician to review and sign, or "final".
  Coding document_type;
  Coding document_category{kDocumentCategorySystem, "clinical-note", "Clinical Note"};
  std::string document_status = "preliminary";
  bool document_text = true;  // a text/plain attachment
  bool document_pdf = false;  // an application/pdf attachment

  // How a write made by an earlier attempt is found again (each entry's ifNoneExist):
  // false: by identifier; true: flowsheet rows and documents by subject, code (or
  // document type) and time, for EHRs whose identifiers are not searchable.
  bool find_by_reading = false;
};

// One attachment of the document: its bytes (the mapping encodes them).
struct NoteAttachment {
  std::string content_type;  // "text/plain; charset=utf-8", "application/pdf"
  std::string language;      // BCP 47, or ""
  std::string title;
  std::string bytes;
};

}  // namespace alliance::fhir
