// The pieces every resource the mapping writes is made of (references, codings, score
// quantities, who answered), shared by the FHIR-native Bundle (administration_bundle)
// and the chart profiles' writes (chart_bundle), so that both say a thing one way.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "measures/administration.hpp"
#include "measures/measure_definition.hpp"

namespace alliance::fhir {

inline constexpr const char* kUcum = "http://unitsofmeasure.org";
inline constexpr const char* kObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
inline constexpr const char* kInterpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
inline constexpr const char* kRoleCode = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";

// The measure's name in the clinic's language (see MeasureDefinition::chart_title).
const std::string& chart_title(const MeasureDefinition& measure);

nlohmann::json reference(const std::string& target);
nlohmann::json coding(const Coding& value);
// A CodeableConcept of one coding and its text.
nlohmann::json concept_of(const std::string& system, const std::string& code, const std::string& display,
                          const std::string& text);

// A score as a FHIR decimal with one decimal place: tenths are exact, so 17.7 is
// written as 17.7 (nlohmann prints the shortest round-trip form of the double).
nlohmann::json points(Tenths value);
// A score as a Quantity in UCUM's {score}.
nlohmann::json score_quantity(Tenths value);

// Declined or abandoned (no scores).
bool is_stopped(const Administration& administration);

// Who answered: the client (self-report), or another person, known to the chart only
// when the host named a RelatedPerson. Without one, nobody is claimed: "".
std::string answerer(const Administration& administration);

// How the answers were given (docs/chart.md, "Verbal administration"): FHIR's
// questionnaireresponse-completionMode extension, coded in v3 ParticipationMode (the
// extension's required value set, questionnaireresponse-mode: ELECTRONIC, VERBAL,
// WRITTEN).
inline constexpr const char* kCompletionModeExtension =
    "http://hl7.org/fhir/StructureDefinition/questionnaireresponse-completionMode";
inline constexpr const char* kParticipationMode = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode";

// Read aloud by a practitioner who entered the client's answers (completion mode VERBAL).
bool is_verbal(const Administration& administration);
// VERBAL: the Practitioner who read the items and entered the answers, when the
// administration names one as "Practitioner/…"; otherwise "" (nobody is claimed).
std::string entered_by(const Administration& administration);
// The completionMode extension of a verbal QuestionnaireResponse.
nlohmann::json verbal_completion_mode_extension();
// Observation.method of a verbal administration: the same coding, and words a chart
// reader understands.
nlohmann::json verbal_method();

// The v3 RoleCode display of a collateral rater's relationship ("mother"), or "" for
// codes without a known display (none is guessed).
std::string relationship_display(const std::string& code);

}  // namespace alliance::fhir

namespace alliance::fhir {

// An Attachment's `data`: the bytes in standard base64 (RFC 4648 section 4, padded).
std::string attachment_data(std::string_view bytes);

}  // namespace alliance::fhir
