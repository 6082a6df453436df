import Foundation
import TensorCore

/// Per-Gaussian screen-space quantities for one camera (the forward "preprocess" of 3DGS).
/// Struct of arrays, N = number of Gaussians in the cloud:
/// - `visible` [N]     false when culled (behind the near plane, opacity < 1/255, off screen)
/// - `depth`   [N]     camera-space z of the centre (scene units)
/// - `mean2D`  [N, 2]  pixel coordinates (col, row) of the projected centre
/// - `conic`   [N, 3]  inverse 2D covariance (a, b, c) = [[a, b], [b, c]] in 1/px²
/// - `opacity` [N]     sigmoid(opacity logit)
/// - `color`   [N, 3]  view-dependent RGB = max(SH·Y + 0.5, 0)
/// - `pixelBox`[N, 4]  inclusive pixel rectangle (colMin, colMax, rowMin, rowMax) holding every
///                     pixel whose sample point can get α ≥ 1/255 (the opacity-aware ellipse box)
/// - `tileCount`[N]    number of 16×16 tiles overlapped by `pixelBox`
/// - `ellipse` [N, 4]  (Σxx, Σxy, Σyy, λ): 2D covariance (px², blur included) and the level λ
///                     of the coverage ellipse dᵀΣ⁻¹d ≤ λ (α ≥ 1/255 inside, with a small margin);
///                     tile binning uses it to skip tiles the ellipse misses within its box
/// - `radius`  [N]     3·sqrt(largest eigenvalue of the 2D covariance), px (3DGS `radii`, used
///                     by densification to prune Gaussians that grow too large on screen)
public struct ProjectedGaussians {
    public var visible: [Bool] = []
    public var depth: [Float] = []
    public var mean2D: [Float] = []
    public var conic: [Float] = []
    public var opacity: [Float] = []
    public var color: [Float] = []
    public var pixelBox: [Int32] = []
    public var tileCount: [Int32] = []
    public var radius: [Float] = []
    public var ellipse: [Float] = []

    mutating func resize(_ n: Int) {
        if visible.count != n {
            visible = [Bool](repeating: false, count: n)
            depth = [Float](repeating: 0, count: n)
            mean2D = [Float](repeating: 0, count: 2 * n)
            conic = [Float](repeating: 0, count: 3 * n)
            opacity = [Float](repeating: 0, count: n)
            color = [Float](repeating: 0, count: 3 * n)
            pixelBox = [Int32](repeating: 0, count: 4 * n)
            tileCount = [Int32](repeating: 0, count: n)
            radius = [Float](repeating: 0, count: n)
            ellipse = [Float](repeating: 0, count: 4 * n)
        }
    }
}

/// Limits of the Jacobian clamp (gsplat's asymmetric form of 3DGS's 1.3·tan(fov/2); equal to it
/// when the principal point is at the image centre): x/z is clamped to [−limLeft, limRight].
struct FrustumLimits {
    var left, right, top, bottom: Float
    init(_ cam: Camera) {
        let k = SplatConstants.fovClampFactor
        left = k * cam.cx / cam.fx
        right = k * (Float(cam.width) - cam.cx) / cam.fx
        top = k * cam.cy / cam.fy
        bottom = k * (Float(cam.height) - cam.cy) / cam.fy
    }
}

/// 3D covariance Σ = R S Sᵀ Rᵀ of one Gaussian (S = diag(exp(logScale)), R from the quaternion).
@inline(__always) func covariance3D(rotation q: SIMD4<Float>, logScale: SIMD3<Float>) -> Matrix3 {
    let r = rotationMatrix(quaternion: q)
    let s = SIMD3<Float>(expf(logScale.x), expf(logScale.y), expf(logScale.z))
    // M = R S (columns scaled); Σ = M Mᵀ
    let m = Matrix3(rows: r.r0 * s, r.r1 * s, r.r2 * s)
    return m * m.transposed
}

/// The EWA Jacobian rows of the perspective projection at camera point t (OpenCV axes), with
/// x/z and y/z clamped to the frustum limits (3DGS `computeCov2D`). Returns J (2×3) as two rows.
@inline(__always) func projectionJacobian(_ t: SIMD3<Float>, _ cam: Camera, _ lim: FrustumLimits)
    -> (j0: SIMD3<Float>, j1: SIMD3<Float>) {
    let u = min(max(t.x / t.z, -lim.left), lim.right)
    let v = min(max(t.y / t.z, -lim.top), lim.bottom)
    return (SIMD3(cam.fx / t.z, 0, -cam.fx * u / t.z), SIMD3(0, cam.fy / t.z, -cam.fy * v / t.z))
}

