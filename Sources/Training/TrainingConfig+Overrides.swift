import Foundation

extension TrainingConfig {
    /// The config with `KEY=VALUE` overrides applied (`audioplane train --config`), in order.
    ///
    /// KEY is a dotted path into `config.json` (`fineIterations`, `lambdaMask`,
    /// `densification.maxGaussians`, `model.gridInitSpread`, `model.scales`, …); VALUE is JSON
    /// (`3000`, `0.5`, `[1,2]`, `"dssim"`), or a bare word taken as a string (`perceptual=dssim`).
    /// The config is round-tripped through its JSON form, so a key must already exist there and the
    /// value must decode to that field's type; the result is validated.
    /// Throws `TrainingError.invalidConfig` with a one-line message naming the override at fault.
    public func applying(overrides: [String]) throws -> TrainingConfig {
        guard !overrides.isEmpty else { return self }
        let encoder = JSONEncoder()
        guard var root = try JSONSerialization.jsonObject(with: encoder.encode(self)) as? [String: Any] else {
            throw TrainingError.invalidConfig("cannot encode the config")
        }
        for item in overrides {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw TrainingError.invalidConfig("override '\(item)' is not KEY=VALUE")
            }
            let key = String(item[..<eq]), text = String(item[item.index(after: eq)...])
            let value: Any
            if let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) {
                value = parsed
            } else {
                value = text
            }
            let path = key.split(separator: ".").map(String.init)
            root = try Self.setting(value, at: path[...], in: root, fullKey: key)
        }
        let decoded: TrainingConfig
        do {
            decoded = try JSONDecoder().decode(TrainingConfig.self, from: JSONSerialization.data(withJSONObject: root))
        } catch {
            throw TrainingError.invalidConfig("overrides \(overrides.joined(separator: " ")): a value has the wrong type (\(Self.describe(error)))")
        }
        // Every overridden key must have been read (an unknown key would be silently ignored).
        let check = try JSONSerialization.jsonObject(with: encoder.encode(decoded)) as? [String: Any] ?? [:]
        for item in overrides {
            let eq = item.firstIndex(of: "=")!
            if item[item.index(after: eq)...] == "null" { continue }   // an optional set back to unset
            let key = String(item[..<eq])
            var node: Any? = check
            for part in key.split(separator: ".") { node = (node as? [String: Any])?[String(part)] }
            if node == nil {
                throw TrainingError.invalidConfig("override '\(key)': no such setting (see config.json of a trained model for the names)")
            }
        }
        try decoded.validate()
        return decoded
    }

    /// `dict` with `value` stored at `path` (every key on the path must exist).
    private static func setting(_ value: Any, at path: ArraySlice<String>, in dict: [String: Any], fullKey: String) throws -> [String: Any] {
        guard let first = path.first else { throw TrainingError.invalidConfig("override '\(fullKey)': empty key") }
        var out = dict
        if path.count == 1 {
            // Optional settings that are unset are absent from the JSON: accepted here, checked
            // after decoding (`applying` re-encodes and requires the key to be there).
            out[first] = value
            return out
        }
        guard let existing = dict[first] else {
            let known = dict.keys.sorted().joined(separator: ", ")
            throw TrainingError.invalidConfig("override '\(fullKey)': no such setting (here: \(known))")
        }
        do {
            guard let inner = existing as? [String: Any] else {
                throw TrainingError.invalidConfig("override '\(fullKey)': '\(first)' has no fields")
            }
            out[first] = try setting(value, at: path.dropFirst(), in: inner, fullKey: fullKey)
        }
        return out
    }

    /// The useful part of a `DecodingError` (the field path and what was expected).
    private static func describe(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        switch e {
        case .typeMismatch(let type, let c): return "\(c.codingPath.map(\.stringValue).joined(separator: ".")) must be \(type)"
        case .valueNotFound(let type, let c): return "\(c.codingPath.map(\.stringValue).joined(separator: ".")) must be \(type)"
        case .dataCorrupted(let c): return "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        case .keyNotFound(let k, _): return "missing \(k.stringValue)"
        @unknown default: return "\(error)"
        }
    }
}
