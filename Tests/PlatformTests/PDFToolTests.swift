import Documents
import Foundation
import Testing

/// Checks real files with real readers: qpdf validates the structure, pdftotext proves the text comes out
/// as written (accents included). Missing tools fail the test, so a bare machine cannot pass by skipping.
@Suite struct PDFToolTests {
    func statement() -> PDFFlow {
        var flow = PDFFlow(title: "Statement for Señora Ana López")
        flow.footer = "Riverside Dental · (555) 010-2000"
        flow.heading("Statement for Señora Ana López")
        flow.keyValue("Account", "PAT-000123")
        flow.keyValue("Statement date", "November 24, 2026")
        flow.paragraph("Thank you for choosing Riverside Dental. The charges below were posted to your account; "
            + "insurance payments and adjustments are shown as they were received.")
        let rows = (1...60).map { line in
            ["2026-10-\(String(format: "%02d", line % 28 + 1))", line % 2 == 0 ? "D1110" : "D0120",
             line % 2 == 0 ? "Prophylaxis, adult" : "Periodic oral evaluation", "$\(line).00"]
        }
        flow.table(header: ["Date", "Code", "Description", "Amount"], rows: rows,
                   columnWidths: [90, 70, 250, 94], alignments: [.left, .left, .left, .right])
        flow.rule()
        flow.keyValue("Balance due", "$1,234.56")
        return flow
    }

    @Test func aStatementIsAValidTwoPagePDFWithReadableText() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("statement-\(UUID().uuidString).pdf")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(statement().render()).write(to: file)

        let check = try ExternalTool.run("qpdf", ["--check", file.path])
        #expect(check.status == 0, "qpdf --check failed:\n\(check.output)")
        let pages = try ExternalTool.run("qpdf", ["--show-npages", file.path])
        #expect(pages.output.trimmingCharacters(in: .whitespacesAndNewlines) == "2")

        let text = try ExternalTool.run("pdftotext", ["-layout", "-enc", "UTF-8", file.path, "-"])
        #expect(text.status == 0)
        for expected in ["Statement for Señora Ana López", "D1110", "$1,234.56", "Page 1 of 2", "Page 2 of 2",
                         "Riverside Dental · (555) 010-2000", "$60.00"] {
            #expect(text.output.contains(expected), "pdftotext output lacks '\(expected)'")
        }
        // The header repeats on the second page.
        #expect(text.output.components(separatedBy: "Description").count == 3)
    }

    @Test func aHandBuiltPageIsValid() throws {
        var document = PDFDocument(title: "Payment plan (draft) \\ v2")
        var page = PDFPage()
        page.text("Payment plan agreement", x: 72, y: 72, font: .helveticaBold, size: 16)
        let terms = "Señora López agrees to pay $1,234.56 in 6 monthly payments. "
            + String(repeating: "More text. ", count: 30)
        let next = page.paragraph(terms, x: 72, y: 100, width: 468)
        page.rectangle(x: 72, y: next, width: 200, height: 40, fillGray: 0.95)
        page.line(from: PDFPoint(x: 72, y: next + 60), to: PDFPoint(x: 272, y: next + 60))
        page.text("Signature", x: 72, y: next + 72, font: .courier, size: 9)
        document.addPage(page)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString).pdf")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(document.render()).write(to: file)
        let check = try ExternalTool.run("qpdf", ["--check", file.path])
        #expect(check.status == 0, "qpdf --check failed:\n\(check.output)")
        let text = try ExternalTool.run("pdftotext", ["-enc", "UTF-8", file.path, "-"])
        #expect(text.output.contains("Señora López agrees to pay $1,234.56"))
        #expect(text.output.contains("Signature"))
    }
}

/// Runs a command-line tool found on PATH and collects what it prints.
enum ExternalTool {
    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let path = try #require(locate(name),
                                "\(name) is not installed; run `apt-get install qpdf poppler-utils`")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Read before waiting so a chatty tool cannot fill the pipe and block.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func locate(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":")
            .map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
