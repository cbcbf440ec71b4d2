#pragma once
// SIGINT and SIGTERM during training: the handler only raises a flag, which the trainer reads at
// the next step boundary (Trainer::set_stop_flag), so an interrupted run stops at a position an
// uninterrupted one also passes through and leaves a checkpoint and summary.json behind.

#include <csignal>

namespace curvopt::cli {

/// Catches SIGINT and SIGTERM from construction until destruction (which restores the previous
/// handlers), unless the process inherited them ignored. The first signal of each kind raises
/// the flag; a second one gets the default action and ends the process at once (the last
/// checkpoint, written atomically, stays valid). One instance at a time.
class InterruptSignals {
 public:
  InterruptSignals();
  ~InterruptSignals();
  InterruptSignals(const InterruptSignals&) = delete;
  InterruptSignals& operator=(const InterruptSignals&) = delete;

  /// Non-zero (the signal's number) once a signal arrived; for Trainer::set_stop_flag.
  static const volatile std::sig_atomic_t* flag();
  /// The signal that arrived, or 0.
  static int received();
};

/// "SIGINT", "SIGTERM", else "a signal".
const char* signal_name(int signal);

}  // namespace curvopt::cli
