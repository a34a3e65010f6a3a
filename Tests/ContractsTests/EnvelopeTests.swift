import Foundation
import Contracts
import Testing

@Suite struct EnvelopeTests {
    let envelope = EventEnvelope(
        id: "evt-1", type: ChargePosted.type, source: "pms/test", time: Timestamp("2026-11-24T10:00:00.250Z")!,
        clinicId: "clinic-1", correlationId: "corr-1", causationId: "cause-1")

    @Test func headersRoundTrip() throws {
        let headers = Dictionary(uniqueKeysWithValues: envelope.amqpHeaders)
        #expect(headers["cloudEvents_specversion"] == "1.0")
        #expect(headers["cloudEvents_type"] == "clinic.charge.posted.v1")
        #expect(headers["cloudEvents_time"] == "2026-11-24T10:00:00.250Z")
        #expect(try EventEnvelope(amqpHeaders: headers) == envelope)
    }

    @Test func acceptsTheOlderColonPrefix() throws {
        let headers = Dictionary(uniqueKeysWithValues: envelope.amqpHeaders.map {
            ($0.0.replacingOccurrences(of: "cloudEvents_", with: "cloudEvents:"), $0.1)
        })
        #expect(try EventEnvelope(amqpHeaders: headers) == envelope)
    }

    @Test func correlationDefaultsToTheEventId() throws {
        var headers = Dictionary(uniqueKeysWithValues: envelope.amqpHeaders)
        headers["cloudEvents_correlationid"] = nil
        headers["cloudEvents_causationid"] = nil
        let parsed = try EventEnvelope(amqpHeaders: headers)
        #expect(parsed.correlationId == "evt-1")
        #expect(parsed.causationId == nil)
    }

    @Test func saysWhichHeaderIsWrong() {
        var headers = Dictionary(uniqueKeysWithValues: envelope.amqpHeaders)
        headers["cloudEvents_clinicid"] = nil
        #expect(throws: EnvelopeError.missingHeader("cloudEvents_clinicid")) { try EventEnvelope(amqpHeaders: headers) }
        headers["cloudEvents_clinicid"] = "clinic-1"
        headers["cloudEvents_specversion"] = "0.3"
        #expect(throws: EnvelopeError.invalidHeader("cloudEvents_specversion", "'0.3', expected '1.0'")) {
            try EventEnvelope(amqpHeaders: headers)
        }
        headers["cloudEvents_specversion"] = "1.0"
        headers["cloudEvents_type"] = "charge-posted"
        #expect(throws: EnvelopeError.self) { try EventEnvelope(amqpHeaders: headers) }
    }

    @Test func causedEventsKeepCorrelation() {
        let caused = envelope.caused(ChargeRecorded.type, source: "clinicledger/payments")
        #expect(caused.correlationId == "corr-1")
        #expect(caused.causationId == "evt-1")
        #expect(caused.clinicId == "clinic-1")
        #expect(caused.id != envelope.id)
    }

    @Test func datesParseStrictly() {
        #expect(CalendarDate("2026-02-28")?.description == "2026-02-28")
        #expect(CalendarDate("2026-02-30") == nil)
        #expect(CalendarDate("2026-2-3") == nil)
        #expect(Timestamp("2026-11-24T10:00:00Z") != nil)
        #expect(Timestamp("2026-11-24T10:00:00+02:00") != nil)
        #expect(Timestamp("yesterday") == nil)
    }

    /// Read back and written again, a timestamp is the same text: every millisecond of a few seconds.
    @Test func timestampsRoundTripToTheMillisecond() {
        for millisecond in 0..<3000 {
            let text = String(format: "2026-11-25T15:5%d:%02d.%03dZ", millisecond / 1000, 7, millisecond % 1000)
            #expect(Timestamp(text)?.description == text)
        }
        let now = Timestamp(Date(timeIntervalSince1970: 1_764_086_400.4639))
        #expect(now.description == "2025-11-25T16:00:00.464Z")
        #expect(Timestamp(now.description)?.description == now.description)
    }
}

@Suite struct DuplicateKeysTests {
    @Test(arguments: [
        (#"{"a":1,"b":2}"#, nil), (#"{"a":1,"a":2}"#, "a"), (#"{"a":{"b":1},"c":{"b":2}}"#, nil),
        (#"{"fee":{"amount":1,"amount":2}}"#, "amount"), (#"[{"a":1},{"a":2}]"#, nil), (#"{"a":"a","b":"a"}"#, nil),
        (#"{"a\"b":1,"a\"b":2}"#, "a\"b"), (#"{"a":1,"\u0061":2}"#, "a"), (#"{"x":[1,{"y":1,"y":2}]}"#, "y"),
    ] as [(String, String?)])
    func findsTheRepeatedKey(json: String, expected: String?) {
        #expect(DuplicateKeys.first(in: Array(json.utf8)) == expected)
    }
}
