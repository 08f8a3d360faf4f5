// Everything one administration writes to the chart under the configured profiles
// (chart_profiles.hpp), as one Bundle of type transaction in dependency order:
//   fhir-native   the entries of administration_bundle (QuestionnaireResponse first)
//   flowsheet     the total's row, then the items' rows
//   document      the DocumentReference with the note's attachments
// Every entry carries request.ifNoneExist: the search that finds what an earlier
// attempt wrote. Delivery sends it as If-None-Exist to a server with conditional
// creates, and runs it as a search before writing to one without (fhir.conditional_creates).
// The Bundle goes as one transaction where the server takes them, else entry by entry.
// A pure function, like administration_bundle.
//
// A stopped administration has no scores: no flowsheet rows; the note says it was not
// completed. A Bundle may therefore have no entries (flowsheet alone): nothing to write.
#pragma once

#include <string>
#include <vector>

#include "mapping/administration_bundle.hpp"
#include "mapping/chart_profiles.hpp"

namespace alliance::fhir {

// `note`: the document's attachments (with the document profile; at least one).
BundleResult chart_bundle(const Administration& administration, const MeasureDefinition& measure,
                          const MappingSettings& settings, const std::vector<NoteAttachment>& note,
                          const std::string& questionnaire_reference = "");

// The identifier values (within settings.identifier_system) of the profiles' writes:
// different from the fhir-native ones, so that both can live on one server.
std::string flowsheet_total_identifier(const Administration& administration);
std::string flowsheet_item_identifier(const Administration& administration, size_t item_number);  // from 1
std::string document_identifier(const Administration& administration);

}  // namespace alliance::fhir
