import Foundation
import TensorCore

/// Builds the Gaussians of `HeadModel`, part by part (head frame, metres; see `HeadShape`).
/// Deterministic given the identity.
struct HeadBuilder {
    let shape: HeadShape
    let rig: FaceRig
    let identity: SpeakerIdentity
    /// Fraction of the full Gaussian count for the large parts (skin, hair, eye shells, nose,
    /// cavity, tongue); their sizes grow by 1/√detail so coverage stays closed.
    let detail: Float
    var gaussians: [RigGaussian] = []
    var rng: SeededRandom
    let noise: ValueNoise
    /// Direction towards the key light (upper image-left, in front).
    let light = normalize(SIMD3<Float>(-0.35, 0.45, 0.82))

    init(shape: HeadShape, rig: FaceRig, identity: SpeakerIdentity, detail: Float = 1) {
        self.shape = shape; self.rig = rig; self.identity = identity; self.detail = min(max(detail, 0.01), 4)
        rng = SeededRandom(seed: identity.seed &+ 0xA5A5_0001)
        noise = ValueNoise(seed: identity.seed &* 31 &+ 7)
    }

    /// Skin and hair behind this depth (metres, head frame) are left out: the fixed frontal camera
    /// (head yaw within ±5°) never sees the back of the head — its silhouette lies near z ≈ 0.01 —
    /// and those Gaussians would only cost projection and sorting time.
    static let hiddenBehind: Float = -0.035

    /// `n` scaled by `detail` (by √detail per grid axis when `sqrt`), at least 1.
    func scaled(_ n: Int, sqrt: Bool = false) -> Int {
        max(1, Int((Float(n) * (sqrt ? detail.squareRoot() : detail)).rounded()))
    }

    /// Baked Lambert shading: ambient + key light + a little sky light from above.
    func shade(_ albedo: SIMD3<Float>, _ n: SIMD3<Float>, ambient: Float = 0.42) -> SIMD3<Float> {
        let k = ambient + 0.62 * max(0, dot(n, light)) + 0.06 * max(0, n.y)
        return simdClamp(albedo * k, 0, 1)
    }

    mutating func add(_ p: SIMD3<Float>, normal: SIMD3<Float>, tangent: SIMD3<Float> = [1, 0, 0],
                      scale: SIMD3<Float>, color: SIMD3<Float>, opacity: Float = 0.97, part: HeadPart,
                      jawWeight: Float? = nil, kind: RigKind = .rigid) {
        gaussians.append(RigGaussian(mean: p, rotation: quaternion(normal: normal, tangent: tangent), scale: scale,
                                     opacity: opacity, color: color, part: part,
                                     jawWeight: jawWeight ?? rig.jawWeight(p), kind: kind))
    }

    mutating func buildAll() {
        buildSkin()
        buildHair()
        buildNose()
        buildEars()
        buildEyes()
        buildBrows()
        buildMouthInterior()
        buildLips()
    }

    // MARK: skin and hair

    /// Where hair grows: 0 (skin) … 1 (fully covered), by direction from the head centre.
    func hairCover(_ d: SIMD3<Float>) -> Float {
        let a = abs(atan2f(d.x, d.z))
        let knots: [(Float, Float)] = [(0, 0.80), (0.5, 0.74), (1.1, 0.52), (1.5708, 0.45), (2.3, -0.15), (3.1416, -0.45)]
        var threshold = knots.last!.1
        for k in 1..<knots.count where a <= knots[k].0 {
            let (a0, t0) = knots[k - 1], (a1, t1) = knots[k]
            threshold = lerp(t0, t1, (a - a0) / (a1 - a0)); break
        }
        threshold += 0.03 * noise.sample(d, frequency: 9)
        return smoothstep(threshold, threshold + 0.07, d.y)
    }

