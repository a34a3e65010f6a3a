import Testing

@testable import X12

@Suite struct WriterTests {
    let claim: [X12Segment] = [
        X12Segment("BHT", "0019", "00", "244579", "20240115", "0930", "CH"),
        X12Segment("NM1", "41", "2", "PREMIER BILLING SERVICE", "", "", "", "", "46", "TGJ23"),
        X12Segment("HL", "1", "", "20", "1"),
        X12Segment("CLM", "26463774", "100.00", "", "", .composite("11", "B", "1"), "Y", "A", "Y", "I"),
        X12Segment("HI", .composite("ABK", "J020"), .composite("ABF", "Z1159")),
        X12Segment("LX", "1"),
        X12Segment("SV1", .composite("HC", "99213"), "40.00", "UN", "1", "", "", "1"),
        X12Segment("EB", "1", "", X12Element(repetitions: [["1"], ["33"], ["35"]])),
    ]

    func interchange(sets: [X12Writer.TransactionSet]? = nil) -> X12Writer.Interchange {
        X12Writer.Interchange(
            sender: .init(qualifier: "ZZ", id: "CLINICLEDGER"), receiver: .init(qualifier: "ZZ", id: "PAYER01"),
            controlNumber: 42, date: .init(year: 2024, month: 1, day: 15, hour: 9, minute: 30), usage: .test,
            groups: [
                X12Writer.Group(
                    functionalIdentifierCode: "HC", applicationSenderCode: "CLINICLEDGER", applicationReceiverCode: "PAYER01",
                    controlNumber: 7, version: "005010X222A1",
                    transactionSets: sets ?? [
                        .init(id: "837", controlNumber: "0001", implementationConvention: "005010X222A1", segments: claim),
                        .init(id: "837", controlNumber: "0002", implementationConvention: "005010X222A1", segments: Array(claim.prefix(2))),
                    ]),
                X12Writer.Group(
                    functionalIdentifierCode: "HP", applicationSenderCode: "A", applicationReceiverCode: "B",
                    controlNumber: 8, version: "005010X221A1",
                    transactionSets: [.init(id: "835", controlNumber: "1234", segments: [X12Segment("BPR", "I", "34.00")])]),
            ])
    }

    @Test func whatIsWrittenParsesBackToTheSameSegments() throws {
        let text = try X12Writer().write(interchange())
        let read = try X12Interchange.parse(text)  // validates SE01, GE01, IEA01 and the control numbers
        #expect(read.transactionSets.map(\.segments) == [claim, Array(claim.prefix(2)), [X12Segment("BPR", "I", "34.00")]])
        #expect(read.transactionSets.map(\.id) == ["837", "837", "835"])
        #expect(read.transactionSets.map(\.controlNumber) == ["0001", "0002", "1234"])
        #expect(read.transactionSets.map(\.implementationConvention) == ["005010X222A1", "005010X222A1", nil])
        #expect(read.functionalGroups.map(\.version) == ["005010X222A1", "005010X221A1"])
        #expect(read.functionalGroups.map(\.controlNumber) == ["7", "8"])
        #expect(read.envelopeErrors().isEmpty)
    }

    @Test func theISAIsExactly106CharactersAndPadded() throws {
        let text = try X12Writer().write(interchange())
        let isa = String(text.prefix { $0 != "~" }) + "~"
        #expect(isa.count == 106)
        #expect(isa == "ISA*00*          *00*          *ZZ*CLINICLEDGER   *ZZ*PAYER01        *240115*0930*^*00501*000000042*0*T*:~")
        let read = try X12Interchange.parse(text)
        #expect(read.senderID == "CLINICLEDGER")
        #expect(read.header[6] == "CLINICLEDGER   ")
        #expect(read.controlNumber == "000000042")
    }

