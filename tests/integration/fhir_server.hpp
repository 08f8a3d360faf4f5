// The test FHIR server (tests/fhir-server), as the integration tests reach it: its
// base URL, plain HTTPS requests with curl (an independent client, trusting only the
// test CA), seeding of Patients and Encounters, and searches.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace alliance::integration {

struct FhirAnswer {
  int status = 0;
  nlohmann::json body;
};

// https://localhost:<port>/fhir/R4, from the port file a server fixture wrote (the
// plain server's by default; the mutual-TLS one is ALLIANCE_FHIR_SERVER_MTLS_PORT_FILE).
std::string fhir_base_url(const std::string& port_file = ALLIANCE_FHIR_SERVER_PORT_FILE);
std::string test_certificate(const std::string& file);  // a file of the test certificates folder

// `authorization`: an Authorization header value, for the server that requires tokens.
FhirAnswer fhir_request(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr,
                        const std::string& port_file = ALLIANCE_FHIR_SERVER_PORT_FILE,
                        const std::string& authorization = "");

// The resources a search finds (follows no paging: tests keep results small).
std::vector<nlohmann::json> fhir_search(const std::string& type, const std::string& query,
                                        const std::string& port_file = ALLIANCE_FHIR_SERVER_PORT_FILE,
                                        const std::string& authorization = "");

// A request to any path of a test server (e.g. "/_test/faults"), outside the FHIR base.
FhirAnswer server_request(const std::string& port_file, const std::string& method, const std::string& path,
                          const nlohmann::json& body = nullptr);

// The "fhir" configuration section for a test server.
nlohmann::json fhir_settings(const std::string& port_file = ALLIANCE_FHIR_SERVER_PORT_FILE);

// A copy of a scenario from tests/scenarios with every Patient and Encounter
// reference made unique to this run (tests share one server and run in parallel),
// those resources created on the server, and the new references returned.
struct PersonalizedScenario {
  std::string path;
  std::vector<std::string> patients;    // "Patient/pat-alex-<suffix>", in order of appearance
  std::vector<std::string> encounters;  // "Encounter/enc-normal-<suffix>"
};
PersonalizedScenario personalize_scenario(const std::string& scenario_file, bool seed_patients = true);

// Creates the scenario's Patients and Encounters on another test server too.
void seed_on(const std::string& port_file, const PersonalizedScenario& scenario,
             const std::string& authorization = "");

// An ORS total Observation as another site writes it (its own identifier system), for
// the plugin's history read: `effective` is an RFC 3339 time.
nlohmann::json other_site_ors(const std::string& patient_reference, double total, const std::string& effective);
// "Bearer ..." from a SMART test server, got with the RS384 test key.
std::string smart_test_authorization(const std::string& port_file = ALLIANCE_FHIR_SERVER_SMART_PORT_FILE);

// The EHR emulations (tests/fhir-server/emulations, docs/emulations.md): "epic" or
// "oracle-health". Their fixture's port file; the "fhir" configuration a clinic on that
// EHR writes (tests/fhir-server/emulations/<name>-chart.json: chart profiles, no
// transactions or conditional creates) with the fixture's address and credentials
// (Epic: a signed JWT; Oracle Health: a client id and secret); and an Authorization
// header value for the test's own requests (the fixtures require tokens).
std::string emulation_port_file(const std::string& emulation);
nlohmann::json emulation_settings(const std::string& emulation, const std::string& port_file = "");
std::string emulation_authorization(const std::string& emulation);

// A loopback port that was free a moment ago, for a server a test starts later (or
// never, to stand for a record system that is down).
int free_port();

}  // namespace alliance::integration
