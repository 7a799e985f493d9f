# cortex-m4.cmake — CMake toolchain file: arm-none-eabi-gcc for a Cortex-M4F
# (QEMU's mps2-an386), linked with runtime/cortex-m and newlib's
# semihosting (rdimon), as regress/qemu/run-target.sh links.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
set(LTCC_RUNTIME "${CMAKE_CURRENT_LIST_DIR}/../../runtime")
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "--specs=rdimon.specs -nostartfiles -L${LTCC_RUNTIME}/cortex-m -Tmps2-an386.ld -Wl,--gc-sections")
