import Foundation
import TensorCore

/// The mouth shape of one video frame, each in [0, 1] (written per frame to `mouth.npy` [N, 4] in
/// this column order):
/// - `jaw`: jaw opening; 1 rotates the jaw by `FaceRig.maxJawAngle` (≈ 2.4 cm lip gap).
/// - `spread`: lip corners pulled outwards (/i/, /s/): mouth up to 16 % wider.
/// - `round`: lips rounded and protruded (/u/, /w/, /ʃ/): mouth up to 26 % narrower, 6 mm forward.
/// - `press`: lips pressed together (/p b m/): lips up to 35 % thinner.
public struct MouthParameters: Equatable, Codable, Sendable {
    public var jaw: Float
    public var spread: Float
    public var round: Float
    public var press: Float
    public init(jaw: Float = 0, spread: Float = 0, round: Float = 0, press: Float = 0) {
        self.jaw = jaw; self.spread = spread; self.round = round; self.press = press
    }
    public static let closed = MouthParameters()
    public static let columnNames = ["jaw_open", "lip_spread", "lip_round", "lip_press"]
    public var array: [Float] { [jaw, spread, round, press] }
}

/// Where the face features sit and how the jaw, lips and eyelids move (head frame, metres).
///
/// Jaw: a rotation by `jaw · maxJawAngle` about the X axis through `hinge` (in front of the ears),
/// blended per point by `jawWeight(p)`: 0 above the lip slit, and below it
/// w = √(1 − (x / (W₀ + 1.1·d))²) · smoothstep(−0.01, 0.03, z), with d the height below the slit and
/// W₀ the mouth half-width — so the lower lip opens as an ellipse (corners fixed), the chin and
/// under-chin move rigidly, and the cheeks stretch smoothly instead of tearing.
struct FaceRig: Sendable {
    let shape: HeadShape
    let mouthY: Float
    let mouthZ: Float
    let mouthHalfWidth: Float
    let eyeX: Float
    let eyeY: Float
    /// Eye "shell" ellipsoid (the visible eyeball) radii, and its centre depth.
    let eyeRadii: SIMD3<Float> = [0.0180, 0.0135, 0.0115]
    let eyeCentreZ: Float
    /// Almond of the eye opening: half-width, height above and below the eye centre.
    let almondHalfWidth: Float = 0.0145
    let almondUp: Float = 0.0064
    let almondDown: Float = 0.0050
    let hinge: SIMD3<Float> = [0, -0.005, -0.005]
    static let maxJawAngle: Float = 0.27

    init(shape: HeadShape, identity: SpeakerIdentity) {
        self.shape = shape
        mouthY = -0.052 * identity.faceLength
        mouthZ = shape.faceZ(0, mouthY)
        mouthHalfWidth = 0.025 * identity.mouthWidth
        eyeX = 0.032 * identity.headWidth
        eyeY = 0.026
        eyeCentreZ = shape.faceZ(eyeX, eyeY) - 0.0082
    }

    // MARK: jaw

    func jawWeight(_ p: SIMD3<Float>) -> Float {
        let d = mouthY - p.y
        guard d > 0 else { return 0 }
        let wj = mouthHalfWidth + 1.1 * d
        let hx = max(0, 1 - (p.x / wj) * (p.x / wj)).squareRoot()
        return hx * smoothstep(-0.01, 0.03, p.z)
    }

    /// The jaw rotation for a jaw opening in [0, 1].
    func jawRotation(_ jaw: Float) -> Matrix3 { rotationX(jaw * Self.maxJawAngle) }

    /// `p` moved by the jaw rotation `r` with weight `w`.
    @inline(__always) func applyJaw(_ p: SIMD3<Float>, rotation r: Matrix3, weight w: Float) -> SIMD3<Float> {
        guard w > 0 else { return p }
        let moved = r * (p - hinge) + hinge
        return p + w * (moved - p)
    }

    // MARK: lips

    /// Current mouth half-width.
    func lipHalfWidth(_ m: MouthParameters) -> Float { mouthHalfWidth * (1 + 0.16 * m.spread - 0.26 * m.round) }

