// Cancelling and shutting down with requests in flight: every pending request ends
// exactly once (or, after destruction, never), and nothing is used after it is freed
// (these tests are meant for the ASan build).
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "client_runner.hpp"
#include "client/https_client.hpp"
#include "test_server.hpp"

using namespace alliance::fhir;
using namespace alliance::fhir::testing;
using namespace std::chrono_literals;

namespace {

// Results collected from callbacks on the client's thread.
struct Collected {
  std::mutex mutex;
  std::vector<HttpResult> results;

  HttpsClient::Callback callback() {
    return [this](HttpResult result) {
      std::lock_guard<std::mutex> lock(mutex);
      results.push_back(std::move(result));
    };
  }
  std::size_t count() {
    std::lock_guard<std::mutex> lock(mutex);
    return results.size();
  }
};

TestServerOptions silent_server() {
  TestServerOptions options;
  options.behaviour = ServerBehaviour::never_answer;
  return options;
}

}  // namespace

TEST_SUITE("fhir_client") {
  TEST_CASE("cancel_all completes the request in flight and the queued ones with cancelled") {
    TestServer server(silent_server());
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    Collected collected;
    creation.client->send(get_request("first"), collected.callback());
    creation.client->send(get_request("second"), collected.callback());
    REQUIRE(wait_until([&] { return server.requests().size() == 1; }));
    creation.client->cancel_all();
    REQUIRE(wait_until([&] { return collected.count() == 2; }, 1s));
    std::lock_guard<std::mutex> lock(collected.mutex);
    for (const HttpResult& result : collected.results) {
      CHECK(result.error == HttpErrorKind::cancelled);
      CHECK(result.message == "the request was cancelled");
    }
  }

  TEST_CASE("the client keeps working after cancel_all") {
    TestServer server(TestServerOptions{});
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    creation.client->cancel_all();
    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CHECK_MESSAGE(result->ok(), result->message);
  }

  TEST_CASE("destroying the client with a request in flight never calls its callback") {
    TestServer server(silent_server());
    ClientThread thread;
    auto called = std::make_shared<std::atomic<bool>>(false);
    {
      HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
      REQUIRE_MESSAGE(creation.client, creation.error);
      creation.client->send(get_request(), [called](const HttpResult&) { *called = true; });
      creation.client->send(get_request("queued"), [called](const HttpResult&) { *called = true; });
      REQUIRE(wait_until([&] { return server.requests().size() == 1; }));
    }
    std::this_thread::sleep_for(100ms);
    CHECK_FALSE(*called);
  }

  TEST_CASE("destroying the client right after send from another thread is safe") {
    TestServer server(TestServerOptions{});
    ClientThread thread;
    for (int round = 0; round < 20; ++round) {
      HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
      REQUIRE_MESSAGE(creation.client, creation.error);
      creation.client->send(get_request(), [](const HttpResult&) {});
      if (round % 2 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(round));
    }
  }

  TEST_CASE("stopping the io_context and then destroying the client with a request in flight is safe") {
    TestServer server(silent_server());
    auto called = std::make_shared<std::atomic<bool>>(false);
    {
      ClientThread thread;
      HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
      REQUIRE_MESSAGE(creation.client, creation.error);
      creation.client->send(get_request(), [called](const HttpResult&) { *called = true; });
      creation.client->send(get_request("queued"), [called](const HttpResult&) { *called = true; });
      REQUIRE(wait_until([&] { return server.requests().size() == 1; }));
      // The plugin's shutdown order: stop the worker, then destroy what used it, and
      // the io_context last.
      thread.stop();
      creation.client.reset();
    }
    CHECK_FALSE(*called);
  }

  TEST_CASE("a callback may destroy the client that called it") {
    TestServer server(TestServerOptions{});
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    auto second_called = std::make_shared<std::atomic<bool>>(false);
    auto first_done = std::make_shared<std::atomic<bool>>(false);
    std::unique_ptr<HttpsClient>& client = creation.client;
    client->send(get_request(), [&client, first_done](const HttpResult&) {
      client.reset();
      *first_done = true;
    });
    client->send(get_request("second"), [second_called](const HttpResult&) { *second_called = true; });
    REQUIRE(wait_until([&] { return first_done->load(); }));
    std::this_thread::sleep_for(100ms);
    CHECK_FALSE(*second_called);
  }
}
