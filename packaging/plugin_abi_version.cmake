# Reads the plugin ABI version the plugin is built against from the SDK header, at
# configure time, into ALLIANCE_ABI_MAJOR and ALLIANCE_ABI_MINOR (for the manifest).
set(alliance_abi_header ${PROJECT_SOURCE_DIR}/sdk-stubs/include/telehealth/plugin_abi.h)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${alliance_abi_header})
foreach(part MAJOR MINOR)
  file(STRINGS ${alliance_abi_header} define REGEX "^#define THP_ABI_${part} [0-9]+$")
  string(REGEX REPLACE "^#define THP_ABI_${part} ([0-9]+)$" "\\1" ALLIANCE_ABI_${part} "${define}")
  if(NOT ALLIANCE_ABI_${part} MATCHES "^[0-9]+$")
    message(FATAL_ERROR "cannot read THP_ABI_${part} from ${alliance_abi_header}")
  endif()
endforeach()
