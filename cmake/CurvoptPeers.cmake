# LibTorch for the optional peer benchmarks and peer-parity tests (CURVOPT_PEERS=ON).
# Debian's libtorch-dev installs TorchConfig.cmake under /usr/lib/<arch>/cmake/Torch, which
# find_package searches by default.
find_package(Torch REQUIRED)
message(STATUS "curvopt: LibTorch peers enabled (${TORCH_LIBRARIES})")

# curvopt_link_torch(target): compile and link `target` against LibTorch's C++ API.
function(curvopt_link_torch target)
  # The C++ API headers (torch/torch.h) are not among the imported targets' include directories;
  # SYSTEM keeps our warning flags off them.
  target_include_directories(${target} SYSTEM PRIVATE ${TORCH_INCLUDE_DIRS})
  # The ABI flag LibTorch was built with (-D_GLIBCXX_USE_CXX11_ABI=1 on Debian, g++'s default);
  # it must hold for every translation unit that passes std::string across.
  separate_arguments(flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(${target} PRIVATE ${flags})
  target_link_libraries(${target} PRIVATE ${TORCH_LIBRARIES})
endfunction()
