# mtasts_self_contained_headers(<library> <include dir> <glob>): compiles one translation unit
# per public header of <library> that includes nothing else, so every header compiles on its own.
function(mtasts_self_contained_headers library include_dir pattern)
  file(GLOB_RECURSE _headers CONFIGURE_DEPENDS RELATIVE ${include_dir} ${include_dir}/${pattern})
  set(_units "")
  foreach(header IN LISTS _headers)
    string(MAKE_C_IDENTIFIER "${header}" _id)
    set(_file "${CMAKE_CURRENT_BINARY_DIR}/selfcontained/${_id}.cpp")
    file(CONFIGURE OUTPUT "${_file}" CONTENT "#include \"${header}\"\n")
    list(APPEND _units "${_file}")
  endforeach()
  add_library(${library}_headers OBJECT ${_units})
  target_link_libraries(${library}_headers PRIVATE ${library} mtasts::flags)
endfunction()
