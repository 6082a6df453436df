/// Deterministic pseudo-random numbers (SplitMix64 seeding a xoshiro256** state), so every
/// output of the project is reproducible given `--seed`. Not cryptographic.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var z = seed
        func splitMix(_ z: inout UInt64) -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s0 = splitMix(&z); s1 = splitMix(&z); s2 = splitMix(&z); s3 = splitMix(&z)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform Float in [lo, hi).
    public mutating func uniform(_ lo: Float = 0, _ hi: Float = 1) -> Float {
        let u = Float(next() >> 40) * (1.0 / Float(1 << 24))
        return lo + (hi - lo) * u
    }

    /// Uniform Double in [lo, hi).
    public mutating func uniformDouble(_ lo: Double = 0, _ hi: Double = 1) -> Double {
        let u = Double(next() >> 11) * (1.0 / Double(UInt64(1) << 53))
        return lo + (hi - lo) * u
    }

    /// Standard normal sample (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(uniformDouble(), 1e-300)
        let u2 = uniformDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Uniform integer in 0..<n.
    public mutating func index(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
