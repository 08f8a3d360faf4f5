// A client's earlier totals, read back from the test FHIR server (tests/fhir-server):
// ServerHistory runs on a Worker as in the plugin, against Observations seeded over
// HTTPS as another clinic site would have written them.
#include <doctest/doctest.h>
#include <unistd.h>

#include <future>
#include <mutex>

#include "fhir_server.hpp"
#include "client/https_client.hpp"
#include "delivery/server_history.hpp"
#include "scoring/history_merge.hpp"
#include "runtime/worker.hpp"
#include "support/text.hpp"

using namespace alliance::integration;
using alliance::FhirConfiguration;
using alliance::LogLevel;
using alliance::ServerHistory;
using alliance::ServerHistoryLimits;
using alliance::Worker;
using alliance::fhir::HistoryPoint;
using nlohmann::json;
using alliance::testing::joined;

namespace {

constexpr const char* kOtherSite = "https://other-site.example.org/sid/alliance";
constexpr const char* kOwnSite = "https://clinic.example.org/sid/alliance";
constexpr const char* kSnomed = "http://snomed.info/sct";

std::string unique(const std::string& name) {
  static int counter = 0;
  return name + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

std::string seed_patient() {
  const std::string id = unique("pat-history");
  const FhirAnswer answer =
      fhir_request("PUT", "Patient/" + id,
                   {{"resourceType", "Patient"}, {"id", id}, {"name", json::array({{{"family", "Historyperson"}}})}});
  REQUIRE(answer.status == 201);
  return "Patient/" + id;
}

void seed_observation(const std::string& patient, const std::string& system, const std::string& code, double value,
                      const std::string& effective, const std::string& identifier_system,
                      const std::string& status = "final") {
  const json observation = {
      {"resourceType", "Observation"},
      {"identifier", json::array({{{"system", identifier_system}, {"value", unique("administration")}}})},
      {"status", status},
      {"category", json::array({{{"coding", json::array({{{"system",
                                                           "http://terminology.hl7.org/CodeSystem/observation-category"},
                                                          {"code", "survey"}}})}}})},
      {"code", {{"coding", json::array({{{"system", system}, {"code", code}}})}, {"text", "total score"}}},
      {"subject", {{"reference", patient}}},
      {"effectiveDateTime", effective},
      {"valueQuantity", {{"value", value}, {"unit", "{score}"}, {"system", "http://unitsofmeasure.org"}, {"code", "{score}"}}}};
  const FhirAnswer answer = fhir_request("POST", "Observation", observation);
  REQUIRE_MESSAGE(answer.status == 201, answer.body.dump());
}

FhirConfiguration settings(const std::string& ca_file = test_certificate("ca.pem")) {
  FhirConfiguration configuration;
  configuration.base_url = fhir_base_url();
  configuration.ca_file = ca_file;
  configuration.timeout_seconds = 5;
  configuration.identifier_system = kOwnSite;
  configuration.read_history = true;
  return configuration;
}

// Without SMART: no extra headers.
void no_authorization(bool, ServerHistory::HeadersReady ready) { ready(std::vector<alliance::fhir::HttpHeader>{}, ""); }

struct Run {
  std::optional<std::vector<HistoryPoint>> points;
  std::vector<std::string> log;
};

Run fetch_history(const std::string& patient, const FhirConfiguration& configuration, ServerHistoryLimits limits = {},
                  ServerHistory::Authorize authorize = no_authorization) {
  Worker worker;
  auto log = std::make_shared<std::vector<std::string>>();
  auto mutex = std::make_shared<std::mutex>();
  std::promise<std::optional<std::vector<HistoryPoint>>> result;
  std::unique_ptr<ServerHistory> history;
  worker.post([&] {
    history = std::make_unique<ServerHistory>(
        worker, configuration, authorize,
        [log, mutex](LogLevel, std::string_view line) {
          const std::lock_guard lock(*mutex);
          log->emplace_back(line);
        },
        limits);
    history->fetch(patient, [&result](std::optional<std::vector<HistoryPoint>> points) {
      result.set_value(std::move(points));
    });
  });
  auto future = result.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  Run run;
  run.points = future.get();
  worker.post([&] { history.reset(); });
  worker.drain_and_stop(std::chrono::seconds(5));
  const std::lock_guard lock(*mutex);
  run.log = *log;
  return run;
}


}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("server history: another site's totals of a client come back page by page") {
    const std::string patient = seed_patient();
    const std::string other_patient = seed_patient();
    seed_observation(patient, kSnomed, "716613004", 14.2, "2026-01-05T10:00:00Z", kOtherSite);
    seed_observation(patient, kSnomed, "720482000", 35.5, "2026-01-05T10:50:00Z", kOtherSite);
    seed_observation(patient, kSnomed, "716613004", 19.8, "2026-01-12T10:00:00+01:00", kOtherSite);
    seed_observation(patient, "https://fhir.alliance-plugin.org/CodeSystem/pcoms-measure", "gsrs", 33.0,
                     "2026-01-19T10:00:00Z", kOtherSite);
    seed_observation(patient, kSnomed, "716613004", 22.0, "2026-01-26T10:00:00Z", kOwnSite);
    // Not totals of this client's measures: found by neither search.
    seed_observation(patient, "http://loinc.org", "44249-1", 12.0, "2026-01-05T10:00:00Z", kOtherSite);
    seed_observation(patient, "https://fhir.alliance-plugin.org/CodeSystem/pcoms-item", "individually", 5.0,
                     "2026-01-05T10:00:00Z", kOtherSite);
    seed_observation(other_patient, kSnomed, "716613004", 30.0, "2026-01-05T10:00:00Z", kOtherSite);
    // Entered in error: found by the search, skipped by the reader.
    seed_observation(patient, kSnomed, "716613004", 2.0, "2026-01-02T10:00:00Z", kOtherSite, "entered-in-error");

    // Two per page: three pages, following the server's next links.
    const Run run = fetch_history(patient, settings(), {2, 5});
    REQUIRE_MESSAGE(run.points.has_value(), joined(run.log));
    const std::vector<HistoryPoint>& points = *run.points;
    REQUIRE(points.size() == 5);
    CHECK(joined(run.log).find("event=history_fetched pages=3 points=5 skipped=1") != std::string::npos);
    const auto find = [&points](const std::string& measure, int tenths) -> const HistoryPoint* {
      for (const HistoryPoint& point : points) {
        if (point.measure_code == measure && point.total_tenths == tenths) return &point;
      }
      return nullptr;
    };
    REQUIRE(find("ORS", 142) != nullptr);
    CHECK(find("ORS", 142)->effective_at == "2026-01-05T10:00:00.000Z");
    CHECK(find("ORS", 142)->identifier_system == kOtherSite);
    REQUIRE(find("ORS", 198) != nullptr);
    CHECK(find("ORS", 198)->effective_at == "2026-01-12T09:00:00.000Z");
    CHECK(find("SRS", 355) != nullptr);
    CHECK(find("GSRS", 330) != nullptr);
    REQUIRE(find("ORS", 220) != nullptr);
    CHECK(find("ORS", 220)->identifier_system == kOwnSite);

    // Combined with a store that holds only this site's session of 26 January.
    alliance::MeasureHistory local;
    local.earlier_sessions = 1;
    local.earlier_administrations = 1;
    local.intake_total = local.previous_total = 220;
    local.intake_at = local.previous_at = "2026-01-26T10:00:00.000Z";
    const alliance::MeasureHistory merged =
        alliance::merge_history(local, points, "ORS", kOwnSite, "2026-02-02T10:00:00.000Z");
    CHECK(merged.intake_total == 142);
    CHECK(merged.previous_total == 220);
    CHECK(merged.earlier_administrations == 3);

    // Nothing that names the client or a score reaches the log.
    for (const std::string& line : run.log) {
      CHECK(line.find("pat-history") == std::string::npos);
      CHECK(line.find("14.2") == std::string::npos);
    }
  }

