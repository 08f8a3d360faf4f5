#include "alliancectl/configuration_check.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include "alliancectl/terminal_text.hpp"
#include "auth/token_source.hpp"
#include "client/https_client.hpp"
#include "configuration/https_client_settings.hpp"
#include "configuration/start_up.hpp"
#include "runtime/worker.hpp"
#include "store/outbox_keys.hpp"

namespace alliance::control {

ConfigurationCheck read_configuration(const std::filesystem::path& file) {
  ConfigurationCheck check;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    check.problems.push_back({"config", "cannot read " + file.string()});
    return check;
  }
  std::ostringstream text;
  text << in.rdbuf();
  ConfigurationResult parsed = parse_configuration(text.str(), file);
  check.configuration = std::move(parsed.configuration);
  check.problems = std::move(parsed.problems);
  return check;
}

ConfigurationCheck check_configuration(const std::filesystem::path& file) {
  ConfigurationCheck check = read_configuration(file);
  if (!check.configuration) return check;
  const Configuration& configuration = *check.configuration;

  // The measures and the ETR table, loaded as the plugin loads them.
  const StartUp start = prepare_start(configuration);
  check.problems.insert(check.problems.end(), start.problems.begin(), start.problems.end());

  try {
    (void)OutboxKeys::load(configuration.store_key_file, configuration.retired_key_files);
  } catch (const std::exception& failure) {
    // The reason starts with its setting (store.key_file or store.retired_key_files).
    const std::string reason = failure.what();
    const std::size_t space = reason.find(' ');
    if (reason.starts_with("store.") && space != std::string::npos) {
      check.problems.push_back({reason.substr(0, space), reason.substr(space + 1)});
    } else {
      check.problems.push_back({"store.key_file", reason});
    }
  }

  if (configuration.fhir) {
    // The client and the token source read their files when created: the same checks
    // the plugin makes at start. Nothing is sent.
    Worker worker;
    const fhir::HttpsClientSettings client_settings = https_client_settings(*configuration.fhir);
    fhir::HttpsClientCreation client = fhir::HttpsClient::create(worker.io_context_handle(), client_settings);
    if (!client.client) check.problems.push_back({"fhir", client.error});
    std::unique_ptr<fhir::auth::TokenSource> tokens;
    if (configuration.fhir->smart) {
      fhir::auth::TokenSourceCreation creation = fhir::auth::TokenSource::create(
          worker.io_context_handle(), client_settings, smart_settings(*configuration.fhir->smart));
      if (!creation.source) check.problems.push_back({"fhir.smart", creation.error});
      tokens = std::move(creation.source);
    }
    // The token source goes after the io_context has stopped (token_source.hpp).
    worker.drain_and_stop(std::chrono::seconds(1));
    tokens.reset();
    client.client.reset();
  }
  return check;
}

void describe_setup(const Configuration& configuration, std::ostream& out) {
  out << "measures: ";
  for (const std::string& code : configuration.selection.enabled) out << terminal_text(code) << " ";
  out << "from " << terminal_text(configuration.questionnaire_folder.string()) << " (default language "
      << terminal_text(configuration.selection.default_language) << ")\n";
  out << "store: " << terminal_text(configuration.store_path.string());
  if (!std::filesystem::exists(configuration.store_path)) out << " (the plugin creates it when it first starts)";
  out << "\n";
  if (configuration.fhir) {
    out << "record system: " << terminal_text(configuration.fhir->base_url)
        << (configuration.fhir->smart ? " with SMART Backend Services" : "")
        << " (alliancectl test-connection checks that it can be reached)\n";
  } else {
    out << "record system: none (no fhir section): results are scored, shown and kept in the store, but not "
           "sent; add a fhir section to send them, including those kept until then\n";
  }
}

}  // namespace alliance::control
