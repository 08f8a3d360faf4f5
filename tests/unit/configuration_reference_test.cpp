// The configuration reference (docs/configuration.md) and the code agree: every key
// the reader accepts is documented there, and every documented key is one it accepts.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "configuration/configuration.hpp"

namespace {

// The keys in the first cell of each row of the reference's tables: "`fhir.proxy.url`
// / `.username`" names fhir.proxy.url and fhir.proxy.username.
std::set<std::string> documented_keys() {
  std::ifstream file(ALLIANCE_DOCS_DIR "/configuration.md");
  REQUIRE(file);
  std::set<std::string> keys;
  for (std::string line; std::getline(file, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const std::string cell = line.substr(2, line.find(" |", 2) - 2);
    std::string parent;
    for (size_t open = cell.find('`'); open != std::string::npos; open = cell.find('`', open)) {
      const size_t close = cell.find('`', open + 1);
      REQUIRE(close != std::string::npos);
      std::string key = cell.substr(open + 1, close - open - 1);
      if (key.front() == '.') {
        key = parent + key;
      } else {
        parent = key.substr(0, key.rfind('.') == std::string::npos ? 0 : key.rfind('.'));
      }
      keys.insert(key);
      open = close + 1;
    }
  }
  return keys;
}

// A key that another key lies under ("fhir.smart" under "fhir.smart.client_id").
bool is_object(const std::string& key, const std::vector<std::string>& keys) {
  return std::any_of(keys.begin(), keys.end(), [&](const std::string& other) { return other.rfind(key + ".", 0) == 0; });
}

}  // namespace

TEST_SUITE("configuration") {
  TEST_CASE("every key the reader accepts is in the reference, and every key in the reference is one it accepts") {
    const std::vector<std::string>& accepted = alliance::configuration_keys();
    const std::set<std::string> documented = documented_keys();
    REQUIRE(documented.size() > 30);
    for (const std::string& key : accepted) {
      CAPTURE(key);
      // An object is documented through its keys (fhir is a row of its own too).
      if (!is_object(key, accepted)) CHECK(documented.count(key) == 1);
    }
    for (const std::string& key : documented) {
      CAPTURE(key);
      CHECK(std::find(accepted.begin(), accepted.end(), key) != accepted.end());
    }
  }

  TEST_CASE("a key the reference does not have is refused by name") {
    const alliance::ConfigurationResult result = alliance::parse_configuration(
        R"({"store": {"path": "/tmp/a.db", "key_file": "/tmp/k", "colour": 1}, "measures": {}})", "/tmp/alliance.json");
    bool named = false;
    for (const alliance::ConfigurationProblem& problem : result.problems) {
      named = named || (problem.key == "store.colour" && problem.reason == "unknown key");
    }
    CHECK(named);
  }
}
