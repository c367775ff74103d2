# ctest: installs sekoia::module from this build tree into a fresh prefix (the library already
# built, nothing recompiled), then configures, builds and runs tests/consumer against it alone.
# Fails on any step: a broken package config, a missing header or dependency, a leaked flag.
#   cmake -DBUILD_DIR=... -DWORK_DIR=... -DCONSUMER_DIR=... -DGENERATOR=... -DCXX_COMPILER=...
#         -DBUILD_TYPE=... [-DLINK_FLAGS=...] -P check_package.cmake
foreach(variable BUILD_DIR WORK_DIR CONSUMER_DIR GENERATOR CXX_COMPILER BUILD_TYPE)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "check_package.cmake: -D${variable}=... is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT status EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "failed (${status}): ${command}\n${output}")
  endif()
  message(STATUS "${output}")
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --component sekoia_module --prefix "${prefix}")
if(NOT EXISTS "${prefix}/include/sekoia/redaction.hpp")
  message(FATAL_ERROR "the install has no headers under ${prefix}/include/sekoia")
endif()
# Only the package's own prefix: no hint that the project's build tree exists.
run(${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
  -DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/consumer")
