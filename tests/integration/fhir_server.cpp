#include "fhir_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <future>

#include "host_sim_process.hpp"
#include "client/https_client.hpp"
#include "auth/token_source.hpp"
#include "runtime/worker.hpp"

namespace alliance::integration {

using nlohmann::json;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Runs curl and returns what it printed: the body, a newline, then the status code.
std::string run_curl(const std::string& arguments) {
  // The client certificate is offered only to a server that asks for one (mTLS).
  const std::string command = "curl --silent --show-error --max-time 20 --cacert '" + test_certificate("ca.pem") +
                              "' --cert '" + test_certificate("client.pem") + "' --key '" +
                              test_certificate("client.key") + "' " + arguments + " --write-out '\\n%{http_code}'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run curl");
  std::string output;
  char buffer[4096];
  for (size_t read; (read = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, read);
  pclose(pipe);
  return output;
}

void seed(const std::string& reference, const std::string& patient,
          const std::string& port_file = ALLIANCE_FHIR_SERVER_PORT_FILE, const std::string& authorization = "") {
  const std::string type = reference.substr(0, reference.find('/'));
  const std::string id = reference.substr(reference.find('/') + 1);
  json resource = {{"resourceType", type}, {"id", id}};
  if (type == "Patient") {
    resource["name"] = json::array({{{"family", "Testperson"}, {"given", json::array({"Integration"})}}});
  } else if (type == "Encounter") {
    resource["status"] = "finished";
    resource["class"] = {{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"}, {"code", "VR"}};
    if (!patient.empty()) resource["subject"] = {{"reference", patient}};
  } else if (type == "Practitioner") {
    resource["name"] = json::array({{{"family", "Kim"}, {"given", json::array({"Jordan"})}}});
  }
  const FhirAnswer answer = fhir_request("PUT", reference, resource, port_file, authorization);
  if (answer.status != 200 && answer.status != 201) {
    throw std::runtime_error("cannot seed " + type + " on the test FHIR server: HTTP " + std::to_string(answer.status));
  }
}

}  // namespace

json other_site_ors(const std::string& patient_reference, double total, const std::string& effective) {
  return {{"resourceType", "Observation"},
          {"identifier", json::array({{{"system", "https://other-site.example.org/sid/outcomes"},
                                       {"value", "ors-" + patient_reference.substr(patient_reference.find('/') + 1)}}})},
          {"status", "final"},
          {"category", json::array({{{"coding", json::array({{{"system",
                                                                "http://terminology.hl7.org/CodeSystem/observation-category"},
                                                               {"code", "survey"}}})}}})},
          {"code", {{"coding", json::array({{{"system", "http://snomed.info/sct"},
                                             {"code", "716613004"},
                                             {"display", "Outcome Rating Scale total score"}}})}}},
          {"subject", {{"reference", patient_reference}}},
          {"effectiveDateTime", effective},
          {"valueQuantity",
           {{"value", total}, {"unit", "{score}"}, {"system", "http://unitsofmeasure.org"}, {"code", "{score}"}}}};
}

std::string test_certificate(const std::string& file) { return std::string(ALLIANCE_TEST_CERTIFICATES) + "/" + file; }

std::string fhir_base_url(const std::string& port_file) {
  std::string port = read_text(port_file);
  while (!port.empty() && (port.back() == '\n' || port.back() == ' ')) port.pop_back();
  if (port.empty()) throw std::runtime_error("the test FHIR server is not running (no port file)");
  return "https://localhost:" + port + "/fhir/R4";
}

FhirAnswer fhir_request(const std::string& method, const std::string& path, const json& body,
                        const std::string& port_file, const std::string& authorization) {
  std::string arguments = "--request " + method + " --header 'Accept: application/fhir+json'";
  if (!authorization.empty()) arguments += " --header 'Authorization: " + authorization + "'";
  std::string body_file;
  if (!body.is_null()) {
    body_file = host_sim_test::write_output_file("request.json", body.dump()).string();
    arguments += " --header 'Content-Type: application/fhir+json' --data-binary '@" + body_file + "'";
  }
  const std::string output = run_curl(arguments + " '" + fhir_base_url(port_file) + "/" + path + "'");
  const size_t newline = output.rfind('\n');
  FhirAnswer answer;
  answer.status = std::atoi(output.substr(newline == std::string::npos ? 0 : newline + 1).c_str());
  answer.body = json::parse(output.substr(0, newline == std::string::npos ? 0 : newline), nullptr, false);
  return answer;
}

FhirAnswer server_request(const std::string& port_file, const std::string& method, const std::string& path,
                          const json& body) {
  std::string base = fhir_base_url(port_file);
  base.resize(base.find("/fhir/R4"));
  std::string arguments = "--request " + method;
  if (!body.is_null()) {
    const std::string body_file = host_sim_test::write_output_file("request.json", body.dump()).string();
    arguments += " --header 'Content-Type: application/json' --data-binary '@" + body_file + "'";
  }
  const std::string output = run_curl(arguments + " '" + base + path + "'");
  const size_t newline = output.rfind('\n');
  FhirAnswer answer;
  answer.status = std::atoi(output.substr(newline == std::string::npos ? 0 : newline + 1).c_str());
  answer.body = json::parse(output.substr(0, newline == std::string::npos ? 0 : newline), nullptr, false);
  return answer;
}

std::vector<json> fhir_search(const std::string& type, const std::string& query, const std::string& port_file,
                              const std::string& authorization) {
  const FhirAnswer answer = fhir_request("GET", type + "?" + query + "&_count=100", nullptr, port_file, authorization);
  if (answer.status != 200) throw std::runtime_error("search failed: HTTP " + std::to_string(answer.status));
  std::vector<json> resources;
  for (const json& entry : answer.body.value("entry", json::array())) resources.push_back(entry.at("resource"));
  return resources;
}

json fhir_settings(const std::string& port_file) {
  return {{"base_url", fhir_base_url(port_file)}, {"ca_file", test_certificate("ca.pem")}, {"timeout_seconds", 5},
          {"retry_initial_seconds", 1}, {"retry_maximum_seconds", 2}};
}

PersonalizedScenario personalize_scenario(const std::string& scenario_file, bool seed_patients) {
  static int runs = 0;
  const std::string suffix = std::to_string(getpid()) + "-" + std::to_string(++runs);
  json scenario = json::parse(read_text(std::string(ALLIANCE_SCENARIO_DIR) + "/" + scenario_file));
  PersonalizedScenario result;
  for (json& session : scenario["sessions"]) {
    std::string first_patient;
    for (json& participant : session["participants"]) {
      std::string reference = participant.value("fhir_reference", "");
      if (reference.rfind("Patient/", 0) != 0) continue;
      reference += "-" + suffix;
      participant["fhir_reference"] = reference;
      if (first_patient.empty()) first_patient = reference;
      if (std::find(result.patients.begin(), result.patients.end(), reference) == result.patients.end()) {
        result.patients.push_back(reference);
        if (seed_patients) seed(reference, "");
      }
    }
    if (session.contains("encounter_reference")) {
      const std::string encounter = session["encounter_reference"].get<std::string>() + "-" + suffix;
      session["encounter_reference"] = encounter;
      result.encounters.push_back(encounter);
      if (seed_patients) seed(encounter, first_patient);
    }
  }
  result.path = host_sim_test::write_output_file(scenario_file, scenario.dump(2)).string();
  return result;
}

void seed_on(const std::string& port_file, const PersonalizedScenario& scenario, const std::string& authorization) {
  // The scenarios' clinician: chart profiles name them (a note's author, Oracle Health's
  // performer), and the server checks that references resolve.
  seed("Practitioner/pr-kim", "", port_file, authorization);
  for (const std::string& patient : scenario.patients) seed(patient, "", port_file, authorization);
  for (const std::string& encounter : scenario.encounters) {
    seed(encounter, scenario.patients.empty() ? "" : scenario.patients.front(), port_file, authorization);
  }
}

namespace {

// A token from a test server's token endpoint, got as the plugin gets one.
std::string test_authorization(const std::string& port_file, const alliance::fhir::auth::SmartSettings& smart) {
  alliance::Worker worker;
  alliance::fhir::HttpsClientSettings client;
  client.base_url = fhir_base_url(port_file);
  client.ca_file = test_certificate("ca.pem");
  auto result = std::make_shared<std::promise<alliance::fhir::auth::TokenResult>>();
  std::unique_ptr<alliance::fhir::auth::TokenSource> source;
  worker.post([&] {
    auto creation = alliance::fhir::auth::TokenSource::create(worker.io_context_handle(), client, smart);
    if (!creation.source) {
      alliance::fhir::auth::TokenResult failure;
      failure.error = creation.error;
      result->set_value(failure);
      return;
    }
    source = std::move(creation.source);
    source->get([result](alliance::fhir::auth::TokenResult token) { result->set_value(token); });
  });
  auto future = result->get_future();
  if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) throw std::runtime_error("no token in time");
  const auto token = future.get();
  worker.post([&] { source.reset(); });
  worker.drain_and_stop(std::chrono::seconds(5));
  if (!token.ok) throw std::runtime_error("no test token: " + token.error);
  return token.authorization_header_value;
}

std::string first_line(const std::string& file) {
  std::ifstream input(file);
  std::string line;
  std::getline(input, line);
  return line;
}

}  // namespace

std::string smart_test_authorization(const std::string& port_file) {
  alliance::fhir::auth::SmartSettings smart;
  smart.client_id = "alliance-test-client";
  smart.private_key_file = std::string(ALLIANCE_TEST_KEYS) + "/rs384.key";
  smart.key_id = "alliance-rs384";
  return test_authorization(port_file, smart);
}

std::string emulation_port_file(const std::string& emulation) {
  if (emulation == "epic") return ALLIANCE_FHIR_SERVER_EPIC_PORT_FILE;
  if (emulation == "oracle-health") return ALLIANCE_FHIR_SERVER_ORACLE_HEALTH_PORT_FILE;
  throw std::invalid_argument("no emulation " + emulation);
}

nlohmann::json emulation_settings(const std::string& emulation, const std::string& port_file) {
  nlohmann::json settings = fhir_settings(port_file.empty() ? emulation_port_file(emulation) : port_file);
  std::ifstream file(std::string(ALLIANCE_EMULATIONS_DIR) + "/" + emulation + "-chart.json");
  settings.update(nlohmann::json::parse(file));
  if (emulation == "epic") {
    // Epic ignores `scope`: none is sent (fhir.smart.send_scope).
    settings["smart"] = {{"client_id", "alliance-test-client"},
                         {"private_key_file", std::string(ALLIANCE_TEST_KEYS) + "/es384.key"},
                         {"key_id", "alliance-es384"},
                         {"send_scope", false}};
  } else {
    settings["smart"] = {{"client_id", ALLIANCE_ORACLE_HEALTH_CLIENT_ID},
                         {"client_secret_file", ALLIANCE_ORACLE_HEALTH_CLIENT_SECRET_FILE}};
  }
  return settings;
}

std::string emulation_authorization(const std::string& emulation) {
  alliance::fhir::auth::SmartSettings smart;
  if (emulation == "epic") {
    smart.client_id = "alliance-test-client";
    smart.private_key_file = std::string(ALLIANCE_TEST_KEYS) + "/rs384.key";
    smart.key_id = "alliance-rs384";
    smart.scopes = "system/Observation.rs system/DocumentReference.rs";
  } else {
    smart.client_id = ALLIANCE_ORACLE_HEALTH_CLIENT_ID;
    smart.client_secret = first_line(ALLIANCE_ORACLE_HEALTH_CLIENT_SECRET_FILE);
    smart.scopes = "system/Observation.rs system/DocumentReference.rs";
  }
  return test_authorization(emulation_port_file(emulation), smart);
}

int free_port() {
  const int socket_handle = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(socket_handle, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(socket_handle, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(socket_handle);
  return ntohs(address.sin_port);
}

}  // namespace alliance::integration
