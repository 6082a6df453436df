import AudioFeatures
import Foundation

/// Phoneme → viseme (mouth-shape target) mapping for espeak-ng's phoneme mnemonics, and the
/// coarticulation model that turns a phoneme timeline into smooth per-frame `MouthParameters`.
public enum Visemes {
    /// Mouth target and dominance (how strongly the phoneme imposes its shape on its neighbours,
    /// Cohen–Massaro) of one phoneme.
    public struct Target: Equatable, Sendable {
        public var mouth: MouthParameters
        public var dominance: Float
    }

    /// Open vowels: a, aa, a#, A:, A@, aI, aU, V, 0 (and their espeak variants). Their jaw target is ≥ 0.85.
    public static func isOpenVowel(_ phoneme: String) -> Bool {
        guard let c = phoneme.first else { return false }
        return c == "a" || c == "A" || c == "V" || c == "0"
    }

    /// Pauses: `_`, `_:`, `_!` … and empty names.
    public static func isPause(_ phoneme: String) -> Bool { phoneme.isEmpty || phoneme.hasPrefix("_") }

    /// Bilabials p, b, m (lips closed).
    public static func isBilabial(_ phoneme: String) -> Bool { ["p", "b", "m"].contains(phoneme.first.map(String.init) ?? "") }

    /// The viseme target of an espeak-ng phoneme (classified by its leading characters).
    public static func target(_ phoneme: String) -> Target {
        func t(_ jaw: Float, _ spread: Float = 0, _ round: Float = 0, _ press: Float = 0, _ d: Float = 1) -> Target {
            Target(mouth: MouthParameters(jaw: jaw, spread: spread, round: round, press: press), dominance: d)
        }
        if isPause(phoneme) { return t(0, 0, 0, 0.1, 0.6) }
        let p = phoneme
        let c = p.first!
        switch c {
        case "a", "A", "V", "0":
            if p.hasPrefix("aU") { return t(0.9, 0, 0.25) }
            if p.hasPrefix("aI") { return t(0.9, 0.2) }
            return t(0.95, 0.1)
        case "O":
            return p.hasPrefix("OI") ? t(0.6, 0, 0.45) : t(0.65, 0, 0.6)
        case "o": return t(0.45, 0, 0.75)
        case "E": return t(0.55, 0.35)
        case "e": return p.hasPrefix("eI") ? t(0.45, 0.5) : t(0.55, 0.3)
        case "3": return t(0.4, 0, 0.25)
        case "@": return t(0.35, 0.05)
        case "i", "I": return t(0.22, 0.8)
        case "u": return t(0.2, 0, 0.95)
        case "U": return t(0.3, 0, 0.6)
        case "p", "b", "m": return t(0.0, 0, 0, 1, 3.0)
        case "f", "v": return t(0.1, 0.1, 0, 0.5, 2.0)
        case "T", "D": return t(0.2, 0.2, 0, 0, 1.2)
        case "w": return t(0.1, 0, 1.0, 0, 2.0)
        case "r": return t(0.2, 0, 0.45, 0, 0.8)
        case "j": return t(0.15, 0.5, 0, 0, 0.8)
        case "s", "z": return t(0.12, 0.45, 0, 0, 1.2)
        case "S", "Z": return t(0.15, 0, 0.6, 0, 1.2)
        case "t":
            return p.hasPrefix("tS") ? t(0.15, 0, 0.6, 0, 1.2) : t(0.22, 0.25, 0, 0, 0.7)
        case "d":
            return p.hasPrefix("dZ") ? t(0.15, 0, 0.6, 0, 1.2) : t(0.22, 0.25, 0, 0, 0.7)
        case "n", "l": return t(0.25, 0.2, 0, 0, 0.6)
        case "k", "g", "N", "x", "h", "?": return t(0.3, 0.1, 0, 0, 0.4)
        default: return t(0.3, 0.1, 0, 0, 0.5)
        }
    }

    /// Per-frame mouth parameters for a phoneme timeline (Cohen–Massaro coarticulation).
    ///
    /// Each phoneme i with span [s, e) has a flat-topped dominance
    /// D_i(t) = dominance_i · exp(−(max(0, |t − c_i| − 0.3·(e − s)) / τ)²), c_i = (s + e) / 2,
    /// τ = 45 ms; the mouth at time t is Σ D_i(t)·target_i / Σ D_i(t) (C¹-smooth in time: no popping,
    /// anticipation and carry-over both emerge). Frame k is sampled at t = 1000·k / fps ms — the
    /// timestamp of video frame k, the centre of its audio feature window.
    public static func mouthTrack(_ phonemes: [PhonemeEvent], frameCount: Int, fps: Double = 25) -> [MouthParameters] {
        let tau: Double = 45
        let targets = phonemes.map { target($0.phoneme) }
        var out: [MouthParameters] = []
        out.reserveCapacity(frameCount)
        var first = 0
        for k in 0..<frameCount {
            let t = 1000 * Double(k) / fps
            while first < phonemes.count && Double(phonemes[first].endMs) < t - 400 { first += 1 }
            var acc = SIMD4<Float>(repeating: 0), weight: Float = 0
            var i = first
            while i < phonemes.count && Double(phonemes[i].startMs) <= t + 400 {
                let e = phonemes[i]
                let centre = 0.5 * Double(e.startMs + e.endMs), halfFlat = 0.3 * Double(e.endMs - e.startMs)
                let x = max(0, abs(t - centre) - halfFlat) / tau
                let d = targets[i].dominance * Float(exp(-x * x))
                let m = targets[i].mouth
                acc += d * SIMD4(m.jaw, m.spread, m.round, m.press)
                weight += d
                i += 1
            }
            if weight < 1e-6 { out.append(.closed); continue }
            let v = acc / weight
            out.append(MouthParameters(jaw: v[0], spread: v[1], round: v[2], press: v[3]))
        }
        return out
    }
}
