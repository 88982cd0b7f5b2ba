# Helpers shared by every directory. New tests, properties, fuzzers and
# benchmarks are picked up by file name (see STYLE.md, principle 9), so adding
# one never means editing a shared CMakeLists.txt.

# Warnings for our own targets; BOTTLE_WERROR (set by the dev preset) makes
# them errors.
function(bottle_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wold-style-cast -Wcast-align)
  if(BOTTLE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Test programs (unit tests, properties, the harness's unit tests) check
# behaviour, not speed: BOTTLE_TEST_CXX_FLAGS lets a preset compile them with
# less optimisation than the tools they test (the dev preset: -Og, which
# halves their compile time; the tools and benchmarks keep -O2).
set(BOTTLE_TEST_CXX_FLAGS "" CACHE STRING "Extra compile flags for test programs (the dev preset sets -Og)")
function(bottle_test_program target)
  bottle_warnings(${target})
  if(BOTTLE_TEST_CXX_FLAGS)
    separate_arguments(flags NATIVE_COMMAND "${BOTTLE_TEST_CXX_FLAGS}")
    target_compile_options(${target} PRIVATE ${flags})
  endif()
endfunction()

# add_subdirectory() for every child directory that has a CMakeLists.txt.
function(bottle_add_subdirectories parent)
  file(GLOB children LIST_DIRECTORIES true CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${parent}/*")
  foreach(child IN LISTS children)
    if(IS_DIRECTORY "${child}" AND EXISTS "${child}/CMakeLists.txt")
      add_subdirectory("${child}")
    endif()
  endforeach()
endfunction()

# One executable per source file; name = file stem with a prefix.
# bottle_glob_executables(OUT_VAR PREFIX <p> PATTERN <glob> LIBS <libs...>)
function(bottle_glob_executables out_var)
  cmake_parse_arguments(ARG "" "PREFIX;PATTERN" "LIBS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${ARG_PATTERN}")
  list(SORT sources)
  set(made "")
  foreach(source IN LISTS sources)
    get_filename_component(stem "${source}" NAME_WE)
    set(target "${ARG_PREFIX}${stem}")
    add_executable(${target} "${source}")
    target_link_libraries(${target} PRIVATE ${ARG_LIBS})
    bottle_warnings(${target})
    list(APPEND made ${target})
  endforeach()
  set(${out_var} "${made}" PARENT_SCOPE)
endfunction()
