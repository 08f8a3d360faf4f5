#include "scoring/expected_response.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reading/json_reader.hpp"

namespace alliance {

using nlohmann::json;

namespace {

constexpr int kLastSession = 1000;

// A score in points, 0 to 40, as tenths (rounded to the nearest tenth). Nothing for
// anything else, including NaN and infinities (which JSON cannot spell anyway).
std::optional<Tenths> points_from(const json& value) {
  if (!value.is_number()) return std::nullopt;
  const double points = value.get<double>();
  if (!std::isfinite(points) || points < 0.0 || points > 40.0) return std::nullopt;
  return static_cast<Tenths>(std::lround(points * 10.0));
}

// Collects the problems of one table, each prefixed with its source.
struct Problems {
  const std::string& source;
  std::vector<std::string>& list;
  size_t before = list.size();

  void add(const std::string& where, const std::string& what) { list.push_back(source + ": " + where + ": " + what); }
  bool any() const { return list.size() > before; }
};

}  // namespace

std::optional<ExpectedResponseTable> ExpectedResponseTable::load(const std::filesystem::path& path,
                                                                 std::vector<std::string>& problems) {
  const std::string source = path.string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    problems.push_back(source + ": not a file");
    return std::nullopt;
  }
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) {
    problems.push_back(source + ": cannot read its size: " + error.message());
    return std::nullopt;
  }
  if (size > kMaximumExpectedResponseBytes) {
    problems.push_back(source + ": larger than 1 MiB");
    return std::nullopt;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    problems.push_back(source + ": cannot be opened");
    return std::nullopt;
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    problems.push_back(source + ": cannot be read");
    return std::nullopt;
  }
  return parse(text.str(), source, problems);
}

std::optional<ExpectedResponseTable> ExpectedResponseTable::parse(const std::string& text, const std::string& source,
                                                                  std::vector<std::string>& problems) {
  if (text.size() > kMaximumExpectedResponseBytes) {
    problems.push_back(source + ": larger than 1 MiB");
    return std::nullopt;
  }
  // A file a clinic installs: read strictly (a key given twice, a NUL byte, text after
  // the object are refused, with the line and column).
  fhir::JsonReading reading =
      fhir::read_json(text, fhir::JsonLimits{static_cast<std::size_t>(kMaximumExpectedResponseBytes), 16, false});
  if (!reading.ok()) {
    problems.push_back(source + ": " + reading.error);
    return std::nullopt;
  }
  const json document = std::move(reading.value);
  if (!document.is_object()) {
    problems.push_back(source + ": not a JSON object");
    return std::nullopt;
  }
  Problems found{source, problems};
  ExpectedResponseTable table;

  const auto measure = document.find("measure");
  if (measure == document.end() || !measure->is_string() ||
      (*measure != "ORS" && *measure != "CORS" && *measure != "YCORS")) {
    found.add("measure", "must be \"ORS\", \"CORS\" or \"YCORS\"");
  } else {
    table.measure_ = measure->get<std::string>();
  }

  if (const auto licence = document.find("source"); licence != document.end()) {
    if (licence->is_string()) {
      table.source_ = licence->get<std::string>();
    } else {
      found.add("source", "must be text");
    }
  }

  if (const auto tolerance = document.find("intake_tolerance"); tolerance != document.end()) {
    if (const auto tenths = points_from(*tolerance)) {
      table.intake_tolerance_ = *tenths;
    } else {
      found.add("intake_tolerance", "must be a number from 0 to 40");
    }
  }

  const auto rows = document.find("rows");
  if (rows == document.end() || !rows->is_array() || rows->empty()) {
    found.add("rows", "must be a list of at least one row");
    return std::nullopt;
  }
  for (size_t row_index = 0; row_index < rows->size(); ++row_index) {
    const json& row = (*rows)[row_index];
    const std::string row_where = "rows[" + std::to_string(row_index) + "]";
    if (!row.is_object()) {
      found.add(row_where, "must be an object with \"intake\" and \"sessions\"");
      continue;
    }
    const auto intake = row.find("intake");
    const std::optional<Tenths> intake_total = intake == row.end() ? std::nullopt : points_from(*intake);
    if (!intake_total) found.add(row_where + ".intake", "must be a number from 0 to 40");
    if (intake_total && table.rows_.count(*intake_total) > 0) {
      found.add(row_where + ".intake", format_tenths(*intake_total) + " has a row already");
    }
    std::map<int, Expectation> expectations;
    const auto sessions = row.find("sessions");
    if (sessions == row.end() || !sessions->is_array() || sessions->empty()) {
      found.add(row_where + ".sessions", "must be a list of at least one session");
      continue;
    }
    for (size_t session_index = 0; session_index < sessions->size(); ++session_index) {
      const json& session = (*sessions)[session_index];
      const std::string where = row_where + ".sessions[" + std::to_string(session_index) + "]";
      if (!session.is_object()) {
        found.add(where, "must be an object with \"session\" and \"expected\"");
        continue;
      }
      const auto number = session.find("session");
      std::optional<int> session_number;
      if (number != session.end() && number->is_number_integer() && number->get<std::int64_t>() >= 1 &&
          number->get<std::int64_t>() <= kLastSession) {
        session_number = static_cast<int>(number->get<std::int64_t>());
      } else {
        found.add(where + ".session", "must be a whole number from 1 to " + std::to_string(kLastSession));
      }
      if (session_number && expectations.count(*session_number) > 0) {
        found.add(where + ".session", std::to_string(*session_number) + " is listed twice in this row");
      }
      const auto expected_value = session.find("expected");
      const std::optional<Tenths> expected =
          expected_value == session.end() ? std::nullopt : points_from(*expected_value);
      if (!expected) found.add(where + ".expected", "must be a number from 0 to 40");
      std::optional<Tenths> threshold = expected;
      if (const auto below = session.find("off_track_below"); below != session.end()) {
        threshold = points_from(*below);
        if (!threshold) {
          found.add(where + ".off_track_below", "must be a number from 0 to 40");
        } else if (expected && *threshold > *expected) {
          found.add(where + ".off_track_below", "must not be above \"expected\"");
        }
      }
      if (session_number && expected && threshold) expectations[*session_number] = {*expected, *threshold};
    }
    if (intake_total && table.rows_.count(*intake_total) == 0) table.rows_[*intake_total] = std::move(expectations);
  }
  if (found.any()) return std::nullopt;
  return table;
}

std::optional<ExpectedResponseTable::Expectation> ExpectedResponseTable::expectation(Tenths intake_total,
                                                                                     int session_number) const {
  const std::map<int, Expectation>* nearest = nullptr;
  Tenths nearest_distance = 0;
  for (const auto& [row_intake, sessions] : rows_) {
    const Tenths distance = std::abs(row_intake - intake_total);
    // Rows are in ascending order, so on a tie the lower intake stays.
    if (distance <= intake_tolerance_ && (nearest == nullptr || distance < nearest_distance)) {
      nearest = &sessions;
      nearest_distance = distance;
    }
  }
  if (nearest == nullptr) return std::nullopt;
  const auto found = nearest->find(session_number);
  if (found == nearest->end()) return std::nullopt;
  return found->second;
}

}  // namespace alliance
