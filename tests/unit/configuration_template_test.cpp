// The shipped configuration template (packaging/alliance.json.in) is what clinic IT
// edits. These tests keep its comments honest: as shipped it is valid and sends
// nothing, and its commented-out examples, once uncommented, are valid and say the
// defaults they claim.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "configuration/configuration.hpp"
#include "test_support.hpp"

using namespace alliance;

namespace {

std::string read_template() {
  std::ifstream in(ALLIANCE_CONFIGURATION_TEMPLATE, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Removes the "  // " that comments out a top-level example section ("scoring",
// "fhir"), from its first line to its closing "  // },", as IT would.
std::string uncomment_examples(const std::string& text) {
  std::istringstream lines(text);
  std::string result;
  std::string line;
  bool inside = false;
  while (std::getline(lines, line)) {
    if (!inside && (line.rfind("  // \"scoring\": {", 0) == 0 || line.rfind("  // \"fhir\": {", 0) == 0)) {
      inside = true;
    }
    if (inside) {
      const bool last = line == "  // },";
      line = line.size() > 5 ? "  " + line.substr(5) : "";
      if (last) inside = false;
    }
    result += line + "\n";
  }
  return result;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Deletes the lines of the fhir example's optional parts (mutual TLS, proxy, SMART), as
// the template tells IT to when a part is not used.
std::string without_optional_parts(const std::string& text) {
  std::istringstream lines(text);
  std::string result;
  std::string line;
  bool inside = false;
  while (std::getline(lines, line)) {
    if (line.find("// Delete each of the next three parts") != std::string::npos) inside = true;
    if (inside && line.find("// The defaults; change them only") != std::string::npos) inside = false;
    if (!inside) result += line + "\n";
  }
  return result;
}

}  // namespace

TEST_SUITE("configuration") {
  TEST_CASE("the shipped template is valid as it is and sends nothing") {
    const std::string text = read_template();
    REQUIRE(text.size() > 1000);
    const auto result = parse_configuration(text, "/etc/alliance/alliance.json");
    INFO(describe(result.problems));
    REQUIRE(result.configuration);
    CHECK_FALSE(result.configuration->fhir);
    CHECK(result.configuration->store_path == "/var/lib/alliance/alliance.db");
    CHECK(result.configuration->store_key_file == "/etc/alliance/store.key");
    CHECK(result.configuration->selection.enabled.size() == 7);
  }

  TEST_CASE("the template's commented examples are valid and state the defaults") {
    alliance::testing::TemporaryFolder folder;
    // Files named in the examples must be readable when the file is parsed; their
    // contents are checked later (alliancectl check-config, plugin start).
    for (const char* name : {"proxy.password", "etr.json", "ehr-ca.pem", "client.pem", "client.key", "smart.key"}) {
      alliance::testing::write_file(folder.path() / name, "secret\n");
    }
    // The secrets as the README says to keep them: only their owner may read them.
    for (const char* name : {"proxy.password", "client.key", "smart.key"}) {
      std::filesystem::permissions(folder.path() / name,
                                   std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                   std::filesystem::perm_options::replace);
    }
    std::string text = uncomment_examples(read_template());
    replace_all(text, "/etc/alliance/", (folder.path() / "").string());
    const auto result = parse_configuration(text, "/etc/alliance/alliance.json");
    INFO(text);
    INFO(describe(result.problems));
    REQUIRE(result.configuration);
    const Configuration& configuration = *result.configuration;
    const auto defaults = parse_configuration(
        R"({"store": {"path": "a.db", "key_file": "k"}, "measures": {"questionnaire_folder": "m"},
            "fhir": {"base_url": "https://ehr.example.org/fhir/R4"}})",
        "");
    REQUIRE(defaults.configuration);
    CHECK(configuration.scoring.adult_cutoff == defaults.configuration->scoring.adult_cutoff);
    CHECK(configuration.scoring.adolescent_cutoff == defaults.configuration->scoring.adolescent_cutoff);
    CHECK(configuration.scoring.child_cutoff == defaults.configuration->scoring.child_cutoff);
    CHECK(configuration.scoring.reliable_change == defaults.configuration->scoring.reliable_change);
    CHECK(configuration.scoring.alliance_cutoff == defaults.configuration->scoring.alliance_cutoff);
    CHECK(configuration.scoring.item_cutoff == defaults.configuration->scoring.item_cutoff);
    CHECK(configuration.scoring.alliance_drop == defaults.configuration->scoring.alliance_drop);
    REQUIRE(configuration.fhir);
    const FhirConfiguration& fhir = *configuration.fhir;
    const FhirConfiguration& fhir_defaults = *defaults.configuration->fhir;
    CHECK(fhir.base_url == "https://ehr.example.org/fhir/R4");
    CHECK(fhir.timeout_seconds == fhir_defaults.timeout_seconds);
    CHECK(fhir.response_limit_bytes == fhir_defaults.response_limit_bytes);
    CHECK(fhir.retry_initial_seconds == fhir_defaults.retry_initial_seconds);
    CHECK(fhir.retry_maximum_seconds == fhir_defaults.retry_maximum_seconds);
    CHECK(fhir.store_check_seconds == fhir_defaults.store_check_seconds);
    CHECK(fhir.concurrency == fhir_defaults.concurrency);
    CHECK(fhir.transactions == fhir_defaults.transactions);
    CHECK(fhir.ensure_questionnaires == fhir_defaults.ensure_questionnaires);
    CHECK(fhir.item_observations == fhir_defaults.item_observations);
    CHECK(fhir.read_history == fhir_defaults.read_history);
    CHECK(fhir.proxy_password == "secret");
    REQUIRE(fhir.smart);
    CHECK(fhir.smart->client_id == "alliance");
  }

  TEST_CASE("deleting the fhir example's optional parts, as it says, leaves a valid file") {
    alliance::testing::TemporaryFolder folder;
    for (const char* name : {"ehr-ca.pem", "etr.json"}) alliance::testing::write_file(folder.path() / name, "x\n");
    std::string text = without_optional_parts(uncomment_examples(read_template()));
    replace_all(text, "/etc/alliance/", (folder.path() / "").string());
    REQUIRE(text.find("client_certificate_file") == std::string::npos);
    REQUIRE(text.find("\"smart\"") == std::string::npos);
    const auto result = parse_configuration(text, "/etc/alliance/alliance.json");
    INFO(text);
    INFO(describe(result.problems));
    REQUIRE(result.configuration);
    REQUIRE(result.configuration->fhir);
    CHECK_FALSE(result.configuration->fhir->smart);
    CHECK(result.configuration->fhir->proxy_url.empty());
    CHECK(result.configuration->fhir->client_certificate_file.empty());
  }
}
