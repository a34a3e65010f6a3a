import Testing

@testable import X12

/// A small, valid 837 interchange whose envelope fields a test can spoil one at a time.
/// Segments: 1 ISA, 2 GS, 3 ST, 4 BHT, 5 CLM, 6 SE, 7 GE, 8 IEA.
struct EnvelopeFile {
    var isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240115*0930*^*00501*000000001*0*T*:~"
    var st01 = "837", st02 = "0001", se01 = "4", se02 = "0001"
    var gs06 = "1", ge01 = "1", ge02 = "1"
    var iea01 = "1", iea02 = "000000001"

    var text: String {
        """
        \(isa)
        GS*HC*SENDER*RECEIVER*20240115*0930*\(gs06)*X*005010X222A1~
        ST*\(st01)*\(st02)*005010X222A1~
        BHT*0019*00*1*20240115*0930*CH~
        CLM*A1*100.00***11:B:1~
        SE*\(se01)*\(se02)~
        GE*\(ge01)*\(ge02)~
        IEA*\(iea01)*\(iea02)~

        """
    }
}

@Suite struct EnvelopeErrorTests {
    func error(_ text: String) -> X12Error? {
        do {
            _ = try X12Interchange.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func theHandMadeFileIsValid() throws {
        let interchange = try X12Interchange.parse(EnvelopeFile().text)
        #expect(interchange.trailerPosition == 8)
        #expect(interchange.transactionSets.first?.segments.map(\.id) == ["BHT", "CLM"])
        #expect(interchange.senderID == "SENDER")
        #expect(interchange.usageIndicator == "T")
    }

    @Test func textWithoutAnISAIsNotX12() {
        #expect(error("hello, this is a letter") == .notX12(found: "hello, this is a let"))
        #expect(error("") == .notX12(found: ""))
        #expect(error("  GS*HC*A*B~") == .notX12(found: "GS*HC*A*B~"))
        #expect(error("{\"claim\": 1}")?.description.contains("must start with an ISA") == true)
    }

    @Test func anISAShorterThan106CharactersIsRefused() {
        let e = error("ISA*00*          *00*~")
        guard case .malformedISA(nil, let reason) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("106"))
    }

    @Test func anUnpaddedISAFieldIsNamed() {
        var file = EnvelopeFile()
        file.isa = file.isa.replacingOccurrences(of: "SENDER         ", with: "SENDER")
        let e = error(file.text)
        guard case .malformedISA("ISA06", let reason) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("\"SENDER\"") && reason.contains("15"))
        #expect(e?.segment == 1)
    }

    @Test func anISAWithTooFewOrTooManyFieldsIsRefused() {
        var missing = EnvelopeFile()  // ISA16 left out: ISA15 runs into the terminator
        missing.isa = String(missing.isa.dropLast(3)) + "~"
        let e = error(missing.text)
        guard case .malformedISA("ISA15", let found) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(found.contains("\"T~\\nGS\""))  // what the field runs into, line break shown

        var extra = EnvelopeFile()
        extra.isa = String(extra.isa.dropLast()) + "*X~"
        guard case .malformedISA(nil, let reason) = error(extra.text) else { Issue.record("\(String(describing: error(extra.text)))"); return }
        #expect(reason.contains("more than 16"))
    }

