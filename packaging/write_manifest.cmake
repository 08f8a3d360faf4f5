# Writes the plugin's manifest (see sdk-stubs/host-sim/plugin_manifest.hpp) for the
# library file LIBRARY into OUTPUT, with the SHA-256 of LIBRARY's bytes as they are
# now. Run with cmake -P after the library is linked, and again by the install step
# on the installed copy, so the manifest always describes the bytes beside it.
#
# Inputs: LIBRARY, OUTPUT, PLUGIN_VERSION, ABI_MAJOR, ABI_MINOR.
foreach(input LIBRARY OUTPUT PLUGIN_VERSION ABI_MAJOR ABI_MINOR)
  if(NOT DEFINED ${input} OR "${${input}}" STREQUAL "")
    message(FATAL_ERROR "write_manifest.cmake: ${input} is not set")
  endif()
endforeach()
if(NOT EXISTS "${LIBRARY}")
  message(FATAL_ERROR "write_manifest.cmake: ${LIBRARY} does not exist")
endif()

file(SHA256 "${LIBRARY}" library_sha256)
get_filename_component(library_name "${LIBRARY}" NAME)
string(CONCAT manifest
  "{\n"
  "  \"plugin_id\": \"org.alliance-plugin.alliance\",\n"
  "  \"name\": \"Alliance\",\n"
  "  \"version\": \"${PLUGIN_VERSION}\",\n"
  "  \"abi\": { \"major\": ${ABI_MAJOR}, \"minor\": ${ABI_MINOR} },\n"
  "  \"entry_symbol\": \"thp_plugin_entry\",\n"
  "  \"library\": \"${library_name}\",\n"
  "  \"sha256\": \"${library_sha256}\"\n"
  "}\n")
# Written only when it changes, so that nothing downstream rebuilds for nothing.
file(CONFIGURE OUTPUT "${OUTPUT}" CONTENT "${manifest}" @ONLY)
