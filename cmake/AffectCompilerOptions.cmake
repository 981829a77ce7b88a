# Warnings and sanitizers for the project's own targets (never for generated
# or third-party code). Call affect_target_options(<target>) on each target.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM} CACHE STRING "" FORCE)
  set(CMAKE_C_COMPILER_LAUNCHER ${CCACHE_PROGRAM} CACHE STRING "" FORCE)
endif()

# AFFECT_SANITIZER is one sanitizer or a comma-separated set of compatible ones:
# "address,undefined" is the usual pair (ASan and UBSan share one build);
# "thread" cannot be combined with "address" (their runtimes both own the
# shadow memory).
set(_affect_sanitizer_flags "")
if(NOT AFFECT_SANITIZER STREQUAL "")
  string(REPLACE "," ";" _affect_sanitizers "${AFFECT_SANITIZER}")
  list(REMOVE_DUPLICATES _affect_sanitizers)
  foreach(_sanitizer IN LISTS _affect_sanitizers)
    if(NOT _sanitizer MATCHES "^(address|undefined|thread)$")
      message(FATAL_ERROR "AFFECT_SANITIZER must be address, undefined, thread or a comma-separated "
                          "set of them such as address,undefined (got '${AFFECT_SANITIZER}')")
    endif()
  endforeach()
  if("thread" IN_LIST _affect_sanitizers AND "address" IN_LIST _affect_sanitizers)
    message(FATAL_ERROR "AFFECT_SANITIZER: thread and address cannot share a build; "
                        "use one build directory for each (got '${AFFECT_SANITIZER}')")
  endif()
  if("thread" IN_LIST _affect_sanitizers)
    set(AFFECT_TSAN ON)
  endif()
  string(REPLACE ";" "," _affect_sanitizer_list "${_affect_sanitizers}")
  set(_affect_sanitizer_flags -fsanitize=${_affect_sanitizer_list} -fno-omit-frame-pointer)
  if("thread" IN_LIST _affect_sanitizers)
    # Debian's libraries are not built with TSan, and headers that change
    # their layout under TSan must describe them as built: protobuf's
    # map_field.h adds two members to MapFieldBase when __SANITIZE_THREAD__
    # is defined, and libprotobuf then misreads every map field (a SEGV
    # parsing any model config with `parameters`). Undefining the macro keeps
    # the instrumentation (-fsanitize=thread); only the TSan extras that
    # headers select with it go.
    add_compile_options(-U__SANITIZE_THREAD__)
  endif()
  if("thread" IN_LIST _affect_sanitizers AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC warns (-Wtsan) that TSan does not model std::atomic_thread_fence,
    # used inline by Abseil's flag header (absl/flags/internal/sequence_lock.h),
    # not by our code; flags are set before any thread starts.
    add_compile_options(-Wno-tsan)
  endif()
  if("undefined" IN_LIST _affect_sanitizers)
    # Any undefined behaviour fails the test that hit it instead of scrolling by.
    list(APPEND _affect_sanitizer_flags -fno-sanitize-recover=undefined)
  endif()
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