    mutating func buildSkin() {
        let count = scaled(15_000)
        let blushCentre: Float = 0.045
        for d in fibonacciSphere(count) {
            let p = shape.surfacePoint(d), n = shape.normal(p)
            if p.z < Self.hiddenBehind { continue }
            if p.z > 0.02 {
                if rig.insideAlmond(side: -1, x: p.x, y: p.y, margin: 0.0022) || rig.insideAlmond(side: 1, x: p.x, y: p.y, margin: 0.0022) { continue }
                let mx = p.x / (0.62 * rig.mouthHalfWidth), my = (p.y - rig.mouthY) / 0.0095
                if mx * mx + my * my < 1 { continue }
            }
            let spacing = length(p) * (4 * Float.pi / Float(count)).squareRoot()
            let t = 0.72 * spacing
            var albedo = identity.skin * (1 + 0.07 * noise.fractal(p, frequency: 40) + 0.035 * noise.sample(p, frequency: 260))
            let bx = abs(p.x) - blushCentre, by = p.y + 0.02
            let blush = p.z > 0 ? expf(-(bx * bx + by * by) / (2 * 0.018 * 0.018)) : 0
            albedo *= SIMD3(1 + 0.10 * blush, 1 - 0.05 * blush, 1 - 0.04 * blush)
            let cover = hairCover(d)
            albedo = lerp(albedo, identity.hair * 0.55, cover)
            add(p, normal: n, tangent: [0, 1, 0], scale: [t, t, 0.0006], color: shade(albedo, n), part: cover > 0.5 ? .hair : .skin)
        }
    }

    mutating func buildHair() {
        let grow = 1 / detail.squareRoot()
        for d in fibonacciSphere(scaled(9_000)) {
            let cover = hairCover(d)
            guard cover > 0.02 else { continue }
            let p = shape.surfacePoint(d), n = shape.normal(p)
            if p.z < Self.hiddenBehind { continue }
            let crown = smoothstep(-0.2, 0.9, d.y)
            let flow = SIMD3<Float>(0.15 * d.x, -1, -0.25) + 0.5 * SIMD3(noise.sample(p, frequency: 30), 0, noise.sample(p + 3, frequency: 30))
            for layer in 0..<2 {
                let thickness = (0.002 + identity.hairVolume * (0.35 + 0.65 * crown)) * cover * (layer == 0 ? 0.45 : 1)
                let q = p + n * thickness + SIMD3(rng.uniform(-0.001, 0.001), rng.uniform(-0.001, 0.001), rng.uniform(-0.001, 0.001))
                let strand = 0.72 + 0.5 * rng.uniform() + 0.15 * noise.sample(q, frequency: 400)
                let color = shade(identity.hair * strand, n, ambient: 0.5)
                add(q, normal: n, tangent: flow, scale: SIMD3(0.0068, 0.0016, 0.0012) * grow, color: color, opacity: 0.9, part: .hair, jawWeight: 0)
            }
        }
    }

    // MARK: nose and ears

    /// Nose surface at (t along the bridge from its top (0) to the tip (1) and on under the tip to
    /// the base (1…1.35), s ∈ [−1, 1] across).
    func nosePoint(_ t: Float, _ s: Float) -> SIMD3<Float> {
        let L = identity.faceLength
        let y: Float, h: Float, w: Float
        if t <= 1 {
            y = (0.030 - 0.052 * t) * L
            h = 0.003 + 0.019 * powf(t, 1.5)
            w = 0.0055 + 0.005 * t + 0.0075 * smoothstep(0.6, 1, t)
        } else {
            let u = (t - 1) / 0.35
            y = (-0.022 - 0.0065 * u) * L
            h = 0.022 * (1 - powf(u, 1.6))
            w = 0.018 * (1 - 0.15 * u)
        }
        let x = s * w
        let profile = powf(max(0, 1 - s * s), 0.55)
        return [x, y, shape.faceZ(x, y) + h * profile]
    }

