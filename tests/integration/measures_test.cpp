// The right measure for each participant, into the chart: a child with a parent as
// other rater, a young child and a thirteenth birthday, a group, a couple, a Spanish
// speaker, a declined measure and a client seen before at another site. Each runs
// host-sim with the plugin against the test FHIR server (tests/fhir-server), then
// searches the server the way an EHR would show the chart.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include "fhir_server.hpp"
#include "scenario_run.hpp"

using namespace alliance::integration;
using nlohmann::json;

namespace {

constexpr const char* kQuestionnaireBase = "https://fhir.alliance-plugin.org/Questionnaire/";
constexpr const char* kSnomed = "http://snomed.info/sct";
constexpr const char* kMeasureSystem = "https://fhir.alliance-plugin.org/CodeSystem/pcoms-measure";
constexpr const char* kRoleCode = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";
constexpr const char* kInterpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
constexpr const char* kOwnIdentifierSystem = "https://fhir.alliance-plugin.org/sid/administration";

json read_json_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return json::parse(text.str());
}

std::string canonical(const std::string& questionnaire) {
  return kQuestionnaireBase + questionnaire + "|1.0.0";
}

bool has_coding(const json& codeable, const std::string& system, const std::string& code) {
  for (const json& coding : codeable.value("coding", json::array())) {
    if (coding.value("system", "") == system && coding.value("code", "") == code) return true;
  }
  return false;
}

// The one resource whose `code` (Observation) or `questionnaire` (response) matches.
const json* observation_coded(const std::vector<json>& observations, const std::string& system,
                              const std::string& code) {
  const json* found = nullptr;
  for (const json& observation : observations) {
    if (!has_coding(observation.value("code", json::object()), system, code)) continue;
    if (found != nullptr) return nullptr;  // two would be a duplicate in the chart
    found = &observation;
  }
  return found;
}

const json* response_to(const std::vector<json>& responses, const std::string& questionnaire) {
  const json* found = nullptr;
  for (const json& response : responses) {
    if (response.value("questionnaire", "") != questionnaire) continue;
    if (found != nullptr) return nullptr;
    found = &response;
  }
  return found;
}

// The first answer of the response's item `link_id`, or null.
json answer_of(const json& response, const std::string& link_id) {
  for (const json& item : response.value("item", json::array())) {
    if (item.value("linkId", "") == link_id && item.contains("answer")) return item["answer"][0];
  }
  return nullptr;
}

bool has_interpretation(const json& observation, const std::string& code) {
  for (const json& codeable : observation.value("interpretation", json::array())) {
    if (has_coding(codeable, kInterpretation, code)) return true;
  }
  return false;
}

std::vector<std::string> titles_of(const ScenarioRun& run, const std::string& participant_id) {
  std::vector<std::string> titles;
  for (const json& panel : run.panels_of(participant_id)) titles.push_back(panel.value("title", ""));
  return titles;
}

// personalize_scenario makes Patients unique; this does the same for the other
// raters' RelatedPersons (each the relative of the client they rate) and creates them
// on the server, which refuses references to resources it does not hold.
std::vector<std::string> personalize_related_persons(const PersonalizedScenario& scenario) {
  static int runs = 0;
  const std::string suffix = std::to_string(getpid()) + "-r" + std::to_string(++runs);
  json document = read_json_file(scenario.path);
  std::vector<std::string> related_persons;
  for (json& session : document["sessions"]) {
    for (json& participant : session["participants"]) {
      const std::string reference = participant.value("fhir_reference", "");
      if (reference.rfind("RelatedPerson/", 0) != 0) continue;
      std::string patient;
      for (const json& other : session["participants"]) {
        if (other.value("participant_id", "") == participant.value("rates_participant_id", "")) {
          patient = other.value("fhir_reference", "");
        }
      }
      REQUIRE(patient.rfind("Patient/", 0) == 0);
      const std::string personalized = reference + "-" + suffix;
      participant["fhir_reference"] = personalized;
      json related = {{"resourceType", "RelatedPerson"},
                      {"id", personalized.substr(personalized.find('/') + 1)},
                      {"active", true},
                      {"patient", {{"reference", patient}}},
                      {"name", json::array({{{"family", "Testperson"}, {"given", json::array({"Rater"})}}})}};
      if (participant.contains("relationship")) {
        related["relationship"] = json::array(
            {{{"coding", json::array({{{"system", kRoleCode}, {"code", participant["relationship"]}}})}}});
      }
      const FhirAnswer answer = fhir_request("PUT", personalized, related);
      REQUIRE_MESSAGE((answer.status == 200 || answer.status == 201), answer.body.dump());
      related_persons.push_back(personalized);
    }
  }
  std::ofstream(scenario.path) << document.dump(2);
  return related_persons;
}

