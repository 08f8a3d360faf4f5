// What a FHIR server's CapabilityStatement (GET [base]/metadata) says about what the
// plugin needs: the FHIR version, transaction Bundles, and create / conditional create
// of the resources it writes, under the chart profiles configured, and which profiles fit.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "configuration/configuration.hpp"

namespace alliance::control {

struct ResourceSupport {
  bool create = false;              // rest.resource[].interaction code "create"
  bool conditional_create = false;  // rest.resource[].conditionalCreate true
  bool search = false;              // rest.resource[].interaction code "search-type"
};

struct CapabilityReport {
  std::string error;         // not empty: the body is not a usable CapabilityStatement
  std::string fhir_version;  // "4.0.1"
  bool transaction = false;  // rest.interaction code "transaction"
  std::map<std::string, ResourceSupport> resources;  // by type; absent: not declared
};

// Reads the body of GET [base]/metadata (server-mode rest entries only).
CapabilityReport read_capability_statement(const std::string& body);

// What the settings need that the statement does not offer, each with what to fix.
std::vector<std::string> missing_capabilities(const CapabilityReport& report, const FhirConfiguration& settings);

// The chart profiles whose writes the server declares it creates: fhir-native
// (QuestionnaireResponse and Observation), flowsheet (Observation), document
// (DocumentReference). A flowsheet also needs the clinic's rows, which no
// CapabilityStatement tells.
std::vector<std::string> fitting_profiles(const CapabilityReport& report);
// "fhir-native, document", or words saying there is none.
std::string joined_profiles(const std::vector<std::string>& profiles);

// "create and conditional create", "create only", "not declared", for the report.
std::string describe_support(const CapabilityReport& report, const std::string& type);

}  // namespace alliance::control
