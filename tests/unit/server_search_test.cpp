#include <doctest/doctest.h>

#include <string>

#include "client/search.hpp"
#include "delivery/server_history.hpp"

using alliance::ServerHistory;

TEST_SUITE("server search") {
  TEST_CASE("server history: the search names the subject and every measure code, percent-encoded") {
    const std::string target = ServerHistory::search_target("Patient/p-1.x", 100);
    CHECK(target.rfind("Observation?subject=Patient/p-1.x&code=", 0) == 0);
    CHECK(target.find("http://snomed.info/sct%7C716613004,") != std::string::npos);
    CHECK(target.find("https://fhir.alliance-plugin.org/CodeSystem/pcoms-measure%7Ccgsrs&") != std::string::npos);
    CHECK(target.find("&_count=100") != std::string::npos);
    CHECK(target.find('|') == std::string::npos);
    CHECK(target.find(' ') == std::string::npos);
  }

  TEST_CASE("a conditional create's condition becomes the search that runs it, each value encoded") {
    using alliance::fhir::search_target_of_query;
    CHECK(search_target_of_query("Observation", "identifier=https://clinic.example.org/sid|6f1c-total") ==
          "Observation?identifier=https://clinic.example.org/sid%7C6f1c-total");
    CHECK(search_target_of_query("Observation", "patient=Patient/p-1&code=urn:oid:1.2|99&date=2026-11-02T15:04:05.123Z") ==
          "Observation?patient=Patient/p-1&code=urn:oid:1.2%7C99&date=2026-11-02T15:04:05.123Z");
    CHECK(search_target_of_query("DocumentReference", "") == "DocumentReference");
  }

  TEST_CASE("server history: next links are followed only below the base URL of the same server") {
    const std::string base = "https://ehr.example.org/fhir/R4";
    CHECK(alliance::fhir::next_page_target(base, "https://ehr.example.org/fhir/R4/Observation?a=1&_offset=2") ==
          "Observation?a=1&_offset=2");
    CHECK(alliance::fhir::next_page_target(base, "https://EHR.example.org:443/fhir/R4/Observation?a=%7C") ==
          "Observation?a=%7C");
    CHECK(alliance::fhir::next_page_target(base, "https://ehr.example.org/fhir/R4?_getpages=x") == "?_getpages=x");
    CHECK(alliance::fhir::next_page_target(base, "https://evil.example.org/fhir/R4/Observation?a=1").empty());
    CHECK(alliance::fhir::next_page_target(base, "https://ehr.example.org:8443/fhir/R4/Observation?a=1").empty());
    CHECK(alliance::fhir::next_page_target(base, "http://ehr.example.org/fhir/R4/Observation?a=1").empty());
    CHECK(alliance::fhir::next_page_target(base, "https://ehr.example.org/fhir/R4x/Observation").empty());
    CHECK(alliance::fhir::next_page_target(base, "https://ehr.example.org/other/Observation").empty());
    CHECK(alliance::fhir::next_page_target(base, "https://user@ehr.example.org/fhir/R4/Observation").empty());
    CHECK(alliance::fhir::next_page_target(base, "/fhir/R4/Observation?a=1").empty());
    CHECK(alliance::fhir::next_page_target(base, "not a url").empty());
  }
}
