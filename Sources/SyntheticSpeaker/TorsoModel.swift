import Foundation
import Splatting
import TensorCore

/// The neck and shoulders, as Gaussians fixed in the world (camera) frame — the torso does not
/// follow the head, as in ER-NeRF's datasets where the head moves over a separate torso layer.
/// World frame = the head frame at rest (metres). `labels` [N, 2]: (neck, torso) one-hot, the
/// extra channels used to tell neck from torso in the parsing map.
struct TorsoModel {
    var cloud = GaussianCloud(shDegree: 0)
    var labels: [Float] = []

    /// `detail` as `HeadModel`'s: the grid step grows by 1/√detail.
    init(identity: SpeakerIdentity, detail: Float = 1) {
        let grow = 1 / min(max(detail, 0.01), 4).squareRoot()
        let noise = ValueNoise(seed: identity.seed &+ 404)
        let light = normalize(SIMD3<Float>(-0.35, 0.45, 0.82))
        func shade(_ c: SIMD3<Float>, _ n: SIMD3<Float>) -> SIMD3<Float> {
            simdClamp(c * (0.42 + 0.62 * max(0, dot(n, light)) + 0.06 * max(0, n.y)), 0, 1)
        }
        func add(_ p: SIMD3<Float>, _ n: SIMD3<Float>, _ tangent: SIMD3<Float>, _ s: SIMD3<Float>, _ color: SIMD3<Float>, neck: Bool) {
            cloud.append(mean: p, rotation: quaternion(normal: n, tangent: tangent),
                         logScale: [logf(s.x), logf(s.y), logf(s.z)], opacityLogit: logit(0.97),
                         sh: (0..<3).map { GaussianCloud.shDC(fromColor: color[$0]) })
            labels += neck ? [1, 0] : [0, 1]
        }
        // Neck: an elliptic cylinder from inside the head down into the shirt, darker under the chin.
        let rx: Float = 0.047, rz: Float = 0.044, cz: Float = -0.012
        var y: Float = -0.03
        let around = max(12, Int(72 / grow))
        while y > -0.19 {
            for k in 0..<around {
                let a = 2 * Float.pi * Float(k) / Float(around)
                let n = normalize(SIMD3<Float>(sinf(a) / rx, 0, cosf(a) / rz))
                guard n.z > -0.6 else { continue }
                let p = SIMD3<Float>(rx * sinf(a), y, cz + rz * cosf(a))
                let chinShadow = 0.72 + 0.28 * smoothstep(-0.07, -0.125, y)
                let c = identity.skin * (1 + 0.05 * noise.sample(p, frequency: 60)) * chinShadow
                add(p, n, [0, 1, 0], SIMD3(0.0028, 0.0028, 0.0007) * grow, shade(c, n), neck: true)
            }
            y -= 0.0028 * grow
        }
        // Shoulders and chest: a front surface under a rounded shoulder line; a crew neckline of skin.
        func top(_ x: Float) -> Float { -0.152 - 0.9 * max(0, abs(x) - 0.05) * max(0, abs(x) - 0.05) }
        func depth(_ x: Float, _ y: Float) -> Float {
            -0.01 + 0.06 * max(0, 1 - (x / 0.27) * (x / 0.27)).squareRoot() - 0.03 * smoothstep(top(x) - 0.03, top(x), y)
        }
        var x: Float = -0.27
        while x <= 0.27 {
            var yy = top(x)
            while yy > -0.33 {
                let p = SIMD3<Float>(x, yy, depth(x, yy))
                let h: Float = 0.001
                let dx = SIMD3<Float>(2 * h, 0, depth(x + h, yy) - depth(x - h, yy))
                let dy = SIMD3<Float>(0, 2 * h, depth(x, yy + h) - depth(x, yy - h))
                let n = normalize(cross(dx, dy))
                let neckline = -0.168 + 4 * x * x
                let isSkin = abs(x) < 0.075 && yy > neckline
                var c: SIMD3<Float>
                if isSkin {
                    c = identity.skin * 0.9
                } else {
                    let stripe = sinf(2 * Float.pi * yy / 0.016) > 0.55
                    c = stripe ? identity.shirtStripe : identity.shirt
                    c *= 1 + 0.06 * noise.fractal(p, frequency: 120)
                    if yy > neckline - 0.006 && abs(x) < 0.09 { c *= 0.75 }  // collar edge
                }
                add(p, n, [1, 0, 0], SIMD3(0.0024, 0.0024, 0.0008) * grow, shade(c, n), neck: isSkin)
                yy -= 0.003 * grow
            }
            x += 0.003 * grow
        }
    }
}

/// The textured background `bc.jpg`: a wall with a vertical gradient, a darker dado band, soft
/// out-of-focus light blobs and fine plaster noise; deterministic from the identity seed and
/// resolution-independent (the same picture at any size).
func backgroundImage(identity: SpeakerIdentity, width: Int, height: Int) -> [Float] {
    var rng = SeededRandom(seed: identity.seed &+ 777)
    let noise = ValueNoise(seed: identity.seed &+ 778)
    let blobs: [(SIMD2<Float>, Float, Float)] = (0..<7).map { _ in
        ([rng.uniform(0, 1), rng.uniform(0, 0.65)], rng.uniform(0.04, 0.12), rng.uniform(0.08, 0.22))
    }
    var out = [Float](repeating: 0, count: width * height * 3)
    out.withUnsafeMutableBufferPointer { out in
    parallelFor(0..<height, chunk: 16) { rows in
        for r in rows {
            let v = (Float(r) + 0.5) / Float(height)
            for c in 0..<width {
                let u = (Float(c) + 0.5) / Float(width)
                var color = lerp(identity.wallTop, identity.wallBottom, v)
                if v > 0.74 { color *= 0.82 }
                if abs(v - 0.74) < 0.006 { color *= 0.7 }
                for (centre, radius, strength) in blobs {
                    let d = SIMD2<Float>(u, v) - centre
                    let dd = (d * d).sum().squareRoot() / radius
                    color += identity.accent * strength * (1 - smoothstep(0.85, 1.0, dd))
                }
                color *= 1 + 0.035 * noise.fractal([u, v, 0], frequency: 40) + 0.02 * noise.sample([u, v, 1], frequency: 300)
                color = simdClamp(color, 0, 1)
                let i = 3 * (r * width + c)
                out[i] = color.x; out[i + 1] = color.y; out[i + 2] = color.z
            }
        }
    }
    }
    return out
}