// The plugin pushes in the background; when the host stops it, a push not yet started
// stays pending in the store for the next start (Plugin::drain). A scenario that saves
// several measures in its last milliseconds can end that way, so a second start with
// the same configuration and no session delivers the rest, as a host's next start would.
void deliver_pending(ScenarioRun& run) {
  const bool pending = std::any_of(run.rows.begin(), run.rows.end(),
                                   [](const json& row) { return row["delivery_state"] == "pending"; });
  if (!pending) return;
  const auto again =
      host_sim_test::run_host_sim({"--plugin", ALLIANCE_PLUGIN_PATH, "--config", run.configuration.string(),
                                   "--scenario", std::string(ALLIANCE_SCENARIO_DIR) + "/idle.json"});
  REQUIRE_MESSAGE(again.exit_status == 0, again.standard_output << again.standard_error);
  run.rows = read_administrations(run.database, run.key_file);
}

void check_all_delivered(const ScenarioRun& run) {
  for (const json& row : run.rows) {
    CAPTURE(row.dump());
    CHECK(row["delivery_state"] == "delivered");
  }
}

// A self-report: the client is the subject, the author and the source of the answers.
void check_self_report(const json& response, const std::string& patient) {
  CHECK(response["status"] == "completed");
  CHECK(response["subject"]["reference"] == patient);
  CHECK(response["author"]["reference"] == patient);
  CHECK(response["source"]["reference"] == patient);
}

