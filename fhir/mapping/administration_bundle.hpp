// The mapping from one scored administration to FHIR R4: a transaction Bundle with a
// QuestionnaireResponse (the source of truth of the completed form) and a total-score
// Observation in the shape of US Core's Observation Screening Assessment profile,
// linked by urn:uuid and made safe to repeat with ifNoneExist on identifiers derived
// from the administration. A pure function: the same input gives the same Bundle
// (tests compare it with golden files). Facts: ../shared/domain/fhir.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "administration.hpp"
#include "measure_definition.hpp"

namespace alliance::fhir {

struct MappingSettings {
  // The identifier system of the clinic's administrations. Each clinic should use a
  // URI of its own so that identifiers never clash across installations.
  std::string identifier_system = "https://fhir.alliance-plugin.org/sid/administration";
};

struct BundleResult {
  nlohmann::json bundle;  // set when `error` is empty
  std::string error;      // why this administration cannot be written to a chart
};

BundleResult administration_bundle(const Administration& administration, const MeasureDefinition& measure,
                                   const MappingSettings& settings);

// The identifier values (within settings.identifier_system) of the two resources.
std::string questionnaire_response_identifier(const Administration& administration);
std::string total_observation_identifier(const Administration& administration);

}  // namespace alliance::fhir