    /// A point of a lip in the closed pose (before the jaw): `u` ∈ [−1, 1] across the mouth (−1 = the
    /// speaker's right corner, image left), `f` ∈ [0, 1] from the slit (0) to the lip's outer edge (1).
    func lipPointClosed(u: Float, f: Float, upper: Bool, _ m: MouthParameters) -> SIMD3<Float> {
        let w = lipHalfWidth(m)
        let x = u * w
        let profile = max(0.22, powf(max(0, 1 - u * u), 0.6))
        let thick = (1 - 0.35 * m.press) * (1 + 0.15 * m.round)
        let slit = mouthY - 0.0015 * u * u + (upper ? 0.0022 * m.jaw : 0)
        let y: Float
        if upper {
            let bow = 1 - 0.14 * expf(-(u / 0.16) * (u / 0.16))
            y = slit + f * 0.0092 * profile * bow * thick
        } else {
            y = slit - f * 0.0112 * profile * thick
        }
        let bulge = max(0, 1 - u * u).squareRoot()
        let protrusion = (0.0035 + 0.006 * m.round) * bulge + 0.0008 + (upper ? 0 : 0.0006)
        let z = shape.faceZ(x, y) + protrusion - 0.0015 * (1 - f) * (1 - f)
        return [x, y, z]
    }

    /// A lip point in the current pose (lower lip follows the jaw).
    func lipPoint(u: Float, f: Float, upper: Bool, _ m: MouthParameters, jaw r: Matrix3) -> SIMD3<Float> {
        let p = lipPointClosed(u: u, f: f, upper: upper, m)
        return upper ? p : applyJaw(p, rotation: r, weight: lowerLipWeight(u))
    }

    /// Jaw weight of the lower lip at `u`: the elliptic opening profile √(1 − u²).
    @inline(__always) func lowerLipWeight(_ u: Float) -> Float { max(0, 1 - u * u).squareRoot() }

    // MARK: eyes

    /// Centre x of eye `side` (−1: the speaker's right eye, image left; +1: left eye).
    func eyeCentreX(_ side: Float) -> Float { side * eyeX }

    /// Depth of the eye shell's front surface at (x, y) for eye `side`.
    func eyeSurfaceZ(side: Float, x: Float, y: Float) -> Float {
        let dx = (x - eyeCentreX(side)) / eyeRadii.x, dy = (y - eyeY) / eyeRadii.y
        return eyeCentreZ + eyeRadii.z * max(0, 1 - dx * dx - dy * dy).squareRoot()
    }

    /// Upper and lower edges of the almond at u ∈ [−1, 1] (u = +1 at the outer corner, −1 at the
    /// inner corner by the nose; the upper lid peaks slightly outwards).
    func almondUpper(_ u: Float) -> Float { eyeY + almondUp * (1 - u * u) * (1 + 0.12 * u) }
    func almondLower(_ u: Float) -> Float { eyeY - almondDown * (1 - u * u) }

    /// Is (x, y) inside eye `side`'s almond grown by `margin` metres?
    func insideAlmond(side: Float, x: Float, y: Float, margin: Float) -> Bool {
        let u = side * (x - eyeCentreX(side)) / (almondHalfWidth + margin)
        guard abs(u) < 1 else { return false }
        return y < almondUpper(u) + margin && y > almondLower(u) - margin
    }

    /// A point of the upper eyelid: `u` across (+1 outer corner), `row` ∈ [0, 1] from the crease to the lid margin,
    /// for lid closure `blink` ∈ [0, 1] (1 = shut: the margin reaches the lower almond edge).
    func lidPoint(side: Float, u: Float, row: Float, blink: Float) -> SIMD3<Float> {
        let x = eyeCentreX(side) + side * u * almondHalfWidth
        let top = almondUpper(u), edge = lerp(top, almondLower(u) - 0.0004, blink)
        let y = lerp(top, edge, row)
        return [x, y, eyeSurfaceZ(side: side, x: x, y: y) + 0.0012]
    }
}
