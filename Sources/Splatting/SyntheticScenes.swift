import Foundation
import TensorCore

/// Procedural scenes with known ground truth: used by `audioplane bench`, the README's sample and
/// the fitting tests. Deterministic given the seed.
public enum SyntheticScenes {
    /// A head-sized cloud: `count` anisotropic Gaussians in an ellipsoid of radii (0.09, 0.12, 0.10)
    /// scene units (≈ metres) around the origin, 80% within 10% of the surface and 20% inside,
    /// per-axis scales log-uniform in [1.5 mm, 6 mm], random rotations, opacities sigmoid(U(−1, 4)),
    /// smooth colour bands plus random higher SH bands (std 0.05).
    public static func head(count: Int, shDegree: Int = 2, seed: UInt64 = 1) -> GaussianCloud {
        var rng = SeededRandom(seed: seed)
        var cloud = GaussianCloud(shDegree: shDegree)
        let k = cloud.shCoefficientCount
        let radii = SIMD3<Float>(0.09, 0.12, 0.10)
        for _ in 0..<count {
            var d = SIMD3<Float>(rng.normal(), rng.normal(), rng.normal())
            d /= max((d * d).sum().squareRoot(), 1e-6)
            let shell = rng.uniform() < 0.8
            let r: Float = shell ? rng.uniform(0.9, 1.0) : powf(rng.uniform(), 1.0 / 3.0) * 0.9
            let p = d * radii * r
            let color = SIMD3<Float>(0.55 + 0.3 * sinf(12 * p.y), 0.4 + 0.25 * cosf(15 * p.x), 0.35 + 0.2 * sinf(20 * p.z))
            var sh = [Float](repeating: 0, count: 3 * k)
            for c in 0..<3 { sh[c] = GaussianCloud.shDC(fromColor: color[c]) }
            for j in 3..<(3 * k) { sh[j] = 0.05 * rng.normal() }
            let lo = logf(0.0015), hi = logf(0.006)
            cloud.append(mean: p, rotation: [rng.normal(), rng.normal(), rng.normal(), rng.normal()],
                         logScale: [rng.uniform(lo, hi), rng.uniform(lo, hi), rng.uniform(lo, hi)],
                         opacityLogit: rng.uniform(-1, 4), sh: sh)
        }
        return cloud
    }

    /// `count` cameras on a horizontal arc of ±`spreadDegrees` around the +Z axis, looking at the
    /// origin from `distance`, slightly above and below alternately.
    public static func orbitCameras(count: Int, distance: Float, width: Int, height: Int, focal: Float,
                                    spreadDegrees: Float = 40) -> [Camera] {
        (0..<count).map { i in
            let t = count > 1 ? Float(i) / Float(count - 1) : 0.5
            let yaw = (t * 2 - 1) * spreadDegrees * .pi / 180
            let pitch: Float = (i % 2 == 0 ? 1 : -1) * 8 * .pi / 180
            let eye = SIMD3<Float>(distance * sinf(yaw) * cosf(pitch), distance * sinf(pitch), distance * cosf(yaw) * cosf(pitch))
            // World +Y is up (it appears towards the top of the image).
            return Camera.lookAt(eye: eye, target: .zero, up: [0, 1, 0], width: width, height: height, focal: focal)
        }
    }

    /// `count` Gaussians spread uniformly in the box `[lo, hi]` (a random start for fitting):
    /// isotropic scales of half the mean spacing, opacity 0.1, random grey-ish colours.
    public static func randomBox(count: Int, lo: SIMD3<Float>, hi: SIMD3<Float>, shDegree: Int, seed: UInt64) -> GaussianCloud {
        var rng = SeededRandom(seed: seed)
        var cloud = GaussianCloud(shDegree: shDegree)
        let k = cloud.shCoefficientCount
        let size = hi - lo
        let spacing = powf(size.x * size.y * size.z / Float(max(count, 1)), 1.0 / 3.0)
        for _ in 0..<count {
            var sh = [Float](repeating: 0, count: 3 * k)
            for c in 0..<3 { sh[c] = GaussianCloud.shDC(fromColor: rng.uniform(0.3, 0.7)) }
            let p = lo + SIMD3(rng.uniform(), rng.uniform(), rng.uniform()) * size
            let s = logf(0.5 * spacing)
            cloud.append(mean: p, rotation: [1, 0, 0, 0], logScale: [s, s, s], opacityLogit: logit(0.1), sh: sh)
        }
        return cloud
    }
}
