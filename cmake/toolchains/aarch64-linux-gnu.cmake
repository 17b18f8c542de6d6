# Cross-compiling for 64-bit Arm Linux with Debian's g++-aarch64-linux-gnu and
# the arm64 multiarch packages (libhwy-dev:arm64, libgtest-dev:arm64).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Target libraries live in the multiarch directories of the host's /usr;
# programs (cmake, ninja) are the host's.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# Run target binaries through user-mode emulation (gtest discovery, tests).
# No "-L /usr/aarch64-linux-gnu": the loader would come from the cross glibc
# and libc.so.6 from the multiarch libc6:arm64, and threads hang on the
# mismatch. The multiarch packages give a consistent loader and libraries.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
