import Foundation
import DataIO
import Splatting
import TensorCore

/// Parts of the procedural head (the `label` extra channel of `SpeakerScene.render`).
public enum HeadPart: Int, CaseIterable, Sendable {
    case skin, hair, brow, eyeWhite, iris, pupil, eyelid, nose, ear, lips, teeth, tongue, cavity
}

/// How a Gaussian moves with the face rig.
enum RigKind: Sendable {
    /// Fixed in the head frame, moved only by the jaw with the Gaussian's `jawWeight`.
    case rigid
    /// A lip Gaussian: recomputed from the mouth parameters (`FaceRig.lipPoint`).
    case lip(u: Float, f: Float, upper: Bool)
    /// An upper-eyelid Gaussian: recomputed from the blink (`FaceRig.lidPoint`), `lift` metres forward.
    case lid(side: Float, u: Float, row: Float, lift: Float)
}

/// One Gaussian of the head with its rig data (activated values: linear scales, opacity, RGB).
struct RigGaussian: Sendable {
    var mean: SIMD3<Float>
    var rotation: SIMD4<Float>
    var scale: SIMD3<Float>
    var opacity: Float
    var color: SIMD3<Float>
    var part: HeadPart
    var jawWeight: Float
    var kind: RigKind
}

/// The procedural talking head as 3D Gaussians in its canonical head frame (`HeadShape`):
/// skin with baked shading and a noise texture, hair, brows, eyes (white shell, iris, pupil,
/// highlight) under blinking upper lids, nose, ears, lips, upper and lower teeth, tongue and a dark
/// mouth cavity. `cloud(mouth:blink:)` poses it for a frame; the head is static in its own frame
/// except for the jaw, lips and eyelids, so a 3D Gaussian method can reproduce it exactly.
///
/// Shading is baked into the colours (Lambert light from the upper image-left front plus ambient),
/// so it moves with the head. Immutable and `Sendable`: share one model between render threads.
public final class HeadModel: Sendable {
    public let identity: SpeakerIdentity
    let shape: HeadShape
    let rig: FaceRig
    let gaussians: [RigGaussian]
    /// Per-Gaussian part, [N].
    public let parts: [HeadPart]
    /// Axis-aligned box of the rest head (means, grown by 1 cm), head frame: (min, max).
    public let bounds: (min: SIMD3<Float>, max: SIMD3<Float>)

    /// `detail` scales the Gaussian count of the large parts (1 = full, ≈ 27k Gaussians; tests use
    /// ≈ 0.1 for speed in debug builds).
    public init(identity: SpeakerIdentity, detail: Float = 1) {
        self.identity = identity
        shape = HeadShape(identity: identity)
        rig = FaceRig(shape: shape, identity: identity)
        var builder = HeadBuilder(shape: shape, rig: rig, identity: identity, detail: detail)
        builder.buildAll()
        gaussians = builder.gaussians
        parts = gaussians.map(\.part)
        var lo = SIMD3<Float>(repeating: .infinity), hi = SIMD3<Float>(repeating: -.infinity)
        for g in gaussians { lo = pointwiseMin(lo, g.mean); hi = pointwiseMax(hi, g.mean) }
        bounds = (lo - 0.01, hi + 0.01)
    }

    public var count: Int { gaussians.count }

    /// `bounds` as arrays (for JSON).
    public var boundsArray: (min: [Float], max: [Float]) {
        ([bounds.min.x, bounds.min.y, bounds.min.z], [bounds.max.x, bounds.max.y, bounds.max.z])
    }

    /// The head posed for one frame, in the head frame, SH degree 0.
    public func cloud(mouth m: MouthParameters, blink: Float) -> GaussianCloud {
        let n = gaussians.count
        var means = [Float](repeating: 0, count: 3 * n), rotations = [Float](repeating: 0, count: 4 * n)
        var logScales = [Float](repeating: 0, count: 3 * n), logits = [Float](repeating: 0, count: n)
        var sh = [Float](repeating: 0, count: 3 * n)
        let jaw = rig.jawRotation(m.jaw)
        let half = 0.5 * m.jaw * FaceRig.maxJawAngle
        for (i, g) in gaussians.enumerated() {
            var p: SIMD3<Float>
            var q = g.rotation
            var s = g.scale
            switch g.kind {
            case .rigid:
                p = rig.applyJaw(g.mean, rotation: jaw, weight: g.jawWeight)
                if g.jawWeight > 0.5 { q = multiply([cosf(half * g.jawWeight), sinf(half * g.jawWeight), 0, 0], q) }
            case let .lip(u, f, upper):
                p = rig.lipPoint(u: u, f: f, upper: upper, m, jaw: jaw)
                let thick = (1 - 0.35 * m.press) * (1 + 0.15 * m.round)
                s.y *= thick
                s.x *= rig.lipHalfWidth(m) / rig.mouthHalfWidth
            case let .lid(side, u, row, lift):
                p = rig.lidPoint(side: side, u: u, row: row, blink: blink) + SIMD3(0, 0, lift)
                let open = rig.almondUpper(u) - (rig.almondLower(u) - 0.0004)
                s.y = max(s.y, 0.55 * open * blink / 8)
            }
            means[3 * i] = p.x; means[3 * i + 1] = p.y; means[3 * i + 2] = p.z
            rotations[4 * i] = q[0]; rotations[4 * i + 1] = q[1]; rotations[4 * i + 2] = q[2]; rotations[4 * i + 3] = q[3]
            logScales[3 * i] = logf(s.x); logScales[3 * i + 1] = logf(s.y); logScales[3 * i + 2] = logf(s.z)
            logits[i] = logit(min(max(g.opacity, 0.004), 0.996))
            for c in 0..<3 { sh[3 * i + c] = GaussianCloud.shDC(fromColor: g.color[c]) }
        }
        return GaussianCloud(shDegree: 0, means: means, rotations: rotations, logScales: logScales,
                             opacityLogits: logits, shCoefficients: sh)
    }

    /// [N, E] one-hot extra channels: channel e is 1 for Gaussians whose part is in `channels[e]`.
    public func labelExtras(_ channels: [Set<HeadPart>]) -> [Float] {
        var out = [Float](repeating: 0, count: parts.count * channels.count)
        for (i, p) in parts.enumerated() { for (e, set) in channels.enumerated() where set.contains(p) { out[i * channels.count + e] = 1 } }
        return out
    }
}
