# SPDX-License-Identifier: MIT
# Install rules beside the three binaries (whose rules live with their
# targets): man pages, systemd user units, bash completion, example configs
# and docs, at the GNUInstallDirs places under CMAKE_INSTALL_PREFIX.
# `make install DESTDIR=D PREFIX=/usr` and `cmake --install BUILD --prefix P`
# both land here (docs/install.md).

# systemd looks for user units in PREFIX/lib/systemd/user (/usr and
# /usr/local both), never in the multiarch libdir.
set(SOCKSWITCH_USER_UNIT_DIR "lib/systemd/user" CACHE STRING
	"systemd user unit directory, relative to the prefix or absolute")

install(FILES
	man/sockswitch.1 man/sockswitchctl.1 man/sockswitch-plug.1
	DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES man/sockswitch.json.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES man/sockswitch-admin.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)

install(FILES completions/sockswitch completions/sockswitchctl
	DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# The user's documents; the developers' (ARCHITECTURE, e2e, fuzzing,
# performance) stay in the source tree.
install(FILES README.md docs/install.md docs/config.md docs/control.md
	docs/uplinks.md docs/metrics.md docs/capture.md
	DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB SOCKSWITCH_EXAMPLES ${PROJECT_SOURCE_DIR}/configs/*.json)
install(FILES ${SOCKSWITCH_EXAMPLES}
	DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The units name the installed binary. They are written when installing,
# not when configuring, so that `cmake --install --prefix P` puts P in
# ExecStart as well as in the paths.
install(CODE "
	set(bindir \"${CMAKE_INSTALL_BINDIR}\")
	if(NOT IS_ABSOLUTE \"\${bindir}\")
		set(bindir \"\${CMAKE_INSTALL_PREFIX}/\${bindir}\")
	endif()
	set(unitdir \"${SOCKSWITCH_USER_UNIT_DIR}\")
	if(NOT IS_ABSOLUTE \"\${unitdir}\")
		set(unitdir \"\${CMAKE_INSTALL_PREFIX}/\${unitdir}\")
	endif()
	set(SOCKSWITCH_BINDIR \"\${bindir}\")
	# One directory per destination, so that installs to two places at
	# once (the tests do) never share a file.
	string(MD5 dest \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\")
	set(gen \"${PROJECT_BINARY_DIR}/units/\${dest}\")
	foreach(unit sockswitch.service sockswitch@.service)
		configure_file(\"${PROJECT_SOURCE_DIR}/configs/\${unit}.in\"
			\"\${gen}/\${unit}\" @ONLY)
		file(INSTALL \"\${gen}/\${unit}\"
			DESTINATION \"\${unitdir}\"
			PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
	endforeach()
")
