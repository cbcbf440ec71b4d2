#pragma once
/// Ampazis & Perantonis' (2000) adaptive momentum for Levenberg-Marquardt, as Pooladzandi & Zhou
/// (2022) use it.

#include "curvopt/core/types.h"

namespace curvopt {

/// The step dθ that is most aligned with the previous step `previous` in the metric H (the damped
/// LM matrix) subject to dθᵀHdθ = δP² and gᵀdθ = δQ = −ξ·δP·√(gᵀH⁻¹g):
///   dθ = (z₁/(2z₂))·v + previous/(2z₂),  v = −H⁻¹g,
///   z₂ = ½√((I_FF·I_GG − I_GF²)/(I_GG·δP² − δQ²)),  z₁ = (I_GF − 2z₂δQ)/I_GG,
/// with I_GG = gᵀH⁻¹g = −gᵀv, I_FF = previousᵀH·previous, I_GF = gᵀ·previous.
/// Returns false, leaving `out` untouched, when the problem is degenerate (previous ∥ v, g = 0,
/// or ξ ∉ (0, 1)); the caller then takes the plain step v.
template <class Scalar>
bool adaptive_momentum_step(ConstVectorRef<Scalar> v, ConstVectorRef<Scalar> g,
                            ConstVectorRef<Scalar> previous, double previous_h_previous,
                            double step_length, double xi, VectorRef<Scalar> out);

extern template bool adaptive_momentum_step<float>(ConstVectorRef<float>, ConstVectorRef<float>,
                                                   ConstVectorRef<float>, double, double, double,
                                                   VectorRef<float>);
extern template bool adaptive_momentum_step<double>(ConstVectorRef<double>, ConstVectorRef<double>,
                                                    ConstVectorRef<double>, double, double, double,
                                                    VectorRef<double>);

}  // namespace curvopt
