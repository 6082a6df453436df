import Foundation
import TensorCore

/// The head's rigid pose in the world (camera-fixed) frame for one video frame: the head frame is
/// rotated by yaw/pitch/roll (radians, `rotation(yaw:pitch:roll:)`) about `SpeakerScene.pivot`
/// (the top of the neck) and then translated by `translation` (metres).
public struct HeadPose: Equatable, Sendable {
    public var yaw: Float
    public var pitch: Float
    public var roll: Float
    public var translation: SIMD3<Float>
    public init(yaw: Float = 0, pitch: Float = 0, roll: Float = 0, translation: SIMD3<Float> = .zero) {
        self.yaw = yaw; self.pitch = pitch; self.roll = roll; self.translation = translation
    }
}

/// Smooth head motion and blinks, drawn from the text seed (a held-out recording of the same
/// person moves differently).
///
/// Motion: each of yaw, pitch, roll and the three translations is a sum of three sines with
/// periods 2.5–11 s and random phases; amplitudes ≈ 4° yaw, 2.5° pitch, 1.5° roll, 4/3/3 mm.
/// Blinks: every 2–5.5 s (the first within 0.5–2.5 s), lasting 160–260 ms; closure rises as
/// sin² over the first 40 % and falls over the rest (peak 1 = fully shut).
public struct MotionTrack: Sendable {
    public var poses: [HeadPose]
    /// Eyelid closure per frame in [0, 1].
    public var blinks: [Float]
    /// Blink start times in seconds.
    public var blinkTimes: [Double]

    public init(frameCount: Int, seed: UInt64, fps: Double = 25) {
        var rng = SeededRandom(seed: seed &* 0x2545_F491_4F6C_DD1D &+ 99)
        let degree = Float.pi / 180
        let amplitudes: [Float] = [4 * degree, 2.5 * degree, 1.5 * degree, 0.004, 0.003, 0.003]
        var waves: [[(a: Float, period: Float, phase: Float)]] = []
        for amp in amplitudes {
            var w: [(Float, Float, Float)] = []
            let shares: [Float] = [0.55, 0.3, 0.15]
            for s in shares { w.append((amp * s, rng.uniform(2.5, 11), rng.uniform(0, 2 * .pi))) }
            waves.append(w)
        }
        var blinkTimes: [Double] = []
        var durations: [Double] = []
        var t = rng.uniformDouble(0.5, 2.5)
        let total = Double(frameCount) / fps
        while t < total {
            blinkTimes.append(t); durations.append(rng.uniformDouble(0.16, 0.26))
            t += rng.uniformDouble(2.0, 5.5)
        }
        self.blinkTimes = blinkTimes
        poses = (0..<frameCount).map { k in
            let time = Float(Double(k) / fps)
            let v = waves.map { $0.reduce(Float(0)) { $0 + $1.a * sinf(2 * .pi * time / $1.period + $1.phase) } }
            return HeadPose(yaw: v[0], pitch: v[1], roll: v[2], translation: [v[3], v[4], v[5]])
        }
        blinks = (0..<frameCount).map { k in
            let time = Double(k) / fps
            var closure: Double = 0
            for (start, duration) in zip(blinkTimes, durations) where time >= start && time < start + duration {
                let x = (time - start) / duration
                let s = x < 0.4 ? x / 0.4 : 1 - (x - 0.4) / 0.6
                closure = max(closure, pow(sin(0.5 * Double.pi * s), 2))
            }
            return Float(closure)
        }
    }
}
