import Crypto
import Foundation

/// Stripe's webhook signature (`Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`): the `v1` values are
/// hex HMAC-SHA256 of `"<t>.<raw payload>"` under the endpoint's `whsec_…` secret. Several `v1` values appear
/// while a secret is being rolled; one match is enough. `v0` is Stripe's test-mode legacy scheme: never trusted.
/// Pure: no I/O, the time is given.
public enum StripeSignature {
    /// How far the signed time may be from ours, either way: Stripe's libraries use 300 s, and a replayed
    /// event older than that is refused even with a good signature.
    public static let tolerance: TimeInterval = 300

    /// Throws `.badSignature` with the reason; returns when `header` signs `payload` under `secret`.
    public static func verify(payload: [UInt8], header: String?, secret: String, now: Date,
                              tolerance: TimeInterval = tolerance) throws(GatewayError) {
        guard let header, !header.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .badSignature("no Stripe-Signature header")
        }
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { throw .badSignature("Stripe-Signature is malformed: '\(item)' is not key=value") }
            switch pair[0] {
            case "t":
                guard let value = Int64(pair[1]) else {
                    throw .badSignature("Stripe-Signature is malformed: t='\(pair[1])' is not a unix time")
                }
                timestamp = value
            case "v1":
                // Not hex, or the wrong length: it cannot match, but another v1 still may.
                if let bytes = hexBytes(pair[1]), bytes.count == SHA256.byteCount { signatures.append(bytes) }
            default:
                continue  // v0 and whatever Stripe adds later
            }
        }
        guard let timestamp else { throw .badSignature("Stripe-Signature has no timestamp (t=…)") }
        guard !signatures.isEmpty else { throw .badSignature("Stripe-Signature has no v1 signature") }

        let key = SymmetricKey(data: Array(secret.utf8))
        let signed = Array("\(timestamp).".utf8) + payload
        // isValidAuthenticationCode compares in constant time.
        guard signatures.contains(where: { HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: signed, using: key) }) else {
            throw .badSignature("no v1 signature matches the payload under the webhook secret")
        }
        guard abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else {
            throw .badSignature("timestamp outside the \(Int(tolerance)) s tolerance")
        }
    }

    /// The header Stripe would send for `payload` at `timestamp` (for tests and the fake server's twin).
    public static func header(payload: [UInt8], secret: String, timestamp: Int64) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).".utf8) + payload, using: key)
        return "t=\(timestamp),v1=\(mac.map { String(format: "%02x", $0) }.joined())"
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
