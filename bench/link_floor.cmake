# Links OBJECT (bench/lib_floor.c, compiled) into OUTPUT against exactly the shared libraries
# SERVICE (a built service binary) names as DT_NEEDED, read with readelf,
# each by its soname and with --no-as-needed so none is dropped. Run by
# bench/CMakeLists.txt after the service is linked:
#   cmake -DCC=... -DSERVICE=... -DOBJECT=... -DOUTPUT=... -P link_floor.cmake
foreach(var CC SERVICE OBJECT OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "link_floor.cmake: ${var} is not set")
  endif()
endforeach()

find_program(READELF readelf REQUIRED)
execute_process(COMMAND ${READELF} -d ${SERVICE} OUTPUT_VARIABLE dynamic
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "link_floor.cmake: readelf -d ${SERVICE} failed")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*\\[[^]\n]+\\]" needed "${dynamic}")
set(libs)
foreach(line IN LISTS needed)
  string(REGEX REPLACE ".*\\[([^]]+)\\]$" "\\1" soname "${line}")
  list(APPEND libs "-l:${soname}")
endforeach()
if(NOT libs)
  message(FATAL_ERROR "link_floor.cmake: ${SERVICE} names no shared library")
endif()

execute_process(COMMAND ${CC} -o ${OUTPUT} ${OBJECT} -Wl,--no-as-needed ${libs}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "link_floor.cmake: linking ${OUTPUT} failed")
endif()
