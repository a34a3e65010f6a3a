import Privacy
import Testing
@testable import WebAPI

@Suite struct NewIdTests {
    @Test func idsCarryNoDigitsSoTheCardGuardNeverMistakesOneForACardNumber() {
        // Hex ids once did: 2 of 150 saved cards had a `pm_` id with a Luhn-valid run of digits, and the
        // plans service dead-lettered the event that named it.
        for n in 0..<2_000 {
            for id in [NewId.make("pay_"), NewId.derived("pm_", from: "clinic-1\nkey-\(n)")] {
                #expect(id.count == id.prefix(while: { $0 != "_" }).count + 1 + 24)
                #expect(!id.contains { $0.isNumber }, "\(id)")
                #expect(!CardNumbers.containsCardNumber(id))
            }
        }
    }

    @Test func aDerivedIdIsTheSameForTheSameSeedAndDiffersForAnother() {
        #expect(NewId.derived("plan_", from: "a") == NewId.derived("plan_", from: "a"))
        #expect(NewId.derived("plan_", from: "a") != NewId.derived("plan_", from: "b"))
        #expect(NewId.make("x_") != NewId.make("x_"))
    }
}
