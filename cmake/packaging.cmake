# Installing faultline as a tool on a CI runner: `cmake --install build`
# (under CMAKE_INSTALL_PREFIX, /usr/local by default) and a Debian package,
# `cd build && cpack -G DEB` (under /usr). Included from CMakeLists.txt.
include(GNUInstallDirs)

install(TARGETS faultline RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The report templates are compiled into the binary (builtin_templates.cpp),
# which therefore needs no file beside it and works from any folder. They
# are installed all the same, under share/faultline/templates, because they
# are the documented starting point for a team's own `--template`: copy one,
# edit it, pass it. Installed with the binary, they are the very templates
# its built-in reports come from, not those of some other version. The ready
# experiments go beside them, being input to faultline as well; the
# documentation, which is only read, goes to share/doc/faultline.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/reporters/templates/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/faultline/templates
        FILES_MATCHING PATTERN "*.mustache")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/experiments/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/faultline/experiments
        FILES_MATCHING PATTERN "*.yaml")
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# docs/ stays a folder beside README.md, so that the links between them work.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs FILES_MATCHING PATTERN "*.md")

set(FAULTLINE_PACKAGE_MAINTAINER "faultline maintainers <maintainers@faultline.invalid>"
    CACHE STRING "Maintainer field of the Debian package (cpack -G DEB)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME faultline)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "chaos experiments for web stacks")
set(CPACK_PACKAGE_DESCRIPTION
    "faultline brings up a load balancer (HAProxy or nginx) and its backends in
network namespaces, drives open-model HTTP load through them, injects and
reverts faults on a timeline, judges SLOs window by window and writes a
postmortem draft, a JSON journal and JUnit XML.")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${FAULTLINE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# faultline_<version>_<architecture>.deb. The architecture is left to
# CPack, which asks `dpkg --print-architecture`.
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# A package on a CI runner is not where its crashes get debugged.
set(CPACK_STRIP_FILES ON)

# The programs faultline runs: the servers of the stack, nft and iptables
# for the network faults, ip (and tc) for the namespaces. No version bounds
# here: `faultline doctor` and the run's preflight check the servers'
# versions and say what is too old (harness/runner/preflight.cpp).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "nginx, haproxy, nftables, iptables, iproute2")

# The shared libraries the binary links, as dpkg-shlibdeps finds them (with
# the versions the build machine's libraries need). CPack needs `file` to
# find the binaries to hand it. Without either tool, the same list is
# written out by hand: the package names of Debian 12, which is what
# faultline is built and tested on.
find_program(FAULTLINE_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(FAULTLINE_FILE file)
if(FAULTLINE_DPKG_SHLIBDEPS AND FAULTLINE_FILE)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  message(STATUS "dpkg-shlibdeps or file not found: the Debian package names Debian 12's libraries by hand")
  # What dpkg-shlibdeps gives on Debian 12 for the binary's NEEDED entries.
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS
         ", libc6 (>= 2.34), libfmt9 (>= 9.1.0+ds1), libgcc-s1 (>= 3.0), libnetfilter-queue1 (>= 1.0.0)"
         ", libnfnetlink0 (>= 1.0.2), libnl-3-200 (>= 3.2.7), libnl-route-3-200 (>= 3.2.24)"
         ", libspdlog1.10-fmt9, libstdc++6 (>= 11), libyaml-cpp0.7 (>= 0.7.0)")
endif()

include(CPack)
