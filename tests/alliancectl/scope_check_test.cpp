// Which needed SMART scopes a grant leaves out, and how test-connection reports it.
#include <doctest/doctest.h>

#include "alliancectl/connection_test.hpp"
#include "alliancectl/scope_check.hpp"

using namespace alliance::control;

TEST_SUITE("alliancectl") {
  TEST_CASE("a scope covers itself and a granted set without a needed scope names it") {
    CHECK(scope_covers("system/Observation.c", "system/Observation.c"));
    CHECK(missing_scopes({"system/QuestionnaireResponse.c", "system/Observation.c", "system/Questionnaire.crs"},
                         {"system/Observation.c"}) ==
          std::vector<std::string>{"system/QuestionnaireResponse.c", "system/Questionnaire.crs"});
    CHECK(missing_scopes({"system/Observation.c"}, {"system/Observation.c", "system/Patient.rs"}).empty());
    CHECK(missing_scopes({"system/Observation.c"}, {}) == std::vector<std::string>{"system/Observation.c"});
  }

  TEST_CASE("v1 and v2 permissions are compared as letters of the same context and resource type") {
    CHECK(scope_covers("system/Observation.write", "system/Observation.c"));
    CHECK(scope_covers("system/Questionnaire.*", "system/Questionnaire.crs"));
    CHECK(scope_covers("system/Questionnaire.cruds", "system/Questionnaire.crs"));
    CHECK(scope_covers("system/Questionnaire.read", "system/Questionnaire.rs"));
    CHECK(scope_covers("system/*.cruds", "system/Observation.c"));
    CHECK_FALSE(scope_covers("system/Observation.c", "system/Observation.write"));  // write is c, u and d
    CHECK_FALSE(scope_covers("system/Observation.read", "system/Observation.c"));
    CHECK_FALSE(scope_covers("system/Questionnaire.rs", "system/Questionnaire.crs"));
    CHECK_FALSE(scope_covers("user/Observation.cruds", "system/Observation.c"));
    CHECK_FALSE(scope_covers("system/Observation.cruds", "system/QuestionnaireResponse.c"));
  }

  TEST_CASE("scopes with a query or no SMART shape are compared as whole strings") {
    CHECK_FALSE(scope_covers("system/Observation.cruds?category=survey", "system/Observation.c"));
    CHECK_FALSE(scope_covers("system/Observation.cruds", "system/Observation.c?category=survey"));
    CHECK(scope_covers("system/Observation.c?category=survey", "system/Observation.c?category=survey"));
    CHECK_FALSE(scope_covers("launch", "system/Observation.c"));
    CHECK_FALSE(scope_covers("system/Observation.sc", "system/Observation.c"));  // letters out of order: not SMART
    CHECK_FALSE(scope_covers("system/.cruds", "system/Observation.c"));
  }
}

TEST_SUITE("alliancectl") {
  TEST_CASE("the report of granted scopes says as requested and names what is missing and how to fix it") {
    using alliance::fhir::auth::GrantedScopes;
    using alliance::fhir::auth::GrantedScopesState;
    alliance::FhirConfiguration settings;
    settings.smart = alliance::SmartConfiguration{};
    settings.smart->client_id = "alliance-backend";
    settings.smart->scopes = "system/QuestionnaireResponse.c system/Observation.c system/Questionnaire.crs";

    const GrantedScopes as_requested;
    CHECK(describe_granted_scopes(as_requested).starts_with("as requested"));
    CHECK(missing_scope_problem(as_requested, settings).empty());
    const GrantedScopes unreadable{GrantedScopesState::unreadable, {}};
    CHECK(describe_granted_scopes(unreadable).starts_with("unknown"));
    CHECK(missing_scope_problem(unreadable, settings).empty());

    const GrantedScopes all{GrantedScopesState::listed,
                            {"system/QuestionnaireResponse.write", "system/Observation.write", "system/Questionnaire.*"}};
    CHECK(missing_scope_problem(all, settings).empty());

    const GrantedScopes fewer{GrantedScopesState::listed, {"system/QuestionnaireResponse.c", "system/Observation.c"}};
    const std::string problem = missing_scope_problem(fewer, settings);
    CHECK(problem.find("needs \"system/Questionnaire.crs\" as well") != std::string::npos);
    CHECK(problem.find("to client alliance-backend") != std::string::npos);
    CHECK(problem.find("fhir.ensure_questionnaires to false") != std::string::npos);
    CHECK(problem.find("fhir.smart.scopes") == std::string::npos);  // not set: the default is what the settings need

    settings.smart->scopes_given = true;
    const GrantedScopes none{GrantedScopesState::listed, {}};
    CHECK(describe_granted_scopes(none) == "none");
    CHECK(missing_scope_problem(none, settings).find("the EHR granted no scopes") != std::string::npos);
    CHECK(missing_scope_problem(none, settings).find("or correct fhir.smart.scopes") != std::string::npos);
  }
}
