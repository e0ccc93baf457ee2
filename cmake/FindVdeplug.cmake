# FindVdeplug.cmake - locate libvdeplug (Debian's libvdeplug-dev ships no .pc file)
# Defines the imported target Vdeplug::Vdeplug.
find_path(VDEPLUG_INCLUDE_DIR libvdeplug.h)
find_library(VDEPLUG_LIBRARY NAMES vdeplug)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Vdeplug DEFAULT_MSG VDEPLUG_LIBRARY VDEPLUG_INCLUDE_DIR)
if(Vdeplug_FOUND AND NOT TARGET Vdeplug::Vdeplug)
	add_library(Vdeplug::Vdeplug UNKNOWN IMPORTED)
	set_target_properties(Vdeplug::Vdeplug PROPERTIES
		IMPORTED_LOCATION "${VDEPLUG_LIBRARY}"
		INTERFACE_INCLUDE_DIRECTORIES "${VDEPLUG_INCLUDE_DIR}")
endif()
mark_as_advanced(VDEPLUG_INCLUDE_DIR VDEPLUG_LIBRARY)
