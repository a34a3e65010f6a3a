import Foundation
import Testing
@testable import InsuranceService

/// The file-drop clearinghouse on a real directory: files appear whole under their id; answers are
/// picked up until their content is recorded, then moved to processed/.
@Suite struct FileDropTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("filedrop-\(UUID().uuidString)")

    var drop: FileDropClearinghouse {
        FileDropClearinghouse(outbox: root.appendingPathComponent("outbound").path, inbox: root.appendingPathComponent("inbound").path)
    }

    @Test func anOutboundFileIsWrittenWholeUnderItsId() throws {
        try drop.write(fileId: "xf1", content: "ISA*first~")
        try drop.write(fileId: "xf1", content: "ISA*again~")  // sent again after a crash: the same file, not a second one
        let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("outbound").path)
        #expect(names == ["xf1.x12"])
        #expect(try String(contentsOf: root.appendingPathComponent("outbound/xf1.x12"), encoding: .utf8) == "ISA*again~")
    }

    @Test func anAnswerIsPickedUpUntilRecordedThenMovedAside() async throws {
        let inbox = root.appendingPathComponent("inbound")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        try Data("ISA*answer~".utf8).write(to: inbox.appendingPathComponent("a.999"))
        try Data("ISA*partial".utf8).write(to: inbox.appendingPathComponent(".b.part"))
        #expect(try await drop.pickUp(known: { _ in false }) == ["ISA*answer~"])
        #expect(try await drop.pickUp(known: { _ in false }) == ["ISA*answer~"])  // not recorded yet: offered again
        #expect(try await drop.pickUp(known: { $0 == "ISA*answer~" }) == [])
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("processed/a.999").path))
        #expect(!FileManager.default.fileExists(atPath: inbox.appendingPathComponent("a.999").path))
    }
}
