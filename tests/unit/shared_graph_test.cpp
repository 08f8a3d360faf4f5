// The client's own graph, shown by the therapist (plugin/session/shared_graph.cpp): the
// workflow driven directly with a host that records every panel, its page and what
// it received, in order. Panel calls are allowed from any thread, so every effect is
// visible as soon as a workflow call returns.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "session/session_workflow.hpp"
#include "session/shared_graph.hpp"
#include "test_support.hpp"
#include "workflow_host.hpp"
#include "runtime/worker.hpp"

using namespace alliance;
using alliance::testing::shipped_measures;
using alliance::testing::TemporaryFolder;
using nlohmann::json;

namespace shared_graph_test {

using GraphHost = alliance::testing::WorkflowHost;
using GraphHostPanel = alliance::testing::WorkflowPanel;

// Every graph panel ever opened, for anyone.
std::vector<thp_panel_id> graphs_of(const GraphHost& host) {
  std::vector<thp_panel_id> found;
  for (const auto& [id, panel] : host.panels) {
    if (panel.title == "Your scores so far" || panel.title == "Sus puntuaciones hasta ahora") found.push_back(id);
  }
  return found;
}

// The "sharing" messages a therapist's panel received.
std::vector<json> sharing_told(const GraphHost& host, const std::string& therapist) {
  std::vector<json> found;
  const thp_panel_id panel = host.find(therapist, "Alliance");
  if (panel == 0) return found;
  for (const json& message : host.panels.at(panel).received) {
    if (message.value("type", "") == "sharing") found.push_back(message);
  }
  return found;
}

Participant someone(const std::string& id, ParticipantRole role, const std::string& reference, int age = 30) {
  Participant participant;
  participant.participant_id = id;
  participant.role = role;
  participant.display_name = "Name of " + id;
  participant.age_years = age;
  participant.fhir_reference = reference;
  return participant;
}

Participant client(const std::string& id, int age = 30) {
  return someone(id, ParticipantRole::client, "Patient/chart-" + id, age);
}
Participant therapist(const std::string& id) { return someone(id, ParticipantRole::clinician, "Practitioner/" + id); }

SessionDetails visit(const std::string& id, std::vector<Participant> participants,
                     AppointmentKind kind = AppointmentKind::individual) {
  SessionDetails details;
  details.session_id = id;
  details.appointment_kind = kind;
  details.start_time = "2026-11-02T15:00:00Z";
  details.encounter_reference = "Encounter/" + id;
  details.participants = std::move(participants);
  return details;
}

// Four equal marks for any measure, keyed by its English form's linkIds.
std::string marks(const std::string& measure, double mark) {
  const MeasureDefinition* definition = shipped_measures().find(measure, "en");
  REQUIRE(definition != nullptr);
  json answers = json::object();
  for (const MeasureItem& item : definition->items) answers[item.link_id] = mark;
  return json({{"type", "submit"}, {"measure", measure}, {"answers", answers}}).dump();
}

std::string share(const std::string& participant) {
  return json({{"type", "share_trend"}, {"participant_id", participant}}).dump();
}
std::string stop(const std::string& participant) {
  return json({{"type", "stop_sharing"}, {"participant_id", participant}}).dump();
}

// The page's data block (panels.cpp writes it as JSON inside a script element).
json page_data(const std::string& html) {
  const std::string start = "<script type=\"application/json\" id=\"panel-data\">";
  const size_t from = html.find(start);
  REQUIRE(from != std::string::npos);
  const size_t to = html.find("</script>", from);
  REQUIRE(to != std::string::npos);
  return json::parse(html.substr(from + start.size(), to - from - start.size()));
}

std::vector<double> totals(const json& series) {
  std::vector<double> found;
  for (const json& point : series.at("points")) found.push_back(point.at("total").get<double>());
  return found;
}


struct GraphFixture {
  TemporaryFolder folder;
  GraphHost host;
  thp_host_api api = host.api();
  Worker worker;
  HostGateway gateway{api, worker, LogLevel::debug};
  Configuration configuration;
  OutboxKeys keys = OutboxKeys::load(alliance::testing::write_key_file(folder.path()));
  std::unique_ptr<Store> store = Store::open(folder.path() / "alliance.db", keys);
  SessionWorkflow workflow{configuration, shipped_measures(), *store, gateway,
                           [] { return std::string("2026-11-02T15:30:00.000Z"); }};

