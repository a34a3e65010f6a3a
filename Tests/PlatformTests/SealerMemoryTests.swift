import Foundation
import Testing
@testable import Storage

/// What the audit sealer remembers between passes. Pure.
@Suite struct SealerMemoryTests {
    @Test func numbersSkippedAboveTheLastSealedOneAreRememberedUntilSealed() {
        var memory = AuditLog.SealerMemory()
        let now = Date(timeIntervalSince1970: 1_000_000)
        memory.remember(sealed: [11, 12, 15], after: 10, reachedEnd: true, now: now)
        #expect(Set(memory.gaps.keys) == [13, 14])
        #expect(memory.lookedAtEverything)
        memory.remember(sealed: [14, 16], after: 15, reachedEnd: true, now: now.addingTimeInterval(1))
        #expect(Set(memory.gaps.keys) == [13])
    }

    @Test func aGapOlderThanAnyTransactionIsForgotten() {
        var memory = AuditLog.SealerMemory()
        let now = Date(timeIntervalSince1970: 1_000_000)
        memory.remember(sealed: [1, 3], after: 0, reachedEnd: false, now: now)
        #expect(!memory.lookedAtEverything)
        memory.remember(sealed: [], after: 3, reachedEnd: true, now: now.addingTimeInterval(601))
        #expect(memory.gaps.isEmpty)
    }
}