    @Test func theTrailersCountWhatTheyClose() throws {
        let lines = try X12Writer().write(interchange()).split(separator: "\n").map(String.init)
        #expect(lines.contains("SE*\(claim.count + 2)*0001~"))
        #expect(lines.contains("SE*4*0002~"))
        #expect(lines.contains("SE*3*1234~"))
        #expect(lines.contains("GE*2*7~"))
        #expect(lines.contains("GE*1*8~"))
        #expect(lines.last == "IEA*2*000000042~")
        #expect(lines.contains("GS*HC*CLINICLEDGER*PAYER01*20240115*0930*7*X*005010X222A1~"))
    }

    @Test func trailingEmptyElementsAreLeftOutButInnerOnesKept() throws {
        let sets = [X12Writer.TransactionSet(id: "837", controlNumber: "0001", segments: [
            X12Segment("REF", "EI", "123", "", ""),
            X12Segment("CLM", "A", "100", "", "", .composite("11", "B", "1", "")),
        ])]
        let text = try X12Writer().write(interchange(sets: sets))
        #expect(text.contains("\nREF*EI*123~\n"))
        #expect(text.contains("\nCLM*A*100***11:B:1~\n"))
    }

    @Test func otherSeparatorsAndNoLineBreaksRoundTrip() throws {
        let writer = X12Writer(separators: X12Separators(element: "|", repetition: "}", component: "\\", segment: "\n"),
                               segmentSuffix: "")
        let text = try writer.write(interchange())
        #expect(text.hasPrefix("ISA|00|          |00|"))
        let read = try X12Interchange.parse(text)
        #expect(read.separators == writer.separators)
        #expect(read.transactionSets.first?.segments == claim)
        #expect(read.transactionSets.first?.segments.last?.repetitions(3) == ["1", "33", "35"])
    }

    @Test func valuesHoldingASeparatorAreRefused() {
        func refusal(_ segment: X12Segment) -> X12Error? {
            do {
                _ = try X12Writer().write(interchange(sets: [.init(id: "837", controlNumber: "0001", segments: [segment])]))
                return nil
            } catch { return error }
        }
        let star = refusal(X12Segment("NM1", "IL", "1", "SMITH*JONES"))
        #expect(star == .unwritable(
            location: "NM103 in segment 1 (NM1) of transaction set 0001", value: "SMITH*JONES",
            reason: "it contains \"*\", one of the delimiters, and X12 has no escapes"))
        for value in ["A~B", "A:B", "A^B"] {
            #expect(refusal(X12Segment("NTE", "ADD", X12Element(value))) != nil, "\(value)")
        }
        #expect(refusal(X12Segment("SV1", .composite("HC", "99:213"))) != nil)
        #expect(refusal(X12Segment("SE", "3", "0001")) != nil)  // the writer makes the envelope
        #expect(refusal(X12Segment("clm", "A")) != nil)
    }

    @Test func envelopeValuesThatDoNotFitAreRefused() {
        var tooLong = interchange()
        tooLong.sender.id = "A-SENDER-ID-OF-20-CH"
        #expect(throws: X12Error.unwritable(location: "ISA06", value: "A-SENDER-ID-OF-20-CH",
                                            reason: "longer than the 15 characters 5010 allows")) { try X12Writer().write(tooLong) }

        var oneLetterQualifier = interchange()
        oneLetterQualifier.receiver.qualifier = "Z"
        #expect(throws: X12Error.unwritable(location: "ISA07", value: "Z", reason: "must be 2 characters")) {
            try X12Writer().write(oneLetterQualifier)
        }

        var badDate = interchange()
        badDate.date.month = 13
        #expect(throws: X12Error.self) { try X12Writer().write(badDate) }

        var shortST02 = interchange()
        shortST02.groups[1].transactionSets[0].controlNumber = "12"
        #expect(throws: X12Error.self) { try X12Writer().write(shortST02) }

        let colliding = X12Writer(separators: X12Separators(element: "*", repetition: "^", component: "*", segment: "~"))
        #expect(throws: X12Error.self) { try colliding.write(interchange()) }
        let letter = X12Writer(separators: X12Separators(element: "E", repetition: "^", component: ":", segment: "~"))
        #expect(throws: X12Error.self) { try letter.write(interchange()) }
    }
}