/// Projects every Gaussian of `cloud` for `camera` (3DGS preprocess). Parallel over Gaussians.
/// `out` is resized to the cloud and fully overwritten.
func projectGaussians(_ cloud: GaussianCloud, camera cam: Camera, settings: RenderSettings,
                      into out: inout ProjectedGaussians) {
    let n = cloud.count
    out.resize(n)
    let lim = FrustumLimits(cam)
    let degree = min(settings.activeSHDegree ?? cloud.shDegree, cloud.shDegree)
    let k = cloud.shCoefficientCount
    let centre = cam.centre
    let tile = SplatConstants.tileSize
    let tilesX = (cam.width + tile - 1) / tile, tilesY = (cam.height + tile - 1) / tile
    let w = cam.rotation
    cloud.means.withUnsafeBufferPointer { means in
    cloud.rotations.withUnsafeBufferPointer { rots in
    cloud.logScales.withUnsafeBufferPointer { logS in
    cloud.opacityLogits.withUnsafeBufferPointer { logits in
    cloud.shCoefficients.withUnsafeBufferPointer { sh in
    out.visible.withUnsafeMutableBufferPointer { visible in
    out.depth.withUnsafeMutableBufferPointer { depth in
    out.mean2D.withUnsafeMutableBufferPointer { mean2D in
    out.conic.withUnsafeMutableBufferPointer { conic in
    out.opacity.withUnsafeMutableBufferPointer { opacity in
    out.color.withUnsafeMutableBufferPointer { color in
    out.pixelBox.withUnsafeMutableBufferPointer { box in
    out.tileCount.withUnsafeMutableBufferPointer { tileCount in
    out.radius.withUnsafeMutableBufferPointer { radius in
    out.ellipse.withUnsafeMutableBufferPointer { ellipse in
        parallelFor(0..<n, chunk: 1024) { range in
            var basis = [Float](repeating: 0, count: 16)
            for i in range {
                visible[i] = false
                tileCount[i] = 0
                radius[i] = 0
                let p = SIMD3<Float>(means[3 * i], means[3 * i + 1], means[3 * i + 2])
                let t = w * p + cam.translation
                depth[i] = t.z
                guard t.z > settings.nearPlane else { continue }
                let o = sigmoid(logits[i])
                opacity[i] = o
                guard o >= SplatConstants.minAlpha else { continue }
                let q = SIMD4<Float>(rots[4 * i], rots[4 * i + 1], rots[4 * i + 2], rots[4 * i + 3])
                let sigma = covariance3D(rotation: q, logScale: SIMD3(logS[3 * i], logS[3 * i + 1], logS[3 * i + 2]))
                let (j0, j1) = projectionJacobian(t, cam, lim)
                let m0 = w.transposed * j0, m1 = w.transposed * j1   // rows of T = J W
                let s0 = sigma * m0, s1 = sigma * m1
                let a = (m0 * s0).sum() + SplatConstants.covarianceBlur
                let b = (m0 * s1).sum()
                let c = (m1 * s1).sum() + SplatConstants.covarianceBlur
                let det = a * c - b * b
                guard det > 0 else { continue }
                let invDet = 1 / det
                conic[3 * i] = c * invDet; conic[3 * i + 1] = -b * invDet; conic[3 * i + 2] = a * invDet
                let mx = cam.fx * t.x / t.z + cam.cx, my = cam.fy * t.y / t.z + cam.cy
                mean2D[2 * i] = mx; mean2D[2 * i + 1] = my
                let mid = 0.5 * (a + c)
                radius[i] = 3 * (mid + max(0.1, mid * mid - det).squareRoot()).squareRoot()
                // Opacity-aware box: α = o·exp(−½dᵀΣ⁻¹d) ≥ 1/255  ⇔  dᵀΣ⁻¹d ≤ 2·ln(255·o).
                // Half extents of that ellipse are sqrt(2L·Σxx), sqrt(2L·Σyy); a small margin
                // keeps float rounding at the rim from dropping pixels the blend would accept.
                let level = 2 * logf(o / SplatConstants.minAlpha) * 1.0001 + 1e-4
                let ex = (level * a).squareRoot() + 0.01, ey = (level * c).squareRoot() + 0.01
                // pixel col is sampled at col + 0.5: cover cols with |col + 0.5 − mx| ≤ ex
                // Clamp in Float before converting, so huge or non-finite extents cannot trap.
                let fColMin = max(0, (mx - ex - 0.5).rounded(.up))
                let fColMax = min(Float(cam.width - 1), (mx + ex - 0.5).rounded(.down))
                let fRowMin = max(0, (my - ey - 0.5).rounded(.up))
                let fRowMax = min(Float(cam.height - 1), (my + ey - 0.5).rounded(.down))
                guard fColMin <= fColMax, fRowMin <= fRowMax else { continue }   // false for NaN too
                let colMin = Int(fColMin), colMax = Int(fColMax), rowMin = Int(fRowMin), rowMax = Int(fRowMax)
                ellipse[4 * i] = a; ellipse[4 * i + 1] = b; ellipse[4 * i + 2] = c; ellipse[4 * i + 3] = level
                box[4 * i] = Int32(colMin); box[4 * i + 1] = Int32(colMax)
                box[4 * i + 2] = Int32(rowMin); box[4 * i + 3] = Int32(rowMax)
                let tx = min(colMax / tile, tilesX - 1) - colMin / tile + 1
                let ty = min(rowMax / tile, tilesY - 1) - rowMin / tile + 1
                tileCount[i] = Int32(tx * ty)
                // Colour from SH, view direction from the camera centre to the mean.
                var dir = p - centre
                dir /= (dir * dir).sum().squareRoot()
                SphericalHarmonics.basis(dir, degree: degree, into: &basis)
                var rgb = SIMD3<Float>(repeating: 0.5)
                let base = 3 * k * i
                for kk in 0..<((degree + 1) * (degree + 1)) {
                    rgb += basis[kk] * SIMD3(sh[base + 3 * kk], sh[base + 3 * kk + 1], sh[base + 3 * kk + 2])
                }
                color[3 * i] = max(rgb.x, 0); color[3 * i + 1] = max(rgb.y, 0); color[3 * i + 2] = max(rgb.z, 0)
                visible[i] = true
            }
        }
    }}}}}}}}}}}}}}}
}
