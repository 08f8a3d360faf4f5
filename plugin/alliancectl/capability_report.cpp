#include "alliancectl/capability_report.hpp"

#include <nlohmann/json.hpp>

#include "reading/json_reader.hpp"

namespace alliance::control {

using nlohmann::json;

namespace {

bool has_interaction(const json& owner, const char* code) {
  const auto interactions = owner.find("interaction");
  if (interactions == owner.end() || !interactions->is_array()) return false;
  for (const json& interaction : *interactions) {
    if (interaction.is_object() && interaction.value("code", json()) == code) return true;
  }
  return false;
}

}  // namespace

CapabilityReport read_capability_statement(const std::string& body) {
  CapabilityReport report;
  const fhir::JsonReading reading = fhir::read_json(body, fhir::kServerAnswerLimits);
  const json& statement = reading.value;
  if (!reading.ok() || !statement.is_object()) {
    report.error = "the answer to GET [base]/metadata is not JSON";
    return report;
  }
  if (statement.value("resourceType", json()) != "CapabilityStatement") {
    report.error = "the answer to GET [base]/metadata is not a CapabilityStatement (is fhir.base_url the FHIR base?)";
    return report;
  }
  if (const auto version = statement.find("fhirVersion"); version != statement.end() && version->is_string()) {
    report.fhir_version = version->get<std::string>();
  }
  const auto rests = statement.find("rest");
  if (rests == statement.end() || !rests->is_array()) return report;
  for (const json& rest : *rests) {
    if (!rest.is_object() || rest.value("mode", json()) != "server") continue;
    report.transaction = report.transaction || has_interaction(rest, "transaction");
    const auto resources = rest.find("resource");
    if (resources == rest.end() || !resources->is_array()) continue;
    for (const json& resource : *resources) {
      if (!resource.is_object() || !resource.contains("type") || !resource["type"].is_string()) continue;
      ResourceSupport& support = report.resources[resource["type"].get<std::string>()];
      support.create = support.create || has_interaction(resource, "create");
      support.search = support.search || has_interaction(resource, "search-type");
      support.conditional_create = support.conditional_create || resource.value("conditionalCreate", json()) == true;
    }
  }
  return report;
}

std::string describe_support(const CapabilityReport& report, const std::string& type) {
  const auto found = report.resources.find(type);
  if (found == report.resources.end()) return "not declared";
  const ResourceSupport& support = found->second;
  if (support.create && support.conditional_create) return "create and conditional create supported";
  if (support.create) return "create supported, conditional create not supported";
  return "create not supported";
}

std::vector<std::string> missing_capabilities(const CapabilityReport& report, const FhirConfiguration& settings) {
  std::vector<std::string> missing;
  if (!report.fhir_version.starts_with("4.0")) {
    missing.push_back("the server speaks FHIR " + (report.fhir_version.empty() ? "(no version given)" : report.fhir_version) +
                      ", the plugin needs R4 (4.0.x): check that fhir.base_url is the R4 endpoint");
  }
  if (settings.transactions && !report.transaction) {
    missing.push_back("the server does not support transaction Bundles (its CapabilityStatement declares no "
                      "transaction interaction): set fhir.transactions to false (the plugin then creates the "
                      "resources one by one)");
  }
  const std::string ask_ehr = "ask the EHR's administrators to enable it for this endpoint";
  const std::string other_profile = "; or choose the profiles this server takes in fhir.chart.profiles (" +
                                    joined_profiles(fitting_profiles(report)) + ")";
  auto need_create = [&](const std::string& type, const std::string& fix) {
    const auto found = report.resources.find(type);
    if (found == report.resources.end() || !found->second.create) {
      missing.push_back("this server accepts no " + type + " create: " + fix);
    } else if (settings.conditional_creates && !found->second.conditional_create) {
      missing.push_back("the server does not declare conditional create for " + type +
                        " (with fhir.conditional_creates the plugin relies on it so that a retry never writes "
                        "twice): set fhir.conditional_creates to false (the plugin then searches before each "
                        "write), or " + ask_ehr);
    } else if (!settings.conditional_creates && !found->second.search) {
      missing.push_back("the server declares neither conditional create nor search for " + type +
                        ": a write whose answer is lost may be written twice when it is retried (see "
                        "docs/chart-profiles.md); " + ask_ehr);
    }
  };
  const fhir::ChartProfiles& chart = settings.chart;
  if (chart.fhir_native) {
    need_create("QuestionnaireResponse", ask_ehr + other_profile);
    need_create("Observation", ask_ehr + other_profile);
    if (settings.ensure_questionnaires) {
      need_create("Questionnaire", ask_ehr + ", or load the measures' Questionnaires there yourself and set "
                                             "fhir.ensure_questionnaires to false");
    }
  } else if (chart.flowsheet) {
    need_create("Observation", ask_ehr + other_profile);
  }
  if (chart.document) need_create("DocumentReference", ask_ehr + other_profile);
  if (settings.read_history) {
    const auto found = report.resources.find("Observation");
    if (found == report.resources.end() || !found->second.search) {
      missing.push_back("the server does not declare search for Observation, which fhir.read_history needs: " +
                        ask_ehr + ", or set fhir.read_history to false");
    }
  }
  return missing;
}

std::vector<std::string> fitting_profiles(const CapabilityReport& report) {
  const auto creates = [&](const std::string& type) {
    const auto found = report.resources.find(type);
    return found != report.resources.end() && found->second.create;
  };
  std::vector<std::string> profiles;
  if (creates("QuestionnaireResponse") && creates("Observation")) profiles.push_back("fhir-native");
  if (creates("Observation")) profiles.push_back("flowsheet");
  if (creates("DocumentReference")) profiles.push_back("document");
  return profiles;
}

std::string joined_profiles(const std::vector<std::string>& profiles) {
  if (profiles.empty()) return "none: it declares no create the plugin can use";
  std::string text;
  for (const std::string& profile : profiles) text += (text.empty() ? "" : ", ") + profile;
  return text;
}

}  // namespace alliance::control
