#include <doctest/doctest.h>

#include "mapping/created_resource.hpp"

using alliance::created_resource_id;

TEST_SUITE("created_resource") {
  TEST_CASE("the id comes from Location, else from the resource in the body") {
    CHECK(created_resource_id("https://ehr/fhir/R4/Questionnaire/q-1/_history/1", "", "Questionnaire") == "q-1");
    CHECK(created_resource_id("", R"({"resourceType":"Questionnaire","id":"q-2"})", "Questionnaire") == "q-2");
    CHECK(created_resource_id("", R"({"resourceType":"Observation","id":"o-1"})", "Questionnaire").empty());
    CHECK(created_resource_id("", "<html>", "Questionnaire").empty());
  }

  TEST_CASE("fields of the wrong type give no id and throw nothing") {
    // Found reading the code the fuzz target calls: nlohmann's value() throws when
    // resourceType is not text; the HTTPS client dropped the exception, and the
    // Questionnaire's waiting administrations were never settled.
    for (const char* body : {R"({"resourceType":1,"id":"q"})", R"({"resourceType":null})",
                             R"({"resourceType":["Questionnaire"],"id":"q"})", R"({"resourceType":"Questionnaire","id":7})"}) {
      const std::string text = body;
      CAPTURE(text);
      std::string id = "unset";
      CHECK_NOTHROW(id = created_resource_id("", text, "Questionnaire"));
      CHECK(id.empty());
    }
  }
}
