// The client side of the FHIR client's tests: an io_context on its own thread, as the
// plugin's worker runs one, and helpers to make a client and wait for a result.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "client/https_client.hpp"
#include "support/io_thread.hpp"

namespace alliance::fhir::testing {

// An io_context on a thread of its own (support/io_thread.hpp).
using ClientThread = alliance::testing::IoThread;

// https://<host>:<port>/fhir/R4, trusting ca.pem, timeouts of 2 s.
HttpsClientSettings settings_for(unsigned short port, const std::string& host = "localhost");

// Sends and waits for the callback for at most `limit`; nothing if it did not come.
std::optional<HttpResult> send_and_wait(HttpsClient& client, HttpRequest request,
                                        std::chrono::milliseconds limit = std::chrono::seconds(10));

// Polls `condition` until it holds or `limit` passes; returns whether it held.
template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds(5));

HttpRequest get_request(const std::string& target = "metadata");

// What create() says when it refuses `settings`; kNotRefused when it created a client.
inline constexpr const char* kNotRefused = "(not refused: a client was created)";
std::string creation_error(const HttpsClientSettings& settings);

}  // namespace alliance::fhir::testing

#include <thread>

template <class Condition>
bool alliance::fhir::testing::wait_until(Condition condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}
