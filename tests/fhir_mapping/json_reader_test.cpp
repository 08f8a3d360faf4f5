// The strict, bounded JSON reader that every parser of untrusted text goes through.
#include <doctest/doctest.h>

#include <string>

#include "reading/json_reader.hpp"
#include "support/text.hpp"

using namespace alliance::fhir;
using alliance::testing::contains;

namespace {

const JsonLimits kSmall{1024, 4, false};

std::string error_of(const std::string& text, const JsonLimits& limits = kSmall) {
  return read_json(text, limits).error;
}


}  // namespace

TEST_SUITE("json_reader") {
  TEST_CASE("json_reader: a document within the limits is read as it is") {
    const JsonReading reading = read_json(R"( {"a": [1, 2.5, "x", true, null, {"b": {}}], "c": -3} )", kSmall);
    REQUIRE_MESSAGE(reading.ok(), reading.error);
    CHECK(reading.value["a"].size() == 6);
    CHECK(reading.value["a"][1] == 2.5);
    CHECK(reading.value["c"] == -3);
    CHECK(read_json("42", kSmall).value == 42);
    CHECK(read_json(R"("text")", kSmall).value == "text");
  }

  TEST_CASE("json_reader: the size limit refuses before reading") {
    const std::string text = "[" + std::string(2000, ' ') + "]";
    CHECK(contains(error_of(text), "larger than 1024 bytes"));
  }

  TEST_CASE("json_reader: nesting deeper than the limit is refused, the limit itself is not") {
    CHECK(read_json("[[[[]]]]", kSmall).ok());
    CHECK(read_json(R"({"a": {"b": {"c": {}}}})", kSmall).ok());
    CHECK(contains(error_of("[[[[[]]]]]"), "nested deeper than 4 levels"));
    CHECK(contains(error_of(R"({"a": {"b": {"c": {"d": []}}}})"), "nested deeper"));
    CHECK(contains(error_of("[[[[[", kSmall), "nested deeper"));  // refused before the end is seen
  }

  TEST_CASE("json_reader: a NUL byte anywhere is refused, escaped NUL in texts and keys too") {
    CHECK(contains(error_of(std::string("{}") + '\0'), "NUL byte at line 1, column 3"));
    CHECK(contains(error_of(std::string("{}") + '\0' + "[1]"), "NUL"));
    CHECK(contains(error_of(std::string("{\"a\":\n\"x") + '\0' + "\"}"), "NUL byte at line 2"));
    CHECK(contains(error_of(R"({"a": "x\u0000y"})"), "\\u0000"));
    CHECK(contains(error_of(R"({"a\u0000": 1})"), "\\u0000"));
  }

  TEST_CASE("json_reader: text after the value is refused") {
    CHECK(contains(error_of("{} {}"), "more after the JSON value"));
    CHECK(contains(error_of("{}x"), "more after the JSON value"));
    CHECK(read_json("{}\n\t ", kSmall).ok());
  }

  TEST_CASE("json_reader: a key given twice in one object is refused, in any object") {
    CHECK(contains(error_of(R"({"measure": "SRS", "measure": "ORS"})"), "the key \"measure\" appears twice"));
    CHECK(contains(error_of(R"({"a": [{"b": 1, "b": 1}]})"), "\"b\" appears twice"));
    CHECK(read_json(R"({"a": {"b": 1}, "c": {"b": 2}})", kSmall).ok());  // one per object
    // A key that might be anything but a field name is not repeated in the error.
    const std::string error = error_of(R"({"Jane Doe": 1, "Jane Doe": 2})");
    CHECK(contains(error, "a key appears twice"));
    CHECK_FALSE(contains(error, "Jane"));
  }

  TEST_CASE("json_reader: errors name the place and never quote the text") {
    const std::string error = error_of("{\"name\": \"Jane Doe\",\n \"x\": Jane}");
    CHECK(contains(error, "not valid JSON"));
    CHECK(contains(error, "line 2"));
    CHECK_FALSE(contains(error, "Jane"));
    CHECK(contains(error_of("{\"a\": "), "ends before"));
    CHECK(contains(error_of(""), "ends before"));
    CHECK(contains(error_of("[1e400]"), "too large"));
    CHECK(contains(error_of("\"\xff\""), "UTF-8"));
  }

  TEST_CASE("json_reader: comments only where allowed") {
    const std::string text = "// settings\n{/* a */ \"a\": 1}";
    CHECK_FALSE(read_json(text, kSmall).ok());
    const JsonReading reading = read_json(text, JsonLimits{1024, 4, true});
    REQUIRE_MESSAGE(reading.ok(), reading.error);
    CHECK(reading.value["a"] == 1);
  }
}
