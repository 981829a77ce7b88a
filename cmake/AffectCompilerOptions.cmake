# Warnings and sanitizers for the project's own targets (never for generated
# or third-party code). Call affect_target_options(<target>) on each target.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM} CACHE STRING "" FORCE)
  set(CMAKE_C_COMPILER_LAUNCHER ${CCACHE_PROGRAM} CACHE STRING "" FORCE)
endif()

set(_affect_sanitizer_flags "")
if(AFFECT_SANITIZER STREQUAL "address")
  set(_affect_sanitizer_flags -fsanitize=address -fno-omit-frame-pointer)
elseif(AFFECT_SANITIZER STREQUAL "undefined")
  set(_affect_sanitizer_flags -fsanitize=undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
elseif(AFFECT_SANITIZER STREQUAL "thread")
  set(_affect_sanitizer_flags -fsanitize=thread -fno-omit-frame-pointer)
elseif(NOT AFFECT_SANITIZER STREQUAL "")
  message(FATAL_ERROR "AFFECT_SANITIZER must be one of: address, undefined, thread (got '${AFFECT_SANITIZER}'). "
                      "Sanitizers cannot be combined in one build: use one build directory per sanitizer.")
endif()
if(AFFECT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "AFFECT_FUZZ needs clang (libFuzzer): configure with "
                        "-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang, or run scripts/fuzz.sh")
  endif()
  if(NOT AFFECT_SANITIZER STREQUAL "")
    message(FATAL_ERROR "AFFECT_FUZZ brings its own sanitizers (address + undefined): "
                        "leave AFFECT_SANITIZER empty")
  endif()
  # Coverage instrumentation everywhere; the fuzzer targets add -fsanitize=fuzzer
  # (libFuzzer's main) at their link.
  set(_affect_sanitizer_flags -fsanitize=address,undefined,fuzzer-no-link
                              -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
endif()
if(_affect_sanitizer_flags)
  # Sanitizers must be applied to every object and the link, including
  # generated code, or their runtime reports false positives.
  add_compile_options(${_affect_sanitizer_flags})
  add_link_options(${_affect_sanitizer_flags})
endif()

function(affect_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                                           -Wnon-virtual-dtor -Wno-unused-parameter)
  if(AFFECT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# affect_library(NAME name SOURCES ... DEPS ... [PRIVATE_DEPS ...])
# One static library per server component, with an affect:: alias so that
# tests link exactly the component they test.
function(affect_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(affect_${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(affect::${ARG_NAME} ALIAS affect_${ARG_NAME})
  target_include_directories(affect_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(affect_${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  affect_target_options(affect_${ARG_NAME})
endfunction()
