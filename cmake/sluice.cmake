# Helpers every CMakeLists.txt in the tree may use.

# sl_add_unit_test(name SOURCES a.c ... LIBS lib ...): one executable, one CTest test,
# labelled unit, with a timeout.
function(sl_add_unit_test name)
    cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
    add_executable(${name} ${T_SOURCES})
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
    target_link_libraries(${name} PRIVATE ${T_LIBS} sl_warnings)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 60)
endfunction()

# sl_add_unit_dir(dir LIBS lib ...): every tests/unit/<dir>/<module>_test.c becomes a test,
# named <module>_test in common and <dir>_<module>_test elsewhere (two processes may both
# have an openai.c).
function(sl_add_unit_dir dir)
    cmake_parse_arguments(T "" "" "LIBS" ${ARGN})
    file(GLOB tests CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/unit/${dir}/*_test.c)
    foreach(src ${tests})
        get_filename_component(name ${src} NAME_WE)
        if(NOT dir STREQUAL "common" AND NOT name MATCHES "^${dir}")
            set(name ${dir}_${name})
        endif()
        sl_add_unit_test(${name} SOURCES ${src} LIBS ${T_LIBS})
    endforeach()
endfunction()
