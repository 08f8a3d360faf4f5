// The built plugin through its hooks, as a host calls them: what each hook returns for
// ids the plugin does not know, and what happens to host strings that are not UTF-8,
// over their limit or malformed. The promises checked here are the header's.
#include <dlfcn.h>
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "telehealth/plugin_abi.h"
#include "test_support.hpp"

using alliance::testing::TemporaryFolder;
using nlohmann::json;

namespace {

// The header's limits.
constexpr size_t kIdentifierLimit = THP_MAXIMUM_IDENTIFIER_BYTES;
constexpr size_t kTextLimit = THP_MAXIMUM_TEXT_BYTES;

thp_str view(const std::string& text) { return {text.data(), text.size()}; }
std::string text_of(thp_str view) { return std::string(view.ptr == nullptr ? "" : view.ptr, view.len); }

struct HostPanel {
  std::string session_id;
  std::string participant_id;
  std::string title;
  std::vector<std::string> received;  // raw text, so that a bad byte would show
};

// A host that lets panel calls come from any thread and records everything, guarded,
// since the plugin's worker calls it while the test thread reads.
struct RecordingHost {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<thp_panel_id, HostPanel> panels;
  std::vector<std::string> logs;
  thp_panel_id next_panel = 1;

  static RecordingHost& of(thp_host* host) { return *reinterpret_cast<RecordingHost*>(host); }

  thp_host_api table() {
    thp_host_api host{};
    host.struct_size = sizeof host;
    host.abi_major = THP_ABI_MAJOR;
    host.abi_minor = THP_ABI_MINOR;
    host.host = reinterpret_cast<thp_host*>(this);
    host.flags = THP_HOST_FLAG_PANEL_CALLS_FROM_ANY_THREAD;
    host.log = [](thp_host* self, thp_log_level, thp_str message) {
      std::lock_guard lock(of(self).mutex);
      of(self).logs.push_back(text_of(message));
      of(self).changed.notify_all();
    };
    host.panel_open = [](thp_host* self, thp_str session, thp_str participant, thp_str title, thp_str,
                         thp_panel_id* out) -> thp_status {
      std::lock_guard lock(of(self).mutex);
      *out = of(self).next_panel++;
      of(self).panels[*out] = HostPanel{text_of(session), text_of(participant), text_of(title), {}};
      of(self).changed.notify_all();
      return THP_OK;
    };
    host.panel_post = [](thp_host* self, thp_panel_id panel, thp_str message) -> thp_status {
      std::lock_guard lock(of(self).mutex);
      const auto found = of(self).panels.find(panel);
      if (found == of(self).panels.end()) return THP_ERROR_NOT_FOUND;
      found->second.received.push_back(text_of(message));
      of(self).changed.notify_all();
      return THP_OK;
    };
    host.panel_close = [](thp_host*, thp_panel_id) -> thp_status { return THP_OK; };
    host.run_on_host_thread = [](thp_host*, thp_host_task, void*) -> thp_status { return THP_ERROR_UNAVAILABLE; };
    return host;
  }

  // Waits (at most 10 s) until `ready` holds, under the lock.
  bool wait_until(const std::function<bool()>& ready) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10), ready);
  }

  // The newest panel of `participant` whose title contains `title_part`, waiting for it.
  thp_panel_id panel_of(const std::string& participant, const std::string& title_part) {
    thp_panel_id found = 0;
    wait_until([&] {
      for (const auto& [id, panel] : panels) {
        if (panel.participant_id == participant && panel.title.find(title_part) != std::string::npos) found = id;
      }
      return found != 0;
    });
    return found;
  }

  // The messages of `type` the panel received, waiting until there are `count`.
  std::vector<json> messages(thp_panel_id panel, const std::string& type, size_t count = 1) {
    std::vector<json> found;
    wait_until([&] {
      found.clear();
      for (const std::string& raw : panels[panel].received) {
        const json message = json::parse(raw, nullptr, false);  // invalid UTF-8 would fail here
        if (message.is_object() && message.value("type", "") == type) found.push_back(message);
      }
      return found.size() >= count;
    });
    return found;
  }

  bool logged(const std::string& part) {
    return wait_until([&] {
      for (const std::string& line : logs) {
        if (line.find(part) != std::string::npos) return true;
      }
      return false;
    });
  }

  std::string all_logs() {
    std::lock_guard lock(mutex);
    std::string text;
    for (const std::string& line : logs) text += line + "\n";
    return text;
  }
};

