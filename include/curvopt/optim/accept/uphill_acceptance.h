#pragma once
/// Uphill (non-monotone) step acceptance: the Umrigar–Nightingale rule as Transtrum & Sethna
/// (2012) apply it to Levenberg-Marquardt, in the form of Pooladzandi & Zhou's (2022) code.

#include "curvopt/core/types.h"

namespace curvopt {

/// Accepts a trial that raised the loss when it continues the previous step's direction:
/// (1 − β)^b · f_new ≤ f_ref, with β the cosine between the new direction v and the previous
/// accepted step (the factor 1 − β clipped to ≤ 1, as geodesicLM does) and f_ref the reference
/// loss (the current loss, or the best seen). The more the two steps agree, the more uphill
/// the rule lets the loss go.
struct UphillAcceptance {
  double exponent = 2;

  template <class Scalar>
  bool accepts(double f_new, double reference, ConstVectorRef<Scalar> direction,
               ConstVectorRef<Scalar> previous) const;
};

extern template bool UphillAcceptance::accepts<float>(double, double, ConstVectorRef<float>,
                                                      ConstVectorRef<float>) const;
extern template bool UphillAcceptance::accepts<double>(double, double, ConstVectorRef<double>,
                                                       ConstVectorRef<double>) const;

}  // namespace curvopt