    @Test func separatorsThatCollideAreRefused() {
        var component = EnvelopeFile()
        component.isa = component.isa.replacingOccurrences(of: "*T*:~", with: "*T**~")
        #expect(error(component.text) == .separatorsCollide(
            "element separator (the character after \"ISA\")", "component separator (ISA16)", character: "*"))

        var repetition = EnvelopeFile()
        repetition.isa = repetition.isa.replacingOccurrences(of: "*T*:~", with: "*T*^~")
        let e = error(repetition.text)
        #expect(e == .separatorsCollide("repetition separator (ISA11)", "component separator (ISA16)", character: "^"))
        #expect(e?.description.contains("both \"^\"") == true)

        var terminator = EnvelopeFile()
        terminator.isa = terminator.isa.replacingOccurrences(of: "*T*:~", with: "*T*::")
        #expect(error(terminator.text) == .separatorsCollide(
            "component separator (ISA16)", "segment terminator (the character after ISA16)", character: ":"))
    }

    @Test func IEA01MustCountTheGroups() {
        var file = EnvelopeFile()
        file.iea01 = "2"
        let e = error(file.text)
        #expect(e == .countMismatch(segment: 8, element: "IEA01", declared: "2", counted: 1))
        #expect(e?.description == "segment 8 (IEA): IEA01 says 2 but 1 functional groups (GS) are in the interchange")
    }

    @Test func IEA02MustRepeatISA13() {
        var file = EnvelopeFile()
        file.iea02 = "000000002"
        #expect(error(file.text) == .controlNumberMismatch(
            segment: 8, element: "IEA02", value: "000000002", mustMatch: "ISA13", expected: "000000001"))
    }

    @Test func GE01MustCountTheTransactionSets() {
        var file = EnvelopeFile()
        file.ge01 = "3"
        #expect(error(file.text) == .countMismatch(segment: 7, element: "GE01", declared: "3", counted: 1))
    }

    @Test func GE02MustRepeatGS06() {
        var file = EnvelopeFile()
        file.ge02 = "2"
        #expect(error(file.text) == .controlNumberMismatch(
            segment: 7, element: "GE02", value: "2", mustMatch: "GS06", expected: "1"))
        file.ge02 = "000000001"  // the same number, zero-padded
        #expect(error(file.text) == nil)
    }

    @Test func aSegmentCountThatLiesIsCaught() {
        var file = EnvelopeFile()
        for lie in ["3", "5", "", "four"] {
            file.se01 = lie
            let e = error(file.text)
            #expect(e == .countMismatch(segment: 6, element: "SE01", declared: lie, counted: 4))
            #expect(e?.description.contains("from ST to SE inclusive") == true)
        }
    }

    @Test func SE02MustRepeatST02() {
        var file = EnvelopeFile()
        file.se02 = "0002"
        let e = error(file.text)
        #expect(e == .controlNumberMismatch(segment: 6, element: "SE02", value: "0002", mustMatch: "ST02", expected: "0001"))
        #expect(e?.description.contains("SE02") == true && e?.description.contains("segment 6") == true)
    }

    @Test func anUnknownTransactionSetIsNamed() {
        var file = EnvelopeFile()
        file.st01 = "123"
        let e = error(file.text)
        #expect(e == .unknownTransaction(segment: 3, id: "123"))
        #expect(e?.description.contains("ST01 \"123\"") == true)
        #expect(e?.description.contains("837") == true)
    }

    @Test func withoutValidationEveryEnvelopeFaultIsListedInFileOrder() throws {
        var file = EnvelopeFile()
        file.se01 = "9"
        file.ge02 = "5"
        file.iea01 = "0"
        let interchange = try X12Interchange.parse(file.text, validatingEnvelope: false)
        #expect(interchange.envelopeErrors().compactMap(\.segment) == [6, 7, 8])
    }

    @Test func segmentsOutsideTheirEnvelopeAreRefused() {
        let file = EnvelopeFile().text
        func without(_ id: String) -> String {
            file.split(separator: "\n").filter { !$0.hasPrefix(id + "*") }.joined(separator: "\n")
        }
        #expect(error(without("SE")) == .unexpectedSegment(
            segment: 6, id: "GE", reason: "the transaction set at segment 3 has no SE before this GE"))
        #expect(error(without("GS"))?.segment == 2)  // ST outside a group
        #expect(error(without("IEA")) == .missingSegment(
            id: "IEA", afterSegment: 7, reason: "the text ends without closing the interchange"))
        guard case .unexpectedSegment(9, "GS", _) = error(file + "GS*HC*A*B*20240115*0930*2*X*005010X222A1~") else {
            Issue.record("content after IEA was accepted"); return
        }
    }

    @Test func aSegmentWithoutAnIDPointsAtTheSeparators() {
        let text = EnvelopeFile().text.replacingOccurrences(of: "BHT*", with: "bht|")
        guard case .malformedSegment(4, let reason) = error(text) else { Issue.record("\(String(describing: error(text)))"); return }
        #expect(reason.contains("delimiters"))
    }
}
