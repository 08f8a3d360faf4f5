#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "scoring/expected_response.hpp"
#include "test_support.hpp"
#include "support/text.hpp"

using namespace alliance;
using alliance::testing::TemporaryFolder;
using alliance::testing::write_file;
using alliance::testing::joined;

namespace {


bool has_problem(const std::vector<std::string>& problems, const std::string& wanted) {
  for (const auto& problem : problems) {
    if (problem == wanted) return true;
  }
  return false;
}

// A table whose rows are given as JSON text (made-up numbers, not licensed data).
std::string table_text(const std::string& rows, const std::string& extra = "") {
  return R"({"measure": "ORS", "source": "made up for the tests", )" + extra + R"("rows": )" + rows + "}";
}

ExpectedResponseTable parsed(const std::string& text) {
  std::vector<std::string> problems;
  auto table = ExpectedResponseTable::parse(text, "test", problems);
  REQUIRE_MESSAGE(table, joined(problems));
  CHECK(problems.empty());
  return std::move(*table);
}

const char* const kOneSession = R"([{"intake": 15.0, "sessions": [{"session": 2, "expected": 17.2}]}])";

}  // namespace

TEST_SUITE("expected_response") {
  TEST_CASE("an expected response table reads its measure source and tolerance") {
    const ExpectedResponseTable table = parsed(table_text(kOneSession));
    CHECK(table.measure() == "ORS");
    CHECK(table.source() == "made up for the tests");
    CHECK(table.intake_tolerance() == 10);  // 1.0 by default
    CHECK(parsed(table_text(kOneSession, R"("intake_tolerance": 2.5, )")).intake_tolerance() == 25);
    CHECK(parsed(R"({"measure": "CORS", "rows": )" + std::string(kOneSession) + "}").measure() == "CORS");
  }

  TEST_CASE("expected response scores round to the nearest tenth and the threshold defaults to expected") {
    const ExpectedResponseTable table = parsed(table_text(R"([{"intake": 15.04, "sessions": [
        {"session": 2, "expected": 17.24, "off_track_below": 14.96},
        {"session": 3, "expected": 18.26},
        {"session": 4, "expected": 40, "off_track_below": 0}]}])"));
    struct Case {
      int session;
      std::optional<Tenths> expected;
      std::optional<Tenths> threshold;
    };
    const Case cases[] = {
        {1, std::nullopt, std::nullopt}, {2, 172, 150}, {3, 183, 183}, {4, 400, 0}, {5, std::nullopt, std::nullopt},
    };
    for (const Case& item : cases) {
      CAPTURE(item.session);
      const auto expectation = table.expectation(150, item.session);
      REQUIRE(expectation.has_value() == item.expected.has_value());
      if (!expectation) continue;
      CHECK(expectation->expected == *item.expected);
      CHECK(expectation->off_track_below == *item.threshold);
    }
  }

  TEST_CASE("the expected response row is the nearest intake within the tolerance") {
    const std::string rows = R"([
        {"intake": 20.0, "sessions": [{"session": 2, "expected": 22.0}]},
        {"intake": 10.0, "sessions": [{"session": 2, "expected": 12.0}]},
        {"intake": 15.0, "sessions": [{"session": 2, "expected": 17.0}]},
        {"intake": 16.0, "sessions": [{"session": 2, "expected": 18.0}]}])";
    const ExpectedResponseTable within_one = parsed(table_text(rows));
    const ExpectedResponseTable exact_only = parsed(table_text(rows, R"("intake_tolerance": 0, )"));
    const ExpectedResponseTable within_three = parsed(table_text(rows, R"("intake_tolerance": 3.0, )"));
    struct Case {
      const char* name;
      const ExpectedResponseTable& table;
      Tenths intake;
      std::optional<Tenths> expected;  // names the row: 12.0, 17.0, 18.0 or 22.0
    };
    const Case cases[] = {
        {"exact 15.0", within_one, 150, 170},
        {"14.0 is 1.0 below 15.0", within_one, 140, 170},
        {"13.9 is too far below", within_one, 139, std::nullopt},
        {"15.4 is nearer 15.0", within_one, 154, 170},
        {"15.5 is as near 16.0: the lower row", within_one, 155, 170},
        {"15.6 is nearer 16.0", within_one, 156, 180},
        {"17.0 is 1.0 above 16.0", within_one, 170, 180},
        {"17.1 is too far above", within_one, 171, std::nullopt},
        {"9.0 is 1.0 below 10.0", within_one, 90, 120},
        {"11.1 is too far from 10.0", within_one, 111, std::nullopt},
        {"21.0 is 1.0 above 20.0", within_one, 210, 220},
        {"0.0 has no row", within_one, 0, std::nullopt},
        {"tolerance 0: exact 20.0", exact_only, 200, 220},
        {"tolerance 0: 19.9 has no row", exact_only, 199, std::nullopt},
        {"tolerance 3: 13.0 is nearest 15.0", within_three, 130, 170},
        {"tolerance 3: 12.5 is as near 10.0 and 15.0", within_three, 125, 120},
        {"tolerance 3: 23.0 is 3.0 above 20.0", within_three, 230, 220},
        {"tolerance 3: 23.1 has no row", within_three, 231, std::nullopt},
    };
    for (const Case& item : cases) {
      INFO(item.name);
      const auto expectation = item.table.expectation(item.intake, 2);
      REQUIRE(expectation.has_value() == item.expected.has_value());
      if (expectation) CHECK(expectation->expected == *item.expected);
    }
  }

  TEST_CASE("an expected response table with a mistake is refused with a clear problem") {
    const std::string session_ok = R"({"session": 2, "expected": 17.2})";
    const auto one_session = [](const std::string& session) {
      return table_text(R"([{"intake": 15.0, "sessions": [)" + session + "]}]");
    };
    struct Case {
      const char* name;
      std::string text;
      std::string problem;
    };
    const Case cases[] = {
        {"not JSON", "{\"measure\": ", "test: not valid JSON: the text ends before the JSON value does (at line 1, column 13)"},
        {"a list", "[]", "test: not a JSON object"},
        {"no rows", R"({"measure": "ORS"})", "test: rows: must be a list of at least one row"},
        {"empty rows", table_text("[]"), "test: rows: must be a list of at least one row"},
        {"rows not a list", table_text("{}"), "test: rows: must be a list of at least one row"},
        {"no measure", R"({"rows": [{"intake": 15.0, "sessions": [)" + session_ok + "]}]}",
         "test: measure: must be \"ORS\", \"CORS\" or \"YCORS\""},
        {"a session rating measure", R"({"measure": "SRS", "rows": [{"intake": 15.0, "sessions": [)" + session_ok +
                                         "]}]}",
         "test: measure: must be \"ORS\", \"CORS\" or \"YCORS\""},
        {"source not text", R"({"measure": "ORS", "source": 3, "rows": )" + std::string(kOneSession) + "}",
         "test: source: must be text"},
        // A key given twice: which one a reader keeps is not the same everywhere.
        {"a key twice", table_text(kOneSession, R"("source": 3, )"), "test: the key \"source\" appears twice in one object"},
        {"negative tolerance", table_text(kOneSession, R"("intake_tolerance": -1, )"),
         "test: intake_tolerance: must be a number from 0 to 40"},
        {"row not an object", table_text("[15]"), "test: rows[0]: must be an object with \"intake\" and \"sessions\""},
        {"no intake", table_text(R"([{"sessions": [)" + session_ok + "]}]"),
         "test: rows[0].intake: must be a number from 0 to 40"},
        {"intake above 40", table_text(R"([{"intake": 40.1, "sessions": [)" + session_ok + "]}]"),
         "test: rows[0].intake: must be a number from 0 to 40"},
        {"no sessions", table_text(R"([{"intake": 15.0}])"),
         "test: rows[0].sessions: must be a list of at least one session"},
        {"empty sessions", table_text(R"([{"intake": 15.0, "sessions": []}])"),
         "test: rows[0].sessions: must be a list of at least one session"},
        {"expected above 40", one_session(R"({"session": 2, "expected": 40.1})"),
         "test: rows[0].sessions[0].expected: must be a number from 0 to 40"},
        {"expected below 0", one_session(R"({"session": 2, "expected": -0.1})"),
         "test: rows[0].sessions[0].expected: must be a number from 0 to 40"},
        {"expected as text", one_session(R"({"session": 2, "expected": "17.2"})"),
         "test: rows[0].sessions[0].expected: must be a number from 0 to 40"},
        {"no expected", one_session(R"({"session": 2})"),
         "test: rows[0].sessions[0].expected: must be a number from 0 to 40"},
        {"session 0", one_session(R"({"session": 0, "expected": 17.2})"),
         "test: rows[0].sessions[0].session: must be a whole number from 1 to 1000"},
        {"session -1", one_session(R"({"session": -1, "expected": 17.2})"),
         "test: rows[0].sessions[0].session: must be a whole number from 1 to 1000"},
        {"session 2.5", one_session(R"({"session": 2.5, "expected": 17.2})"),
         "test: rows[0].sessions[0].session: must be a whole number from 1 to 1000"},
        {"session 1001", one_session(R"({"session": 1001, "expected": 17.2})"),
         "test: rows[0].sessions[0].session: must be a whole number from 1 to 1000"},
        {"no session", one_session(R"({"expected": 17.2})"),
         "test: rows[0].sessions[0].session: must be a whole number from 1 to 1000"},
        {"session not an object", one_session("2"),
         "test: rows[0].sessions[0]: must be an object with \"session\" and \"expected\""},
        {"threshold above expected", one_session(R"({"session": 2, "expected": 17.2, "off_track_below": 17.3})"),
         "test: rows[0].sessions[0].off_track_below: must not be above \"expected\""},
        {"threshold out of range", one_session(R"({"session": 2, "expected": 17.2, "off_track_below": -1})"),
         "test: rows[0].sessions[0].off_track_below: must be a number from 0 to 40"},
        {"the same session twice", one_session(session_ok + "," + session_ok),
         "test: rows[0].sessions[1].session: 2 is listed twice in this row"},
        {"the same intake twice",
         table_text(R"([{"intake": 15.0, "sessions": [)" + session_ok + R"(]}, {"intake": 15.04, "sessions": [)" +
                    session_ok + "]}]"),
         "test: rows[1].intake: 15.0 has a row already"},
        {"a mistake in the third row",
         table_text(R"([{"intake": 10.0, "sessions": [)" + session_ok + R"(]}, {"intake": 15.0, "sessions": [)" +
                    session_ok + R"(]}, {"intake": 20.0, "sessions": [{"session": 2, "expected": 41}]}])"),
         "test: rows[2].sessions[0].expected: must be a number from 0 to 40"},
        {"larger than 1 MiB", table_text(kOneSession, R"("notes": ")" + std::string(1024 * 1024, 'x') + R"(", )"),
         "test: larger than 1 MiB"},
    };
    for (const Case& item : cases) {
      INFO(item.name);
      std::vector<std::string> problems;
      CHECK_FALSE(ExpectedResponseTable::parse(item.text, "test", problems).has_value());
      CHECK_MESSAGE(has_problem(problems, item.problem), joined(problems));
    }
  }

  TEST_CASE("every mistake in an expected response table is reported at once") {
    std::vector<std::string> problems;
    const auto table = ExpectedResponseTable::parse(
        R"({"measure": "SRS", "rows": [{"intake": 50, "sessions": [{"session": 0, "expected": 50}]}]})", "test",
        problems);
    CHECK_FALSE(table.has_value());
    CHECK(problems.size() == 4);
    CHECK(problems.front() == R"(test: measure: must be "ORS", "CORS" or "YCORS")");
  }

  TEST_CASE("an expected response table loads from a file of at most 1 MiB") {
    TemporaryFolder folder;
    struct Case {
      const char* name;
      std::string file;
      std::optional<std::string> text;  // none: no file
      std::string problem;              // after the path; empty when it loads
    };
    const Case cases[] = {
        {"a good table", "good.json", table_text(kOneSession), ""},
        {"no such file", "missing.json", std::nullopt, ": not a file"},
        {"a mistake", "bad.json", table_text("[]"), ": rows: must be a list of at least one row"},
        {"too large", "large.json", std::string(1024 * 1024 + 1, ' '), ": larger than 1 MiB"},
    };
    for (const Case& item : cases) {
      INFO(item.name);
      const auto path = folder.path() / item.file;
      if (item.text) write_file(path, *item.text);
      std::vector<std::string> problems;
      const auto table = ExpectedResponseTable::load(path, problems);
      if (item.problem.empty()) {
        REQUIRE_MESSAGE(table.has_value(), joined(problems));
        CHECK(table->expectation(150, 2).has_value());
      } else {
        CHECK_FALSE(table.has_value());
        CHECK_MESSAGE(has_problem(problems, path.string() + item.problem), joined(problems));
      }
    }
    std::vector<std::string> problems;
    CHECK_FALSE(ExpectedResponseTable::load(folder.path(), problems).has_value());
    CHECK(has_problem(problems, folder.path().string() + ": not a file"));
  }
}
