/// Writes numbered objects and remembers where each starts, then the cross-reference table a reader uses
/// to find them. Objects must be numbered 1, 2, 3 … with no gaps.
struct PDFObjectWriter {
    private(set) var bytes: [UInt8] = []
    private var offsets: [Int: Int] = [:]

    init() {
        append("%PDF-1.7\n")
        // A comment with bytes above 127 tells transfer tools the file is binary, not text.
        append("%")
        bytes += [0xE2, 0xE3, 0xCF, 0xD3]
        append("\n")
    }

    mutating func append(_ text: String) {
        bytes += Array(text.utf8)
    }

    mutating func object(_ number: Int, _ body: String) {
        offsets[number] = bytes.count
        append("\(number) 0 obj\n\(body)\nendobj\n")
    }

    mutating func stream(_ number: Int, _ content: [UInt8]) {
        offsets[number] = bytes.count
        append("\(number) 0 obj\n<< /Length \(content.count) >>\nstream\n")
        bytes += content
        append("\nendstream\nendobj\n")
    }

    /// Appends the xref table and trailer. Each xref entry is exactly 20 bytes, as the format requires.
    mutating func finish(root: Int, info: Int) -> [UInt8] {
        let count = (offsets.keys.max() ?? 0) + 1
        let start = bytes.count
        append("xref\n0 \(count)\n0000000000 65535 f \n")
        for number in 1..<count {
            guard let offset = offsets[number] else {
                preconditionFailure("PDF object \(number) was never written")
            }
            let digits = String(offset)
            append(String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n")
        }
        append("trailer\n<< /Size \(count) /Root \(root) 0 R /Info \(info) 0 R >>\nstartxref\n\(start)\n%%EOF\n")
        return bytes
    }
}
