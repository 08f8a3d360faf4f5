# Turns the panel templates into a C++ source file at build time, so the .so is
# self-contained and a template edit triggers a rebuild. Run with -P and:
#   OUTPUT=<file.cpp>  INPUTS=<a.html;b.html>
set(source "// Generated from plugin/panels/*.html by embed_panels.cmake. Do not edit.\n")
string(APPEND source "#include \"panels/panel_templates.hpp\"\n\nnamespace alliance {\n\n")
foreach(input IN LISTS INPUTS)
  get_filename_component(name "${input}" NAME_WE)
  file(READ "${input}" content)
  string(FIND "${content}" ")PANEL\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${input} contains the raw-string delimiter )PANEL\"")
  endif()
  string(APPEND source "extern const char* const kPanelTemplate_${name} = R\"PANEL(${content})PANEL\";\n\n")
endforeach()
string(APPEND source "}  // namespace alliance\n")
file(WRITE "${OUTPUT}.tmp" "${source}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
