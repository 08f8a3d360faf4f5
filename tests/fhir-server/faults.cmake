# Fault injection on the test server (faults.mjs), included from CMakeLists.txt.
#   fhir_server_faults  a separate server for tests that POST fault plans to
#                       /_test/faults (a plan would disturb the shared fhir_server);
#                       its port in ${ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE}. A plan is
#                       server-wide: tests that set one take RESOURCE_LOCK
#                       ${ALLIANCE_FHIR_SERVER_FAULTS_RESOURCE_LOCK}, and DELETE it when done.
# A test that needs the server down first and up later on a port its client was
# configured with runs start.sh CERTIFICATES OUTPUT --port N itself (see README.md).

set(fhir_server_faults_output ${CMAKE_BINARY_DIR}/test-output/fhir-server-faults)
set(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE ${fhir_server_faults_output}/fhir-server.port)
set(ALLIANCE_FHIR_SERVER_FAULTS_RESOURCE_LOCK fhir_server_faults_plan)
foreach(variable ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE ALLIANCE_FHIR_SERVER_FAULTS_RESOURCE_LOCK)
  set(${variable} ${${variable}} PARENT_SCOPE)
endforeach()

add_test(NAME fixture.fhir_server_faults_start
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/start.sh ${ALLIANCE_TEST_CERTIFICATES} ${fhir_server_faults_output})
set_tests_properties(fixture.fhir_server_faults_start PROPERTIES
  FIXTURES_SETUP fhir_server_faults FIXTURES_REQUIRED "test_certificates;fhir_server" LABELS fixture
  ENVIRONMENT "NODE=${ALLIANCE_NODE}")

add_test(NAME fixture.fhir_server_faults_stop
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/stop.sh ${fhir_server_faults_output})
set_tests_properties(fixture.fhir_server_faults_stop PROPERTIES FIXTURES_CLEANUP fhir_server_faults LABELS fixture)

# The faults themselves and start.sh --port, on a server of the test's own (it starts
# it on a fixed port and stops it). fhir_server: its fixture has run `npm ci`.
add_test(NAME fhir_server.faults
  COMMAND ${ALLIANCE_NODE} --test ${CMAKE_CURRENT_SOURCE_DIR}/faults.test.mjs
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
set_tests_properties(fhir_server.faults PROPERTIES
  FIXTURES_REQUIRED "test_certificates;fhir_server" LABELS fhir_server TIMEOUT 120
  ENVIRONMENT "NODE=${ALLIANCE_NODE};TEST_CERTIFICATES=${ALLIANCE_TEST_CERTIFICATES};FAULTS_OUTPUT=${CMAKE_BINARY_DIR}/test-output/fhir-server-faults-test")