    mutating func buildNose() {
        let nt = max(8, scaled(40, sqrt: true)), ns = max(5, scaled(17, sqrt: true))
        for i in 0..<nt {
            let t = 1.35 * (Float(i) + 0.5) / Float(nt)
            for j in 0..<ns {
                let s = -0.96 + 1.92 * Float(j) / Float(ns - 1)
                let p = nosePoint(t, s)
                let dt = nosePoint(t + 0.01, s) - nosePoint(t - 0.01, s), ds = nosePoint(t, s + 0.01) - nosePoint(t, s - 0.01)
                var n = normalize(cross(ds, dt))
                if n.z < 0 && t < 1 { n = -n }
                if t > 1 && n.y > 0 { n = -n }
                let a = 0.6 * max(length(dt) / 0.02 * 1.35 / Float(nt), 0.0009)
                let b = 0.6 * max(length(ds) / 0.02 * 1.92 / Float(ns), 0.0009)
                var albedo = identity.skin * (1 + 0.05 * noise.sample(p, frequency: 200))
                albedo *= SIMD3(1.03, 0.98, 0.97)
                add(p, normal: n, tangent: dt, scale: [min(a, 0.0035), min(b, 0.0035), 0.0006], color: shade(albedo, n), part: .nose, jawWeight: 0)
            }
        }
        // Nostrils: dark ovals under the tip.
        for side: Float in [-1, 1] {
            let p = nosePoint(1.22, side * 0.42) + SIMD3(0, 0.0004, 0)
            add(p, normal: [0, -0.8, 0.6], tangent: [1, 0, 0], scale: [0.0024, 0.0012, 0.0005],
                color: identity.skin * 0.22, opacity: 0.95, part: .nose, jawWeight: 0)
        }
    }

    mutating func buildEars() {
        for side: Float in [-1, 1] {
            let attach = SIMD3<Float>(side * shape.halfWidth(0) * 0.97, 0.002, -0.006)
            let back = normalize(SIMD3<Float>(side * 0.85, 0, -1)), up = SIMD3<Float>(0, 1, 0)
            var n = normalize(cross(back, up)); if n.x * side < 0 { n = -n }
            for k in 0..<320 {
                let a = (Float(k % 16) + 0.5) / 16, th = 2 * Float.pi * Float(k / 16) / 20
                let u = 0.013 + a * 0.016 * cosf(th), v = a * 0.029 * sinf(th)
                let p = attach + back * u + up * v + n * (0.004 * a)
                let albedo = identity.skin * SIMD3(1.02, 0.9, 0.88) * (a < 0.55 ? 0.78 : 1)
                add(p, normal: n, tangent: up, scale: [0.0022, 0.0022, 0.0008], color: shade(albedo, n, ambient: 0.5), part: .ear, jawWeight: 0)
            }
        }
    }

    // MARK: eyes and brows

