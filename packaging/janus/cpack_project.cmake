# Read by cpack (CPACK_PROJECT_CONFIG_FILE) for each generator, after the values given
# with `cpack -D`: alliance-janus depends on the alliance package of exactly its own
# version, revision and epoch included, as dpkg will compare them (Debian's
# `(= ${binary:Version})` for two packages of one build).
if(CPACK_GENERATOR STREQUAL "DEB")
  set(alliance_version "${CPACK_PACKAGE_VERSION}")
  if(CPACK_DEBIAN_PACKAGE_VERSION)
    set(alliance_version "${CPACK_DEBIAN_PACKAGE_VERSION}")
  endif()
  if(CPACK_DEBIAN_PACKAGE_RELEASE)
    string(APPEND alliance_version "-${CPACK_DEBIAN_PACKAGE_RELEASE}")
  endif()
  if(CPACK_DEBIAN_PACKAGE_EPOCH)
    set(alliance_version "${CPACK_DEBIAN_PACKAGE_EPOCH}:${alliance_version}")
  endif()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${CPACK_ALLIANCE_JANUS_DEPENDS}, alliance (= ${alliance_version})")
endif()
