// host-sim --serve with the real plugin: the pages it serves, the WebSocket bridge
// between a participant's panels and the plugin, who may speak for which panel, and a
// clean stop on SIGTERM. Each test starts host-sim as a child process on a free port.
#include "host_sim_process.hpp"
#include "support/files.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

extern char** environ;

using namespace host_sim_test;
using nlohmann::json;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr auto message_wait = std::chrono::seconds(5);

using alliance::testing::read_file;

// A plugin configuration without a FHIR server, with a fresh store key.
std::filesystem::path write_configuration() {
  std::filesystem::path configuration = output_path("live-alliance.json");
  std::filesystem::path key_file = output_path("live-store.key");
  unsigned char key[32];
  REQUIRE(RAND_bytes(key, sizeof key) == 1);
  unsigned char encoded[64] = {};
  EVP_EncodeBlock(encoded, key, sizeof key);
  std::ofstream(key_file) << encoded << "\n";
  ::chmod(key_file.c_str(), 0600);
  json settings = {
      {"store", {{"path", configuration.stem().string() + "-state/alliance.db"}, {"key_file", key_file.string()}}},
      {"measures", {{"questionnaire_folder", ALLIANCE_QUESTIONNAIRE_DIR}}},
      {"log_level", "debug"}};
  std::ofstream(configuration) << settings.dump(2);
  return configuration;
}

// host-sim --serve as a child process, with the URLs it printed.
class LiveHostSim {
 public:
  explicit LiveHostSim(std::vector<std::string> extra_arguments = {}) {
    stdout_path_ = output_path("live-stdout.txt");
    stderr_path_ = output_path("live-stderr.txt");
    record_path = output_path("live-record.json");
    std::vector<std::string> words{HOST_SIM_PATH,
                                   "--plugin",
                                   ALLIANCE_PLUGIN_PATH,
                                   "--config",
                                   write_configuration().string(),
                                   "--serve",
                                   std::string(ALLIANCE_SCENARIO_DIR) + "/demo_live.json",
                                   "--record",
                                   record_path.string()};
    words.insert(words.end(), extra_arguments.begin(), extra_arguments.end());
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int spawn_error = posix_spawn(&child_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(spawn_error == 0);
    wait_until_ready();
  }
  ~LiveHostSim() {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      int ignored = 0;
      ::waitpid(child_, &ignored, 0);
    }
  }
  LiveHostSim(const LiveHostSim&) = delete;
  LiveHostSim& operator=(const LiveHostSim&) = delete;

  // Sends SIGTERM and returns the exit status (-1 when it did not exit by itself).
  int terminate() {
    ::kill(child_, SIGTERM);
    int wait_status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (::waitpid(child_, &wait_status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    child_ = 0;
    return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  }

  std::string output() const { return read_file(stdout_path_) + read_file(stderr_path_); }

  std::uint16_t port = 0;
  std::string ready_url;
  std::map<std::string, std::string> page_urls;  // participant id -> URL
  std::map<std::string, std::string> roles;      // participant id -> role
  std::filesystem::path record_path;

 private:
  void wait_until_ready() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      std::istringstream lines(read_file(stdout_path_));
      std::string line;
      while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string first;
        words >> first;
        if (first == "page") {
          std::string participant, role, url;
          words >> participant >> role >> url;
          page_urls[participant] = url;
          roles[participant] = role;
        } else if (first == "ready") {
          words >> ready_url;
          std::string prefix = "http://127.0.0.1:";
          REQUIRE(ready_url.starts_with(prefix));
          port = static_cast<std::uint16_t>(std::stoi(ready_url.substr(prefix.size())));
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL("host-sim --serve did not print its ready line: " << output());
  }

  pid_t child_ = 0;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
};

http::response<http::string_body> get(std::uint16_t port, const std::string& target,
                                      const std::string& host_name = "",
                                      const std::string& address = "127.0.0.1") {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address(address), port));
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host,
              host_name.empty() ? "127.0.0.1:" + std::to_string(port) : host_name);
  request.keep_alive(false);
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return response;
}

std::string path_of(const std::string& url) {
  return url.substr(url.find('/', std::string("http://").size()));
}

// The "?key=..." of a page URL host-sim printed (empty when it has none).
std::string key_query_of(const std::string& url) {
  std::size_t query = url.find('?');
  return query == std::string::npos ? "" : url.substr(query);
}

// The path of a page URL without its query.
std::string bare_path_of(const std::string& url) {
  std::string path = path_of(url);
  return path.substr(0, path.find('?'));
}

