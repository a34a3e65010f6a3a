import Contracts
import Foundation
import X12

/// The suite's outbound X12, with the envelope its settings give: the suite is the sender (ISA06, 1000A),
/// the clearinghouse the receiver; GS06 repeats ISA13 so that a 999 (AK1) names the interchange.
enum OutboundX12 {
    static func envelope(_ settings: InsuranceSettings, interchange: Int, firstTransaction: Int) -> ClearinghouseEnvelope {
        ClearinghouseEnvelope(
            sender: X12Writer.Party(qualifier: "ZZ", id: settings.submitter.id),
            receiver: X12Writer.Party(qualifier: "ZZ", id: settings.receiverId),
            interchangeControlNumber: interchange, groupControlNumber: interchange, firstTransactionControlNumber: firstTransaction,
            usage: settings.usage == "P" ? .production : .test)
    }

    /// The envelope's date and time: the clinic's wall clock.
    static func dateTime(_ now: Date, _ settings: InsuranceSettings) -> X12Writer.DateTime {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: settings.timeZone) ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: now)
        return X12Writer.DateTime(year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!)
    }

    static func claims(_ claims: [Claim], kind: CoverageKind, interchange: Int, firstTransaction: Int, _ settings: InsuranceSettings,
                       at now: Date) throws -> (text: String, transactionNumbers: [String: String]) {
        let envelope = ClaimFileEnvelope(
            clearinghouse: envelope(settings, interchange: interchange, firstTransaction: firstTransaction),
            submitter: ClaimSubmitter(name: settings.submitter.name, id: settings.submitter.id,
                                      contactName: settings.submitter.contactName, phone: settings.submitter.phone),
            receiver: ClaimReceiver(name: settings.receiverName, id: settings.receiverId))
        let written = try ClaimFile.interchange(claims: claims, kind: kind, envelope: envelope, date: dateTime(now, settings))
        if kind == .dental { try checked(written.text, "837D") }
        return (written.text, written.transactionControlNumbers)
    }

    static func inquiry(coverage: CoverageUpdated, patient: PatientFacts, practice: PracticeUpdated, traceNumber: String,
                        serviceDate: CalendarDate, interchange: Int, transaction: Int, _ settings: InsuranceSettings,
                        at now: Date) throws -> String {
        let request = EligibilityRequest(coverage: coverage, patient: patient, receiver: .practice(practice), traceNumber: traceNumber,
                                         originatorId: String(practice.taxId.filter(\.isNumber).prefix(9)), dateOfService: serviceDate)
        let text = try EligibilityInquiry.interchange(
            request, envelope: envelope(settings, interchange: interchange, firstTransaction: transaction),
            date: dateTime(now, settings)).text
        try checked(text, "270")
        return text
    }

    /// No third-party validator knows the 837D or the 270: every one is checked against the implementation
    /// guide's structure before it may leave (the 837P, 999 and 277CA are checked by pyx12 in the tests).
    static func checked(_ text: String, _ name: String) throws {
        let findings = StructureCheck.check(text)
        guard findings.isEmpty else { throw OutboundRefused(reason: "the \(name) fails its structure check: " + findings.map(\.description).joined(separator: "; ")) }
    }
}

struct OutboundRefused: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
