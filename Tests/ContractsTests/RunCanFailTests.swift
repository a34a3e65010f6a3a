import Foundation
import Testing

/// `scripts/dev test` runs this test alone with `CLINICLEDGER_PROVE_RED=1` before the real tests and
/// stops unless the run fails: a test run that cannot fail proves nothing. Without the variable it
/// passes, so it never reddens a normal run.
@Suite struct RunCanFailTests {
    @Test func theRunCanFail() {
        if ProcessInfo.processInfo.environment["CLINICLEDGER_PROVE_RED"] == "1" {
            Issue.record("red on purpose (CLINICLEDGER_PROVE_RED=1): scripts/dev test checks that this fails the run")
        }
    }
}