// Tries to open a WebSocket at `target` as a program would (no Origin unless one is
// given) and returns the status host-sim answered: 101 when it accepted.
unsigned try_websocket(std::uint16_t port, const std::string& target, const std::string& origin = "",
                       const std::string& address = "127.0.0.1", const std::string& host_name = "") {
  asio::io_context io;
  websocket::stream<tcp::socket> socket(io);
  socket.next_layer().connect(tcp::endpoint(asio::ip::make_address(address), port));
  if (!origin.empty()) {
    socket.set_option(websocket::stream_base::decorator(
        [origin](websocket::request_type& request) { request.set(http::field::origin, origin); }));
  }
  websocket::response_type response;
  beast::error_code failure;
  socket.handshake(response, host_name.empty() ? "127.0.0.1:" + std::to_string(port) : host_name,
                   target, failure);
  return response.result_int();
}

// One page's WebSocket, as a program rather than a browser: it sends what the bridge
// script sends and reads what the page would receive.
class PageClient {
 public:
  PageClient(std::uint16_t port, const std::string& socket_path) : socket_(io_) {
    tcp::socket& raw = beast::get_lowest_layer(socket_);
    raw.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    socket_.handshake("127.0.0.1:" + std::to_string(port), socket_path);
  }

  void send(const json& message) { socket_.write(asio::buffer(message.dump())); }

  // The next message, or nothing within `limit`.
  std::optional<json> next(std::chrono::milliseconds limit) {
    bool done = false;
    beast::error_code failure;
    beast::flat_buffer buffer;
    socket_.async_read(buffer, [&](beast::error_code error, std::size_t) {
      done = true;
      failure = error;
    });
    io_.restart();
    io_.run_for(limit);
    if (!done) {
      beast::get_lowest_layer(socket_).cancel();
      io_.restart();
      io_.run();
      return std::nullopt;
    }
    if (failure) return std::nullopt;
    return json::parse(beast::buffers_to_string(buffer.data()));
  }

  // Reads until a message matching `wanted` arrives; every message read is kept.
  std::optional<json> wait_for(const std::function<bool(const json&)>& wanted) {
    auto deadline = std::chrono::steady_clock::now() + message_wait;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      std::optional<json> message = next(left);
      if (!message) return std::nullopt;
      received.push_back(*message);
      if (wanted(*message)) return message;
    }
    return std::nullopt;
  }

  std::vector<json> received;

 private:
  asio::io_context io_;
  websocket::stream<tcp::socket> socket_;
};

std::string socket_path_of(const std::string& page_url) {
  std::string path = path_of(page_url);
  return "/ws/" + path.substr(std::string("/session/").size());
}

auto of_type(const std::string& type) {
  return [type](const json& message) { return message.value("type", "") == type; };
}

auto panel_titled(const std::string& title_part) {
  return [title_part](const json& message) {
    return message.value("type", "") == "panel_open" &&
           message.value("title", "").find(title_part) != std::string::npos;
  };
}

auto post_of_type(std::uint64_t panel_id, const std::string& type) {
  return [panel_id, type](const json& message) {
    if (message.value("type", "") != "panel_post" || message.value("panel_id", 0u) != panel_id) {
      return false;
    }
    json text = json::parse(message.value("text", ""), nullptr, false);
    return text.is_object() && text.value("type", "") == type;
  };
}

}  // namespace

