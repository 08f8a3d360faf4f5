// The mapping from one scored administration to FHIR R4: a transaction Bundle with a
// QuestionnaireResponse (the source of truth of the completed form), optionally one
// Observation per scale item, and a total-score Observation in the shape of US Core's
// Observation Screening Assessment profile, linked by urn:uuid and made safe to repeat
// with ifNoneExist on identifiers derived from the administration. A pure function:
// the same input gives the same Bundle (tests compare it with golden files).
// Facts: ../shared/domain/fhir.md.
//
// Entries come in dependency order, so a server without transactions can create them
// one by one in Bundle order (each later one refers to server ids of earlier ones):
//   [0]      QuestionnaireResponse
//   [1..n]   item Observations (settings.item_observations), derivedFrom [0]
//   [last]   total Observation, derivedFrom [0], hasMember [1..n]
// A stopped administration (declined or abandoned: no scores) is the
// QuestionnaireResponse alone, status "stopped", with only the rater items.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mapping/chart_profiles.hpp"
#include "measures/administration.hpp"
#include "measures/measure_definition.hpp"

namespace alliance::fhir {

// The project's code systems the mapping writes.
inline constexpr const char* kRaterCodeSystem = "https://fhir.alliance-plugin.org/CodeSystem/pcoms-rater";
inline constexpr const char* kOutcomeCodeSystem = "https://fhir.alliance-plugin.org/CodeSystem/pcoms-outcome";
inline constexpr const char* kExpectedResponseCodeSystem =
    "https://fhir.alliance-plugin.org/CodeSystem/pcoms-expected-response";
inline constexpr const char* kFlagCodeSystem = "https://fhir.alliance-plugin.org/CodeSystem/pcoms-flag";

struct MappingSettings {
  // The identifier system of the clinic's administrations. Each clinic should use a
  // URI of its own so that identifiers never clash across installations.
  std::string identifier_system = "https://fhir.alliance-plugin.org/sid/administration";
  // Also one Observation per scale item, which the total lists in hasMember (for EHRs
  // that drop Observation.component, see fhir.md).
  bool item_observations = false;
  // Which writes the record system accepts (chart_bundle.hpp); administration_bundle
  // is the fhir-native profile's part.
  ChartProfiles chart;
};

struct BundleResult {
  nlohmann::json bundle;  // set when `error` is empty
  std::string error;      // why this administration cannot be written to a chart
};

// `questionnaire_reference`: what QuestionnaireResponse.questionnaire says; empty means
// the administration's versioned canonical (url|version), else e.g. "Questionnaire/123"
// for EHRs that want the id of a Questionnaire stored on the server.
BundleResult administration_bundle(const Administration& administration, const MeasureDefinition& measure,
                                   const MappingSettings& settings, const std::string& questionnaire_reference = "");

// Why an administration cannot go into any chart (no Patient, a status that is neither
// completed nor stopped, an id that is no UUID), or "" when it can: every profile checks
// this first.
std::string unwritable_reason(const Administration& administration);

// The identifier values (within settings.identifier_system) of the resources.
std::string questionnaire_response_identifier(const Administration& administration);
std::string total_observation_identifier(const Administration& administration);
std::string item_observation_identifier(const Administration& administration, size_t item_number);  // from 1

}  // namespace alliance::fhir
