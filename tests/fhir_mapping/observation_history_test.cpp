#include <doctest/doctest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mapping/observation_history.hpp"

using namespace alliance::fhir;
using nlohmann::json;

namespace {

constexpr const char* kOtherSite = "https://other-site.example.org/sid/alliance";

// A total Observation as another site's plugin (or an EHR) would write it.
json observation(const std::string& system = "http://snomed.info/sct", const std::string& code = "716613004",
                 double value = 21.4, const std::string& effective = "2026-03-02T10:00:00Z") {
  return {{"resourceType", "Observation"},
          {"id", "ob-1"},
          {"identifier", json::array({{{"system", kOtherSite}, {"value", "admin-1-total"}}})},
          {"status", "final"},
          {"code", {{"coding", json::array({{{"system", system}, {"code", code}}})}, {"text", "total score"}}},
          {"subject", {{"reference", "Patient/p1"}}},
          {"effectiveDateTime", effective},
          {"valueQuantity", {{"value", value}, {"unit", "{score}"}, {"system", "http://unitsofmeasure.org"}}}};
}

json searchset(const std::vector<json>& resources) {
  json entries = json::array();
  for (const json& resource : resources) {
    entries.push_back({{"fullUrl", "https://ehr.example.org/fhir/R4/Observation/x"},
                       {"resource", resource},
                       {"search", {{"mode", "match"}}}});
  }
  return {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", resources.size()}, {"entry", entries}};
}

HistoryPage read_one(const json& resource) { return read_observation_history(searchset({resource}).dump()); }

}  // namespace

TEST_SUITE("fhir_mapping") {
  TEST_CASE("a searchset of total Observations gives one point per total") {
    json period = observation("http://snomed.info/sct", "720482000", 37.0, "");
    period.erase("effectiveDateTime");
    period["effectivePeriod"] = {{"start", "2026-03-02T11:00:00+01:00"}, {"end", "2026-03-02T11:05:00+01:00"}};
    period["identifier"] = json::array({{{"value", "no-system"}}, {{"system", kOtherSite}, {"value", "admin-2"}}});
    json own_code = observation("https://fhir.alliance-plugin.org/CodeSystem/pcoms-measure", "ycors", 12.3,
                                "2026-03-03T09:30:15.5-05:00");
    own_code.erase("identifier");
    json both_codes = observation();
    both_codes["code"]["coding"].push_back(
        {{"system", "https://fhir.alliance-plugin.org/CodeSystem/pcoms-item"}, {"code", "ors-total"}});
    const HistoryPage page = read_observation_history(searchset({observation(), period, own_code, both_codes}).dump());
    REQUIRE(page.error.empty());
    CHECK(page.next_url.empty());
    CHECK(page.skipped_entries == 0);
    REQUIRE(page.points.size() == 4);
    CHECK(page.points[0].measure_code == "ORS");
    CHECK(page.points[0].effective_at == "2026-03-02T10:00:00.000Z");
    CHECK(page.points[0].total_tenths == 214);
    CHECK(page.points[0].identifier_system == kOtherSite);
    CHECK(page.points[0].identifier_value == "admin-1-total");
    CHECK(page.points[1].measure_code == "SRS");
    CHECK(page.points[1].effective_at == "2026-03-02T10:00:00.000Z");  // +01:00 in UTC
    CHECK(page.points[1].total_tenths == 370);
    CHECK(page.points[1].identifier_value == "admin-2");  // the first identifier with a system
    CHECK(page.points[2].measure_code == "YCORS");
    CHECK(page.points[2].effective_at == "2026-03-03T14:30:15.500Z");
    CHECK(page.points[2].identifier_system.empty());
    CHECK(page.points[3].measure_code == "ORS");
  }

  TEST_CASE("every measure is recognised by its SNOMED CT or pcoms-measure code") {
    struct Case {
      const char* system;
      const char* code;
      const char* measure;
    };
    const char* snomed = "http://snomed.info/sct";
    const char* own = "https://fhir.alliance-plugin.org/CodeSystem/pcoms-measure";
    const Case cases[] = {
        {snomed, "716613004", "ORS"},  {snomed, "720482000", "SRS"}, {snomed, "718458005", "CORS"},
        {snomed, "718762000", "CSRS"}, {snomed, "718431003", "CGSRS"}, {own, "ors", "ORS"},
        {own, "srs", "SRS"},           {own, "cors", "CORS"},        {own, "csrs", "CSRS"},
        {own, "ycors", "YCORS"},       {own, "gsrs", "GSRS"},        {own, "cgsrs", "CGSRS"},
    };
    for (const Case& item : cases) {
      CAPTURE(item.code);
      const HistoryPage page = read_one(observation(item.system, item.code));
      REQUIRE(page.points.size() == 1);
      CHECK(page.points[0].measure_code == item.measure);
    }
  }

  TEST_CASE("values are read to the nearest tenth") {
    struct Case {
      json value;
      int tenths;
    };
    const Case cases[] = {{0, 0}, {40, 400}, {25, 250}, {17.66, 177}, {17.64, 176}, {39.95, 400}, {0.05, 1}, {12.3, 123}};
    for (const Case& item : cases) {
      CAPTURE(item.value.dump());
      json resource = observation();
      resource["valueQuantity"]["value"] = item.value;
      const HistoryPage page = read_one(resource);
      REQUIRE(page.points.size() == 1);
      CHECK(page.points[0].total_tenths == item.tenths);
    }
  }

  TEST_CASE("entries that are no usable total are skipped and counted") {
    struct Case {
      const char* name;
      std::function<void(json&)> change;
    };
    const std::vector<Case> cases = {
        {"a LOINC code", [](json& o) { o["code"]["coding"][0] = {{"system", "http://loinc.org"}, {"code", "44249-1"}}; }},
        {"a SNOMED code of something else", [](json& o) { o["code"]["coding"][0]["code"] = "271649006"; }},
        {"the measure code in the wrong system", [](json& o) { o["code"]["coding"][0]["system"] = "http://example.org"; }},
        {"an upper-case pcoms-measure code",
         [](json& o) {
           o["code"]["coding"][0] = {{"system", "https://fhir.alliance-plugin.org/CodeSystem/pcoms-measure"}, {"code", "ORS"}};
         }},
        {"no code", [](json& o) { o.erase("code"); }},
        {"codings that are not a list", [](json& o) { o["code"]["coding"] = {{"system", "x"}}; }},
        {"a per-item score",
         [](json& o) {
           o["code"]["coding"].push_back(
               {{"system", "https://fhir.alliance-plugin.org/CodeSystem/pcoms-item"}, {"code", "individually"}});
         }},
        {"an item code only",
         [](json& o) {
           o["code"]["coding"][0] = {{"system", "https://fhir.alliance-plugin.org/CodeSystem/pcoms-item"}, {"code", "goals"}};
         }},
        {"codes of two measures",
         [](json& o) { o["code"]["coding"].push_back({{"system", "http://snomed.info/sct"}, {"code", "720482000"}}); }},
        {"status preliminary", [](json& o) { o["status"] = "preliminary"; }},
        {"status entered-in-error", [](json& o) { o["status"] = "entered-in-error"; }},
        {"no status", [](json& o) { o.erase("status"); }},
        {"no effective time", [](json& o) { o.erase("effectiveDateTime"); }},
        {"a year only", [](json& o) { o["effectiveDateTime"] = "2026"; }},
        {"a month only", [](json& o) { o["effectiveDateTime"] = "2026-03"; }},
        {"a time without a zone", [](json& o) { o["effectiveDateTime"] = "2026-03-02T10:00:00"; }},
        {"an impossible date", [](json& o) { o["effectiveDateTime"] = "2026-02-30"; }},
        {"an impossible hour", [](json& o) { o["effectiveDateTime"] = "2026-03-02T25:00:00Z"; }},
        {"trailing text", [](json& o) { o["effectiveDateTime"] = "2026-03-02T10:00:00Zjunk"; }},
        // Found by fuzzing: past 2262 the time overflowed (and wrapped to the 1700s).
        // Times before 1970 are readable (from 1900): see the test of far dates below.
        {"a year after 2200", [](json& o) { o["effectiveDateTime"] = "5027-03-03T09:30:15.5-05:00"; }},
        {"a number as time", [](json& o) { o["effectiveDateTime"] = 20260302; }},
        {"a period without start", [](json& o) {
           o.erase("effectiveDateTime");
           o["effectivePeriod"] = {{"end", "2026-03-02T10:00:00Z"}};
         }},
        {"no value", [](json& o) { o.erase("valueQuantity"); }},
        {"a quantity without value", [](json& o) { o["valueQuantity"].erase("value"); }},
        {"a value as text", [](json& o) { o["valueQuantity"]["value"] = "21.4"; }},
        {"a valueString", [](json& o) {
           o.erase("valueQuantity");
           o["valueString"] = "21.4";
         }},
        {"a value above 40", [](json& o) { o["valueQuantity"]["value"] = 40.5; }},
        {"a negative value", [](json& o) { o["valueQuantity"]["value"] = -0.1; }},
        {"a huge value", [](json& o) { o["valueQuantity"]["value"] = 1e300; }},
        {"a Patient", [](json& o) { o = {{"resourceType", "Patient"}, {"id", "p1"}}; }},
        {"a resource that is text", [](json& o) { o = "Observation"; }},
    };
    for (const Case& item : cases) {
      CAPTURE(item.name);
      json resource = observation();
      item.change(resource);
      const HistoryPage page = read_one(resource);
      CHECK(page.error.empty());
      CHECK(page.points.empty());
      CHECK(page.skipped_entries == 1);
    }
  }

  TEST_CASE("included resources, outcomes and malformed entries are skipped") {
    json bundle = searchset({observation()});
    bundle["entry"].push_back({{"resource", observation()}, {"search", {{"mode", "include"}}}});
    bundle["entry"].push_back({{"resource", {{"resourceType", "OperationOutcome"}}}, {"search", {{"mode", "outcome"}}}});
    bundle["entry"].push_back(42);
    bundle["entry"].push_back(json::object());
    bundle["entry"].push_back({{"resource", nullptr}});
    const HistoryPage page = read_observation_history(bundle.dump());
    CHECK(page.error.empty());
    CHECK(page.points.size() == 1);
    CHECK(page.skipped_entries == 5);
  }

  TEST_CASE("the next link is returned for paging") {
    json bundle = searchset({observation()});
    bundle["link"] = json::array({{{"relation", "self"}, {"url", "https://ehr.example.org/fhir/R4/Observation?a=1"}},
                                  {{"relation", "next"}, {"url", "https://ehr.example.org/fhir/R4/Observation?a=1&_offset=100"}}});
    const HistoryPage page = read_observation_history(bundle.dump());
    CHECK(page.points.size() == 1);
    CHECK(page.next_url == "https://ehr.example.org/fhir/R4/Observation?a=1&_offset=100");

    bundle["link"] = json::array({{{"relation", "next"}, {"url", 17}}});
    CHECK(read_observation_history(bundle.dump()).next_url.empty());
    bundle["link"] = "next";
    CHECK(read_observation_history(bundle.dump()).next_url.empty());
  }

  TEST_CASE("an empty searchset gives no points and no error") {
    const HistoryPage page =
        read_observation_history(R"({"resourceType": "Bundle", "type": "searchset", "total": 0})");
    CHECK(page.error.empty());
    CHECK(page.points.empty());
    CHECK(page.skipped_entries == 0);
  }

  TEST_CASE("bodies that are no searchset Bundle are reported without throwing") {
    const std::vector<std::string> bodies = {
        "",
        "<html><body>Bad gateway</body></html>",
        "{",
        R"({"resourceType": "Bundle", "type": "searchset", "entry": [)",
        "[]",
        "null",
        "42",
        R"({"resourceType": "OperationOutcome", "issue": []})",
        R"({"resourceType": "Bundle", "type": "transaction-response", "entry": []})",
        R"({"resourceType": "Bundle", "entry": []})",
        R"({"resourceType": "Bundle", "type": "searchset", "entry": {"resource": {}}})",
        std::string("{\"resourceType\": \"Bundle\"") + '\0' + ", \"type\": \"searchset\"}",
        "\xff\xfe{}",
        std::string(100000, '[') + std::string(100000, ']'),
        R"({"resourceType": "Bundle", "type": "searchset", "entry": [)" + std::string(200, '[') + std::string(200, ']') +
            "]}",
    };
    for (const std::string& body : bodies) {
      CAPTURE(body.substr(0, 60));
      HistoryPage page;
      CHECK_NOTHROW(page = read_observation_history(body));
      CHECK_FALSE(page.error.empty());
      CHECK(page.points.empty());
      CHECK(page.next_url.empty());
    }
  }

  TEST_CASE("a body above the size limit is refused unread") {
    const std::string body(kHistoryPageMaximumBytes + 1, ' ');
    CHECK_FALSE(read_observation_history(body).error.empty());
  }

  TEST_CASE("a large page of many entries is read in full") {
    std::vector<json> resources(3000, observation());
    const HistoryPage page = read_observation_history(searchset(resources).dump());
    CHECK(page.error.empty());
    CHECK(page.points.size() == 3000);
  }

  TEST_CASE("strings with brackets and escapes do not count as nesting") {
    json resource = observation();
    resource["code"]["text"] = std::string(500, '[') + "\\\"{" + std::string(500, '{');
    const HistoryPage page = read_one(resource);
    CHECK(page.error.empty());
    CHECK(page.points.size() == 1);
  }

  TEST_CASE("an effectiveDateTime far in the future or past gives no point, never one in another century") {
    // 9999-12-31 is past what system_clock's nanoseconds hold: it wrapped to 1816.
    for (const char* effective : {"9999-12-31", "9999-12-31T23:59:59Z", "2262-04-12T00:00:00Z", "2300-01-01",
                                  "1677-01-01", "0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z"}) {
      CAPTURE(effective);
      const HistoryPage page = read_one(observation("http://snomed.info/sct", "716613004", 21.4, effective));
      CHECK(page.error.empty());
      CHECK(page.points.empty());
      CHECK(page.skipped_entries == 1);
      for (const HistoryPoint& point : page.points) CHECK(point.effective_at.rfind("18", 0) != 0);
    }
    // Before 1970 with a fraction once came out as 1970-01-01T00:00:00.-500Z (the old
    // formatter truncated toward zero); the date library floors.
    const HistoryPage before_1970 =
        read_one(observation("http://snomed.info/sct", "716613004", 21.4, "1969-12-31T23:59:59.5Z"));
    REQUIRE(before_1970.points.size() == 1);
    CHECK(before_1970.points[0].effective_at == "1969-12-31T23:59:59.500Z");
    const HistoryPage edge = read_one(observation("http://snomed.info/sct", "716613004", 21.4, "2199-12-31T23:59:59Z"));
    REQUIRE(edge.points.size() == 1);
    CHECK(edge.points[0].effective_at == "2199-12-31T23:59:59.000Z");
  }
}
