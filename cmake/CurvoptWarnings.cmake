# Warnings, sanitizers and the per-target helpers used by every CMakeLists in the tree.
add_library(curvopt_build_flags INTERFACE)
target_compile_options(curvopt_build_flags INTERFACE -Wall -Wextra -Wpedantic)
# GCC 12 also warns about every field a designated initializer leaves out, which is how Options
# structs with in-class defaults are meant to be used (`Adam<float>({.learning_rate = 1e-2})`).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(curvopt_build_flags INTERFACE
    -Wno-missing-field-initializers)
endif()
if(CURVOPT_WERROR)
  target_compile_options(curvopt_build_flags INTERFACE -Werror)
endif()
if(CURVOPT_FUZZ)
  # Only the readers are instrumented (fuzz/CMakeLists.txt marks their sources); the rest of the
  # library, Eigen-heavy and not what is fuzzed, is compiled plainly at -O1, which keeps the fuzz
  # pass of CI to minutes. Every executable links the sanitizer runtimes.
  target_compile_options(curvopt_build_flags INTERFACE -O1 -g1)
  target_link_options(curvopt_build_flags INTERFACE -fsanitize=address,undefined)
elseif(CURVOPT_SANITIZE)
  # -O1 -g1 (after the build type's flags, so they win): what the AddressSanitizer docs advise,
  # with line tables for the reports' stack traces. It halves the instrumented compile, which
  # at -O2 -g was 18 of CI's 25 minutes; the suite then runs in about a minute.
  target_compile_options(curvopt_build_flags INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -O1 -g1)
  target_link_options(curvopt_build_flags INTERFACE -fsanitize=address,undefined)
endif()

# Eigen's element-wise kernels (activations, Hadamard products, im2col) vectorize only as wide as
# the target allows; the BLAS kernels choose their own at run time. Builds are local, so tuning
# for the build machine is the default; turn it off to build portable binaries.
option(CURVOPT_NATIVE "Compile for the build machine's instruction set (-march=native)" ON)
if(CURVOPT_NATIVE)
  target_compile_options(curvopt_build_flags INTERFACE -march=native)
  # What -march=native expands to on this CPU, as a definition: a compiler cache keyed on the
  # command line must not hand objects built for an AVX-512 machine to an AVX2 one (SIGILL).
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -march=native -### -E -x c++ /dev/null
    ERROR_VARIABLE curvopt_native_expansion OUTPUT_QUIET)
  string(MD5 curvopt_native_isa "${curvopt_native_expansion}")
  string(SUBSTRING "${curvopt_native_isa}" 0 12 curvopt_native_isa)
  target_compile_definitions(curvopt_build_flags INTERFACE CURVOPT_NATIVE_ISA=${curvopt_native_isa})
  # GCC before 13 reports "'__Y' is used uninitialized" inside its own avx512fintrin.h whenever
  # Eigen's AVX-512 packet code is inlined (GCC bug 105593: _mm512_undefined_* self-initialise).
  # It is a false positive in the compiler's intrinsics, so on AVX-512 build machines with such a
  # GCC the two uninitialized-use warnings are turned off; everywhere else they stay on.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    include(CheckCXXSourceCompiles)
    set(CMAKE_REQUIRED_FLAGS -march=native)
    check_cxx_source_compiles("
      #ifndef __AVX512F__
      #error no AVX-512
      #endif
      int main() { return 0; }" CURVOPT_NATIVE_HAS_AVX512)
    unset(CMAKE_REQUIRED_FLAGS)
    if(CURVOPT_NATIVE_HAS_AVX512)
      target_compile_options(curvopt_build_flags INTERFACE
        -Wno-uninitialized -Wno-maybe-uninitialized)
    endif()
  endif()
endif()
