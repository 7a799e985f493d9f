# LtccModel.cmake — compile a Lite Transformer model with ltcc at build time.
#
#   include(LtccModel)   # with this folder on CMAKE_MODULE_PATH
#   ltcc_add_model(<name> LTD <model.ltd>
#                  [TARGET <built-in target> | TARGET_FILE <target.xml>]
#                  [OPTIONS <more ltcc options>...])
#
# Writes <name>.c and <name>.h (API prefix <name>) into the current binary
# directory at build time, and builds them into the static library <name>
# with the flags the target names (ltcc --print-cflags); link it and
# include "<name>.h". ltcc reruns when the .ltd, its weights or the target
# file change (ltcc -MF writes the depfile), and an unchanged header keeps
# its time stamp. LTCC_EXECUTABLE is the ltcc to run (searched on PATH).
cmake_minimum_required(VERSION 3.20)  # DEPFILE with the Makefile generators

find_program(LTCC_EXECUTABLE ltcc)

function(ltcc_add_model name)
  cmake_parse_arguments(A "" "LTD;TARGET;TARGET_FILE" "OPTIONS" ${ARGN})
  if(NOT A_LTD)
    message(FATAL_ERROR "ltcc_add_model(${name}): LTD <model.ltd> is required")
  endif()
  if(NOT LTCC_EXECUTABLE)
    message(FATAL_ERROR "ltcc_add_model(${name}): ltcc not found; set LTCC_EXECUTABLE")
  endif()
  if(A_TARGET AND A_TARGET_FILE)
    message(FATAL_ERROR "ltcc_add_model(${name}): TARGET or TARGET_FILE, not both")
  endif()
  if(A_TARGET_FILE)
    get_filename_component(tfile "${A_TARGET_FILE}" ABSOLUTE)
    set(target_args --target-file "${tfile}")
  else()
    if(NOT A_TARGET)
      set(A_TARGET generic)
    endif()
    set(target_args -t "${A_TARGET}")
  endif()
  get_filename_component(ltd "${A_LTD}" ABSOLUTE)
  set(dir "${CMAKE_CURRENT_BINARY_DIR}")
  add_custom_command(
    OUTPUT "${dir}/${name}.c" "${dir}/${name}.h"
    COMMAND "${LTCC_EXECUTABLE}" "${ltd}" ${target_args} --prefix "${name}"
            -o "${dir}/${name}.c" -MF "${dir}/${name}.d" ${A_OPTIONS}
    DEPENDS "${ltd}"
    DEPFILE "${dir}/${name}.d"
    COMMENT "ltcc: ${A_LTD} -> ${name}.c"
    VERBATIM)
  execute_process(COMMAND "${LTCC_EXECUTABLE}" --print-cflags ${target_args}
                  OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ltcc_add_model(${name}): ltcc --print-cflags ${target_args} failed")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  add_library(${name} STATIC "${dir}/${name}.c")
  target_include_directories(${name} PUBLIC "${dir}")
  target_compile_options(${name} PRIVATE ${flags})
  target_link_libraries(${name} PUBLIC m)
endfunction()
