# Installing for many machines: the manual pages (compressed, as Debian wants
# them), the systemd unit, the package's documentation, and the Debian package
# built by CPack: `cpack -G DEB` in the build folder gives
# pcscspy_<version>_amd64.deb with the dependencies dpkg-shlibdeps computes.

# Manual pages, gzip -9n (no name or time stamp: the same bytes every build).
find_program(PCSCSPY_GZIP gzip REQUIRED)
file(GLOB PCSCSPY_MAN_PAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.[1-8])
set(PCSCSPY_MAN_GZ)
foreach(page ${PCSCSPY_MAN_PAGES})
  get_filename_component(name ${page} NAME)
  string(REGEX REPLACE ".*\\.([1-8])$" "\\1" section ${name})
  set(gz ${PROJECT_BINARY_DIR}/man/${name}.gz)
  add_custom_command(OUTPUT ${gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND ${PCSCSPY_GZIP} -9n -c ${page} > ${gz}
    DEPENDS ${page} VERBATIM)
  list(APPEND PCSCSPY_MAN_GZ ${gz})
  install(FILES ${gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(man_pages ALL DEPENDS ${PCSCSPY_MAN_GZ})

# The unit names the installed pcscspy-top, so it is written when the prefix is
# final: at install time (cpack installs with its own prefix, /usr).
set(PCSCSPY_UNIT_DIR lib/systemd/system CACHE STRING "Where the systemd unit goes, under the prefix")
install(CODE "
  set(PCSCSPY_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  set(unit \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${PCSCSPY_UNIT_DIR}/pcscspy-top.service\")
  message(STATUS \"Installing: \${unit}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/dist/pcscspy-top.service.in\" \"\${unit}\" @ONLY)
  file(CHMOD \"\${unit}\" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
")

# Debian's documentation folder is named after the package.
set(PCSCSPY_PACKAGE_NAME pcscspy)
set(changelog_gz ${PROJECT_BINARY_DIR}/dist/changelog.gz)
add_custom_command(OUTPUT ${changelog_gz}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/dist
  COMMAND ${PCSCSPY_GZIP} -9n -c ${PROJECT_SOURCE_DIR}/dist/debian/changelog > ${changelog_gz}
  DEPENDS ${PROJECT_SOURCE_DIR}/dist/debian/changelog VERBATIM)
add_custom_target(package_changelog ALL DEPENDS ${changelog_gz})
install(FILES ${PROJECT_SOURCE_DIR}/dist/debian/copyright ${changelog_gz}
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${PCSCSPY_PACKAGE_NAME})

set(CPACK_PACKAGE_NAME ${PCSCSPY_PACKAGE_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "pcscspy-top developers")
set(CPACK_PACKAGE_CONTACT "pcscspy-top developers <pcscspy-top@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "live monitor of smart card (PC/SC) activity")
set(CPACK_PACKAGE_DESCRIPTION "A top for smart cards: pcscspy-top shows every call that any program
makes to pcsc-lite, with decoded APDUs, as a live dashboard, as text, as
recordings and, run as a service, as Prometheus metrics and a rotating event
log. pcscspy-run traces a program through an interposer library;
pcscspy-decode decodes APDUs, status words, ATRs and return codes.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Install with DESTDIR under the final prefix: the unit then names /usr/bin.
# With DESTDIR, CPack installs under CPACK_INSTALL_PREFIX, which otherwise is
# the build's CMAKE_INSTALL_PREFIX (/usr/local by default).
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # pcscspy_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The interposer loads libpcsclite at run time (dlopen), which shlibdeps cannot see.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libpcsclite1")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "pcscd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, opensc")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/dist/debian/postinst
  ${PROJECT_SOURCE_DIR}/dist/debian/prerm
  ${PROJECT_SOURCE_DIR}/dist/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
