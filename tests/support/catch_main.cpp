// main() of the test executables, on Catch2 2.x and 3.x alike.
//
// On 3.x a test case that skips itself (MG_SKIP: no GPU, no NCCL, a single rank) is "skipped", and
// an executable whose test cases all skipped would exit with 4. Skipping is how a test says that
// this machine cannot run it (the CUDA and NCCL tests on CPU-only machines), which must not fail
// the suite, and on 2.x (no skips: MG_SKIP passes with a warning) it does not: so the 3.x main()
// counts such a run as a success (allowZeroTests, as --allow-running-no-tests would).
#define CATCH_CONFIG_MAIN  // Catch2 2.x: this translation unit defines main(); 3.x ignores it
#include "tests/support/catch.hpp"

#if defined(MG_CATCH2_V3)
int main(int argc, char* argv[]) {
  Catch::Session session;
  const int parse_status = session.applyCommandLine(argc, argv);
  if (parse_status != 0) return parse_status;
  session.configData().allowZeroTests = true;
  return session.run();
}
#endif