    mutating func buildEyes() {
        for side: Float in [-1, 1] {
            let cx = rig.eyeCentreX(side)
            let centre = SIMD3<Float>(cx, rig.eyeY, rig.eyeCentreZ)
            // White shell (front half of an ellipsoid).
            let shellGrow = 1 / detail.squareRoot()
            for d in fibonacciSphere(scaled(900)) where d.z > 0.05 {
                let p = centre + d * rig.eyeRadii
                let n = normalize(d / rig.eyeRadii)
                let white = SIMD3<Float>(0.93, 0.90, 0.87) * (0.7 + 0.3 * d.z) + SIMD3(0.03, -0.01, -0.01) * (1 - d.z)
                add(p, normal: n, scale: SIMD3(0.0013, 0.0013, 0.0005) * shellGrow, color: white, part: .eyeWhite, jawWeight: 0)
            }
            // Iris and pupil: a disk on the front of the shell.
            let irisCentre = SIMD2<Float>(cx, rig.eyeY - 0.0004)
            let irisRadius: Float = 0.0057, pupilRadius: Float = 0.0022
            for ring in 0..<10 {
                let r = irisRadius * (Float(ring) + 0.5) / 10
                let m = max(6, Int(2 * Float.pi * r / 0.0007))
                for k in 0..<m {
                    let a = 2 * Float.pi * (Float(k) + 0.5 * Float(ring % 2)) / Float(m)
                    let x = irisCentre.x + r * cosf(a), y = irisCentre.y + r * sinf(a)
                    let z = rig.eyeSurfaceZ(side: side, x: x, y: y) + 0.0003
                    let isPupil = r < pupilRadius
                    let streak = 0.8 + 0.35 * noise.sample([a * 0.004, r, side], frequency: 900)
                    var color = isPupil ? SIMD3<Float>(0.025, 0.02, 0.02) : identity.iris * streak * (r > 0.0047 ? 0.55 : 1)
                    color = simdClamp(color, 0, 1)
                    add([x, y, z], normal: [0, 0, 1], scale: [0.0007, 0.0007, 0.0003], color: color, opacity: 0.99,
                        part: isPupil ? .pupil : .iris, jawWeight: 0)
                }
            }
            let glint = SIMD3<Float>(cx - 0.0018, rig.eyeY + 0.0017, rig.eyeSurfaceZ(side: side, x: cx - 0.0018, y: rig.eyeY + 0.0017) + 0.0006)
            add(glint, normal: [0, 0, 1], scale: [0.0006, 0.0006, 0.0002], color: [1, 1, 1], opacity: 0.9, part: .iris, jawWeight: 0)
            // Upper lid: 9 rows from the crease to the lash margin, recomputed per blink.
            let lidSkin = shade(identity.skin * SIMD3(0.95, 0.88, 0.86), normalize([0, 0.3, 0.95]))
            for c in 0..<22 {
                let u = -1.06 + 2.12 * Float(c) / 21
                for row in 0..<9 {
                    let r = Float(row) / 8
                    let lash = row == 8
                    let p = rig.lidPoint(side: side, u: u, row: r, blink: 0)
                    add(p, normal: [0, 0.2, 1], scale: [0.0011, lash ? 0.0006 : 0.0009, 0.0004],
                        color: lash ? identity.hair * 0.25 + 0.02 : lidSkin, opacity: 0.99, part: .eyelid, jawWeight: 0,
                        kind: .lid(side: side, u: u, row: r, lift: lash ? 0.0004 : 0))
                }
            }
            // Lower lash line.
            for c in 0..<14 {
                let u = -0.9 + 1.8 * Float(c) / 13
                let x = cx + side * u * rig.almondHalfWidth, y = rig.almondLower(u) - 0.0003
                let z = max(rig.eyeSurfaceZ(side: side, x: x, y: y), shape.faceZ(x, y)) + 0.0006
                add([x, y, z], normal: [0, -0.2, 1], scale: [0.0011, 0.0005, 0.0003], color: identity.skin * 0.55,
                    opacity: 0.8, part: .eyelid, jawWeight: 0)
            }
        }
    }

    /// Centre line of brow `side` at t ∈ [0, 1] (inner end → outer end).
    func browPoint(side: Float, t: Float) -> SIMD3<Float> {
        let x = side * (0.014 + 0.038 * t) * identity.headWidth
        let y: Float = 0.046 + 0.0055 * sinf(Float.pi * t * 0.9) - 0.003 * t
        return [x, y, shape.faceZ(x, y) + 0.0016]
    }

    mutating func buildBrows() {
        for side: Float in [-1, 1] {
            for c in 0..<18 {
                let t = Float(c) / 17
                let p = browPoint(side: side, t: t)
                let dir = browPoint(side: side, t: t + 0.02) - browPoint(side: side, t: t - 0.02)
                let width = 0.0058 * (1 - 0.55 * t)
                for row in 0..<3 {
                    let q = p + SIMD3(0, (Float(row) - 1) * width / 3, 0)
                    add(q, normal: shape.normal(q), tangent: dir, scale: [0.0026, 0.0013, 0.0005],
                        color: identity.hair * 0.6 + 0.02, opacity: 0.92, part: .brow, jawWeight: 0)
                }
            }
        }
    }

    // MARK: mouth

