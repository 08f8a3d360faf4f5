# The test server emulating two EHRs' documented write rules (emulation.mjs; see
# docs/emulations.md), included from CMakeLists.txt. Fixtures:
#   fhir_server_epic            --emulate epic with the example flowsheet rows in
#                               emulations/epic-rows.json, SMART Backend Services with the
#                               smart_keys JWKS for ${ALLIANCE_SMART_CLIENT_ID}, Epic's
#                               `scope` ignored, tokens required; its port in
#                               ${ALLIANCE_FHIR_SERVER_EPIC_PORT_FILE}
#   fhir_server_oracle_health   --emulate oracle-health with emulations/oracle-health-rows.json,
#                               a system account: client id ${ALLIANCE_ORACLE_HEALTH_CLIENT_ID}
#                               and the secret in ${ALLIANCE_ORACLE_HEALTH_CLIENT_SECRET_FILE}
#                               (made at test time, mode 600) as HTTP Basic, tokens required;
#                               its port in ${ALLIANCE_FHIR_SERVER_ORACLE_HEALTH_PORT_FILE}
# Rows files for these fixtures: ${ALLIANCE_EPIC_FLOWSHEET_ROWS} and
# ${ALLIANCE_ORACLE_HEALTH_FLOWSHEET_ROWS}. The servers are shared: make your own ids.

set(fhir_server_epic_output ${CMAKE_BINARY_DIR}/test-output/fhir-server-epic)
set(fhir_server_oracle_health_output ${CMAKE_BINARY_DIR}/test-output/fhir-server-oracle-health)
set(ALLIANCE_FHIR_SERVER_EPIC_PORT_FILE ${fhir_server_epic_output}/fhir-server.port)
set(ALLIANCE_FHIR_SERVER_ORACLE_HEALTH_PORT_FILE ${fhir_server_oracle_health_output}/fhir-server.port)
set(ALLIANCE_EPIC_FLOWSHEET_ROWS ${CMAKE_CURRENT_SOURCE_DIR}/emulations/epic-rows.json)
set(ALLIANCE_ORACLE_HEALTH_FLOWSHEET_ROWS ${CMAKE_CURRENT_SOURCE_DIR}/emulations/oracle-health-rows.json)
set(ALLIANCE_ORACLE_HEALTH_CLIENT_ID alliance-oracle-health-system-account)
set(ALLIANCE_ORACLE_HEALTH_CLIENT_SECRET_FILE ${CMAKE_BINARY_DIR}/test-secrets/oracle-health-client-secret)
foreach(variable ALLIANCE_FHIR_SERVER_EPIC_PORT_FILE ALLIANCE_FHIR_SERVER_ORACLE_HEALTH_PORT_FILE
                 ALLIANCE_EPIC_FLOWSHEET_ROWS ALLIANCE_ORACLE_HEALTH_FLOWSHEET_ROWS
                 ALLIANCE_ORACLE_HEALTH_CLIENT_ID ALLIANCE_ORACLE_HEALTH_CLIENT_SECRET_FILE)
  set(${variable} ${${variable}} PARENT_SCOPE)
endforeach()

add_test(NAME fixture.fhir_server_epic_start
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/start.sh ${ALLIANCE_TEST_CERTIFICATES} ${fhir_server_epic_output}
          --emulate epic --flowsheet-rows ${ALLIANCE_EPIC_FLOWSHEET_ROWS}
          --jwks ${ALLIANCE_TEST_KEYS}/jwks.json --client-id ${ALLIANCE_SMART_CLIENT_ID} --scope-ignored --require-token
          # What an Epic app for rows and notes is registered for (scope is ignored).
          --granted-scopes "system/Observation.crs system/DocumentReference.crs")
set_tests_properties(fixture.fhir_server_epic_start PROPERTIES
  FIXTURES_SETUP fhir_server_epic FIXTURES_REQUIRED "fhir_server;test_certificates;smart_keys" LABELS fixture
  ENVIRONMENT "NODE=${ALLIANCE_NODE}")

add_test(NAME fixture.fhir_server_epic_stop
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/stop.sh ${fhir_server_epic_output})
set_tests_properties(fixture.fhir_server_epic_stop PROPERTIES FIXTURES_CLEANUP fhir_server_epic LABELS fixture)

add_test(NAME fixture.make_oracle_health_client_secret
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/make-client-secret.sh ${ALLIANCE_ORACLE_HEALTH_CLIENT_SECRET_FILE})
set_tests_properties(fixture.make_oracle_health_client_secret PROPERTIES
  FIXTURES_SETUP oracle_health_client_secret LABELS fixture)

add_test(NAME fixture.fhir_server_oracle_health_start
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/start.sh ${ALLIANCE_TEST_CERTIFICATES} ${fhir_server_oracle_health_output}
          --emulate oracle-health --flowsheet-rows ${ALLIANCE_ORACLE_HEALTH_FLOWSHEET_ROWS}
          --client-secret-file ${ALLIANCE_ORACLE_HEALTH_CLIENT_SECRET_FILE}
          --client-id ${ALLIANCE_ORACLE_HEALTH_CLIENT_ID} --require-token)
set_tests_properties(fixture.fhir_server_oracle_health_start PROPERTIES
  FIXTURES_SETUP fhir_server_oracle_health
  FIXTURES_REQUIRED "fhir_server;test_certificates;oracle_health_client_secret" LABELS fixture
  ENVIRONMENT "NODE=${ALLIANCE_NODE}")

add_test(NAME fixture.fhir_server_oracle_health_stop
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/stop.sh ${fhir_server_oracle_health_output})
set_tests_properties(fixture.fhir_server_oracle_health_stop PROPERTIES
  FIXTURES_CLEANUP fhir_server_oracle_health LABELS fixture)

add_test(NAME fhir_server.emulation
  COMMAND ${ALLIANCE_NODE} --test ${CMAKE_CURRENT_SOURCE_DIR}/emulation.test.mjs
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
set_tests_properties(fhir_server.emulation PROPERTIES
  FIXTURES_REQUIRED "fhir_server_epic;fhir_server_oracle_health;smart_keys;oracle_health_client_secret"
  LABELS fhir_server TIMEOUT 180
  ENVIRONMENT "EPIC_PORT_FILE=${ALLIANCE_FHIR_SERVER_EPIC_PORT_FILE};ORACLE_HEALTH_PORT_FILE=${ALLIANCE_FHIR_SERVER_ORACLE_HEALTH_PORT_FILE};TEST_CA=${ALLIANCE_TEST_CERTIFICATES}/ca.pem;TEST_KEYS=${ALLIANCE_TEST_KEYS};SMART_CLIENT_ID=${ALLIANCE_SMART_CLIENT_ID};ORACLE_HEALTH_CLIENT_ID=${ALLIANCE_ORACLE_HEALTH_CLIENT_ID};ORACLE_HEALTH_CLIENT_SECRET_FILE=${ALLIANCE_ORACLE_HEALTH_CLIENT_SECRET_FILE}")
