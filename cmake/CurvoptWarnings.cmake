# Warnings, sanitizers and the per-target helpers used by every CMakeLists in the tree.
add_library(curvopt_build_flags INTERFACE)
target_compile_options(curvopt_build_flags INTERFACE -Wall -Wextra -Wpedantic)
if(CURVOPT_WERROR)
  target_compile_options(curvopt_build_flags INTERFACE -Werror)
endif()
if(CURVOPT_SANITIZE)
  target_compile_options(curvopt_build_flags INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(curvopt_build_flags INTERFACE -fsanitize=address,undefined)
endif()

# Eigen's element-wise kernels (activations, Hadamard products, im2col) vectorize only as wide as
# the target allows; the BLAS kernels choose their own at run time. Builds are local, so tuning
# for the build machine is the default; turn it off to build portable binaries.
option(CURVOPT_NATIVE "Compile for the build machine's instruction set (-march=native)" ON)
if(CURVOPT_NATIVE)
  target_compile_options(curvopt_build_flags INTERFACE -march=native)
endif()