    mutating func buildMouthInterior() {
        let ym = rig.mouthY, zm = rig.mouthZ
        // Cavity: the back and sides of an ellipsoid shell, dark; its lower part follows the jaw.
        let cc = SIMD3<Float>(0, ym - 0.006, zm - 0.020), radii = SIMD3<Float>(0.025, 0.018, 0.017)
        let grow = 1 / detail.squareRoot()
        for d in fibonacciSphere(scaled(900)) where d.z < 0.35 {
            let p = cc + d * radii
            let w = smoothstep(ym + 0.004, ym - 0.022, p.y)
            let depth = 0.6 + 0.4 * (d.z + 1) / 2
            add(p, normal: -d, scale: SIMD3(0.0026, 0.0026, 0.001) * grow, color: SIMD3(0.16, 0.05, 0.055) * depth, opacity: 0.99,
                part: .cavity, jawWeight: w)
        }
        // Teeth: upper row fixed to the skull, lower row on the jaw.
        for upper in [true, false] {
            var x: Float = -0.019
            while x <= 0.019 {
                let toothWidth: Float = abs(x) < 0.0045 ? 0.0045 : 0.0040
                let phase = (abs(x) + (abs(x) < 0.0045 ? 0 : 0.0005)).truncatingRemainder(dividingBy: toothWidth) / toothWidth
                let gap = 1 - 0.35 * expf(-powf(min(phase, 1 - phase) / 0.08, 2))
                let z = zm - (upper ? 0.0055 : 0.0075) - 22 * x * x
                var y = upper ? ym - 0.003 : ym - 0.0115
                let yEnd = upper ? ym + 0.006 : ym - 0.0025
                while y <= yEnd {
                    let edge = upper ? (y < ym - 0.0022 ? 0.92 : 1) : 1
                    let color = SIMD3<Float>(0.93, 0.91, 0.84) * gap * Float(edge) * (upper ? 1 : 0.9)
                    add([x, y, z], normal: [0, 0, 1], scale: [0.0009, 0.0009, 0.0004], color: color, opacity: 0.99,
                        part: .teeth, jawWeight: upper ? 0 : 1)
                    y += 0.0011
                }
                x += 0.0010
            }
        }
        // Tongue: upper half of a flattened ellipsoid on the floor of the mouth.
        let tc = SIMD3<Float>(0, ym - 0.016, zm - 0.021), tr = SIMD3<Float>(0.016, 0.007, 0.015)
        for d in fibonacciSphere(scaled(500)) where d.y > -0.1 {
            let p = tc + d * tr
            add(p, normal: normalize(d / tr), scale: SIMD3(0.0016, 0.0016, 0.0006) * grow,
                color: shade(SIMD3(0.80, 0.36, 0.40), normalize(d / tr), ambient: 0.45) * 0.85, opacity: 0.99, part: .tongue, jawWeight: 1)
        }
    }

    mutating func buildLips() {
        let cols = 32, rows = 8
        for upper in [true, false] {
            for c in 0..<cols {
                let u = -1 + 2 * (Float(c) + 0.5) / Float(cols)
                for r in 0..<rows {
                    let f = (Float(r) + 0.5) / Float(rows)
                    let p = rig.lipPointClosed(u: u, f: f, upper: upper, .closed)
                    let n = normalize(SIMD3<Float>(0.3 * u, upper ? -0.25 : 0.35, 0.93))
                    var albedo = identity.lips * (f < 0.25 ? 0.72 : 0.85 + 0.15 * f)
                    albedo *= 1 + 0.04 * noise.sample(p, frequency: 500)
                    var color = shade(albedo, n)
                    if !upper && f > 0.35 && f < 0.7 && abs(u) < 0.5 { color = simdClamp(color * 1.08 + 0.02, 0, 1) }
                    let sx = rig.mouthHalfWidth * 2 / Float(cols) * 0.9
                    let sy = (upper ? 0.0092 : 0.0112) / Float(rows) * 1.05 * max(0.22, powf(max(0, 1 - u * u), 0.6))
                    add(p, normal: [0, 0, 1], scale: [sx, max(sy, 0.0004), 0.0006], color: color, opacity: 0.99,
                        part: .lips, jawWeight: 0, kind: .lip(u: u, f: f, upper: upper))
                }
            }
        }
    }
}