TEST_SUITE("host_sim") {
  TEST_CASE("live mode prints a page per participant and serves each with its own policy") {
    LiveHostSim host_sim;
    INFO(host_sim.output());
    REQUIRE(host_sim.page_urls.size() == 2);
    CHECK(host_sim.roles.at("client-alex") == "client");
    CHECK(host_sim.roles.at("clinician-kim") == "clinician");
    std::string origin = "http://127.0.0.1:" + std::to_string(host_sim.port);
    CHECK(host_sim.page_urls.at("clinician-kim").starts_with(origin + "/session/visit-live/clinician-kim?key="));
    CHECK(host_sim.ready_url == origin + "/");

    auto index = get(host_sim.port, "/");
    CHECK(index.result() == http::status::ok);

    auto clinician = get(host_sim.port, path_of(host_sim.page_urls.at("clinician-kim")));
    REQUIRE(clinician.result() == http::status::ok);
    std::string policy(clinician["Content-Security-Policy"]);
    CHECK(policy.find("default-src 'none'") != std::string::npos);
    CHECK(policy.find("script-src 'nonce-") != std::string::npos);
    CHECK(policy.find("connect-src ws://127.0.0.1:" + std::to_string(host_sim.port)) !=
          std::string::npos);
    CHECK(clinician.body().find("id=\"start-session\"") != std::string::npos);
    CHECK(clinician.body().find("id=\"end-session\"") != std::string::npos);
    CHECK(clinician.body().find("Dr. Jordan Kim") != std::string::npos);

    auto client = get(host_sim.port, path_of(host_sim.page_urls.at("client-alex")));
    REQUIRE(client.result() == http::status::ok);
    CHECK(client.body().find("id=\"start-session\"") == std::string::npos);
    CHECK(client.body().find("id=\"leave\"") != std::string::npos);

    // Laid out at a phone's own width, not a desktop's shrunk.
    const std::string viewport =
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
    CHECK(index.body().find(viewport) != std::string::npos);
    CHECK(clinician.body().find(viewport) != std::string::npos);
    CHECK(client.body().find(viewport) != std::string::npos);

    // The standby frame's empty document: the participant's key only, a panel's policy.
    const std::string client_key = key_query_of(host_sim.page_urls.at("client-alex"));
    CHECK(client.body().find("data-standby-url=\"/panel/visit-live/client-alex/standby\"") !=
          std::string::npos);
    auto standby = get(host_sim.port, "/panel/visit-live/client-alex/standby" + client_key);
    CHECK(standby.result() == http::status::ok);
    CHECK(std::string(standby["Content-Security-Policy"]).starts_with("sandbox allow-scripts"));
    CHECK(standby.body().find("<script") == std::string::npos);
    CHECK(get(host_sim.port, "/panel/visit-live/client-alex/standby").result() ==
          http::status::forbidden);
    CHECK(get(host_sim.port, "/panel/visit-live/clinician-kim/standby" + client_key).result() ==
          http::status::forbidden);

    CHECK(get(host_sim.port, "/session/visit-live/nobody").result() == http::status::not_found);
    // Another site's name for loopback (DNS rebinding) is not served.
    CHECK(get(host_sim.port, "/", "evil.example:" + std::to_string(host_sim.port)).result() ==
          http::status::misdirected_request);

    CHECK(host_sim.terminate() == 0);
  }

  TEST_CASE("live mode with --trace-timing prints each step from the start to the panel's document") {
    LiveHostSim host_sim({"--trace-timing"});
    PageClient clinician(host_sim.port, socket_path_of(host_sim.page_urls.at("clinician-kim")));
    PageClient client(host_sim.port, socket_path_of(host_sim.page_urls.at("client-alex")));
    REQUIRE(clinician.wait_for(of_type("session_state")));
    REQUIRE(client.wait_for(of_type("session_state")));
    clinician.send({{"type", "start_session"}});
    std::optional<json> ors = client.wait_for(panel_titled("Outcome Rating"));
    REQUIRE(ors);
    const std::string client_key = key_query_of(host_sim.page_urls.at("client-alex"));
    REQUIRE(get(host_sim.port, ors->at("src").get<std::string>() + client_key).result() ==
            http::status::ok);
    REQUIRE(host_sim.terminate() == 0);
    INFO(host_sim.output());

    // "timing <event> <microseconds since the epoch>", in the order they happened.
    const std::vector<std::string> steps{"start_session_received", "session_started_returned",
                                         "panel_open_written.client",
                                         "panel_document_requested.client",
                                         "panel_document_written.client"};
    std::map<std::string, long long> seen;
    std::istringstream lines(host_sim.output());
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string first, event;
      long long micros = 0;
      if (!(words >> first >> event >> micros) || first != "timing") continue;
      seen.emplace(event, micros);
    }
    const long long now = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    long long before = 0;
    for (const std::string& step : steps) {
      INFO(step);
      REQUIRE(seen.count(step) == 1);
      CHECK(seen.at(step) >= before);
      CHECK(seen.at(step) <= now);
      CHECK(seen.at(step) > now - 60'000'000);
      before = seen.at(step);
    }
  }

  TEST_CASE("a client's ORS goes from their page to the plugin and the result to the clinician's page") {
    LiveHostSim host_sim;
    INFO(host_sim.output());
    PageClient clinician(host_sim.port, socket_path_of(host_sim.page_urls.at("clinician-kim")));
    PageClient client(host_sim.port, socket_path_of(host_sim.page_urls.at("client-alex")));
    REQUIRE(clinician.wait_for(of_type("session_state")));
    REQUIRE(client.wait_for(of_type("session_state")));

    // Only a clinician starts the session.
    client.send({{"type", "start_session"}});
    REQUIRE(client.wait_for(of_type("refused")));

    clinician.send({{"type", "start_session"}});
    std::optional<json> ors = client.wait_for(panel_titled("Outcome Rating"));
    REQUIRE(ors);
    std::optional<json> alliance = clinician.wait_for(of_type("panel_open"));
    REQUIRE(alliance);
    const auto ors_id = ors->at("panel_id").get<std::uint64_t>();
    const auto alliance_id = alliance->at("panel_id").get<std::uint64_t>();

    // The panel's document is served at the URL the message names, sandboxed; the
    // client's URLs do not reach the clinician's panel.
    const std::string client_key = key_query_of(host_sim.page_urls.at("client-alex"));
    auto document = get(host_sim.port, ors->at("src").get<std::string>() + client_key);
    CHECK(document.result() == http::status::ok);
    CHECK(std::string(document["Content-Security-Policy"]).starts_with("sandbox allow-scripts"));
    CHECK(get(host_sim.port, "/panel/visit-live/client-alex/" + std::to_string(alliance_id) + client_key)
              .result() == http::status::not_found);

    // The client's page cannot speak for the clinician's panel.
    json forged = {{"type", "panel_message"},
                   {"panel_id", alliance_id},
                   {"text", R"({"type":"submit","measure":"ORS","answers":{}})"}};
    client.send(forged);
    std::optional<json> refused = client.wait_for(of_type("refused"));
    REQUIRE(refused);
    CHECK(refused->at("reason").get<std::string>().find("not one of this participant's panels") !=
          std::string::npos);

    json answers = {{"type", "submit"},
                    {"measure", "ORS"},
                    {"answers",
                     {{"ors-individually", 6.3},
                      {"ors-interpersonally", 7.1},
                      {"ors-socially", 5.8},
                      {"ors-overall", 9.9}}}};
    client.send({{"type", "panel_message"}, {"panel_id", ors_id}, {"text", answers.dump()}});
    CHECK(client.wait_for(post_of_type(ors_id, "saved")));
    CHECK(clinician.wait_for(post_of_type(alliance_id, "result")));

    // A reloaded page gets its still-open panels again, with what was posted to them.
    PageClient clinician_again(host_sim.port,
                               socket_path_of(host_sim.page_urls.at("clinician-kim")));
    CHECK(clinician_again.wait_for([&](const json& message) {
      return message.value("type", "") == "panel_open" &&
             message.value("panel_id", 0u) == alliance_id;
    }));
    CHECK(clinician_again.wait_for(post_of_type(alliance_id, "result")));

    // Leaving closes the client's open panels, reported as participant_left.
    client.send({{"type", "leave"}});
    CHECK(client.wait_for([&](const json& message) {
      return message.value("type", "") == "session_state" && message.value("present", true) == false;
    }));

    REQUIRE(host_sim.terminate() == 0);
    json record = read_json(host_sim.record_path);
    CHECK(record.at("failures").empty());
    const json& alliance_panel = record.at("panels").at(alliance_id - 1);
    CHECK(alliance_panel.at("participant_id") == "clinician-kim");
    CHECK(alliance_panel.at("from_panel").empty());
    const json& ors_panel = record.at("panels").at(ors_id - 1);
    CHECK(ors_panel.at("from_panel") == json::array({answers.dump()}));
    bool left_hook_called = false;
    for (const json& call : record.at("hook_calls")) {
      if (call.at("hook") == "participant_left") left_hook_called = true;
    }
    CHECK(left_hook_called);
  }

  TEST_CASE("live mode serves a page, its panels and its WebSocket only to the holder of that participant's key") {
    LiveHostSim host_sim;
    INFO(host_sim.output());
    const std::string therapist_socket = "/ws/visit-live/clinician-kim";
    const std::string origin = "http://127.0.0.1:" + std::to_string(host_sim.port);

    // Any local process could open the therapist's WebSocket, start the session and
    // read the client's result: without the therapist's own key it is refused.
    CHECK(try_websocket(host_sim.port, therapist_socket) == 403);
    CHECK(try_websocket(host_sim.port, therapist_socket, origin) == 403);
    CHECK(try_websocket(host_sim.port, therapist_socket + "?key=") == 403);

    REQUIRE(host_sim.page_urls.size() == 2);
    const std::string therapist_url = host_sim.page_urls.at("clinician-kim");
    const std::string client_url = host_sim.page_urls.at("client-alex");
    const std::string therapist_key = key_query_of(therapist_url);
    const std::string client_key = key_query_of(client_url);
    // Each printed page URL carries a key of its own: 32 random bytes in hex.
    REQUIRE(therapist_key.size() == std::string("?key=").size() + 64);
    REQUIRE(client_key.size() == therapist_key.size());
    CHECK(therapist_key != client_key);
    std::string wrong_key = therapist_key;
    wrong_key.back() = wrong_key.back() == '0' ? '1' : '0';

    CHECK(try_websocket(host_sim.port, therapist_socket + wrong_key) == 403);
    CHECK(try_websocket(host_sim.port, therapist_socket + client_key, origin) == 403);
    // Two keys are not guessed between (nor anything else in the query): the address
    // itself is refused, before any key is looked at.
    CHECK(try_websocket(host_sim.port, therapist_socket + therapist_key + "&key=x") == 400);
    CHECK(try_websocket(host_sim.port, therapist_socket + therapist_key + "&view=all") == 400);
    // The right key from another site's page is refused too.
    CHECK(try_websocket(host_sim.port, therapist_socket + therapist_key, "http://evil.example") == 403);
    CHECK(try_websocket(host_sim.port, therapist_socket + therapist_key, origin) == 101);
    CHECK(try_websocket(host_sim.port, "/ws/visit-live/client-alex" + client_key, origin) == 101);

    // The pages need their key as well, and the index names nobody.
    CHECK(get(host_sim.port, bare_path_of(therapist_url)).result() == http::status::forbidden);
    CHECK(get(host_sim.port, bare_path_of(therapist_url) + client_key).result() ==
          http::status::forbidden);
    CHECK(get(host_sim.port, bare_path_of(therapist_url) + wrong_key).result() ==
          http::status::forbidden);
    CHECK(get(host_sim.port, path_of(therapist_url)).result() == http::status::ok);
    auto index = get(host_sim.port, "/");
    CHECK(index.result() == http::status::ok);
    for (const char* named : {"Alex", "Rivera", "Jordan", "Kim", "client-alex", "clinician-kim"}) {
      CHECK_MESSAGE(index.body().find(named) == std::string::npos, named);
    }

    // The therapist's panel (the client's scores) is served with the therapist's key only.
    PageClient therapist(host_sim.port, socket_path_of(therapist_url));
    REQUIRE(therapist.wait_for(of_type("session_state")));
    therapist.send({{"type", "start_session"}});
    std::optional<json> alliance = therapist.wait_for(of_type("panel_open"));
    REQUIRE(alliance);
    const std::string source = alliance->at("src").get<std::string>();
    CHECK(get(host_sim.port, source).result() == http::status::forbidden);
    CHECK(get(host_sim.port, source + client_key).result() == http::status::forbidden);
    CHECK(get(host_sim.port, source + therapist_key).result() == http::status::ok);

    // The refusals are in the transcript, without any key.
    REQUIRE(host_sim.terminate() == 0);
    const std::string output = host_sim.output();
    CHECK(output.find("refused a WebSocket") != std::string::npos);
    CHECK(output.find(therapist_key.substr(5, 16), output.find("ready ")) == std::string::npos);
  }

  TEST_CASE("live mode answers on both loopbacks, so that localhost works where it names ::1 first") {
    // Debian's /etc/hosts names localhost for 127.0.0.1 and ::1, and a client may try
    // ::1 alone (Node 18 does).
    LiveHostSim host_sim;
    INFO(host_sim.output());
    const std::string port = std::to_string(host_sim.port);
    const std::string therapist_url = host_sim.page_urls.at("clinician-kim");
    const std::string socket_target = socket_path_of(therapist_url);
    CHECK(get(host_sim.port, path_of(therapist_url), "localhost:" + port, "::1").result() ==
          http::status::ok);
    auto page = get(host_sim.port, path_of(therapist_url), "[::1]:" + port, "::1");
    CHECK(page.result() == http::status::ok);
    CHECK(std::string(page["Content-Security-Policy"]).find("connect-src ws://[::1]:" + port) !=
          std::string::npos);
    CHECK(try_websocket(host_sim.port, socket_target, "http://localhost:" + port, "::1",
                        "localhost:" + port) == 101);
    CHECK(try_websocket(host_sim.port, socket_target, "http://[::1]:" + port, "::1", "[::1]:" + port) ==
          101);
    // The Origin must name the host the request names.
    CHECK(try_websocket(host_sim.port, socket_target, "http://127.0.0.1:" + port, "::1",
                        "localhost:" + port) == 403);
    CHECK(host_sim.terminate() == 0);
  }

  TEST_CASE("live mode refuses to listen on anything but loopback") {
    HostSimRun run = run_host_sim({"--plugin", ALLIANCE_PLUGIN_PATH, "--config", "unused.json",
                                   "--serve", "unused.json", "--bind", "0.0.0.0"});
    CHECK(run.exit_status == 2);
    CHECK(run.standard_error.find("loopback") != std::string::npos);
  }
}
