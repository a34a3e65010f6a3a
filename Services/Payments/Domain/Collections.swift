import Contracts
import Foundation

/// A charge that is not fully paid, as allocation sees it.
public struct OpenCharge: Equatable, Sendable {
    public var chargeId: String
    public var open: Int64

    public init(chargeId: String, open: Int64) {
        self.chargeId = chargeId
        self.open = open
    }
}

/// Where money goes and how much may be collected. Pure.
public enum Collections {
    /// A payment pays the oldest open charges first (the list comes oldest first), so that aging and
    /// balances agree. What is left beyond every open charge is a credit, allocated to nothing.
    public static func allocate(_ amount: Int64, to charges: [OpenCharge], currency: String) -> [PaymentAllocation] {
        var left = amount
        var allocations: [PaymentAllocation] = []
        for charge in charges where left > 0 && charge.open > 0 {
            let part = min(left, charge.open)
            allocations.append(PaymentAllocation(chargeId: charge.chargeId, amount: Money(amount: part, currency: currency)))
            left -= part
        }
        return allocations
    }

    /// What payments may collect outside a plan: the balance, less what active plans finance, less the
    /// insurance portion expected on submitted claims. Never negative: never collect twice for one dollar.
    public static func collectible(balance: Int64, financedByPlans: Int64, expectedInsurance: Int64) -> Int64 {
        max(0, balance - max(0, financedByPlans) - max(0, expectedInsurance))
    }

    /// What one automatic charge takes: the collectible amount, capped by the patient's authorized maximum.
    public static func autoChargeAmount(collectible: Int64, maximumPerCharge: Int64?) -> Int64 {
        guard let maximumPerCharge else { return collectible }
        return min(collectible, maximumPerCharge)
    }
}

/// When a soft decline of an automatic collection is tried again: after each of `days` (counted from the
/// first failure), then never. A hard decline is never retried.
public struct RetrySchedule: Equatable, Sendable {
    public var days: [Int]

    public static let standard = RetrySchedule(days: [1, 3, 7])

    public init(days: [Int]) { self.days = days.sorted() }

    /// Reads `1,3,7`; nil when it is not a list of positive whole days.
    public init?(_ text: String) {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        self.init(days: parts.compactMap { $0 })
    }

    /// When retry number `retriesMade + 1` is due, or nil when the retries are exhausted.
    public func nextRetry(firstFailure: Date, retriesMade: Int) -> Date? {
        guard retriesMade < days.count else { return nil }
        return firstFailure.addingTimeInterval(TimeInterval(days[retriesMade]) * 86_400)
    }
}

/// Card testing: many declines on one method or for one patient in a short time block further tries.
public struct DeclineLimit: Equatable, Sendable {
    public var declines: Int
    public var withinSeconds: Int

    public static let standard = DeclineLimit(declines: 5, withinSeconds: 3_600)

    /// Whether `recentDeclines` (counted over the window) reach the limit.
    public func isReached(recentDeclines: Int) -> Bool { recentDeclines >= declines }
}

/// Two charges are the same work when patient, procedure, tooth, surfaces and service date agree: the
/// second is held for review rather than posted twice.
public struct DuplicateChargeKey: Hashable, Sendable {
    /// The fields in one string, surfaces in any order being the same surfaces.
    public let text: String

    public init(_ charge: ChargePosted) {
        let surfaces = (charge.procedure.surfaces ?? []).map { $0.uppercased() }.sorted().joined(separator: ",")
        text = [charge.patientId, charge.procedure.code, charge.procedure.tooth ?? "", surfaces,
                charge.serviceDate.description].joined(separator: "|")
    }
}
