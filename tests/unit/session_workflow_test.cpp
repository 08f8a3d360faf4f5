// The session workflow driven directly, with a recording host table. The host here
// allows panel calls from any thread, so every effect is synchronous and visible as
// soon as a workflow call returns.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "abi/host_copy.hpp"
#include "session/session_workflow.hpp"
#include "test_support.hpp"
#include "workflow_host.hpp"
#include "runtime/worker.hpp"

using namespace alliance;
using alliance::testing::shipped_measures;
using alliance::testing::TemporaryFolder;
using nlohmann::json;

namespace {

using RecordingHost = alliance::testing::WorkflowHost;

Participant person(const std::string& id, ParticipantRole role, const std::string& reference, int age = 30) {
  Participant participant;
  participant.participant_id = id;
  participant.role = role;
  participant.display_name = "Name of " + id;
  participant.age_years = age;
  participant.fhir_reference = reference;
  return participant;
}

SessionDetails session(const std::string& id, std::vector<Participant> participants) {
  SessionDetails details;
  details.session_id = id;
  details.start_time = "2026-11-02T15:00:00Z";
  details.encounter_reference = "Encounter/" + id;
  details.participants = std::move(participants);
  return details;
}

std::string submit(const char* measure, const std::vector<double>& marks) {
  const auto& definition =
      std::string(measure) == "ORS" ? shipped_measures().outcome() : shipped_measures().session_rating();
  json answers = json::object();
  for (size_t index = 0; index < marks.size(); ++index) answers[definition.items[index].link_id] = marks[index];
  return json({{"type", "submit"}, {"measure", measure}, {"answers", answers}}).dump();
}

// A submit for any measure, keyed by the linkIds of its English form (the Spanish
// forms use the same linkIds).
std::string submit_measure(const char* measure, const std::vector<double>& marks) {
  const MeasureDefinition* definition = shipped_measures().find(measure, "en");
  REQUIRE(definition != nullptr);
  json answers = json::object();
  for (size_t index = 0; index < marks.size(); ++index) answers[definition->items[index].link_id] = marks[index];
  return json({{"type", "submit"}, {"measure", measure}, {"answers", answers}}).dump();
}

std::string decline(const char* measure) { return json({{"type", "decline"}, {"measure", measure}}).dump(); }

Participant aged(const std::string& id, const std::string& reference, int age) {
  return person(id, ParticipantRole::client, reference, age);
}

Participant rater(const std::string& id, const std::string& rates, const std::string& relationship) {
  Participant participant = person(id, ParticipantRole::other_rater, "RelatedPerson/" + id, 40);
  participant.rates_participant_id = rates;
  participant.relationship = relationship;
  return participant;
}

// The messages of one type that the therapist's panel received.
std::vector<json> therapist_messages(const RecordingHost& host, const std::string& therapist, const char* type) {
  std::vector<json> found;
  const thp_panel_id panel = host.find(therapist, "Alliance");
  if (panel == 0) return found;
  for (const json& message : host.panels.at(panel).received) {
    if (message.value("type", "") == type) found.push_back(message);
  }
  return found;
}

int log_lines_with(const RecordingHost& host, const std::string& part) { return host.log_lines_with(part); }

struct Fixture {
  TemporaryFolder folder;
  RecordingHost host;
  thp_host_api api = host.api();
  Worker worker;
  HostGateway gateway{api, worker, LogLevel::debug};
  Configuration configuration;
  OutboxKeys keys = OutboxKeys::load(alliance::testing::write_key_file(folder.path()));
  std::unique_ptr<Store> store = Store::open(folder.path() / "alliance.db", keys);
  SessionWorkflow workflow{configuration, shipped_measures(), *store, gateway, [] { return std::string("2026-11-02T15:30:00.000Z"); }};

  void message(thp_panel_id panel, const std::string& text) { workflow.panel_message(panel, text, text.size()); }
};

}  // namespace

