#include "client_runner.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "test_server.hpp"

namespace alliance::fhir::testing {

HttpsClientSettings settings_for(unsigned short port, const std::string& host) {
  HttpsClientSettings settings;
  settings.base_url = "https://" + host + ":" + std::to_string(port) + "/fhir/R4";
  settings.ca_file = certificate_path("ca.pem");
  const std::chrono::milliseconds two_seconds{2000};
  settings.timeouts = {two_seconds, two_seconds, two_seconds, two_seconds, two_seconds, std::chrono::seconds(30)};
  return settings;
}

std::optional<HttpResult> send_and_wait(HttpsClient& client, HttpRequest request, std::chrono::milliseconds limit) {
  auto promise = std::make_shared<std::promise<HttpResult>>();
  std::future<HttpResult> future = promise->get_future();
  client.send(std::move(request), [promise](HttpResult result) { promise->set_value(std::move(result)); });
  if (future.wait_for(limit) != std::future_status::ready) return std::nullopt;
  return future.get();
}

HttpRequest get_request(const std::string& target) {
  HttpRequest request;
  request.method = HttpMethod::get;
  request.target = target;
  return request;
}

std::string creation_error(const HttpsClientSettings& settings) {
  ClientThread thread;
  HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
  return creation.client ? std::string(kNotRefused) : creation.error;
}

}  // namespace alliance::fhir::testing
