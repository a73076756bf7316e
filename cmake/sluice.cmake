# Helpers every CMakeLists.txt in the tree may use.

# sl_add_unit_test(name SOURCES a.c ... LIBS lib ... [ARGS arg ...]): one executable, one CTest
# test, labelled unit, with a timeout. ARGS go on the test's command line (generator
# expressions allowed, e.g. $<TARGET_FILE:sluice-persist> for a test that starts a process).
function(sl_add_unit_test name)
    cmake_parse_arguments(T "" "" "SOURCES;LIBS;ARGS" ${ARGN})
    add_executable(${name} ${T_SOURCES})
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
    target_link_libraries(${name} PRIVATE ${T_LIBS} sl_warnings)
    add_test(NAME ${name} COMMAND ${name} ${T_ARGS})
    set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 60)
endfunction()

# sl_add_unit_dir(dir LIBS lib ...): every tests/unit/<dir>/<module>_test.c becomes a test,
# named <module>_test in common and <dir>_<module>_test elsewhere (two processes may both
# have an openai.c), unless a process folder already registered it by hand (one that needs ARGS).
# Helpers the tests of one dir share live in tests/unit/<dir>/support/*.c: they are built once
# into <dir>_unit_support, linked into every test of the dir, with support/ on the include path.
function(sl_add_unit_dir dir)
    cmake_parse_arguments(T "" "" "LIBS" ${ARGN})
    set(unit ${PROJECT_SOURCE_DIR}/tests/unit/${dir})
    file(GLOB tests CONFIGURE_DEPENDS ${unit}/*_test.c)
    file(GLOB support CONFIGURE_DEPENDS ${unit}/support/*.c)
    set(libs ${T_LIBS})
    if(support)
        add_library(${dir}_unit_support STATIC ${support})
        target_include_directories(${dir}_unit_support
            PUBLIC ${unit}/support PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
        target_link_libraries(${dir}_unit_support PUBLIC ${T_LIBS} PRIVATE sl_warnings)
        set(libs ${dir}_unit_support)
    endif()
    foreach(src ${tests})
        get_filename_component(name ${src} NAME_WE)
        if(NOT dir STREQUAL "common" AND NOT name MATCHES "^${dir}")
            set(name ${dir}_${name})
        endif()
        if(TARGET ${name})
            continue()
        endif()
        sl_add_unit_test(${name} SOURCES ${src} LIBS ${libs})
    endforeach()
endfunction()
