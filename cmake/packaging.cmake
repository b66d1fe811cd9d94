# Installation, man pages and the .deb: `cmake --install` puts the binaries in bin, the systemd
# units in lib/systemd/system, the man pages in share/man/man1 and the README in
# share/doc/echo-server, with its pages in share/doc/echo-server/docs (a folder, as in the
# repository, so that the README's links to docs/*.md still resolve); `cpack -G DEB` in the build
# directory packages the same files as echo-server_VERSION_ARCH.deb. Included from the top
# CMakeLists.txt.

include(GNUInstallDirs)

# Man pages from each program's --help and --version, made by Debian's help2man at build time.
option(ECHO_MAN_PAGES "Build the man pages with help2man" ON)
set(ECHO_MAN_DIR ${PROJECT_BINARY_DIR}/man)
if(ECHO_MAN_PAGES)
  find_program(HELP2MAN help2man REQUIRED)
  set(echo_man_pages)
  foreach(program IN ITEMS echo-server echo-client)
    if(program STREQUAL "echo-server")
      set(summary "TCP echo server on Boost.Asio")
    else()
      set(summary "client, tester and load generator for TCP echo servers")
    endif()
    set(page ${ECHO_MAN_DIR}/man1/${program}.1)
    add_custom_command(
      OUTPUT ${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${ECHO_MAN_DIR}/man1
      COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section 1 --name ${summary}
              --output ${page} $<TARGET_FILE:${program}>
      DEPENDS ${program}
      COMMENT "help2man: ${program}.1"
      VERBATIM)
    list(APPEND echo_man_pages ${page})
  endforeach()
  add_custom_target(man_pages ALL DEPENDS ${echo_man_pages})
  install(FILES ${echo_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

install(TARGETS echo-server echo-client RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The units name /usr/bin/echo-server; installed elsewhere (the default prefix is /usr/local),
# they name the installed binary instead.
foreach(unit IN ITEMS echo-server.service echo-server.socket)
  file(READ ${PROJECT_SOURCE_DIR}/deploy/${unit} text)
  string(REPLACE "/usr/bin/echo-server" "${CMAKE_INSTALL_FULL_BINDIR}/echo-server" text "${text}")
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/deploy/${unit} CONTENT "${text}")
  install(FILES ${PROJECT_BINARY_DIR}/deploy/${unit} DESTINATION lib/systemd/system)
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/deploy/echo-server.service
             ${PROJECT_SOURCE_DIR}/deploy/echo-server.socket)

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/echo-server)
install(FILES docs/server.md docs/client.md docs/deploy.md docs/limits.md docs/testing.md
              docs/benchmarks.md
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/echo-server/docs)

# The .deb. Its paths are the install prefix's, so that the units' ExecStart= matches: configure
# with -DCMAKE_INSTALL_PREFIX=/usr for a Debian-style package (.ci/quickstart package does).
set(CPACK_PACKAGE_NAME echo-server)
set(CPACK_PACKAGE_VENDOR "echo-server maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "TCP echo server and client on Boost.Asio")
set(CPACK_PACKAGE_DESCRIPTION
    "echo-server answers each TCP connection with what it sends (or a prefixed line, or an\n"
    "acknowledgement), with connection limits, timeouts, --workers and systemd integration\n"
    "(Type=notify, socket activation). echo-client talks to it: one-shot messages, pipes,\n"
    "an interactive prompt, a self-test and a load generator.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(ECHO_PACKAGE_MAINTAINER "echo-server maintainers <maintainers@example.org>"
    CACHE STRING "The .deb's Maintainer field")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${ECHO_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: from the shared libraries the binaries link (dpkg-shlibdeps, in dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# systemd learns of the new units, and a removed package's service stops first.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/cmake/debian/postinst
    ${PROJECT_SOURCE_DIR}/cmake/debian/prerm
    ${PROJECT_SOURCE_DIR}/cmake/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_GENERATOR DEB)
include(CPack)
