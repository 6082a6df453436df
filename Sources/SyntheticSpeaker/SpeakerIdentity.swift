import Foundation
import TensorCore

/// Who the synthetic speaker is: colours, proportions and textures, all drawn from one
/// `identitySeed`. Same seed → the same person (and background), whatever is said.
public struct SpeakerIdentity: Equatable, Sendable {
    public var seed: UInt64
    /// Linear RGB albedos in [0, 1].
    public var skin: SIMD3<Float>
    public var lips: SIMD3<Float>
    public var hair: SIMD3<Float>
    public var iris: SIMD3<Float>
    public var shirt: SIMD3<Float>
    public var shirtStripe: SIMD3<Float>
    /// Background wall colours (top, bottom) and accent (soft blobs).
    public var wallTop: SIMD3<Float>
    public var wallBottom: SIMD3<Float>
    public var accent: SIMD3<Float>
    /// Proportions: multipliers around 1 of head width, face length, and mouth width.
    public var headWidth: Float
    public var faceLength: Float
    public var mouthWidth: Float
    /// Hair volume (metres above the scalp at the crown).
    public var hairVolume: Float

    public init(seed: UInt64) {
        self.seed = seed
        var rng = SeededRandom(seed: seed &* 0x51_7CC1_B727_220A &+ 0x1234)
        func pick(_ options: [SIMD3<Float>]) -> SIMD3<Float> { options[rng.index(options.count)] }
        func jitter(_ c: SIMD3<Float>, _ amount: Float) -> SIMD3<Float> {
            let j = SIMD3<Float>(rng.uniform(-amount, amount), rng.uniform(-amount, amount), rng.uniform(-amount, amount))
            return simdClamp(c + j, 0.02, 0.98)
        }
        let skinTones: [SIMD3<Float>] = [[0.93, 0.76, 0.65], [0.86, 0.66, 0.53], [0.76, 0.56, 0.42], [0.60, 0.42, 0.30], [0.45, 0.31, 0.22], [0.95, 0.80, 0.70]]
        skin = jitter(pick(skinTones), 0.025)
        lips = simdClamp(skin * SIMD3(0.86, 0.55, 0.58) + SIMD3(0.06, 0.0, 0.01), 0.05, 0.95)
        hair = jitter(pick([[0.10, 0.07, 0.05], [0.25, 0.15, 0.08], [0.45, 0.30, 0.15], [0.70, 0.55, 0.32], [0.06, 0.06, 0.07], [0.50, 0.22, 0.10]]), 0.02)
        iris = jitter(pick([[0.30, 0.18, 0.08], [0.22, 0.38, 0.55], [0.30, 0.42, 0.25], [0.45, 0.32, 0.18]]), 0.03)
        shirt = jitter(pick([[0.18, 0.30, 0.55], [0.55, 0.15, 0.18], [0.20, 0.45, 0.30], [0.30, 0.30, 0.32], [0.85, 0.82, 0.75], [0.45, 0.35, 0.55]]), 0.04)
        shirtStripe = simdClamp(shirt * 0.7 + 0.08, 0, 1)
        wallTop = jitter(pick([[0.62, 0.66, 0.70], [0.72, 0.66, 0.56], [0.52, 0.60, 0.52], [0.70, 0.62, 0.66], [0.46, 0.52, 0.62]]), 0.04)
        wallBottom = simdClamp(wallTop * SIMD3(0.72, 0.70, 0.70), 0, 1)
        accent = jitter(pick([[0.95, 0.85, 0.60], [0.70, 0.85, 0.95], [0.95, 0.70, 0.60], [0.80, 0.95, 0.75]]), 0.05)
        headWidth = rng.uniform(0.95, 1.05)
        faceLength = rng.uniform(0.96, 1.04)
        mouthWidth = rng.uniform(0.92, 1.08)
        hairVolume = rng.uniform(0.006, 0.016)
    }
}

@inline(__always) func simdClamp(_ v: SIMD3<Float>, _ lo: Float, _ hi: Float) -> SIMD3<Float> {
    SIMD3(min(max(v.x, lo), hi), min(max(v.y, lo), hi), min(max(v.z, lo), hi))
}
