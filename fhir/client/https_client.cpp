#include "client/https_client.hpp"

#include <cstdint>
#include <exception>
#include <limits>

#include "client/base_url.hpp"
#include "client/dispatcher.hpp"
#include "client/tls_context.hpp"

namespace alliance::fhir {

struct HttpsClient::Implementation {
  std::shared_ptr<detail::Dispatcher> dispatcher;  // shared with the handlers of pending work
};

namespace {

bool check_limits(const HttpsClientSettings& settings, std::string& error) {
  const HttpsTimeouts& timeouts = settings.timeouts;
  for (const auto timeout : {timeouts.resolve, timeouts.connect, timeouts.tls_handshake, timeouts.write, timeouts.read}) {
    if (timeout.count() <= 0) {
      error = "every HTTPS timeout (resolve, connect, tls_handshake, write, read) must be longer than 0 ms";
      return false;
    }
  }
  if (timeouts.idle_connection.count() < 0) {
    error = "the idle connection time must not be negative";
    return false;
  }
  if (settings.response_limit_bytes == 0) {
    error = "response_limit_bytes must be more than 0";
    return false;
  }
  if (settings.header_limit_bytes == 0 || settings.header_limit_bytes > std::numeric_limits<std::uint32_t>::max()) {
    error = "header_limit_bytes must be more than 0 and less than 4 GiB";
    return false;
  }
  return true;
}

}  // namespace

const char* to_string(HttpErrorKind kind) {
  switch (kind) {
    case HttpErrorKind::none: return "none";
    case HttpErrorKind::invalid_url: return "invalid_url";
    case HttpErrorKind::invalid_request: return "invalid_request";
    case HttpErrorKind::resolve: return "resolve";
    case HttpErrorKind::connect: return "connect";
    case HttpErrorKind::tls_handshake: return "tls_handshake";
    case HttpErrorKind::certificate_rejected: return "certificate_rejected";
    case HttpErrorKind::write: return "write";
    case HttpErrorKind::read: return "read";
    case HttpErrorKind::timeout: return "timeout";
    case HttpErrorKind::response_too_large: return "response_too_large";
    case HttpErrorKind::protocol: return "protocol";
    case HttpErrorKind::cancelled: return "cancelled";
    case HttpErrorKind::proxy: return "proxy";
  }
  return "unknown";
}

HttpsClientCreation HttpsClient::create(void* io_context, const HttpsClientSettings& settings) {
  HttpsClientCreation creation;
  try {
    if (io_context == nullptr) {
      creation.error = "the HTTPS client needs the worker's io_context";
      return creation;
    }
    std::optional<detail::BaseUrl> base_url = detail::parse_base_url(settings.base_url, creation.error);
    if (!base_url || !check_limits(settings, creation.error)) return creation;
    std::optional<detail::ProxyUrl> proxy;
    if (!settings.proxy_url.empty()) {
      proxy = detail::parse_proxy_url(settings.proxy_url, settings.proxy_username, settings.proxy_password,
                                      creation.error);
      if (!proxy) return creation;
    } else if (!settings.proxy_username.empty() || !settings.proxy_password.empty()) {
      creation.error = "proxy_username or proxy_password is set but proxy_url is not";
      return creation;
    }

    auto tls = detail::make_tls_context(
        {settings.ca_file, settings.client_certificate_file, settings.client_key_file}, creation.error);
    if (!tls) return creation;

    detail::ConnectionSettings connection{std::move(*base_url), std::move(proxy), settings.timeouts,
                                          settings.response_limit_bytes, settings.header_limit_bytes};
    auto implementation = std::make_unique<Implementation>();
    implementation->dispatcher = std::make_shared<detail::Dispatcher>(
        *static_cast<boost::asio::io_context*>(io_context), std::move(connection), std::move(tls));
    creation.client.reset(new HttpsClient(std::move(implementation)));
  } catch (const std::exception& failure) {
    creation.client.reset();
    creation.error = std::string("could not set up the HTTPS client: ") + failure.what();
  }
  return creation;
}

HttpsClient::HttpsClient(std::unique_ptr<Implementation> implementation) : implementation_(std::move(implementation)) {}

HttpsClient::~HttpsClient() { implementation_->dispatcher->close(); }

void HttpsClient::send(HttpRequest request, Callback callback) {
  implementation_->dispatcher->send(std::move(request), std::move(callback));
}

void HttpsClient::cancel_all() { implementation_->dispatcher->cancel_all(); }

}  // namespace alliance::fhir
