# Compiled objects shared between build directories, checkouts and CI runs through ccache, when it
# is installed (scripts/setup installs it). The test script builds a fresh clone three times
# (optimized, sanitized, fuzzed); with a warm cache each build is mostly lookups, and a clone in
# another directory still hits because paths are hashed relative to the source tree.
option(CURVOPT_CCACHE "Compile through ccache when it is installed" ON)
if(CURVOPT_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  find_program(CURVOPT_CCACHE_PROGRAM ccache)
  if(CURVOPT_CCACHE_PROGRAM)
    # base_dir rewrites absolute paths under the source tree to relative ones; hash_dir off lets
    # two checkouts share objects (the -g1 line tables then name the first one's directory).
    set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} CCACHE_NOHASHDIR=1 ${CURVOPT_CCACHE_PROGRAM})
    message(STATUS "curvopt: compiling through ${CURVOPT_CCACHE_PROGRAM}")
  endif()
endif()