  void send(thp_panel_id panel, const std::string& text) {
    REQUIRE(panel != 0);
    workflow.panel_message(panel, text, text.size());
  }
  thp_panel_id therapist_panel(const std::string& id = "t1") const { return host.find(id, "Alliance"); }

  // An individual session with c1 (and t1): the ORS at `ors`, the SRS at `srs`.
  void individual_session(const std::string& id, double ors, double srs, bool end = true) {
    workflow.session_started(visit(id, {client("c1"), therapist("t1")}));
    send(host.find("c1", "Outcome"), marks("ORS", ors));
    if (!end) return;
    workflow.session_ended(id);
    send(host.find("c1", "Session Rating"), marks("SRS", srs));
  }
};

// The cases, in the namespace too: in a unity batch nothing of this file is visible to
// the next.
TEST_SUITE("shared_graph") {
  TEST_CASE("the therapist shows a client their graph: one panel, for that client, with only their own ORS") {
    GraphFixture fixture;
    // A couple, and a parent who rates c1: everyone has scores in two sessions.
    const std::vector<double> c1_marks = {4.0, 6.0}, c2_marks = {1.1, 2.2};
    for (int index = 0; index < 2; ++index) {
      const std::string id = "s" + std::to_string(index + 1);
      Participant parent = someone("r1", ParticipantRole::other_rater, "RelatedPerson/r1", 40);
      parent.rates_participant_id = "c1";
      parent.relationship = "MTH";
      fixture.workflow.session_started(
          visit(id, {client("c1"), client("c2"), parent, therapist("t1")}, AppointmentKind::couple));
      fixture.send(fixture.host.find("c1", "Outcome Rating Scale (ORS)"), marks("ORS", c1_marks[index]));
      fixture.send(fixture.host.find("c2", "Outcome Rating Scale (ORS)"), marks("ORS", c2_marks[index]));
      fixture.send(fixture.host.find("r1", "Outcome"), marks("ORS", 3.3));
      if (index == 0) fixture.workflow.session_ended(id);
    }
    const size_t panels_before = fixture.host.panels.size();
    fixture.send(fixture.therapist_panel(), share("c1"));

    REQUIRE(fixture.host.panels.size() == panels_before + 1);
    const std::vector<thp_panel_id> graphs = graphs_of(fixture.host);
    REQUIRE(graphs.size() == 1);
    const GraphHostPanel& graph = fixture.host.panels.at(graphs[0]);
    CHECK(graph.participant_id == "c1");
    CHECK(graph.session_id == "s2");
    const json data = page_data(graph.html);
    CHECK(data["measure"] == "ORS");
    CHECK(data["language"] == "en");
    CHECK(data["child"] == false);
    CHECK(data["outcome"]["cutoff"] == 25.0);
    CHECK(data["outcome"]["intake_total"] == 16.0);
    CHECK(data["outcome"]["reliable_change"] == 5.0);
    CHECK(totals(data["outcome"]) == std::vector<double>{16.0, 24.0});
    CHECK(data["outcome"]["points"][1]["session_number"] == 2);
    CHECK(data["outcome"]["points"][1]["date"] == "2026-11-02");
    CHECK_FALSE(data.contains("session_rating"));
    // Exactly these keys: nothing about flags, items, names or anyone else.
    CHECK(data.size() == 4);
    CHECK(data["outcome"].size() == 4);
    CHECK(data["outcome"]["points"][0].size() == 3);
    // Nobody's name or chart is anywhere in the page, nor the others' totals.
    for (const char* absent : {"Name of c1", "Name of c2", "Name of r1", "Name of t1", "chart-c1", "chart-c2",
                               "RelatedPerson", "Practitioner", "\"s2\"", "clinical-range", "flags"}) {
      CHECK_MESSAGE(graph.html.find(absent) == std::string::npos, absent);
    }
    const std::string dumped = data.dump();
    for (const char* other_total : {"4.4", "8.8", "13.2"}) CHECK_MESSAGE(dumped.find(other_total) == std::string::npos, other_total);
    // The therapists hear it is shown; c2 and the parent got nothing new.
    const std::vector<json> told = sharing_told(fixture.host, "t1");
    REQUIRE(told.size() == 1);
    CHECK(told[0] == json({{"type", "sharing"}, {"participant_id", "c1"}, {"state", "shown"}}));
    // The trend the therapist got offers the button for a client who can see it.
    bool offered = false;
    for (const json& message : fixture.host.panels.at(fixture.therapist_panel()).received) {
      if (message.value("type", "") == "trend" && message.value("participant_id", "") == "c1") {
        offered = message.value("shareable", false);
      }
    }
    CHECK(offered);
  }

  TEST_CASE("the SRS trend goes in only when the clinic says so, and a child's graph has the child's words") {
    SUBCASE("without the option: the ORS only") {
      GraphFixture fixture;
      fixture.individual_session("s1", 5.0, 9.0);
      fixture.individual_session("s2", 7.0, 8.0, false);
      fixture.send(fixture.therapist_panel(), share("c1"));
      REQUIRE(graphs_of(fixture.host).size() == 1);
      const json data = page_data(fixture.host.panels.at(graphs_of(fixture.host)[0]).html);
      CHECK(totals(data["outcome"]) == std::vector<double>{20.0, 28.0});
      CHECK_FALSE(data.contains("session_rating"));
    }
    SUBCASE("with measures.share_srs_trend_with_client: the SRS too") {
      GraphFixture fixture;
      fixture.configuration.selection.share_srs_trend_with_client = true;
      fixture.individual_session("s1", 5.0, 9.0);
      fixture.individual_session("s2", 7.0, 8.0, false);
      fixture.send(fixture.therapist_panel(), share("c1"));
      REQUIRE(graphs_of(fixture.host).size() == 1);
      const json data = page_data(fixture.host.panels.at(graphs_of(fixture.host)[0]).html);
      CHECK(totals(data["outcome"]) == std::vector<double>{20.0, 28.0});
      REQUIRE(data.contains("session_rating"));
      CHECK(data["session_rating"]["measure"] == "SRS");
      CHECK(data["session_rating"]["cutoff"] == 36.0);
      CHECK(totals(data["session_rating"]) == std::vector<double>{36.0});
    }
    SUBCASE("a nine-year-old in Spanish: the CORS, its cutoff, the Spanish title") {
      GraphFixture fixture;
      Participant child = client("c1", 9);
      child.preferred_language = "es";
      fixture.workflow.session_started(visit("s1", {child, therapist("t1")}));
      fixture.send(fixture.host.find("c1", ""), marks("CORS", 5.0));  // the Spanish CORS
      fixture.send(fixture.therapist_panel(), share("c1"));
      REQUIRE(graphs_of(fixture.host).size() == 1);
      const GraphHostPanel& graph = fixture.host.panels.at(graphs_of(fixture.host)[0]);
      CHECK(graph.title == "Sus puntuaciones hasta ahora");
      CHECK(graph.html.find("<html lang=\"es\">") != std::string::npos);
      const json data = page_data(graph.html);
      CHECK(data["measure"] == "CORS");
      CHECK(data["child"] == true);
      CHECK(data["language"] == "es");
      CHECK(data["outcome"]["cutoff"] == 32.0);
    }
  }

  TEST_CASE("one graph at a time; stopping closes it, and every therapist hears each change") {
    GraphFixture fixture;
    fixture.workflow.session_started(visit("s1", {client("c1"), therapist("t1"), therapist("t2")}));
    fixture.send(fixture.host.find("c1", "Outcome"), marks("ORS", 5.0));
    fixture.send(fixture.therapist_panel("t1"), share("c1"));
    fixture.send(fixture.therapist_panel("t2"), share("c1"));  // already shown: answered so
    REQUIRE(graphs_of(fixture.host).size() == 1);
    const thp_panel_id graph = graphs_of(fixture.host)[0];
    for (const char* who : {"t1", "t2"}) {
      const std::vector<json> told = sharing_told(fixture.host, who);
      REQUIRE(told.size() == 2);
      CHECK(told[0]["state"] == "shown");
      CHECK(told[1]["state"] == "shown");
    }
    fixture.send(fixture.therapist_panel("t2"), stop("c1"));
    CHECK(fixture.host.panels.at(graph).closed_by_plugin);
    for (const char* who : {"t1", "t2"}) {
      const json last = sharing_told(fixture.host, who).back();
      CHECK(last["state"] == "stopped");
      CHECK(last["reason"] == "stopped_by_therapist");
    }
    // A late message from the closed graph changes nothing.
    fixture.send(graph, R"({"type":"close"})");
    CHECK(sharing_told(fixture.host, "t1").size() == 3);
    // Shown again: a new panel.
    fixture.send(fixture.therapist_panel("t1"), share("c1"));
    CHECK(graphs_of(fixture.host).size() == 2);
    // A therapist who opens the panel later learns it is shown.
    fixture.workflow.participant_joined("s1", therapist("t3"));
    REQUIRE(sharing_told(fixture.host, "t3").size() == 1);
    CHECK(sharing_told(fixture.host, "t3")[0]["state"] == "shown");
  }

  TEST_CASE("the client closes the graph: by its Close button or the host's, and the therapists hear it") {
    GraphFixture fixture;
    fixture.workflow.session_started(visit("s1", {client("c1"), therapist("t1")}));
    fixture.send(fixture.host.find("c1", "Outcome"), marks("ORS", 5.0));

    fixture.send(fixture.therapist_panel(), share("c1"));
    const thp_panel_id first = graphs_of(fixture.host).back();
    // Anything but its Close message is ignored, with a bounded log.
    for (int index = 0; index < 1000; ++index) fixture.send(first, R"({"type":"share_trend","participant_id":"c1"})");
    fixture.send(first, R"({"type":"close","extra":1})");
    fixture.send(first, std::string(300, ' ') + R"({"type":"close"})");
    CHECK_FALSE(fixture.host.panels.at(first).closed_by_plugin);
    CHECK(fixture.host.panels.at(first).received.empty());
    CHECK(sharing_told(fixture.host, "t1").size() == 1);
    CHECK(fixture.host.log_lines_with("reason=client_graph") == 6);  // 1, 2, 3, 10, 100, 1000

    fixture.send(first, R"({"type":"close"})");
    CHECK(fixture.host.panels.at(first).closed_by_plugin);
    CHECK(sharing_told(fixture.host, "t1").back() ==
          json({{"type", "sharing"}, {"participant_id", "c1"}, {"state", "stopped"}, {"reason", "closed_by_client"}}));

    fixture.send(fixture.therapist_panel(), share("c1"));
    const thp_panel_id second = graphs_of(fixture.host).back();
    REQUIRE(second != first);
    fixture.workflow.panel_closed(second, THP_PANEL_DISMISSED);
    CHECK(sharing_told(fixture.host, "t1").back()["reason"] == "closed_by_client");

    fixture.send(fixture.therapist_panel(), share("c1"));
    fixture.workflow.panel_closed(graphs_of(fixture.host).back(), THP_PANEL_PARTICIPANT_LEFT);
    CHECK(sharing_told(fixture.host, "t1").back()["reason"] == "participant_left");
  }

  TEST_CASE("refused: from a client's panel, for someone unknown, absent or not a client, without a chart, without scores") {
    GraphFixture fixture;
    Participant unlinked = client("c2");
    unlinked.fhir_reference.clear();
    fixture.workflow.session_started(visit("s1", {client("c1"), unlinked, client("c3"), therapist("t1")}));
    fixture.send(fixture.host.find("c1", "Outcome"), marks("ORS", 5.0));
    fixture.send(fixture.host.find("c2", "Outcome"), marks("ORS", 5.0));

    // From a client's own form: not a therapist's panel, so not a request at all.
    const thp_panel_id form = fixture.host.find("c3", "Outcome");
    fixture.send(form, share("c3"));
    CHECK(fixture.host.panels.at(form).received.back()["type"] == "invalid");
    CHECK(graphs_of(fixture.host).empty());
    CHECK(sharing_told(fixture.host, "t1").empty());

    const auto refused = [&](const std::string& who, const char* reason) {
      fixture.send(fixture.therapist_panel(), share(who));
      CHECK(graphs_of(fixture.host).empty());
      const json last = sharing_told(fixture.host, "t1").back();
      CHECK(last["participant_id"] == who);
      CHECK(last["state"] == "refused");
      CHECK(last["reason"] == reason);
    };
    refused("nobody", "unknown_participant");
    refused("t1", "unknown_participant");
    refused("c2", "no_chart");
    refused("c3", "no_scores");
    fixture.workflow.participant_left("s1", "c1");
    refused("c1", "absent");
    fixture.workflow.participant_joined("s1", client("c1"));
    fixture.workflow.session_ended("s1");
    refused("c1", "session_ended");
    // A therapist's malformed message gets its problem back and opens nothing.
    fixture.send(fixture.therapist_panel(), R"({"type":"share_trend"})");
    CHECK(fixture.host.panels.at(fixture.therapist_panel()).received.back()["type"] == "invalid");
    CHECK(graphs_of(fixture.host).empty());
  }

  TEST_CASE("a graph the host will not open is refused, and the session does not wait for it") {
    GraphFixture fixture;
    fixture.host.refuse_title = "Your scores so far";
    fixture.workflow.session_started(visit("s1", {client("c1"), therapist("t1")}));
    fixture.send(fixture.host.find("c1", "Outcome"), marks("ORS", 5.0));
    fixture.send(fixture.therapist_panel(), share("c1"));
    CHECK(graphs_of(fixture.host).empty());
    CHECK(sharing_told(fixture.host, "t1").back() == json({{"type", "sharing"},
                                                     {"participant_id", "c1"},
                                                     {"state", "refused"},
                                                     {"reason", "panel_refused"}}));
    // Asked again, it is asked of the host again (nothing is left half-open).
    fixture.host.refuse_title.clear();
    fixture.send(fixture.therapist_panel(), share("c1"));
    CHECK(graphs_of(fixture.host).size() == 1);
    fixture.workflow.session_ended("s1");
    for (const auto& [id, panel] : fixture.host.panels) {
      if (!panel.closed_by_plugin) fixture.workflow.panel_closed(id, THP_PANEL_PARTICIPANT_LEFT);
    }
    CHECK(fixture.workflow.open_session_count() == 0);
  }

  TEST_CASE("a phone client has no screen: refused whatever else is true") {
    ShareConditions phone{false, true, true, SessionMedium::audio, true, true};
    CHECK(std::string(share_refusal(phone)) == "no_screen");
    ShareConditions video = phone;
    video.medium = SessionMedium::video;
    CHECK(share_refusal(video) == nullptr);
    ShareConditions in_person = phone;
    in_person.medium = SessionMedium::in_person;
    CHECK(share_refusal(in_person) == nullptr);
    in_person.collects_measures = false;
    CHECK(std::string(share_refusal(in_person)) == "not_collected");
  }

  TEST_CASE("in a phone session the therapist's card offers no sharing, and a share is refused") {
    GraphFixture fixture;
    SessionDetails call = visit("s1", {client("c1"), therapist("t1")});
    call.medium = SessionMedium::audio;
    fixture.workflow.session_started(std::move(call));
    // The ORS read aloud and entered by the therapist.
    fixture.send(fixture.host.find("t1", "read aloud"), marks("ORS", 6.0));
    const thp_panel_id card = fixture.therapist_panel();
    json trend;
    for (const json& message : fixture.host.panels.at(card).received) {
      if (message.value("type", "") == "trend") trend = message;
    }
    REQUIRE(trend.is_object());
    CHECK(trend["shareable"] == false);
    fixture.send(card, share("c1"));
    REQUIRE(sharing_told(fixture.host, "t1").size() == 1);
    CHECK(sharing_told(fixture.host, "t1")[0]["state"] == "refused");
    CHECK(sharing_told(fixture.host, "t1")[0]["reason"] == "no_screen");
    CHECK(graphs_of(fixture.host).empty());
  }

  TEST_CASE("at the session's end the graph closes before the SRS opens, and the session can finish") {
    GraphFixture fixture;
    fixture.workflow.session_started(visit("s1", {client("c1"), therapist("t1")}));
    fixture.send(fixture.host.find("c1", "Outcome"), marks("ORS", 5.0));
    fixture.send(fixture.therapist_panel(), share("c1"));
    const thp_panel_id graph = graphs_of(fixture.host).back();
    fixture.host.events.clear();
    fixture.workflow.session_ended("s1");
    CHECK(fixture.host.panels.at(graph).closed_by_plugin);
    REQUIRE(fixture.host.events.size() == 2);
    CHECK(fixture.host.events[0] == "close Your scores so far");
    CHECK(fixture.host.events[1].rfind("open Session Rating Scale", 0) == 0);
    CHECK(sharing_told(fixture.host, "t1").back()["reason"] == "session_ended");
    // The rest close as the host's window ends: nothing waits for the graph.
    fixture.send(fixture.host.find("c1", "Session Rating"), marks("SRS", 9.0));
    // The trend after the SRS no longer offers "Show to client": the session is over.
    const std::vector<json>& received = fixture.host.panels.at(fixture.therapist_panel()).received;
    REQUIRE(received.back()["type"] == "trend");
    CHECK(received.back()["shareable"] == false);
    for (const auto& [id, panel] : fixture.host.panels) {
      if (!panel.closed_by_plugin) fixture.workflow.panel_closed(id, THP_PANEL_PARTICIPANT_LEFT);
    }
    CHECK(fixture.workflow.open_session_count() == 0);
  }
}

}  // namespace shared_graph_test
