import Contracts

/// The ways a claim's status may move, and nothing else (see `transitions`). held: the scrubber, or a
/// rejection no rule fixes, waits for a person or for data; corrected: fixed and scrubbed again, ready to go
/// out as a resubmission; accepted: the 999 took the transaction; acknowledged: the payer's 277CA took the claim.
public enum ClaimLifecycle {
    public static let transitions: [ClaimStatus: [ClaimStatus]] = [
        .draft: [.held, .submitted],
        // Data arrived and the claim scrubs clean: out it goes, or it waits as corrected.
        .held: [.corrected, .submitted],
        .corrected: [.resubmitted, .held],
        // The 999 accepts or rejects the transaction that carried it.
        .submitted: [.accepted, .rejected],
        .resubmitted: [.accepted, .rejected],
        // The payer's 277CA takes it into adjudication or rejects it.
        .accepted: [.acknowledged, .rejected],
        .rejected: [.corrected, .held],
        // A correction after the payer took the claim is a replacement of it.
        .acknowledged: [.corrected],
    ]

    public static func canMove(from: ClaimStatus, to: ClaimStatus) -> Bool {
        transitions[from]?.contains(to) ?? false
    }

    /// The claim after the move, or why it may not move. See `Claim.move(to:at:by:note:)`.
    public static func transition(_ claim: Claim, to status: ClaimStatus, at: Timestamp, by: String,
                                  note: String? = nil) throws(ClaimTransitionError) -> Claim {
        var moved = claim
        try moved.move(to: status, at: at, by: by, note: note)
        return moved
    }
}

extension Claim {
    /// Moves the claim to `status` and records who moved it, when and why.
    ///
    /// - A claim goes out (`submitted`, `resubmitted`) only when its `findings` hold nothing a person must fix:
    ///   set them from the latest scrub first.
    /// - Correcting an acknowledged claim makes it a replacement (CLM05-3 "7") of the payer's claim number, which
    ///   it must therefore know.
    public mutating func move(to status: ClaimStatus, at: Timestamp, by: String,
                              note: String? = nil) throws(ClaimTransitionError) {
        guard ClaimLifecycle.canMove(from: self.status, to: status) else {
            throw ClaimTransitionError(claimId: claimId, from: self.status, to: status, reason: .notAllowed)
        }
        if status == .submitted || status == .resubmitted {
            let open = findings.filter { !$0.fixable }.map(\.code)
            guard open.isEmpty else {
                throw ClaimTransitionError(claimId: claimId, from: self.status, to: status, reason: .openFindings(open))
            }
        }
        if self.status == .acknowledged && status == .corrected {
            guard let number = payerClaimNumber, !number.isEmpty else {
                throw ClaimTransitionError(claimId: claimId, from: self.status, to: status, reason: .noPayerClaimNumber)
            }
            frequencyCode = "7"
        }
        history.append(ClaimStatusChange(from: self.status, to: status, at: at, by: by, note: note))
        self.status = status
    }
}

/// A move the claim lifecycle does not allow, in words.
public struct ClaimTransitionError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The lifecycle has no such move.
        case notAllowed
        /// The claim still has findings a person must fix (their codes).
        case openFindings([String])
        /// A replacement must name the payer's claim number (REF*F8), and the 277CA gave none.
        case noPayerClaimNumber
    }

    public var claimId: String
    public var from: ClaimStatus
    public var to: ClaimStatus
    public var reason: Reason

    public var description: String {
        let move = "claim \(claimId) cannot move from \(from.rawValue) to \(to.rawValue)"
        switch reason {
        case .notAllowed:
            let allowed = ClaimLifecycle.transitions[from]?.map(\.rawValue).joined(separator: " or ") ?? "nowhere"
            return "\(move): from \(from.rawValue) it can move to \(allowed)"
        case .openFindings(let codes):
            return "\(move) while findings hold it: \(codes.joined(separator: ", "))"
        case .noPayerClaimNumber:
            return "\(move): a replacement needs the payer's claim number, and the payer has not given one"
        }
    }
}