  TEST_CASE("server history: the default page size takes every total in one request") {
    const std::string patient = seed_patient();
    seed_observation(patient, kSnomed, "716613004", 14.2, "2026-01-05T10:00:00Z", kOtherSite);
    seed_observation(patient, kSnomed, "720482000", 35.5, "2026-01-05T10:50:00Z", kOtherSite);
    const Run run = fetch_history(patient, settings());
    REQUIRE_MESSAGE(run.points.has_value(), joined(run.log));
    CHECK(run.points->size() == 2);
    CHECK(joined(run.log).find("pages=1 ") != std::string::npos);
  }

  TEST_CASE("server history: a client without totals on the server has an empty history") {
    const Run run = fetch_history(seed_patient(), settings());
    REQUIRE(run.points.has_value());
    CHECK(run.points->empty());
  }

  TEST_CASE("server history: more pages than the limit give no history") {
    const std::string patient = seed_patient();
    for (int index = 0; index < 3; ++index) {
      seed_observation(patient, kSnomed, "716613004", 20.0 + index, "2026-01-0" + std::to_string(index + 1) + "T10:00:00Z",
                       kOtherSite);
    }
    const Run run = fetch_history(patient, settings(), {1, 2});
    CHECK_FALSE(run.points.has_value());
    CHECK(joined(run.log).find("event=history_failed pages=2 reason=too_many_pages") != std::string::npos);
  }

  TEST_CASE("server history: a server certificate from an unknown CA gives no history") {
    const std::string patient = seed_patient();
    seed_observation(patient, kSnomed, "716613004", 14.2, "2026-01-05T10:00:00Z", kOtherSite);
    const Run run = fetch_history(patient, settings(test_certificate("other-ca.pem")));
    CHECK_FALSE(run.points.has_value());
    const std::string log = joined(run.log);
    CHECK(log.find("event=history_failed") != std::string::npos);
    CHECK(log.find("certificate") != std::string::npos);
    CHECK(log.find("pat-history") == std::string::npos);
  }

  TEST_CASE("server history: without authorization nothing is asked and there is no history") {
    const std::string patient = seed_patient();
    const Run run = fetch_history(patient, settings(), {}, [](bool, ServerHistory::HeadersReady ready) {
      ready(std::nullopt, "token endpoint refused the client");
    });
    CHECK_FALSE(run.points.has_value());
    CHECK(joined(run.log).find("reason=no_authorization") != std::string::npos);
  }

  TEST_CASE("server history: a reference that is no Patient gives no history") {
    const Run run = fetch_history("Group/everyone", settings());
    CHECK_FALSE(run.points.has_value());
    CHECK(joined(run.log).find("reason=no_patient_reference") != std::string::npos);
  }
}
