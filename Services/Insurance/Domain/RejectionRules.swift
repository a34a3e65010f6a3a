import Contracts

/// Rejections (999 or 277CA) that a rule can fix: the claim is corrected and resubmitted automatically,
/// at most once per cause; the rest hold the claim for a person (seed 000: "auto-fixes errors and resubmits").
enum RejectionRules {
    /// Applies the fix for `reason` to the claim; false when no rule knows one (or it was tried before).
    static func fix(_ claim: inout Claim, for reason: ClaimFinding) -> Bool {
        guard !claim.autoFixedCauses.contains(reason.code) else { return false }
        switch reason.code {
        case "member_id_format":
            // Payers keep member ids as printed on the card, in capitals without spaces or dashes.
            let normalised = normalisedMemberId(claim.parties.coverage.memberId)
            guard normalised != claim.parties.coverage.memberId, !normalised.isEmpty else { return false }
            claim.parties.coverage.memberId = normalised
        default:
            return false
        }
        claim.autoFixedCauses.append(reason.code)
        return true
    }

    static func normalisedMemberId(_ memberId: String) -> String {
        String(memberId.uppercased().unicodeScalars.filter { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }.map(Character.init))
    }
}
