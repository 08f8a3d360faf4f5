# SMART Backend Services on the test server (token-endpoint.mjs), included from
# CMakeLists.txt. Fixtures:
#   smart_keys         tests/fhir_auth/make_test_keys.sh -> ${ALLIANCE_TEST_KEYS}: rs384.key,
#                      es384.key, wrong-es384.key (mode 600), *.pub.pem, jwks.json
#   fhir_server_smart  a separate server that verifies client assertions against that
#                      JWKS for client id ${ALLIANCE_SMART_CLIENT_ID}, issues tokens that
#                      live ${ALLIANCE_SMART_TOKEN_LIFETIME} s and requires them on FHIR
#                      requests; its port in ${ALLIANCE_FHIR_SERVER_SMART_PORT_FILE}.
# A token endpoint that grants fewer scopes than asked (--granted-scopes) would disturb
# the tests of this fixture: tests that need one start a server of their own (start.sh).
# Tests that count issued tokens (GET /auth/_issued_count) take RESOURCE_LOCK
# ${ALLIANCE_SMART_RESOURCE_LOCK}, so that no other test asks for tokens meanwhile.

set(ALLIANCE_TEST_KEYS ${CMAKE_BINARY_DIR}/test-keys)
set(ALLIANCE_SMART_CLIENT_ID alliance-test-client)
set(ALLIANCE_SMART_TOKEN_LIFETIME 3)
set(ALLIANCE_SMART_RESOURCE_LOCK fhir_server_smart_tokens)
set(fhir_server_smart_output ${CMAKE_BINARY_DIR}/test-output/fhir-server-smart)
set(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE ${fhir_server_smart_output}/fhir-server.port)
foreach(variable ALLIANCE_TEST_KEYS ALLIANCE_SMART_CLIENT_ID ALLIANCE_SMART_TOKEN_LIFETIME
                 ALLIANCE_SMART_RESOURCE_LOCK ALLIANCE_FHIR_SERVER_SMART_PORT_FILE)
  set(${variable} ${${variable}} PARENT_SCOPE)
endforeach()

add_test(NAME fixture.make_smart_keys
  COMMAND ${PROJECT_SOURCE_DIR}/tests/fhir_auth/make_test_keys.sh ${ALLIANCE_TEST_KEYS})
set_tests_properties(fixture.make_smart_keys PROPERTIES
  FIXTURES_SETUP smart_keys LABELS fixture ENVIRONMENT "NODE=${ALLIANCE_NODE}")

add_test(NAME fixture.fhir_server_smart_start
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/start.sh ${ALLIANCE_TEST_CERTIFICATES} ${fhir_server_smart_output}
          --jwks ${ALLIANCE_TEST_KEYS}/jwks.json --client-id ${ALLIANCE_SMART_CLIENT_ID}
          --token-lifetime ${ALLIANCE_SMART_TOKEN_LIFETIME} --require-token)
set_tests_properties(fixture.fhir_server_smart_start PROPERTIES
  FIXTURES_SETUP fhir_server_smart FIXTURES_REQUIRED "fhir_server;test_certificates;smart_keys" LABELS fixture
  ENVIRONMENT "NODE=${ALLIANCE_NODE}")

add_test(NAME fixture.fhir_server_smart_stop
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/stop.sh ${fhir_server_smart_output})
set_tests_properties(fixture.fhir_server_smart_stop PROPERTIES FIXTURES_CLEANUP fhir_server_smart LABELS fixture)

add_test(NAME fhir_server.smart_backend_services
  COMMAND ${ALLIANCE_NODE} --test ${CMAKE_CURRENT_SOURCE_DIR}/smart.test.mjs
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
set_tests_properties(fhir_server.smart_backend_services PROPERTIES
  FIXTURES_REQUIRED "fhir_server_smart;smart_keys" LABELS fhir_server TIMEOUT 60
  RESOURCE_LOCK ${ALLIANCE_SMART_RESOURCE_LOCK}
  ENVIRONMENT "FHIR_SERVER_PORT_FILE=${ALLIANCE_FHIR_SERVER_SMART_PORT_FILE};TEST_CA=${ALLIANCE_TEST_CERTIFICATES}/ca.pem;TEST_KEYS=${ALLIANCE_TEST_KEYS};SMART_CLIENT_ID=${ALLIANCE_SMART_CLIENT_ID};SMART_TOKEN_LIFETIME=${ALLIANCE_SMART_TOKEN_LIFETIME}")