std::string utc_days_ago(int days) {
  const std::time_t then =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - std::chrono::hours(24 * days));
  std::tm parts{};
  gmtime_r(&then, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("a child gets the CORS and CSRS and her mother rates her on the ORS as a RelatedPerson") {
    const PersonalizedScenario scenario = personalize_scenario("child_with_parent_rater.json");
    const std::vector<std::string> related_persons = personalize_related_persons(scenario);
    REQUIRE(related_persons.size() == 1);
    REQUIRE(scenario.patients.size() == 3);
    const std::string dana = scenario.patients[0];    // 9 on the session date
    const std::string milo = scenario.patients[1];    // 5
    const std::string rio = scenario.patients[2];     // 13 on the session date itself
    const std::string mother = related_persons[0];
    ScenarioRun run = run_scenario(scenario.path, {{}, fhir_settings()});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 7);
    deliver_pending(run);
    check_all_delivered(run);

    // What each one was asked to fill in.
    CHECK(titles_of(run, "client-dana") ==
          std::vector<std::string>{"Child Outcome Rating Scale (CORS)", "Child Session Rating Scale (CSRS)"});
    CHECK(titles_of(run, "rater-maria") == std::vector<std::string>{"Outcome Rating Scale (ORS): about Dana Lee"});
    CHECK(titles_of(run, "client-milo") ==
          std::vector<std::string>{"Young Child Outcome Rating Scale (YCORS)", "Child Session Rating Scale (CSRS)"});
    CHECK(titles_of(run, "client-rio") ==
          std::vector<std::string>{"Outcome Rating Scale (ORS)", "Session Rating Scale (SRS)"});
    // The therapist can tell the mother's view from the child's.
    bool saw_rater_result = false;
    for (const json& result : run.messages_to("clinician-kim", "result")) {
      if (result.value("participant_id", "") != "rater-maria") continue;
      saw_rater_result = true;
      CHECK(result["other_rater"] == true);
      CHECK(result["about_participant_id"] == "client-dana");
      CHECK(result["client"] == "Maria Lee (rating Dana Lee)");
    }
    CHECK(saw_rater_result);

    // Dana's chart: her CORS and CSRS, and her mother's ORS about her.
    const auto responses = fhir_search("QuestionnaireResponse", "subject=" + dana);
    const auto observations = fhir_search("Observation", "subject=" + dana);
    REQUIRE(responses.size() == 3);
    REQUIRE(observations.size() == 3);

    const json* cors_response = response_to(responses, canonical("cors"));
    REQUIRE(cors_response != nullptr);
    check_self_report(*cors_response, dana);
    CHECK(answer_of(*cors_response, "cors-rater")["valueCoding"]["code"] == "self");
    CHECK(answer_of(*cors_response, "cors-total")["valueDecimal"] == 28.5);
    const json* csrs_response = response_to(responses, canonical("csrs"));
    REQUIRE(csrs_response != nullptr);
    check_self_report(*csrs_response, dana);

    const json* rater_response = response_to(responses, canonical("ors"));
    REQUIRE(rater_response != nullptr);
    CHECK(rater_response->at("status") == "completed");
    CHECK(rater_response->at("subject")["reference"] == dana);
    CHECK(rater_response->at("author")["reference"] == mother);
    CHECK(rater_response->at("source")["reference"] == mother);
    CHECK(answer_of(*rater_response, "ors-rater")["valueCoding"]["code"] == "other");
    const json relationship = answer_of(*rater_response, "ors-rater-relationship");
    CHECK(relationship["valueCoding"]["system"] == kRoleCode);
    CHECK(relationship["valueCoding"]["code"] == "MTH");
    CHECK(answer_of(*rater_response, "ors-total")["valueDecimal"] == 24.5);

    const json* cors = observation_coded(observations, kSnomed, "718458005");
    REQUIRE(cors != nullptr);
    CHECK((*cors)["valueQuantity"]["value"] == 28.5);
    CHECK((*cors)["performer"][0]["reference"] == dana);
    CHECK((*cors)["referenceRange"][0]["low"]["value"] == 32.0);
    CHECK(has_interpretation(*cors, "A"));  // 28.5 is below the child cutoff of 32
    CHECK((*cors)["derivedFrom"][0]["reference"] == "QuestionnaireResponse/" + cors_response->at("id").get<std::string>());

    const json* rater = observation_coded(observations, kSnomed, "716613004");
    REQUIRE(rater != nullptr);
    CHECK((*rater)["valueQuantity"]["value"] == 24.5);
    CHECK((*rater)["subject"]["reference"] == dana);
    REQUIRE((*rater)["performer"].size() == 1);
    CHECK((*rater)["performer"][0]["reference"] == mother);
    // Scored in the child's age band: it is her outcome, as another person sees it.
    CHECK((*rater)["referenceRange"][0]["low"]["value"] == 32.0);
    CHECK((*rater)["derivedFrom"][0]["reference"] ==
          "QuestionnaireResponse/" + rater_response->at("id").get<std::string>());

    const json* csrs = observation_coded(observations, kSnomed, "718762000");
    REQUIRE(csrs != nullptr);
    CHECK((*csrs)["valueQuantity"]["value"] == 38.0);
    CHECK(has_interpretation(*csrs, "N"));

    // Milo, 5: the YCORS, which has no cutoff, so neither a range nor an A/N claim.
    const auto milo_responses = fhir_search("QuestionnaireResponse", "subject=" + milo);
    const auto milo_observations = fhir_search("Observation", "subject=" + milo);
    REQUIRE(milo_responses.size() == 2);
    REQUIRE(milo_observations.size() == 2);
    REQUIRE(response_to(milo_responses, canonical("ycors")) != nullptr);
    REQUIRE(response_to(milo_responses, canonical("csrs")) != nullptr);
    const json* ycors = observation_coded(milo_observations, kMeasureSystem, "ycors");
    REQUIRE(ycors != nullptr);
    CHECK((*ycors)["valueQuantity"]["value"] == 20.0);
    CHECK_FALSE(ycors->contains("referenceRange"));
    CHECK_FALSE(has_interpretation(*ycors, "A"));
    CHECK_FALSE(has_interpretation(*ycors, "N"));
    CHECK(observation_coded(milo_observations, kSnomed, "718762000") != nullptr);

    // Rio turns 13 on the session date: the ORS with the adolescent cutoff of 28.
    const auto rio_responses = fhir_search("QuestionnaireResponse", "subject=" + rio);
    const auto rio_observations = fhir_search("Observation", "subject=" + rio);
    REQUIRE(rio_responses.size() == 2);
    REQUIRE(response_to(rio_responses, canonical("ors")) != nullptr);
    REQUIRE(response_to(rio_responses, canonical("srs")) != nullptr);
    CHECK(response_to(rio_responses, canonical("cors")) == nullptr);
    const json* rio_ors = observation_coded(rio_observations, kSnomed, "716613004");
    REQUIRE(rio_ors != nullptr);
    CHECK((*rio_ors)["valueQuantity"]["value"] == 27.0);
    CHECK((*rio_ors)["referenceRange"][0]["low"]["value"] == 28.0);
    CHECK(has_interpretation(*rio_ors, "A"));  // 27 would be above the adult cutoff of 25
    CHECK(observation_coded(rio_observations, kSnomed, "720482000") != nullptr);
  }

  TEST_CASE("in a group each adult client gets the ORS and then the Group SRS") {
    const PersonalizedScenario scenario = personalize_scenario("group_session.json");
    REQUIRE(scenario.patients.size() == 3);
    ScenarioRun run = run_scenario(scenario.path, {{}, fhir_settings()});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 6);
    deliver_pending(run);
    check_all_delivered(run);

    const std::vector<std::string> participants = {"client-ana", "client-ben", "client-cy"};
    const double outcome_totals[] = {24.0, 19.5, 32.0};
    const double group_totals[] = {38.0, 30.0, 36.5};
    for (size_t index = 0; index < participants.size(); ++index) {
      const std::string& patient = scenario.patients[index];
      CAPTURE(patient);
      CHECK(titles_of(run, participants[index]) ==
            std::vector<std::string>{"Outcome Rating Scale (ORS)", "Group Session Rating Scale (GSRS)"});
      const auto responses = fhir_search("QuestionnaireResponse", "subject=" + patient);
      const auto observations = fhir_search("Observation", "subject=" + patient);
      REQUIRE(responses.size() == 2);
      REQUIRE(observations.size() == 2);
      const json* ors_response = response_to(responses, canonical("ors"));
      const json* gsrs_response = response_to(responses, canonical("gsrs"));
      REQUIRE(ors_response != nullptr);
      REQUIRE(gsrs_response != nullptr);
      check_self_report(*ors_response, patient);
      check_self_report(*gsrs_response, patient);
      CHECK(answer_of(*gsrs_response, "gsrs-total")["valueDecimal"] == group_totals[index]);

      const json* outcome = observation_coded(observations, kSnomed, "716613004");
      REQUIRE(outcome != nullptr);
      CHECK((*outcome)["valueQuantity"]["value"] == outcome_totals[index]);
      const json* group = observation_coded(observations, kMeasureSystem, "gsrs");
      REQUIRE(group != nullptr);
      CHECK((*group)["valueQuantity"]["value"] == group_totals[index]);
      CHECK((*group)["performer"][0]["reference"] == patient);
      CHECK((*group)["referenceRange"][0]["low"]["value"] == 36.0);
      // The SRS rule: a total below 36 is an alliance concern.
      const bool concern = group_totals[index] < 36.0;
      CHECK(has_interpretation(*group, concern ? "A" : "N"));
      CHECK_FALSE(has_interpretation(*group, concern ? "N" : "A"));
      if (concern) {
        CHECK((*group)["interpretation"][0]["text"].get<std::string>().find("Alliance concern") != std::string::npos);
      }
    }
  }

  TEST_CASE("each client of a couple has their own ORS and SRS in their own chart") {
    const PersonalizedScenario scenario = personalize_scenario("couple_session.json");
    REQUIRE(scenario.patients.size() == 2);
    ScenarioRun run = run_scenario(scenario.path, {{}, fhir_settings()});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 4);
    deliver_pending(run);
    check_all_delivered(run);

    const double outcome_totals[] = {20.0, 32.0};  // Alex, Sam
    const double session_totals[] = {31.5, 36.0};
    for (size_t index = 0; index < 2; ++index) {
      const std::string& patient = scenario.patients[index];
      CAPTURE(patient);
      const auto responses = fhir_search("QuestionnaireResponse", "subject=" + patient);
      const auto observations = fhir_search("Observation", "subject=" + patient);
      REQUIRE(responses.size() == 2);
      REQUIRE(observations.size() == 2);
      const json* ors_response = response_to(responses, canonical("ors"));
      const json* srs_response = response_to(responses, canonical("srs"));
      REQUIRE(ors_response != nullptr);
      REQUIRE(srs_response != nullptr);
      check_self_report(*ors_response, patient);
      check_self_report(*srs_response, patient);
      CHECK(ors_response->at("encounter")["reference"] == scenario.encounters.at(0));
      const json* outcome = observation_coded(observations, kSnomed, "716613004");
      const json* session = observation_coded(observations, kSnomed, "720482000");
      REQUIRE(outcome != nullptr);
      REQUIRE(session != nullptr);
      CHECK((*outcome)["valueQuantity"]["value"] == outcome_totals[index]);
      CHECK((*outcome)["performer"][0]["reference"] == patient);
      CHECK((*session)["valueQuantity"]["value"] == session_totals[index]);
      CHECK((*session)["performer"][0]["reference"] == patient);
    }
  }

  TEST_CASE("a client who prefers Spanish answers the Spanish forms and a French speaker gets English") {
    const PersonalizedScenario scenario = personalize_scenario("spanish_speaking_client.json");
    REQUIRE(scenario.patients.size() == 2);
    const std::string lucia = scenario.patients[0];  // es-MX
    const std::string pierre = scenario.patients[1];  // fr: no French forms installed
    ScenarioRun run = run_scenario(scenario.path, {{}, fhir_settings()});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 4);
    deliver_pending(run);
    check_all_delivered(run);

    CHECK(titles_of(run, "client-lucia") == std::vector<std::string>{"Escala de Valoración de Resultados (ORS)",
                                                                      "Escala de Valoración de la Sesión (SRS)"});
    CHECK(titles_of(run, "client-pierre") ==
          std::vector<std::string>{"Outcome Rating Scale (ORS)", "Session Rating Scale (SRS)"});

    const auto responses = fhir_search("QuestionnaireResponse", "subject=" + lucia);
    REQUIRE(responses.size() == 2);
    const json* ors_response = response_to(responses, canonical("ors-es"));
    const json* srs_response = response_to(responses, canonical("srs-es"));
    REQUIRE(ors_response != nullptr);
    REQUIRE(srs_response != nullptr);
    CHECK(ors_response->at("language") == "es");
    CHECK(srs_response->at("language") == "es");
    check_self_report(*ors_response, lucia);
    CHECK(answer_of(*ors_response, "ors-total")["valueDecimal"] == 24.0);
    // The same codes whatever the language: the chart's trend joins them up.
    const auto observations = fhir_search("Observation", "subject=" + lucia);
    REQUIRE(observations.size() == 2);
    CHECK(observation_coded(observations, kSnomed, "716613004") != nullptr);
    CHECK(observation_coded(observations, kSnomed, "720482000") != nullptr);

    // The Spanish forms themselves are on the server, where the responses point.
    for (const char* code : {"ors-es", "srs-es"}) {
      CAPTURE(code);
      const auto questionnaires = fhir_search("Questionnaire", std::string("url=") + kQuestionnaireBase + code);
      REQUIRE(questionnaires.size() >= 1);
      CHECK(questionnaires[0]["version"] == "1.0.0");
      CHECK(questionnaires[0]["language"] == "es");
    }

    const auto english = fhir_search("QuestionnaireResponse", "subject=" + pierre);
    REQUIRE(english.size() == 2);
    const json* english_ors = response_to(english, canonical("ors"));
    REQUIRE(english_ors != nullptr);
    CHECK(english_ors->at("language") == "en");
    REQUIRE(response_to(english, canonical("srs")) != nullptr);
  }

  TEST_CASE("a declined ORS is charted as a stopped response without an Observation when so configured") {
    const PersonalizedScenario scenario = personalize_scenario("declined_measure.json");
    const std::string patient = scenario.patients.at(0);
    ScenarioRun run = run_scenario(scenario.path, {{}, fhir_settings()}, {{"record_not_completed", true}});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 2);
    deliver_pending(run);
    check_all_delivered(run);

    // The client heard that the decline was taken; the therapist was told.
    CHECK(run.messages_to("client-alex", "declined").size() == 1);
    const auto told = run.messages_to("clinician-kim", "not_completed");
    REQUIRE(told.size() == 1);
    CHECK(told[0]["measure"] == "ORS");
    CHECK(told[0]["reason"] == "declined");
    CHECK(run.messages_to("clinician-kim", "result").size() == 1);  // the SRS

    const auto responses = fhir_search("QuestionnaireResponse", "subject=" + patient);
    REQUIRE(responses.size() == 2);
    const json* stopped = response_to(responses, canonical("ors"));
    REQUIRE(stopped != nullptr);
    CHECK(stopped->at("status") == "stopped");
    CHECK(answer_of(*stopped, "ors-total").is_null());  // nothing was scored
    CHECK(answer_of(*stopped, "ors-individually").is_null());
    const json* completed = response_to(responses, canonical("srs"));
    REQUIRE(completed != nullptr);
    CHECK(completed->at("status") == "completed");

    // Only the SRS has a score in the chart.
    const auto observations = fhir_search("Observation", "subject=" + patient);
    REQUIRE(observations.size() == 1);
    CHECK(has_coding(observations[0]["code"], kSnomed, "720482000"));
    CHECK(observations[0]["valueQuantity"]["value"] == 35.5);
    CHECK(fhir_search("Observation", "derived-from=QuestionnaireResponse/" + stopped->at("id").get<std::string>())
              .empty());

    // By default a declined measure is counted and told, but not charted.
    const PersonalizedScenario again = personalize_scenario("declined_measure.json");
    ScenarioRun quiet = run_scenario(again.path, {{}, fhir_settings()});
    REQUIRE_MESSAGE(quiet.process.exit_status == 0, describe(quiet));
    deliver_pending(quiet);
    REQUIRE(quiet.rows.size() == 1);
    CHECK(quiet.messages_to("clinician-kim", "not_completed").size() == 1);
    const auto quiet_responses = fhir_search("QuestionnaireResponse", "subject=" + again.patients.at(0));
    REQUIRE(quiet_responses.size() == 1);
    CHECK(quiet_responses[0]["questionnaire"] == canonical("srs"));
  }

  TEST_CASE("an ORS from another site counts as the intake: session 2 and a reliable improvement") {
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json");
    const std::string patient = scenario.patients.at(0);
    // Three weeks ago, at another site that writes its own identifiers: ORS 15.0.
    const json earlier = other_site_ors(patient, 15.0, utc_days_ago(21));
    const FhirAnswer seeded = fhir_request("POST", "Observation", earlier);
    REQUIRE_MESSAGE(seeded.status == 201, seeded.body.dump());

    // The normal session, with an ORS of 22.0 submitted after a pause in which the
    // history read at session start (asynchronous) has come back.
    json document = read_json_file(scenario.path);
    json& steps = document["sessions"][0]["steps"];
    for (size_t index = 0; index < steps.size(); ++index) {
      if (steps[index]["action"] != "send" || steps[index]["message"]["measure"] != "ORS") continue;
      for (json& score : steps[index]["message"]["answers"]) score = 5.5;
      steps.insert(steps.begin() + static_cast<std::ptrdiff_t>(index), json{{"action", "wait"}, {"ms", 1500}});
      break;
    }
    const std::string path = host_sim_test::write_output_file("history_session.json", document.dump(2)).string();
    json settings = fhir_settings();
    settings["read_history"] = true;
    ScenarioRun run = run_scenario(path, {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 2);
    deliver_pending(run);
    check_all_delivered(run);

    const auto results = run.messages_to("clinician-kim", "result");
    REQUIRE(results.size() == 2);
    const json& outcome_result = results[0];
    CAPTURE(outcome_result.dump());
    CHECK(outcome_result["measure"] == "ORS");
    CHECK(outcome_result["total"] == 22.0);
    CHECK(outcome_result["session_number"] == 2);
    CHECK(outcome_result["change_since_intake"] == 7.0);
    bool improvement = false;
    for (const json& flag : outcome_result["flags"]) improvement |= flag["code"] == "reliable-improvement";
    CHECK(improvement);
    CHECK(run.rows[0]["session_number"] == 2);

    // The therapist's graph has the other site's ORS as session 1, marked as such.
    const auto trends = run.messages_to("clinician-kim", "trend");
    REQUIRE_FALSE(trends.empty());
    const json& outcome_series = trends.back()["series"][0];
    CAPTURE(outcome_series.dump());
    REQUIRE(outcome_series["points"].size() == 2);
    CHECK(outcome_series["intake_total"] == 15.0);
    CHECK(outcome_series["points"][0]["total"] == 15.0);
    CHECK(outcome_series["points"][0]["session_number"] == 1);
    CHECK(outcome_series["points"][0]["elsewhere"] == true);
    CHECK(outcome_series["points"][1]["total"] == 22.0);
    CHECK(outcome_series["points"][1]["session_number"] == 2);
    CHECK_FALSE(outcome_series["points"][1].contains("elsewhere"));

    // The chart: the other site's Observation and the plugin's own, with the U.
    const auto observations = fhir_search("Observation", "subject=" + patient + "&code=716613004");
    REQUIRE(observations.size() == 2);
    const json* own = nullptr;
    for (const json& observation : observations) {
      if (observation["identifier"][0]["system"] == kOwnIdentifierSystem) own = &observation;
    }
    REQUIRE(own != nullptr);
    CHECK((*own)["valueQuantity"]["value"] == 22.0);
    CHECK(has_interpretation(*own, "U"));
    CHECK(has_interpretation(*own, "A"));  // 22 is still below the adult cutoff of 25
  }
}
