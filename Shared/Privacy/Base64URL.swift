import Foundation

/// Base64 without `+`, `/` or `=`, so a sealed value is one token that survives URLs, CSV and logs.
public enum Base64URL {
    /// Byte by byte rather than with string replacements, which cost far more on Linux: the journals seal
    /// every event they keep.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var encoded: [UInt8] = []
        for byte in Data(bytes).base64EncodedData() {
            switch byte {
            case UInt8(ascii: "+"): encoded.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): encoded.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): continue
            default: encoded.append(byte)
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// Accepts both the URL-safe and the standard alphabet, with or without padding, because keys are
    /// pasted into configuration by people and tools that differ on this.
    public static func decode(_ text: String) -> [UInt8]? {
        var standard = text
            .replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
            .replacingOccurrences(of: "=", with: "")
        let remainder = standard.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { standard += String(repeating: "=", count: 4 - remainder) }
        guard let data = Data(base64Encoded: standard) else { return nil }
        return [UInt8](data)
    }
}
