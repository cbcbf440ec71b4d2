#include "interrupt_signals.h"

#include <signal.h>

namespace curvopt::cli {
namespace {

volatile std::sig_atomic_t g_received = 0;
struct sigaction g_previous_int, g_previous_term;

// Async-signal-safe: one store to a volatile sig_atomic_t, nothing else.
extern "C" void on_signal(int signal) { g_received = signal; }

void install(int signal, struct sigaction* previous) {
  sigaction(signal, nullptr, previous);
  // An ignored signal stays ignored (nohup, a shell's background job): who started us said so.
  if (previous->sa_handler == SIG_IGN) return;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: system calls in flight (a log write, a checkpoint's fsync) finish rather than
  // fail with EINTR. SA_RESETHAND: a second signal kills, for a user who means it.
  action.sa_flags = SA_RESTART | SA_RESETHAND;
  sigaction(signal, &action, previous);
}

}  // namespace

InterruptSignals::InterruptSignals() {
  g_received = 0;
  install(SIGINT, &g_previous_int);
  install(SIGTERM, &g_previous_term);
}

InterruptSignals::~InterruptSignals() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

const volatile std::sig_atomic_t* InterruptSignals::flag() { return &g_received; }

int InterruptSignals::received() { return static_cast<int>(g_received); }

const char* signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "a signal";
}

}  // namespace curvopt::cli
