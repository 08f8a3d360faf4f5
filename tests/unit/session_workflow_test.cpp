// The session workflow driven directly, with a recording host table. The host here
// allows panel calls from any thread, so every effect is synchronous and visible as
// soon as a workflow call returns.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "session_workflow.hpp"
#include "test_support.hpp"
#include "worker.hpp"

using namespace alliance;
using alliance::testing::shipped_measures;
using alliance::testing::TemporaryFolder;
using nlohmann::json;

namespace {

struct OpenedPanel {
  std::string session_id;
  std::string participant_id;
  std::string title;
  std::vector<json> received;
  bool closed_by_plugin = false;
};

struct RecordingHost {
  std::map<thp_panel_id, OpenedPanel> panels;
  std::vector<std::string> logs;
  thp_panel_id next_panel = 1;

  static std::string text(thp_str view) { return std::string(view.ptr == nullptr ? "" : view.ptr, view.len); }

  thp_host_api api() {
    thp_host_api table{};
    table.struct_size = sizeof table;
    table.abi_major = THP_ABI_MAJOR;
    table.abi_minor = THP_ABI_MINOR;
    table.host = reinterpret_cast<thp_host*>(this);
    table.flags = THP_HOST_FLAG_PANEL_CALLS_FROM_ANY_THREAD;
    table.log = [](thp_host* host, thp_log_level, thp_str message) {
      reinterpret_cast<RecordingHost*>(host)->logs.push_back(text(message));
    };
    table.panel_open = [](thp_host* host, thp_str session, thp_str participant, thp_str title, thp_str,
                          thp_panel_id* out) -> thp_status {
      auto* self = reinterpret_cast<RecordingHost*>(host);
      *out = self->next_panel++;
      self->panels[*out] = OpenedPanel{text(session), text(participant), text(title), {}, false};
      return THP_OK;
    };
    table.panel_post = [](thp_host* host, thp_panel_id panel, thp_str message) -> thp_status {
      auto* self = reinterpret_cast<RecordingHost*>(host);
      if (self->panels.count(panel) == 0) return THP_ERROR_NOT_FOUND;
      self->panels[panel].received.push_back(json::parse(text(message)));
      return THP_OK;
    };
    table.panel_close = [](thp_host* host, thp_panel_id panel) -> thp_status {
      reinterpret_cast<RecordingHost*>(host)->panels[panel].closed_by_plugin = true;
      return THP_OK;
    };
    table.run_on_host_thread = [](thp_host*, thp_host_task, void*) -> thp_status { return THP_ERROR_UNAVAILABLE; };
    return table;
  }

  // The newest panel of a participant whose title contains `title_part`, or 0.
  thp_panel_id find(const std::string& participant, const std::string& title_part) const {
    thp_panel_id found = 0;
    for (const auto& [id, panel] : panels) {
      if (panel.participant_id == participant && panel.title.find(title_part) != std::string::npos) found = id;
    }
    return found;
  }
};

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
    REQUIRE(therapist.size() == 1);
    CHECK(therapist[0]["type"] == "result");
    CHECK(therapist[0]["total"] == 21.0);
    CHECK(therapist[0]["concern"] == true);
    CHECK(therapist[0]["flags"][0]["code"] == "clinical-range");
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
    REQUIRE(received.size() == 1);
    CHECK(received[0]["total"] == 36.0);
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
}
