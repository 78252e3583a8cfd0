# Project-wide warning and sanitizer flags, applied through an interface target.
add_library(mtasts_flags INTERFACE)
add_library(mtasts::flags ALIAS mtasts_flags)
target_compile_options(mtasts_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wimplicit-fallthrough
  # GCC 12 reports std::string concatenation at -O3 as overlapping memcpy (GCC PR 105329).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
  # GCC 12 at -O2 pairs Asio's awaitable-frame operator delete with the aligned_alloc inside its
  # recycling allocator and reports a mismatch that does not exist.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
if(MTASTS_WERROR)
  target_compile_options(mtasts_flags INTERFACE -Werror)
endif()
if(MTASTS_SANITIZE)
  target_compile_options(mtasts_flags INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(mtasts_flags INTERFACE -fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14's -fsanitize=function cannot compile C++20 coroutines ("Cannot represent a
    # difference across sections"); the rest of UBSan stays on.
    target_compile_options(mtasts_flags INTERFACE -fno-sanitize=function)
  endif()
endif()
