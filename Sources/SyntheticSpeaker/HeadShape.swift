import Foundation
import TensorCore

/// The skin surface of the procedural head, in the head's canonical frame (metres): origin at the
/// head's centre, +X to the speaker's left (image right when facing the camera), +Y up, +Z out of
/// the face (the 3DMM / ER-NeRF head frame).
///
/// The surface is the level set F(p) = 1 of a super-ellipsoid whose width narrows towards the jaw:
/// F = (x / a(y))² + |y / b(y)|^n(y) + (z / c(z))², with a(y) the half-width (narrowing below the
/// cheekbones), b the half-height (crown above, chin below), n = 2.2 above the centre and 4 below
/// (a squarer chin), c the half-depth (face in front, skull behind).
/// Face features are placed with `faceZ(x, y)`, the depth of the front surface at (x, y).
struct HeadShape: Sendable {
    var widthScale: Float
    var lengthScale: Float

    init(identity: SpeakerIdentity) {
        widthScale = identity.headWidth
        lengthScale = identity.faceLength
    }

    var top: Float { 0.108 }
    var bottom: Float { 0.125 * lengthScale }
    var front: Float { 0.093 }
    var back: Float { 0.100 }

    /// Half-width a(y).
    @inline(__always) func halfWidth(_ y: Float) -> Float {
        widthScale * (0.074 - 0.023 * smoothstep(-0.02, -bottom, y))
    }

    @inline(__always) func yTerm(_ y: Float) -> Float {
        y >= 0 ? powf(y / top, 2.2) : powf(-y / bottom, 4.0)
    }

    /// F(p); < 1 inside.
    @inline(__always) func field(_ p: SIMD3<Float>) -> Float {
        let a = halfWidth(p.y), c = p.z >= 0 ? front : back
        return (p.x / a) * (p.x / a) + yTerm(p.y) + (p.z / c) * (p.z / c)
    }

    /// Depth z of the front surface at (x, y) (0 outside the silhouette).
    func faceZ(_ x: Float, _ y: Float) -> Float {
        let a = halfWidth(y)
        return front * max(0, 1 - (x / a) * (x / a) - yTerm(y)).squareRoot()
    }

    /// Point of the surface along unit direction `d` from the centre (bisection on F(r·d) = 1).
    func surfacePoint(_ d: SIMD3<Float>) -> SIMD3<Float> {
        var lo: Float = 0.005, hi: Float = 0.25
        for _ in 0..<28 {
            let mid = 0.5 * (lo + hi)
            if field(mid * d) < 1 { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi) * d
    }

    /// Outward unit normal (gradient of F by central differences).
    func normal(_ p: SIMD3<Float>) -> SIMD3<Float> {
        let h: Float = 1e-4
        let g = SIMD3<Float>(field(p + [h, 0, 0]) - field(p - [h, 0, 0]),
                             field(p + [0, h, 0]) - field(p - [0, h, 0]),
                             field(p + [0, 0, h]) - field(p - [0, 0, h]))
        return normalize(g)
    }

    /// Horizontal extent of the silhouette seen from the front at height y.
    func silhouetteX(_ y: Float) -> Float { halfWidth(y) * max(0, 1 - yTerm(y)).squareRoot() }
}