thp_plugin_entry_fn load_entry() {
  void* library = dlopen(ALLIANCE_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  REQUIRE_MESSAGE(library != nullptr, dlerror());
  auto entry = reinterpret_cast<thp_plugin_entry_fn>(dlsym(library, THP_ENTRY_SYMBOL));
  REQUIRE(static_cast<bool>(entry));
  return entry;  // never unloaded, as hosts do
}

// The built plugin started against a RecordingHost, in its own folder.
struct RunningPlugin {
  TemporaryFolder folder;
  RecordingHost host;
  thp_host_api table = host.table();
  thp_plugin_api api{};

  RunningPlugin() {
    const std::string configuration =
        R"({"log_level": "debug", "store": {"path": ")" + (folder.path() / "alliance.db").string() +
        R"(", "key_file": ")" + alliance::testing::write_key_file(folder.path()).string() +
        R"("}, "measures": {"questionnaire_folder": ")" ALLIANCE_QUESTIONNAIRE_DIR R"("}})";
    api.struct_size = sizeof api;
    char error[2048] = "";
    const std::string origin;
    REQUIRE_MESSAGE(load_entry()(&table, view(configuration), view(origin), &api, error, sizeof error) == THP_OK,
                    error);
  }
  ~RunningPlugin() {
    if (api.plugin != nullptr) api.shutdown(api.plugin, 5000);
  }
  RunningPlugin(const RunningPlugin&) = delete;
  RunningPlugin& operator=(const RunningPlugin&) = delete;

  // Stops the plugin (its queue drained), so that every log line is in.
  void stop() {
    CHECK(api.shutdown(api.plugin, 5000) == THP_OK);
    api.plugin = nullptr;
  }
};

// One session's data, as a host lays it out: strings it owns, views into them.
struct HostSession {
  struct Person {
    std::string id;
    thp_participant_role role;
    std::string name;
    std::string reference;
    std::string birth_date;
  };
  std::string session_id;
  std::vector<Person> people;
  std::vector<thp_participant> participants;
  std::vector<const thp_participant*> pointers;
  thp_session session{};

  HostSession(std::string id, std::vector<Person> list) : session_id(std::move(id)), people(std::move(list)) {
    for (const Person& person : people) {
      thp_participant participant{};
      participant.struct_size = sizeof participant;
      participant.participant_id = view(person.id);
      participant.role = person.role;
      participant.display_name = view(person.name);
      participant.age_years = -1;
      participant.birth_date = view(person.birth_date);
      participant.fhir_reference = view(person.reference);
      participants.push_back(participant);
    }
    for (const thp_participant& participant : participants) pointers.push_back(&participant);
    session.struct_size = sizeof session;
    session.session_id = view(session_id);
    session.appointment_kind = THP_APPOINTMENT_INDIVIDUAL;
    session.medium = THP_MEDIUM_VIDEO;
    session.participants = pointers.data();
    session.participant_count = pointers.size();
  }
  HostSession(const HostSession&) = delete;
  HostSession& operator=(const HostSession&) = delete;
};

std::string submit(const char* measure, const std::vector<std::string>& link_ids, double mark) {
  json answers = json::object();
  for (const std::string& link_id : link_ids) answers[link_id] = mark;
  return json({{"type", "submit"}, {"measure", measure}, {"answers", answers}}).dump();
}

const std::vector<std::string> kOutcomeItems = {"ors-individually", "ors-interpersonally", "ors-socially",
                                                "ors-overall"};
const std::vector<std::string> kSessionItems = {"srs-relationship", "srs-goals-and-topics", "srs-approach-or-method",
                                                "srs-overall"};

