// Writes the contract documents (JSON Schemas, AsyncAPI) generated from the Swift event types.
// Usage: contracts-docs [CONTRACTS_DIR]   (default: ./Contracts)
import Contracts
import Foundation

let directory = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? "Contracts")
do {
    for file in try ContractDocuments.files() {
        let url = directory.appendingPathComponent(file.path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try file.contents.write(to: url, atomically: true, encoding: .utf8)
        print("wrote \(url.path)")
    }
} catch {
    FileHandle.standardError.write(Data("contracts-docs: \(error)\n".utf8))
    exit(1)
}
