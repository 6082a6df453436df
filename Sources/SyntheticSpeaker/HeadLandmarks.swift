import Foundation
import TensorCore

extension HeadModel {
    /// The 68 iBUG landmarks as 3D points on the posed head (head frame): they move with the jaw,
    /// lips and eyelids exactly as the Gaussians do, so their projections fall on the drawn parts.
    ///
    /// - 0–16 jaw line, image left (the speaker's right, −X) to image right, on the front surface
    ///   just inside the silhouette; 6–10 follow the jaw.
    /// - 17–21 right brow outer → inner, 22–26 left brow inner → outer (brow centre line).
    /// - 27–30 nose bridge top → tip; 31–35 base of the nose, image left → right.
    /// - 36–41 right eye (outer corner, two upper-lid margin points, inner corner, two lower points),
    ///   42–47 left eye (inner corner first) — upper points ride on the blinking lid margin.
    /// - 48–59 outer lips (corner 48 at image left, 51 top centre, 54 right corner, 57 bottom centre),
    ///   placed 80 % of the way from the slit to the lip's outer edge, so they lie on lip pixels;
    ///   60–67 inner lips, 12 % from the slit (corners 60, 64).
    public func landmarkPoints(mouth m: MouthParameters, blink: Float) -> [SIMD3<Float>] {
        var pts: [SIMD3<Float>] = []
        pts.reserveCapacity(68)
        let jaw = rig.jawRotation(m.jaw)
        let L = identity.faceLength
        // Jaw line.
        for k in 0..<17 {
            let side: Float = k < 8 ? -1 : (k > 8 ? 1 : 0)
            let s = Float(abs(k - 8)) / 8
            let y = lerp(-0.112 * L, 0.012, powf(s, 1.3))
            let x = side * 0.93 * shape.silhouetteX(y)
            let p = SIMD3<Float>(x, y, shape.faceZ(x, y))
            pts.append(rig.applyJaw(p, rotation: jaw, weight: rig.jawWeight(p)))
        }
        let builder = HeadBuilder(shape: shape, rig: rig, identity: identity)
        for t: Float in [1, 0.75, 0.5, 0.25, 0] { pts.append(builder.browPoint(side: -1, t: t)) }
        for t: Float in [0, 0.25, 0.5, 0.75, 1] { pts.append(builder.browPoint(side: 1, t: t)) }
        for t: Float in [0.12, 0.42, 0.7, 0.98] { pts.append(builder.nosePoint(t, 0)) }
        for s: Float in [-0.7, -0.35, 0, 0.35, 0.7] { pts.append(builder.nosePoint(1.3, s)) }
        // Eyes: (u outward, upper?) per iBUG order.
        func eye(_ side: Float, _ u: Float, upper: Bool?) -> SIMD3<Float> {
            let cx = rig.eyeCentreX(side)
            guard let upper else {
                let x = cx + side * u * rig.almondHalfWidth
                return [x, rig.eyeY, rig.eyeSurfaceZ(side: side, x: x, y: rig.eyeY) + 0.001]
            }
            if upper { return rig.lidPoint(side: side, u: u, row: 1, blink: blink) + SIMD3(0, 0.0006, 0.0004) }
            let x = cx + side * u * rig.almondHalfWidth
            let y = rig.almondLower(u) + 0.0004
            return [x, y, rig.eyeSurfaceZ(side: side, x: x, y: y) + 0.0005]
        }
        let third: Float = 1.0 / 3
        pts += [eye(-1, 0.96, upper: nil), eye(-1, third, upper: true), eye(-1, -third, upper: true),
                eye(-1, -0.96, upper: nil), eye(-1, -third, upper: false), eye(-1, third, upper: false)]
        pts += [eye(1, -0.96, upper: nil), eye(1, -third, upper: true), eye(1, third, upper: true),
                eye(1, 0.96, upper: nil), eye(1, third, upper: false), eye(1, -third, upper: false)]
        // Lips.
        func lip(_ u: Float, _ f: Float, _ upper: Bool) -> SIMD3<Float> { rig.lipPoint(u: u, f: f, upper: upper, m, jaw: jaw) }
        let outer: Float = 0.8, inner: Float = 0.12, t2: Float = 2.0 / 3
        pts += [lip(-0.9, 0.5, true), lip(-t2, outer, true), lip(-third, outer, true), lip(0, outer, true),
                lip(third, outer, true), lip(t2, outer, true), lip(0.9, 0.5, true),
                lip(t2, outer, false), lip(third, outer, false), lip(0, outer, false), lip(-third, outer, false), lip(-t2, outer, false)]
        pts += [lip(-0.8, 0.3, true), lip(-0.5, inner, true), lip(0, inner, true), lip(0.5, inner, true),
                lip(0.8, 0.3, true), lip(0.5, inner, false), lip(0, inner, false), lip(-0.5, inner, false)]
        return pts
    }

    /// A named 3D point of the head in the rest pose (for consistency tests): the centre of pupil
    /// `side` (−1 right eye / image left, +1 left eye) on the iris disk.
    public func pupilCentre(side: Float) -> SIMD3<Float> {
        let x = rig.eyeCentreX(side), y = rig.eyeY - 0.0004
        return [x, y, rig.eyeSurfaceZ(side: side, x: x, y: y) + 0.0003]
    }
}