TEST_SUITE("session_workflow") {
  TEST_CASE("a video session opens the ORS for the client and the summary panel for the therapist") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {person("c1", ParticipantRole::client, "Patient/p1"),
                                                    person("t1", ParticipantRole::clinician, "Practitioner/d1")}));
    CHECK(fixture.host.find("c1", "Outcome Rating Scale") != 0);
    CHECK(fixture.host.find("c1", "Session Rating Scale") == 0);
    CHECK(fixture.host.find("t1", "Alliance") != 0);
    CHECK(fixture.host.find("t1", "Outcome") == 0);
    CHECK(fixture.host.panels.size() == 2);
  }

  TEST_CASE("a submitted ORS is stored and confirmed and shown to the therapist") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {person("c1", ParticipantRole::client, "Patient/p1"),
                                                    person("t1", ParticipantRole::clinician, "Practitioner/d1")}));
    const thp_panel_id ors = fixture.host.find("c1", "Outcome");
    fixture.message(ors, submit("ORS", {5.0, 6.0, 4.5, 5.5}));
    REQUIRE(fixture.host.panels[ors].received.size() == 1);
    CHECK(fixture.host.panels[ors].received[0]["type"] == "saved");
    const auto rows = fixture.store->administrations_for("Patient/p1");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].scored.total == 210);
    CHECK(rows[0].practitioner_reference == "Practitioner/d1");
    CHECK(rows[0].encounter_reference == "Encounter/s1");
    const auto& therapist = fixture.host.panels[fixture.host.find("t1", "Alliance")].received;
    REQUIRE(therapist.size() == 2);
    CHECK(therapist[0]["type"] == "result");
    CHECK(therapist[0]["total"] == 21.0);
    CHECK(therapist[0]["concern"] == true);
    CHECK(therapist[0]["flags"][0]["code"] == "clinical-range");
    CHECK(therapist[0]["flags"][0]["kind"] == "concern");  // how the page shows it comes with it
    // Then the client's trajectory for the graph: one ORS so far, none of the SRS.
    CHECK(therapist[1]["type"] == "trend");
    CHECK(therapist[1]["participant_id"] == "c1");
    REQUIRE(therapist[1]["series"].size() == 2);
    CHECK(therapist[1]["series"][0]["family"] == "ORS");
    CHECK(therapist[1]["series"][0]["cutoff"] == 25.0);
    CHECK(therapist[1]["series"][0]["intake_total"] == 21.0);
    REQUIRE(therapist[1]["series"][0]["points"].size() == 1);
    CHECK(therapist[1]["series"][0]["points"][0]["total"] == 21.0);
    CHECK(therapist[1]["series"][0]["points"][0]["date"] == "2026-11-02");
    CHECK(therapist[1]["series"][1]["points"].empty());
  }

  TEST_CASE("the trend follows a client across sessions, with ORS and SRS apart and raters left out") {
    Fixture fixture;
    for (const char* id : {"s1", "s2"}) {
      fixture.workflow.session_started(session(id, {person("c1", ParticipantRole::client, "Patient/p1"),
                                                    person("t1", ParticipantRole::clinician, "")}));
      fixture.message(fixture.host.find("c1", "Outcome"), submit("ORS", {std::string(id) == "s1" ? 4.0 : 6.0, 5, 5, 5}));
      fixture.workflow.session_ended(id);
      fixture.message(fixture.host.find("c1", "Session"), submit("SRS", {9, 9, 9, 9}));
    }
    const auto& received = fixture.host.panels[fixture.host.find("t1", "Alliance")].received;
    REQUIRE_FALSE(received.empty());
    const auto& last = received.back();
    REQUIRE(last["type"] == "trend");
    REQUIRE(last["series"][0]["points"].size() == 2);
    CHECK(last["series"][0]["points"][0]["total"] == 19.0);
    CHECK(last["series"][0]["points"][1]["total"] == 21.0);
    CHECK(last["series"][0]["points"][1]["session_number"] == 2);
    CHECK(last["series"][0]["intake_total"] == 19.0);
    REQUIRE(last["series"][1]["points"].size() == 2);
    CHECK(last["series"][1]["cutoff"] == 36.0);
  }

  TEST_CASE("an invalid submission is refused and the panel stays open for a corrected one") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {person("c1", ParticipantRole::client, "Patient/p1")}));
    const thp_panel_id ors = fixture.host.find("c1", "Outcome");
    fixture.message(ors, submit("ORS", {5.0, 6.0, 10.05, 5.5}));
    REQUIRE(fixture.host.panels[ors].received.size() == 1);
    CHECK(fixture.host.panels[ors].received[0]["type"] == "invalid");
    CHECK_FALSE(fixture.host.panels[ors].closed_by_plugin);
    CHECK(fixture.store->administrations_for("Patient/p1").empty());
    fixture.message(ors, submit("ORS", {5.0, 6.0, 10.0, 5.5}));
    CHECK(fixture.host.panels[ors].received[1]["type"] == "saved");
    // A repeated submit after saving keeps the first answer.
    fixture.message(ors, submit("ORS", {1.0, 1.0, 1.0, 1.0}));
    CHECK(fixture.host.panels[ors].received[2]["duplicate"] == true);
    CHECK(fixture.store->administrations_for("Patient/p1").at(0).scored.total == 265);
  }

  TEST_CASE("a message too large to copy is refused from its size alone") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {person("c1", ParticipantRole::client, "Patient/p1")}));
    const thp_panel_id ors = fixture.host.find("c1", "Outcome");
    fixture.workflow.panel_message(ors, "", 1024 * 1024);
    REQUIRE(fixture.host.panels[ors].received.size() == 1);
    CHECK(fixture.host.panels[ors].received[0]["type"] == "invalid");
    CHECK(fixture.host.panels[ors].received[0]["problems"][0]["message"].get<std::string>().find("too large") !=
          std::string::npos);
  }

  TEST_CASE("the end of the session opens the SRS only for clients still there") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {person("c1", ParticipantRole::client, "Patient/p1"),
                                                    person("c2", ParticipantRole::client, "Patient/p2"),
                                                    person("t1", ParticipantRole::clinician, "")}));
    fixture.workflow.participant_left("s1", "c2");
    fixture.workflow.session_ended("s1");
    CHECK(fixture.host.find("c1", "Session Rating") != 0);
    CHECK(fixture.host.find("c2", "Session Rating") == 0);
    CHECK(fixture.host.find("t1", "Session Rating") == 0);
  }

  TEST_CASE("a second session sees the first") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {person("c1", ParticipantRole::client, "Patient/p1")}));
    fixture.message(fixture.host.find("c1", "Outcome"), submit("ORS", {4.0, 4.0, 4.0, 4.0}));
    fixture.workflow.session_ended("s1");
    fixture.workflow.session_started(session("s2", {person("c1-new-id", ParticipantRole::client, "Patient/p1"),
                                                    person("t1", ParticipantRole::clinician, "")}));
    fixture.message(fixture.host.find("c1-new-id", "Outcome"), submit("ORS", {5.5, 5.5, 5.5, 5.5}));
    const json& result = fixture.host.panels[fixture.host.find("t1", "Alliance")].received.at(0);
    CHECK(result["session_number"] == 2);
    CHECK(result["change_since_intake"] == 6.0);
    CHECK(result["change_since_previous"] == 6.0);
    CHECK(result["summary"].get<std::string>().find("+6.0 since intake") != std::string::npos);
  }

  TEST_CASE("events out of order are logged and ignored") {
    Fixture fixture;
    fixture.workflow.session_ended("never-started");
    fixture.workflow.participant_joined("never-started", person("x", ParticipantRole::client, ""));
    fixture.workflow.participant_left("never-started", "x");
    fixture.message(999, submit("ORS", {1, 1, 1, 1}));
    fixture.workflow.panel_closed(999, THP_PANEL_DISMISSED);
    fixture.workflow.session_started(session("s1", {person("c1", ParticipantRole::client, "Patient/p1")}));
    fixture.workflow.session_started(session("s1", {person("c1", ParticipantRole::client, "Patient/p1")}));
    CHECK(fixture.host.panels.size() == 1);  // the duplicate start opened nothing
    const thp_panel_id ors = fixture.host.find("c1", "Outcome");
    fixture.workflow.panel_closed(ors, THP_PANEL_DISMISSED);
    fixture.message(ors, submit("ORS", {1, 1, 1, 1}));  // to a closed panel
    CHECK(fixture.host.panels[ors].received.empty());
    fixture.workflow.session_ended("s1");
    fixture.workflow.session_ended("s1");
    CHECK(fixture.store->administrations_for("Patient/p1").empty());
    int ignored = 0;
    for (const std::string& line : fixture.host.logs) ignored += line.find("outcome=ignored") != std::string::npos;
    CHECK(ignored == 8);
  }

  TEST_CASE("a late therapist sees results that came before") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {person("c1", ParticipantRole::client, "Patient/p1")}));
    fixture.message(fixture.host.find("c1", "Outcome"), submit("ORS", {9, 9, 9, 9}));
    fixture.workflow.participant_joined("s1", person("t1", ParticipantRole::clinician, ""));
    const auto& received = fixture.host.panels[fixture.host.find("t1", "Alliance")].received;
    REQUIRE(received.size() == 2);  // the result, then the trend
    CHECK(received[0]["total"] == 36.0);
    CHECK(received[1]["type"] == "trend");
  }

  TEST_CASE("a session is forgotten once it has ended and its panels are closed") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {person("c1", ParticipantRole::client, "Patient/p1")}));
    fixture.workflow.session_ended("s1");
    CHECK(fixture.workflow.open_session_count() == 1);
    fixture.workflow.panel_closed(fixture.host.find("c1", "Outcome"), THP_PANEL_DISMISSED);
    CHECK(fixture.workflow.open_session_count() == 1);
    fixture.workflow.panel_closed(fixture.host.find("c1", "Session Rating"), THP_PANEL_SUBMITTED);
    CHECK(fixture.workflow.open_session_count() == 0);
  }

  TEST_CASE("no names or identifiers from the host appear in the log") {
    Fixture fixture;
    fixture.workflow.session_started(session("secret-session", {person("secret-client", ParticipantRole::client, "Patient/secret-patient"),
                                                                person("secret-doc", ParticipantRole::clinician, "Practitioner/secret-pr")}));
    fixture.message(fixture.host.find("secret-client", "Outcome"), submit("ORS", {1.2, 3.4, 5.6, 7.8}));
    fixture.workflow.session_ended("secret-session");
    REQUIRE_FALSE(fixture.host.logs.empty());
    for (const std::string& line : fixture.host.logs) {
      CAPTURE(line);
      CHECK(line.find("secret") == std::string::npos);
      CHECK(line.find("Name of") == std::string::npos);
      CHECK(line.find("18.0") == std::string::npos);  // the total
    }
  }

  TEST_CASE("each client gets the measure of their age band and appointment kind") {
    struct Row {
      const char* name;
      int age;
      const char* birth_date;
      AppointmentKind appointment;
      const char* outcome_title;  // the whole title, to tell "Child" from "Young Child"
      const char* rating_title;
    };
    const Row rows[] = {
        {"adult", 30, "", AppointmentKind::individual, "Outcome Rating Scale (ORS)", "Session Rating Scale (SRS)"},
        {"child of 9", 9, "", AppointmentKind::individual, "Child Outcome Rating Scale (CORS)",
         "Child Session Rating Scale (CSRS)"},
        {"child of 4", 4, "", AppointmentKind::family, "Young Child Outcome Rating Scale (YCORS)",
         "Child Session Rating Scale (CSRS)"},
        {"adult in a group", 30, "", AppointmentKind::group, "Outcome Rating Scale (ORS)",
         "Group Session Rating Scale (GSRS)"},
        {"child in a group", 9, "", AppointmentKind::group, "Child Outcome Rating Scale (CORS)",
         "Child Group Session Rating Scale (CGSRS)"},
        {"turns 13 on the session date", -1, "2013-11-02", AppointmentKind::individual, "Outcome Rating Scale (ORS)",
         "Session Rating Scale (SRS)"},
        {"turns 13 the day after", -1, "2013-11-03", AppointmentKind::individual, "Child Outcome Rating Scale (CORS)",
         "Child Session Rating Scale (CSRS)"},
    };
    for (const Row& row : rows) {
      CAPTURE(row.name);
      Fixture fixture;
      Participant client = aged("c1", "Patient/p1", row.age);
      client.birth_date = row.birth_date;
      SessionDetails details = session("s1", {client});
      details.appointment_kind = row.appointment;
      fixture.workflow.session_started(details);
      REQUIRE(fixture.host.panels.size() == 1);
      CHECK(fixture.host.panels.begin()->second.title == row.outcome_title);
      fixture.workflow.session_ended("s1");
      REQUIRE(fixture.host.panels.size() == 2);
      CHECK(fixture.host.panels.rbegin()->second.title == row.rating_title);
    }
  }

  TEST_CASE("a child's CORS is scored and stored under its own measure code") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {aged("c1", "Patient/p1", 9),
                                                    person("t1", ParticipantRole::clinician, "Practitioner/d1")}));
    const thp_panel_id cors = fixture.host.find("c1", "Child Outcome Rating Scale");
    REQUIRE(cors != 0);
    CHECK(fixture.host.find("c1", "Young") == 0);
    fixture.message(cors, submit_measure("CORS", {7.0, 8.0, 6.0, 7.5}));
    CHECK(fixture.host.panels[cors].received.at(0)["type"] == "saved");
    const auto rows = fixture.store->all();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].measure == "CORS");
    CHECK(rows[0].administration.measure_code == "CORS");
    CHECK(rows[0].administration.scored.total == 285);
    CHECK(rows[0].administration.scored.cutoff == 320);  // the child cutoff
    const auto results = therapist_messages(fixture.host, "t1", "result");
    REQUIRE(results.size() == 1);
    CHECK(results[0]["measure"] == "CORS");
    CHECK(results[0]["family"] == "ORS");
    CHECK(results[0]["other_rater"] == false);
    fixture.workflow.session_ended("s1");
    CHECK(fixture.host.find("c1", "Child Session Rating Scale (CSRS)") != 0);
  }

  TEST_CASE("the measure comes in the client's preferred language or else in English") {
    struct Row {
      const char* language;
      const char* outcome_title;
      const char* rating_title;
    };
    const Row rows[] = {
        {"es-MX", "Escala de Valoración de Resultados (ORS)", "Escala de Valoración de la Sesión (SRS)"},
        {"es", "Escala de Valoración de Resultados (ORS)", "Escala de Valoración de la Sesión (SRS)"},
        {"fr", "Outcome Rating Scale (ORS)", "Session Rating Scale (SRS)"},
        {"", "Outcome Rating Scale (ORS)", "Session Rating Scale (SRS)"},
    };
    for (const Row& row : rows) {
      CAPTURE(row.language);
      Fixture fixture;
      Participant client = aged("c1", "Patient/p1", 30);
      client.preferred_language = row.language;
      fixture.workflow.session_started(session("s1", {client}));
      const thp_panel_id ors = fixture.host.find("c1", "(ORS)");
      REQUIRE(ors != 0);
      CHECK(fixture.host.panels[ors].title == row.outcome_title);
      fixture.message(ors, submit_measure("ORS", {5.0, 5.0, 5.0, 5.0}));
      const auto rows_saved = fixture.store->all();
      REQUIRE(rows_saved.size() == 1);
      const bool spanish = std::string(row.outcome_title).find("Escala") == 0;
      CHECK(rows_saved[0].administration.language == (spanish ? "es" : "en"));
      fixture.workflow.session_ended("s1");
      CHECK(fixture.host.find("c1", row.rating_title) != 0);
    }
  }

  TEST_CASE("an other rater named by the host rates that client and is recorded as such") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {aged("c1", "Patient/child-1", 9),
                                                    rater("r1", "c1", "MTH"),
                                                    person("t1", ParticipantRole::clinician, "Practitioner/d1")}));
    CHECK(fixture.host.find("c1", "Child Outcome Rating Scale (CORS)") != 0);
    const thp_panel_id form = fixture.host.find("r1", "Outcome Rating Scale");
    REQUIRE(form != 0);
    CHECK(fixture.host.panels[form].title == "Outcome Rating Scale (ORS): about Name of c1");
    fixture.message(form, submit_measure("ORS", {6.0, 6.0, 6.0, 6.0}));
    CHECK(fixture.host.panels[form].received.at(0)["type"] == "saved");
    const auto rows = fixture.store->all();
    REQUIRE(rows.size() == 1);
    const Administration& saved = rows[0].administration;
    CHECK(rows[0].measure == "ORS");
    CHECK(saved.other_rater);
    CHECK(saved.participant_id == "r1");
    CHECK(saved.patient_reference == "Patient/child-1");
    CHECK(saved.rater_reference == "RelatedPerson/r1");
    CHECK(saved.relationship == "MTH");
    CHECK(saved.age_years == 9);  // the client's age, not the rater's
    // A parent's view is its own trajectory, apart from the child's.
    CHECK(saved.client_key != "Patient/child-1");
    CHECK(fixture.store->administrations_for("Patient/child-1").empty());
    const auto results = therapist_messages(fixture.host, "t1", "result");
    REQUIRE(results.size() == 1);
    CHECK(results[0]["other_rater"] == true);
    CHECK(results[0]["participant_id"] == "r1");
    CHECK(results[0]["about_participant_id"] == "c1");
    CHECK(results[0]["client"] == "Name of r1 (rating Name of c1)");
    // Other raters get no session rating at the end.
    fixture.workflow.session_ended("s1");
    CHECK(fixture.host.find("r1", "Session Rating") == 0);
  }

  TEST_CASE("a Spanish-speaking rater's form says whom it is about in Spanish") {
    Fixture fixture;
    Participant mother = rater("r1", "c1", "MTH");
    mother.preferred_language = "es-MX";
    fixture.workflow.session_started(session("s1", {aged("c1", "Patient/child-1", 9), mother}));
    CHECK(fixture.host.panels[fixture.host.find("r1", "")].title ==
          "Escala de Valoración de Resultados (ORS): sobre Name of c1");
  }

  TEST_CASE("an other rater gets the form only when it is clear whom they rate") {
    {
      Fixture fixture;  // two clients and no rates_participant_id: nothing, and a log line
      fixture.workflow.session_started(session("s1", {aged("c1", "Patient/p1", 9), aged("c2", "Patient/p2", 11),
                                                      rater("r1", "", "FTH")}));
      CHECK(fixture.host.find("r1", "") == 0);
      CHECK(fixture.host.panels.size() == 2);
      CHECK(log_lines_with(fixture.host, "role=other_rater reason=no_single_client_to_rate") == 1);
    }
    {
      Fixture fixture;  // one client: the form is about them
      fixture.workflow.session_started(session("s1", {aged("c1", "Patient/p1", 9), rater("r1", "", "FTH")}));
      CHECK(fixture.host.panels[fixture.host.find("r1", "")].title == "Outcome Rating Scale (ORS): about Name of c1");
    }
    {
      Fixture fixture;  // rates_participant_id names someone who is not a client
      fixture.workflow.session_started(session("s1", {aged("c1", "Patient/p1", 9),
                                                      person("t1", ParticipantRole::clinician, ""),
                                                      rater("r1", "t1", "FTH")}));
      CHECK(fixture.host.find("r1", "") == 0);
    }
    {
      Fixture fixture;  // the other-rater form switched off
      fixture.configuration.selection.other_rater_measure = "";
      fixture.workflow.session_started(session("s1", {aged("c1", "Patient/p1", 9), rater("r1", "c1", "MTH")}));
      CHECK(fixture.host.find("r1", "") == 0);
      CHECK(log_lines_with(fixture.host, "role=other_rater reason=switched_off") == 1);
    }
  }

  TEST_CASE("a declined measure is confirmed and counted and shown to the therapist") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {aged("c1", "Patient/p1", 30),
                                                    person("t1", ParticipantRole::clinician, "")}));
    const thp_panel_id ors = fixture.host.find("c1", "Outcome");
    fixture.message(ors, decline("ORS"));
    REQUIRE(fixture.host.panels[ors].received.size() == 1);
    CHECK(fixture.host.panels[ors].received[0]["type"] == "declined");
    CHECK(fixture.host.panels[ors].received[0]["measure"] == "ORS");
    const auto told = therapist_messages(fixture.host, "t1", "not_completed");
    REQUIRE(told.size() == 1);
    CHECK(told[0]["measure"] == "ORS");
    CHECK(told[0]["reason"] == "declined");
    CHECK(told[0]["participant_id"] == "c1");
    CHECK(told[0]["summary"] == "Name of c1 chose not to fill in the ORS this time.");
    // Not recorded by default.
    CHECK(fixture.store->all().empty());
    // A second decline, and then closing the panel, count no more.
    fixture.message(ors, decline("ORS"));
    fixture.workflow.panel_closed(ors, THP_PANEL_DISMISSED);
    CHECK(therapist_messages(fixture.host, "t1", "not_completed").size() == 1);
    CHECK(log_lines_with(fixture.host, "event=measure_not_completed") == 1);

    fixture.workflow.session_ended("s1");
    const thp_panel_id srs = fixture.host.find("c1", "Session Rating");
    fixture.message(srs, submit_measure("SRS", {9.0, 9.0, 9.0, 9.0}));
    fixture.workflow.panel_closed(srs, THP_PANEL_SUBMITTED);
    fixture.workflow.panel_closed(fixture.host.find("t1", "Alliance"), THP_PANEL_DISMISSED);
    CHECK(fixture.workflow.open_session_count() == 0);
    CHECK(log_lines_with(fixture.host, "event=session_finished session=s1 measures_completed=1 "
                                       "measures_not_completed=1") == 1);
  }

  TEST_CASE("a panel closed without an answer counts as not completed once") {
    struct Row {
      thp_panel_close_reason reason;
      const char* reason_code;
      const char* summary;
    };
    const Row rows[] = {
        {THP_PANEL_DISMISSED, "dismissed", "Name of c1 did not finish the ORS this time."},
        {THP_PANEL_PARTICIPANT_LEFT, "participant_left", "Name of c1 did not finish the ORS this time."},
    };
    for (const Row& row : rows) {
      CAPTURE(row.reason_code);
      Fixture fixture;
      fixture.workflow.session_started(session("s1", {aged("c1", "Patient/p1", 30),
                                                      person("t1", ParticipantRole::clinician, "")}));
      const thp_panel_id ors = fixture.host.find("c1", "Outcome");
      fixture.workflow.panel_closed(ors, row.reason);
      fixture.workflow.panel_closed(ors, row.reason);  // a repeat is an unknown panel
      const auto told = therapist_messages(fixture.host, "t1", "not_completed");
      REQUIRE(told.size() == 1);
      CHECK(told[0]["reason"] == row.reason_code);
      CHECK(told[0]["summary"] == row.summary);
      CHECK(log_lines_with(fixture.host, "event=measure_not_completed") == 1);
    }
    // A saved measure whose panel is then closed is not "not completed".
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {aged("c1", "Patient/p1", 30)}));
    const thp_panel_id ors = fixture.host.find("c1", "Outcome");
    fixture.message(ors, submit_measure("ORS", {5.0, 5.0, 5.0, 5.0}));
    fixture.workflow.panel_closed(ors, THP_PANEL_DISMISSED);
    CHECK(log_lines_with(fixture.host, "event=measure_not_completed") == 0);
  }

  TEST_CASE("with record_not_completed a declined measure is stored as stopped") {
    Fixture fixture;
    fixture.configuration.selection.record_not_completed = true;
    fixture.workflow.session_started(session("s1", {aged("c1", "Patient/p1", 9),
                                                    person("t1", ParticipantRole::clinician, "Practitioner/d1")}));
    const thp_panel_id cors = fixture.host.find("c1", "Child Outcome");
    fixture.message(cors, json({{"type", "decline"}, {"measure", "CORS"}, {"reason", "too tired"}}).dump());
    fixture.workflow.panel_closed(cors, THP_PANEL_DISMISSED);
    const auto rows = fixture.store->all();
    REQUIRE(rows.size() == 1);  // declined then closed: recorded once
    CHECK(rows[0].measure == "CORS");
    CHECK(rows[0].delivery_state == "pending");
    const auto found = fixture.store->find(rows[0].administration.administration_id);
    REQUIRE(found);
    const Administration& stopped = found->administration;
    CHECK(stopped.status == "stopped");
    CHECK(stopped.not_completed_reason == "declined: too tired");
    CHECK(stopped.patient_reference == "Patient/p1");
    CHECK(stopped.practitioner_reference == "Practitioner/d1");
    CHECK(stopped.measure_code == "CORS");
    CHECK_FALSE(stopped.other_rater);
    // Nothing is added to the client's trend.
    CHECK(fixture.store->administrations_for("Patient/p1").empty());
    CHECK(fixture.store->history("Patient/p1", "CORS", "s2").earlier_administrations == 0);

    // An abandoned session rating is recorded with its reason too.
    fixture.workflow.session_ended("s1");
    fixture.workflow.panel_closed(fixture.host.find("c1", "Child Session Rating"), THP_PANEL_PARTICIPANT_LEFT);
    const auto after = fixture.store->all();
    REQUIRE(after.size() == 2);
    CHECK(after[1].measure == "CSRS");
    CHECK(after[1].administration.status == "stopped");
    CHECK(after[1].administration.not_completed_reason == "participant_left");
  }

  TEST_CASE("a measure switched off in measures.enabled is not offered") {
    Fixture fixture;
    std::erase(fixture.configuration.selection.enabled, std::string("CORS"));
    fixture.workflow.session_started(session("s1", {aged("c1", "Patient/p1", 9), aged("c2", "Patient/p2", 30)}));
    CHECK(fixture.host.find("c1", "") == 0);
    CHECK(fixture.host.find("c2", "Outcome Rating Scale (ORS)") != 0);
    CHECK(log_lines_with(fixture.host, "event=measure_skipped session=s1 reason=switched_off") == 1);
    // The other measures stay on: the child still gets the CSRS at the end.
    fixture.workflow.session_ended("s1");
    CHECK(fixture.host.find("c1", "Child Session Rating Scale (CSRS)") != 0);
  }

  // Parents often join before the child, and hosts list participants in any order.
  TEST_CASE("an other rater who arrives before their client still gets the form") {
    {
      Fixture fixture;  // the host lists the parent first
      fixture.workflow.session_started(session("s1", {rater("r1", "c1", "MTH"), aged("c1", "Patient/p1", 9)}));
      CHECK(fixture.host.find("r1", "about Name of c1") != 0);
    }
    {
      Fixture fixture;  // the parent joins the call first
      fixture.workflow.session_started(session("s1", {person("t1", ParticipantRole::clinician, "")}));
      fixture.workflow.participant_joined("s1", rater("r1", "c1", "MTH"));
      fixture.workflow.participant_joined("s1", aged("c1", "Patient/p1", 9));
      CHECK(fixture.host.find("r1", "about Name of c1") != 0);
    }
  }

  // Issue 12, defect 1: without a chart reference the trend was keyed by participant_id,
  // which is unique only within one session. Two hosts' "participant-1" were one client.
  TEST_CASE("two clients both called participant-1 without a chart reference never share a history") {
    Fixture fixture;
    Participant alice = person("participant-1", ParticipantRole::client, "");
    alice.display_name = "Alice";
    fixture.workflow.session_started(session("s-alice", {alice, person("t-alice", ParticipantRole::clinician, "")}));
    fixture.message(fixture.host.find("participant-1", "Outcome"), submit("ORS", {1.0, 1.0, 1.0, 1.0}));
    fixture.workflow.session_ended("s-alice");
    fixture.message(fixture.host.find("participant-1", "Session"), submit("SRS", {5, 5, 5, 5}));

    Participant bob = person("participant-1", ParticipantRole::client, "");
    bob.display_name = "Bob";
    fixture.workflow.session_started(session("s-bob", {bob, person("t-bob", ParticipantRole::clinician, "")}));
    fixture.message(fixture.host.find("participant-1", "Outcome"), submit("ORS", {9.0, 9.0, 9.0, 9.0}));

    const std::vector<json> results = therapist_messages(fixture.host, "t-bob", "result");
    REQUIRE(results.size() == 1);
    CHECK(results[0]["total"] == 36.0);
    CHECK(results[0]["session_number"] == 1);
    CHECK(results[0]["change_since_intake"].is_null());
    CHECK(results[0]["outcome_category"].is_null());
    CHECK(results[0]["summary"].get<std::string>().find("since intake") == std::string::npos);
    // Said in words: this client's scores are not joined across sessions.
    CHECK(results[0]["history"] == "not_linked");
    for (const json& trend : therapist_messages(fixture.host, "t-bob", "trend")) {
      for (const json& series : trend["series"]) {
        for (const json& point : series["points"]) CHECK(point["total"] != 4.0);
      }
    }
    // Nothing about Alice reached Bob's therapist.
    const std::string everything = fixture.host.panels[fixture.host.find("t-bob", "Alliance")].received.empty()
                                       ? ""
                                       : json(fixture.host.panels[fixture.host.find("t-bob", "Alliance")].received).dump();
    CHECK(everything.find("Alice") == std::string::npos);
  }

  TEST_CASE("a client with a chart reference keeps their history under any participant_id") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {person("participant-1", ParticipantRole::client, "Patient/p-carol"),
                                                    person("t1", ParticipantRole::clinician, "")}));
    fixture.message(fixture.host.find("participant-1", "Outcome"), submit("ORS", {1.0, 1.0, 1.0, 1.0}));
    fixture.workflow.session_started(session("s2", {person("participant-7", ParticipantRole::client, "Patient/p-carol"),
                                                    person("t2", ParticipantRole::clinician, "")}));
    fixture.message(fixture.host.find("participant-7", "Outcome"), submit("ORS", {9.0, 9.0, 9.0, 9.0}));
    const std::vector<json> results = therapist_messages(fixture.host, "t2", "result");
    REQUIRE(results.size() == 1);
    CHECK(results[0]["session_number"] == 2);
    CHECK(results[0]["change_since_intake"] == 32.0);
    CHECK(results[0]["history"] == "linked");
    const std::vector<json> trends = therapist_messages(fixture.host, "t2", "trend");
    REQUIRE(trends.size() == 1);
    CHECK(trends[0]["series"][0]["points"].size() == 2);
  }

  // Older versions stored scores of clients without a chart reference under
  // "participant:" + their participant_id. Those rows belong to nobody now.
  TEST_CASE("scores an older version stored under a participant id are not shown as anyone's history") {
    Fixture fixture;
    Administration old;
    old.administration_id = "00000000-0000-4000-8000-000000000001";
    old.session_id = "s-older";
    old.participant_id = "participant-1";
    old.client_key = "participant:participant-1";
    old.measure_code = "ORS";
    old.authored_at = "2026-10-01T15:00:00.000Z";
    old.scored.kind = MeasureKind::outcome_rating_scale;
    old.scored.total = 40;
    old.scored.item_scores = {10, 10, 10, 10};
    REQUIRE(fixture.store->save(old) == SaveOutcome::saved);

    fixture.workflow.session_started(session("s-new", {person("participant-1", ParticipantRole::client, ""),
                                                       person("t1", ParticipantRole::clinician, "")}));
    fixture.message(fixture.host.find("participant-1", "Outcome"), submit("ORS", {9.0, 9.0, 9.0, 9.0}));
    const std::vector<json> results = therapist_messages(fixture.host, "t1", "result");
    REQUIRE(results.size() == 1);
    CHECK(results[0]["session_number"] == 1);
    CHECK(results[0]["change_since_intake"].is_null());
    for (const json& trend : therapist_messages(fixture.host, "t1", "trend")) {
      for (const json& series : trend["series"]) {
        for (const json& point : series["points"]) CHECK(point["total"] != 4.0);
      }
    }
  }

  // Issue 12, defect 6, at the workflow: a name repaired at the boundary opens every panel.
  TEST_CASE("a session copied from host data that is not UTF-8 opens its panels and finishes") {
    Fixture fixture;
    const std::string session_id = "s-utf8";
    const std::string client_id = "c1";
    const std::string therapist_id = "t1";
    const std::string client_name = "Bj\xf6rk";  // Latin-1, not UTF-8
    const std::string therapist_name = "Dr \xe2\x82";  // cut in the middle of a character
    thp_participant client{};
    client.struct_size = sizeof client;
    client.participant_id = {client_id.data(), client_id.size()};
    client.role = THP_ROLE_CLIENT;
    client.display_name = {client_name.data(), client_name.size()};
    client.age_years = 30;
    thp_participant therapist = client;
    therapist.participant_id = {therapist_id.data(), therapist_id.size()};
    therapist.role = THP_ROLE_CLINICIAN;
    therapist.display_name = {therapist_name.data(), therapist_name.size()};
    const thp_participant* people[2] = {&client, &therapist};
    thp_session host_session{};
    host_session.struct_size = sizeof host_session;
    host_session.session_id = {session_id.data(), session_id.size()};
    host_session.participants = people;
    host_session.participant_count = 2;
    std::string error;
    auto copy = copy_session(&host_session, error);
    REQUIRE_MESSAGE(copy, error);

    fixture.workflow.session_started(std::move(*copy));
    const thp_panel_id outcome = fixture.host.find("c1", "Outcome");
    const thp_panel_id summary = fixture.host.find("t1", "Alliance");
    REQUIRE(outcome != 0);
    REQUIRE(summary != 0);
    fixture.message(outcome, submit("ORS", {5, 5, 5, 5}));
    fixture.workflow.session_ended(session_id);
    const thp_panel_id rating = fixture.host.find("c1", "Session");
    REQUIRE(rating != 0);
    fixture.message(rating, submit("SRS", {9, 9, 9, 9}));
    const std::vector<json> results = therapist_messages(fixture.host, "t1", "result");
    REQUIRE(results.size() == 2);
    CHECK(results[0]["client"] == "Bj\xef\xbf\xbdrk");
    for (thp_panel_id panel : {outcome, rating, summary}) fixture.workflow.panel_closed(panel, THP_PANEL_SUBMITTED);
    CHECK(fixture.workflow.open_session_count() == 0);
  }

  // Issue 12: a malformed birth date refused the whole session: the client got no ORS.
  TEST_CASE("a malformed birth date or an over-long display name still opens the ORS") {
    Fixture fixture;
    const std::string session_id = "s-lenient";
    const std::string client_id = "c1";
    const std::string birth_date = "1990-13-45";
    const std::string long_name(kMaximumTextBytes + 40, 'n');
    thp_participant client{};
    client.struct_size = sizeof client;
    client.participant_id = {client_id.data(), client_id.size()};
    client.role = THP_ROLE_CLIENT;
    client.display_name = {long_name.data(), long_name.size()};
    client.age_years = -1;
    client.birth_date = {birth_date.data(), birth_date.size()};
    const thp_participant* people[1] = {&client};
    thp_session host_session{};
    host_session.struct_size = sizeof host_session;
    host_session.session_id = {session_id.data(), session_id.size()};
    host_session.participants = people;
    host_session.participant_count = 1;
    std::string error;
    auto copy = copy_session(&host_session, error);
    REQUIRE_MESSAGE(copy, error);
    fixture.workflow.session_started(std::move(*copy));
    CHECK(fixture.host.find("c1", "Outcome Rating Scale") != 0);
  }

  TEST_CASE("a flood of invalid messages gets short replies and few log lines") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {person("c1", ParticipantRole::client, "Patient/p1")}));
    const thp_panel_id ors = fixture.host.find("c1", "Outcome");
    json flood = json::parse(submit("ORS", {5.0, 6.0, 7.0, 5.5}));
    // Short keys, so that the message stays under the 16 KiB limit (about 11 KB).
    for (int index = 0; index < 1150; ++index) flood["answers"]["x" + std::to_string(index)] = 0;
    REQUIRE(flood.dump().size() < 16 * 1024);
    const int messages = 1000;
    for (int index = 0; index < messages; ++index) fixture.message(ors, flood.dump());
    const std::vector<json>& replies = fixture.host.panels[ors].received;
    REQUIRE(replies.size() == static_cast<std::size_t>(messages));
    CHECK(replies.front()["type"] == "invalid");
    MESSAGE("reply to one message with 1150 unknown keys: " << replies.front().dump().size() << " bytes");
    CHECK(replies.front().dump().size() < 2048);
    const int lines = log_lines_with(fixture.host, "event=submission_refused");
    MESSAGE("log lines for " << messages << " invalid messages: " << lines);
    CHECK(lines >= 1);
    CHECK(lines <= 10);
    // The panel still takes a corrected answer.
    fixture.message(ors, submit("ORS", {5.0, 6.0, 7.0, 5.5}));
    CHECK(fixture.host.panels[ors].received.back()["type"] == "saved");
  }

  TEST_CASE("an audio session gives the therapist the forms to read aloud, recorded as verbal") {
    Fixture fixture;
    SessionDetails call = session("s1", {person("c1", ParticipantRole::client, "Patient/p1"),
                                         person("t1", ParticipantRole::clinician, "Practitioner/d1")});
    call.medium = SessionMedium::audio;
    fixture.workflow.session_started(std::move(call));
    // The client on the phone has no screen: the ORS opens on the therapist's, beside the card.
    CHECK(fixture.host.find("c1", "Outcome") == 0);
    const thp_panel_id ors = fixture.host.find("t1", "Outcome Rating Scale (ORS), read aloud with Name of c1");
    REQUIRE(ors != 0);
    CHECK(fixture.host.find("t1", "Alliance") != 0);
    fixture.message(ors, submit("ORS", {5.0, 6.0, 4.5, 5.5}));
    REQUIRE(fixture.host.panels[ors].received.size() == 1);
    CHECK(fixture.host.panels[ors].received[0]["type"] == "saved");
    const auto rows = fixture.store->administrations_for("Patient/p1");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].patient_reference == "Patient/p1");  // the client's answers, in the client's chart
    CHECK(rows[0].participant_id == "c1");
    CHECK(rows[0].completion_mode == "VERBAL");
    CHECK(rows[0].entered_by_reference == "Practitioner/d1");
    CHECK(rows[0].scored.total == 210);
    const auto results = therapist_messages(fixture.host, "t1", "result");
    REQUIRE(results.size() == 1);
    CHECK(results[0]["given"] == "aloud");
    CHECK(results[0]["total"] == 21.0);
    CHECK(results[0]["flags"][0]["code"] == "clinical-range");  // the same scoring and flags
    CHECK(therapist_messages(fixture.host, "t1", "trend").size() == 1);
    // The SRS at the end, read aloud too.
    fixture.workflow.session_ended("s1");
    CHECK(fixture.host.find("c1", "Session") == 0);
    const thp_panel_id srs = fixture.host.find("t1", "Session Rating Scale (SRS), read aloud");
    REQUIRE(srs != 0);
    fixture.message(srs, submit("SRS", {9.0, 9.5, 8.0, 9.0}));
    CHECK(fixture.host.panels[srs].received.at(0)["type"] == "saved");
    const auto both = fixture.store->administrations_for("Patient/p1");
    REQUIRE(both.size() == 2);
    CHECK(both[1].completion_mode == "VERBAL");
  }

  TEST_CASE("a video session's forms are the client's own, recorded as electronic") {
    Fixture fixture;
    fixture.workflow.session_started(session("s1", {person("c1", ParticipantRole::client, "Patient/p1"),
                                                    person("t1", ParticipantRole::clinician, "Practitioner/d1")}));
    CHECK(fixture.host.find("t1", "read aloud") == 0);
    fixture.message(fixture.host.find("c1", "Outcome"), submit("ORS", {5.0, 6.0, 4.5, 5.5}));
    const auto rows = fixture.store->administrations_for("Patient/p1");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].completion_mode == "ELECTRONIC");
    CHECK(rows[0].entered_by_reference.empty());
    CHECK(therapist_messages(fixture.host, "t1", "result").at(0)["given"] == "on_screen");
  }

  TEST_CASE("in an audio session the forms wait for a therapist to read them") {
    Fixture fixture;
    SessionDetails call = session("s1", {person("c1", ParticipantRole::client, "Patient/p1"),
                                         rater("m1", "c1", "MTH")});
    call.medium = SessionMedium::audio;
    fixture.workflow.session_started(std::move(call));
    CHECK(fixture.host.panels.empty());
    CHECK(log_lines_with(fixture.host, "reason=no_therapist_to_read_aloud") == 2);
    fixture.workflow.participant_joined("s1", person("t1", ParticipantRole::clinician, "Practitioner/d1"));
    CHECK(fixture.host.find("t1", "Alliance") != 0);
    CHECK(fixture.host.find("t1", "Outcome Rating Scale (ORS), read aloud with Name of c1") != 0);
    // The mother's view of her child, read aloud to her: whom it is about, and who answers.
    const thp_panel_id rated = fixture.host.find("t1", "about Name of c1, read aloud with Name of m1");
    REQUIRE(rated != 0);
    fixture.message(rated, submit("ORS", {7, 7, 7, 7}));
    const auto rows = fixture.store->administrations_for("Patient/p1\nrated-by:RelatedPerson/m1");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].other_rater);
    CHECK(rows[0].rater_reference == "RelatedPerson/m1");
    CHECK(rows[0].completion_mode == "VERBAL");
    CHECK(rows[0].entered_by_reference == "Practitioner/d1");
    // With the therapist gone at the end, nobody reads the SRS: it is not asked for.
    fixture.workflow.participant_left("s1", "t1");
    fixture.workflow.session_ended("s1");
    CHECK(fixture.host.find("t1", "Session Rating") == 0);
    CHECK(log_lines_with(fixture.host, "event=measure_skipped") == 1);
  }

  TEST_CASE("measures.media decides which sessions collect measures") {
    const auto opened = [](const SelectionRules& rules, SessionMedium medium) {
      Fixture fixture;
      fixture.configuration.selection = rules;
      SessionDetails details = session("s1", {person("c1", ParticipantRole::client, "Patient/p1"),
                                              person("t1", ParticipantRole::clinician, "Practitioner/d1")});
      details.medium = medium;
      fixture.workflow.session_started(std::move(details));
      std::string where;
      if (fixture.host.find("c1", "Outcome") != 0) where += "client ";
      if (fixture.host.find("t1", "Outcome") != 0) where += "therapist ";
      if (fixture.host.find("t1", "Alliance") != 0) where += "card";
      return where;
    };
    const SelectionRules defaults;
    CHECK(opened(defaults, SessionMedium::video) == "client card");
    CHECK(opened(defaults, SessionMedium::audio) == "therapist card");
    CHECK(opened(defaults, SessionMedium::in_person) == "");  // off by default
    SelectionRules in_person = defaults;
    in_person.collect_in_person = true;
    CHECK(opened(in_person, SessionMedium::in_person) == "client card");  // on the host's device, as video
    SelectionRules video_only = defaults;
    video_only.collect_audio = false;
    CHECK(opened(video_only, SessionMedium::audio) == "");
  }
}

