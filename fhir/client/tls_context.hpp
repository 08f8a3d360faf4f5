// The TLS settings every connection of one client shares: TLS 1.2 or newer, the
// server's certificate verified against the configured CA bundle (or the system's
// store), and an optional client certificate. Internal to the HTTPS client.
#pragma once

#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace alliance::fhir::detail {

struct TlsFiles {
  std::string ca_file;                  // empty: the system's default store
  std::string client_certificate_file;  // with client_key_file, or neither
  std::string client_key_file;
};

// Reads the files now so that a wrong path or a key that does not match its
// certificate is reported at startup. On failure returns null and says why in `error`.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsFiles& files, std::string& error);

}  // namespace alliance::fhir::detail
