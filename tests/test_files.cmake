# alliance_test_files(<executable> LABELS <label>... [FIXTURES <fixture>...]
#                     [RESOURCE_LOCK <lock>...] [TIMEOUT <seconds>, default 300])
# One CTest test per source file of <executable> that holds a TEST_CASE (foo_test.cpp
# or test_foo.cpp): "<first label>.foo" runs that file's cases in one process
# (doctest's --source-file). Not one test per case: under ASan a test executable's
# start (tens of MB of instrumented code and globals) takes 0.2 to 0.4 s, more than
# most cases take, and ./run test started some 750 of them. A file whose filter
# matches no case fails, so that a renamed file cannot pass by running nothing.
# One case, by hand:
#   build/<preset>/tests/<folder>/<executable> --test-case="<name>"
function(alliance_test_files target)
  cmake_parse_arguments(TESTS "" "TIMEOUT" "LABELS;FIXTURES;RESOURCE_LOCK" ${ARGN})
  list(GET TESTS_LABELS 0 prefix)
  get_target_property(sources ${target} SOURCES)
  set(found FALSE)
  foreach(source IN LISTS sources)
    get_filename_component(file_name ${source} NAME)
    get_filename_component(path ${source} ABSOLUTE)
    file(STRINGS ${path} cases REGEX "TEST_CASE\\(")
    if(NOT cases)
      continue()
    endif()
    string(REGEX REPLACE "^test_|_test\\.cpp$|\\.cpp$" "" name ${file_name})
    set(test ${prefix}.${name})
    add_test(NAME ${test} COMMAND ${target} --source-file=*/${file_name} --no-intro=true)
    set_tests_properties(${test} PROPERTIES LABELS "${TESTS_LABELS}"
      FAIL_REGULAR_EXPRESSION "test cases: +0 [|]")
    if(TESTS_FIXTURES)
      set_tests_properties(${test} PROPERTIES FIXTURES_REQUIRED "${TESTS_FIXTURES}")
    endif()
    if(TESTS_RESOURCE_LOCK)
      set_tests_properties(${test} PROPERTIES RESOURCE_LOCK "${TESTS_RESOURCE_LOCK}")
    endif()
    # A file that hangs fails after its timeout instead of holding the run.
    if(NOT TESTS_TIMEOUT)
      set(TESTS_TIMEOUT 300)
    endif()
    set_tests_properties(${test} PROPERTIES TIMEOUT ${TESTS_TIMEOUT})
    set(found TRUE)
  endforeach()
  if(NOT found)
    message(FATAL_ERROR "alliance_test_files(${target}): no source file holds a TEST_CASE")
  endif()
endfunction()