// A whole session through the hooks: the client answers both measures, every panel is
// closed by the host. Returns the therapist's result messages.
std::vector<json> run_whole_session(RunningPlugin& plugin, HostSession& session, const std::string& client,
                                    const std::string& therapist) {
  const thp_plugin_api& api = plugin.api;
  REQUIRE(api.session_started(api.plugin, &session.session) == THP_OK);
  const thp_panel_id outcome = plugin.host.panel_of(client, "Outcome Rating");
  const thp_panel_id summary = plugin.host.panel_of(therapist, "Alliance");
  REQUIRE(outcome != 0);
  REQUIRE(summary != 0);
  const std::string answers = submit("ORS", kOutcomeItems, 6.0);
  CHECK(api.panel_message(api.plugin, outcome, view(answers)) == THP_OK);
  CHECK(plugin.host.messages(outcome, "saved").size() == 1);
  CHECK(api.session_ended(api.plugin, view(session.session_id)) == THP_OK);
  const thp_panel_id rating = plugin.host.panel_of(client, "Session Rating");
  REQUIRE(rating != 0);
  const std::string rated = submit("SRS", kSessionItems, 9.5);
  CHECK(api.panel_message(api.plugin, rating, view(rated)) == THP_OK);
  const std::vector<json> results = plugin.host.messages(summary, "result", 2);
  for (thp_panel_id panel : {outcome, rating, summary}) {
    CHECK(api.panel_closed(api.plugin, panel, THP_PANEL_SUBMITTED) == THP_OK);
  }
  return results;
}

}  // namespace

