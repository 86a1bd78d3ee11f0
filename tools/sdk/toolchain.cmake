# CMake toolchain file for xenos guests:
#   cmake -DCMAKE_TOOLCHAIN_FILE=<sdk>/share/xenos/toolchain.cmake -S . -B build
# add_executable() then links a bootable image (kernel + lib9p + newlib [+ libstdc++]); CMake
# names it without a suffix (set_target_properties(app PROPERTIES SUFFIX .elf) if you like).
# xenos-cc and xenos-c++ carry every flag; this file only names them and the target.
get_filename_component(XENOS_SDK "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER "${XENOS_SDK}/bin/xenos-cc")
set(CMAKE_CXX_COMPILER "${XENOS_SDK}/bin/xenos-c++")
# Images are static and linked at a fixed address: no shared libraries to try.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set_property(GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS FALSE)
set(CMAKE_FIND_ROOT_PATH "${XENOS_SDK}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
