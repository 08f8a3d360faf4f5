# The browser test of Alliance inside Janus (label browser): Debian's chromium with a
# fake camera and microphone, driven by playwright-core (tests/browser's packages), on
# the demo's pages (sdk-stubs/janus-host/demo) in a real Janus with the adapter, against
# the test FHIR server. Included by tests/janus/CMakeLists.txt; only where the adapter
# is built (janus-dev installed). Screenshots: ${CMAKE_BINARY_DIR}/browser-artifacts/janus-*.png.
if(TARGET janus_alliance AND TARGET janus_alliance_events)
  find_program(ALLIANCE_JANUS_CHROMIUM NAMES chromium chromium-browser PATHS /usr/bin)
  if(NOT ALLIANCE_JANUS_CHROMIUM)
    set(ALLIANCE_JANUS_CHROMIUM /usr/bin/chromium)  # The test says it is missing (./run installs it).
  endif()
  add_test(NAME janus.browser
    COMMAND ${ALLIANCE_NODE} --test --test-reporter=spec ${CMAKE_CURRENT_SOURCE_DIR}/janus.browser.test.mjs
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
  set_tests_properties(janus.browser PROPERTIES
    FIXTURES_REQUIRED "fhir_server;browser_packages" LABELS browser TIMEOUT 180 COST 30
    # After browser.panels when both run: that test empties the artifacts folder first.
    DEPENDS browser.panels
    ENVIRONMENT "ALLIANCE_PLUGIN=$<TARGET_FILE:alliance_plugin>;ALLIANCE_JANUS_ADAPTER=$<TARGET_FILE:janus_alliance>;ALLIANCE_JANUS_EVENTS=$<TARGET_FILE:janus_alliance_events>;ALLIANCE_QUESTIONNAIRE_DIR=${ALLIANCE_QUESTIONNAIRE_DIR};FHIR_SERVER_PORT_FILE=${ALLIANCE_FHIR_SERVER_PORT_FILE};TEST_CA=${ALLIANCE_TEST_CERTIFICATES}/ca.pem;BROWSER_ARTIFACTS=${CMAKE_BINARY_DIR}/browser-artifacts;BROWSER_WORK=${CMAKE_BINARY_DIR}/test-output/browser;CHROMIUM=${ALLIANCE_JANUS_CHROMIUM}")
endif()