TEST_SUITE("host_boundary") {
  // Issue 12, defect 6: session_started returned OK, then no panel ever opened (a JSON
  // dump threw on the name), the session was never cleaned up and no result came.
  TEST_CASE("a display name that is not UTF-8 still gets both measures to the therapist and the session ends") {
    RunningPlugin plugin;
    HostSession session("visit-utf8", {{"client-1", THP_ROLE_CLIENT, "Jos\xe9 \xff\xfe", "Patient/p-utf8", ""},
                                       {"therapist-1", THP_ROLE_CLINICIAN, "Dr \xc3\x28", "", ""}});
    const std::vector<json> results = run_whole_session(plugin, session, "client-1", "therapist-1");
    REQUIRE(results.size() == 2);
    CHECK(results[0]["measure"] == "ORS");
    CHECK(results[0]["total"] == 24.0);
    CHECK(results[0]["client"] == "Jos\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd");
    CHECK(results[1]["measure"] == "SRS");
    CHECK(plugin.host.logged("event=session_finished"));
    CHECK(plugin.host.logged("field=display_name"));
    plugin.stop();
    const std::string logs = plugin.host.all_logs();
    CHECK(logs.find("outcome=failed") == std::string::npos);
    CHECK(logs.find("Jos") == std::string::npos);
  }

  TEST_CASE("an identifier that is not UTF-8 is refused by every hook that takes one, naming the field") {
    RunningPlugin plugin;
    const thp_plugin_api& api = plugin.api;
    const std::string bad = "visit-\xff";
    HostSession session(bad, {{"client-1", THP_ROLE_CLIENT, "Ana", "", ""}});
    CHECK(api.session_started(api.plugin, &session.session) == THP_ERROR_INVALID_ARGUMENT);
    HostSession bad_participant("visit-2", {{"client-\xc0\x80", THP_ROLE_CLIENT, "Ana", "", ""}});
    CHECK(api.session_started(api.plugin, &bad_participant.session) == THP_ERROR_INVALID_ARGUMENT);
    CHECK(api.session_ended(api.plugin, view(bad)) == THP_ERROR_INVALID_ARGUMENT);
    CHECK(api.participant_joined(api.plugin, view(bad), session.pointers[0]) == THP_ERROR_INVALID_ARGUMENT);
    CHECK(api.participant_left(api.plugin, view(bad), view(session.people[0].id)) == THP_ERROR_INVALID_ARGUMENT);
    plugin.stop();
    const std::string logs = plugin.host.all_logs();
    CHECK(logs.find("session_id is not valid UTF-8") != std::string::npos);
    CHECK(logs.find("participant_id is not valid UTF-8") != std::string::npos);
  }

  // Issue 12: one bad optional field refused the whole session_started: no ORS at all.
  TEST_CASE("a malformed birth date or an over-long display name still gets the ORS and a log line naming the field") {
    RunningPlugin plugin;
    const thp_plugin_api& api = plugin.api;
    const std::string long_name = "Zelda " + std::string(kTextLimit, 'q');
    HostSession session("visit-lenient", {{"client-1", THP_ROLE_CLIENT, long_name, "Patient/p-9", "31/12/1990"},
                                          {"therapist-1", THP_ROLE_CLINICIAN, "Dr Who", "", ""}});
    REQUIRE(api.session_started(api.plugin, &session.session) == THP_OK);
    const thp_panel_id outcome = plugin.host.panel_of("client-1", "Outcome Rating");
    REQUIRE(outcome != 0);
    const std::string answers = submit("ORS", kOutcomeItems, 5.0);
    CHECK(api.panel_message(api.plugin, outcome, view(answers)) == THP_OK);
    const std::vector<json> results = plugin.host.messages(plugin.host.panel_of("therapist-1", "Alliance"), "result");
    REQUIRE(results.size() == 1);
    CHECK(results[0]["client"].get<std::string>().size() <= kTextLimit + 32);
    plugin.stop();
    const std::string logs = plugin.host.all_logs();
    CHECK(logs.find("field=birth_date") != std::string::npos);
    CHECK(logs.find("field=display_name") != std::string::npos);
    CHECK(logs.find("31/12") == std::string::npos);
    CHECK(logs.find("Zelda") == std::string::npos);
    CHECK(logs.find("qqqq") == std::string::npos);
  }

  TEST_CASE("each hook returns the status the header gives for ids the plugin does not know") {
    RunningPlugin plugin;
    const thp_plugin_api& api = plugin.api;
    const std::string unknown = "never-started";
    HostSession late("never-started", {{"client-1", THP_ROLE_CLIENT, "Ana", "", ""}});
    CHECK(api.session_ended(api.plugin, view(unknown)) == THP_OK);
    CHECK(api.participant_joined(api.plugin, view(unknown), late.pointers[0]) == THP_OK);
    CHECK(api.participant_left(api.plugin, view(unknown), view(late.people[0].id)) == THP_OK);
    const std::string message = R"({"type":"decline","measure":"ORS"})";
    CHECK(api.panel_message(api.plugin, 4242, view(message)) == THP_OK);
    CHECK(api.panel_closed(api.plugin, 4242, THP_PANEL_DISMISSED) == THP_OK);
    // A known session, an unknown participant; and a repeated start.
    HostSession known("visit-known", {{"client-1", THP_ROLE_CLIENT, "Ana", "", ""}});
    CHECK(api.session_started(api.plugin, &known.session) == THP_OK);
    CHECK(api.session_started(api.plugin, &known.session) == THP_OK);
    const std::string stranger = "stranger";
    CHECK(api.participant_left(api.plugin, view(known.session_id), view(stranger)) == THP_OK);
    // Malformed arguments are errors of the call, whatever the plugin knows.
    const std::string too_long(kIdentifierLimit + 1, 's');
    const std::string longest(kIdentifierLimit, 's');
    CHECK(api.session_ended(api.plugin, view(too_long)) == THP_ERROR_INVALID_ARGUMENT);
    CHECK(api.session_ended(api.plugin, view(longest)) == THP_OK);
    CHECK(api.session_ended(api.plugin, thp_str{nullptr, 0}) == THP_ERROR_INVALID_ARGUMENT);
    CHECK(api.panel_message(api.plugin, 4242, thp_str{nullptr, 5}) == THP_ERROR_INVALID_ARGUMENT);
    plugin.stop();
    const std::string logs = plugin.host.all_logs();
    for (const char* line : {"event=session_ended outcome=ignored reason=unknown_session",
                             "event=participant_joined outcome=ignored reason=unknown_session",
                             "event=participant_left outcome=ignored reason=unknown_session",
                             "event=panel_message outcome=ignored", "event=panel_closed outcome=ignored",
                             "event=session_started outcome=ignored reason=duplicate_start",
                             "event=participant_left outcome=ignored reason=unknown_participant"}) {
      CAPTURE(line);
      CHECK(logs.find(line) != std::string::npos);
    }
  }
}
