#include "client/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <system_error>

#include "client/secret_file.hpp"

namespace alliance::fhir::detail {

namespace ssl = boost::asio::ssl;

namespace {

// A PEM private key (RSA 4096 is about 3.3 KiB); anything far larger is no key.
constexpr std::size_t kClientKeyLimitBytes = 64 * 1024;

// A missing file is the most common mistake; say so plainly rather than through
// OpenSSL's "system library" wording.
bool readable_file(const std::string& path, const char* setting, std::string& error) {
  std::error_code status_error;
  if (!std::filesystem::is_regular_file(path, status_error)) {
    error = std::string(setting) + " " + path + " does not exist or is not a file";
    return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<ssl::context> make_tls_context(const TlsFiles& files, std::string& error) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code failure;

  // TLS 1.0 and 1.1 are broken and forbidden for health data; OpenSSL negotiates 1.3
  // where the server has it.
  if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
    error = "could not require TLS 1.2 or newer from OpenSSL";
    return nullptr;
  }
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression, failure);
  // The chain is always verified; connections add the host name check.
  if (!failure) context->set_verify_mode(ssl::verify_peer, failure);
  if (failure) {
    error = "could not set up TLS: " + failure.message();
    return nullptr;
  }

  if (files.ca_file.empty()) {
    context->set_default_verify_paths(failure);
    if (failure) {
      error = "could not load the system's trusted CA certificates: " + failure.message() + " (set ca_file)";
      return nullptr;
    }
  } else {
    if (!readable_file(files.ca_file, "ca_file", error)) return nullptr;
    context->load_verify_file(files.ca_file, failure);
    if (failure) {
      error = "ca_file " + files.ca_file + " could not be read as PEM CA certificates: " + failure.message();
      return nullptr;
    }
  }

  const bool has_certificate = !files.client_certificate_file.empty();
  const bool has_key = !files.client_key_file.empty();
  if (has_certificate != has_key) {
    error = "client_certificate_file and client_key_file must be set together (mutual TLS) or not at all";
    return nullptr;
  }
  if (has_certificate) {
    if (!readable_file(files.client_certificate_file, "client_certificate_file", error)) return nullptr;
    // The key is a secret: read once, without following a link, and only if nobody
    // but its owner may read it (secret_file.hpp); OpenSSL gets the bytes.
    const SecretFile key = read_secret_file(files.client_key_file, "client_key_file", kClientKeyLimitBytes);
    if (!key.error.empty()) {
      error = key.error;
      return nullptr;
    }
    context->use_certificate_chain_file(files.client_certificate_file, failure);
    if (failure) {
      error = "client_certificate_file " + files.client_certificate_file +
              " could not be read as a PEM certificate: " + failure.message();
      return nullptr;
    }
    // OpenSSL would otherwise ask for the passphrase of an encrypted key on the
    // terminal, blocking the host; an empty passphrase makes it fail instead.
    context->set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); }, failure);
    if (!failure) {
      context->use_private_key(boost::asio::buffer(key.content.data(), key.content.size()), ssl::context::pem, failure);
    }
    if (failure && ERR_GET_REASON(static_cast<unsigned long>(static_cast<unsigned int>(failure.value()))) ==
                       X509_R_KEY_VALUES_MISMATCH) {
      error = "client_key_file is not the private key of client_certificate_file";
      return nullptr;
    }
    if (failure) {
      error = "client_key_file " + files.client_key_file +
              " could not be read as an unencrypted PEM private key: " + failure.message();
      return nullptr;
    }
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
      error = "client_key_file is not the private key of client_certificate_file";
      return nullptr;
    }
  }
  return context;
}

}  // namespace alliance::fhir::detail
