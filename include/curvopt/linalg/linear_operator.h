#pragma once
/// A non-owning reference to a linear operator x ↦ A x, the way the iterative solvers
/// (ConjugateGradient, SteihaugCg) and the matrix-free Gram solve receive A.

#include <memory>
#include <type_traits>

#include "curvopt/core/types.h"

namespace curvopt {

/// Refers to any callable `f(ConstVectorRef<Scalar> x, VectorRef<Scalar> out)` that writes
/// out = A x (`out` never aliases x). Two pointers: copying it is free and it never allocates,
/// unlike std::function, whose type erasure may heap-allocate a capture larger than its small
/// buffer. The solver loops therefore compile once per Scalar in their .cpp files; the price is
/// one indirect call per product, nothing beside the O(n) vector work of each iteration.
///
/// The callable must outlive the reference: pass a lambda straight to the solver call, as in
/// `cg.solve([&](auto x, auto out) { out.noalias() = A * x; }, b, x)`.
/// @tparam Scalar float or double
template <class Scalar>
class LinearOperatorRef {
 public:
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, LinearOperatorRef> &&
           std::is_invocable_v<F&, ConstVectorRef<Scalar>, VectorRef<Scalar>>)
      LinearOperatorRef(F&& f)  // NOLINT: implicit, so that lambdas convert at the call
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_(&invoke<std::remove_reference_t<F>>) {}

  void operator()(ConstVectorRef<Scalar> x, VectorRef<Scalar> out) const { call_(object_, x, out); }

 private:
  template <class F>
  static void invoke(void* object, ConstVectorRef<Scalar> x, VectorRef<Scalar> out) {
    (*static_cast<F*>(object))(x, out);
  }

  void* object_;
  void (*call_)(void*, ConstVectorRef<Scalar>, VectorRef<Scalar>);
};

}  // namespace curvopt
