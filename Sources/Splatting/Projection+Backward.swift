import Foundation
import TensorCore

/// Gradients with respect to every parameter of a `GaussianCloud` (same names and layouts), plus
/// the extra channels and the densification statistic.
/// - `means` [N, 3], `rotations` [N, 4], `logScales` [N, 3], `opacityLogits` [N],
///   `shCoefficients` [N, K, 3], `extras` [N, E]
/// - `meanScreenGradientNorm` [N]: ‖∂L/∂mean2D‖ in 3DGS's NDC-scaled units (pixel gradient ×
///   (W/2, H/2)), the quantity whose view-average 3DGS compares with 0.0002 to densify.
public struct SplatGradients: Equatable, Sendable {
    public var means: [Float] = []
    public var rotations: [Float] = []
    public var logScales: [Float] = []
    public var opacityLogits: [Float] = []
    public var shCoefficients: [Float] = []
    public var extras: [Float] = []
    public var meanScreenGradientNorm: [Float] = []
    public init() {}
}

/// Backward of `projectGaussians`: maps ∂L/∂(mean2D, conic, opacity, colour) of visible Gaussians
/// to ∂L/∂(means, rotations, logScales, opacityLogits, shCoefficients). The chain:
/// conic = C⁻¹ → ∂L/∂C = −Q Gq Q; C = T Σ Tᵀ + 0.3 I, T = J W → ∂L/∂Σ = Tᵀ G T, ∂L/∂T = 2 G T Σ;
/// J(t) with the frustum clamp (clamped coordinates pass no gradient); Σ = (R S)(R S)ᵀ →
/// ∂L/∂(R S) = 2 ∂L/∂Σ R S; R(q/|q|); mean2D = f·(x, y)/z + c; colour = max(SH·Y(d) + 0.5, 0)
/// with d = (p − camera centre)/|p − camera centre| (gradient flows to means through d).
func projectGaussiansBackward(_ cloud: GaussianCloud, camera cam: Camera, settings: RenderSettings,
                              projected: ProjectedGaussians, blend: BlendGradients,
                              into out: inout SplatGradients) {
    let n = cloud.count
    let k = cloud.shCoefficientCount
    out.means = [Float](repeating: 0, count: 3 * n)
    out.rotations = [Float](repeating: 0, count: 4 * n)
    out.logScales = [Float](repeating: 0, count: 3 * n)
    out.opacityLogits = [Float](repeating: 0, count: n)
    out.shCoefficients = [Float](repeating: 0, count: 3 * k * n)
    out.meanScreenGradientNorm = [Float](repeating: 0, count: n)
    out.extras = blend.extras
    let lim = FrustumLimits(cam)
    let degree = min(settings.activeSHDegree ?? cloud.shDegree, cloud.shDegree)
    let activeK = (degree + 1) * (degree + 1)
    let centre = cam.centre
    let w = cam.rotation
    let halfW = Float(cam.width) / 2, halfH = Float(cam.height) / 2
    out.means.withUnsafeMutableBufferPointer { gMeans in
    out.rotations.withUnsafeMutableBufferPointer { gRot in
    out.logScales.withUnsafeMutableBufferPointer { gLogS in
    out.opacityLogits.withUnsafeMutableBufferPointer { gLogit in
    out.shCoefficients.withUnsafeMutableBufferPointer { gSH in
    out.meanScreenGradientNorm.withUnsafeMutableBufferPointer { gScreen in
        parallelFor(0..<n, chunk: 1024) { range in
            var basis = [Float](repeating: 0, count: 16)
            var basisGrad = [SIMD3<Float>](repeating: .zero, count: 16)
            for i in range where projected.visible[i] {
                let p = cloud.mean(i)
                let t = w * p + cam.translation
                let o = projected.opacity[i]
                // Opacity.
                gLogit[i] = blend.opacity[i] * o * (1 - o)
                // Colour → SH coefficients and view direction.
                var v = p - centre
                let vLen = (v * v).sum().squareRoot()
                v /= vLen
                SphericalHarmonics.basis(v, degree: degree, into: &basis)
                let base = 3 * k * i
                var raw = SIMD3<Float>(repeating: 0.5)
                for kk in 0..<activeK {
                    raw += basis[kk] * SIMD3(cloud.shCoefficients[base + 3 * kk], cloud.shCoefficients[base + 3 * kk + 1],
                                             cloud.shCoefficients[base + 3 * kk + 2])
                }
                var dColor = SIMD3<Float>(blend.color[3 * i], blend.color[3 * i + 1], blend.color[3 * i + 2])
                dColor.replace(with: 0, where: raw .< 0)
                var dDir = SIMD3<Float>.zero
                if degree > 0 { SphericalHarmonics.basisGradient(v, degree: degree, into: &basisGrad) }
                for kk in 0..<activeK {
                    let coef = SIMD3(cloud.shCoefficients[base + 3 * kk], cloud.shCoefficients[base + 3 * kk + 1],
                                     cloud.shCoefficients[base + 3 * kk + 2])
                    gSH[base + 3 * kk] = basis[kk] * dColor.x
                    gSH[base + 3 * kk + 1] = basis[kk] * dColor.y
                    gSH[base + 3 * kk + 2] = basis[kk] * dColor.z
                    if kk > 0 { dDir += (coef * dColor).sum() * basisGrad[kk] }
                }
                var dMean = (dDir - v * (v * dDir).sum()) / vLen

                // Mean2D.
                let dmx = blend.mean2D[2 * i], dmy = blend.mean2D[2 * i + 1]
                let ndcX: Float = dmx * halfW, ndcY: Float = dmy * halfH
                gScreen[i] = (ndcX * ndcX + ndcY * ndcY).squareRoot()
                var dT = SIMD3<Float>(dmx * cam.fx / t.z, dmy * cam.fy / t.z,
                                      -(dmx * cam.fx * t.x + dmy * cam.fy * t.y) / (t.z * t.z))

                // Conic → 2D covariance.
                let q = SIMD4<Float>(cloud.rotations[4 * i], cloud.rotations[4 * i + 1],
                                     cloud.rotations[4 * i + 2], cloud.rotations[4 * i + 3])
                let rot = rotationMatrix(quaternion: q)
                let ls = SIMD3<Float>(cloud.logScales[3 * i], cloud.logScales[3 * i + 1], cloud.logScales[3 * i + 2])
                let s = SIMD3<Float>(expf(ls.x), expf(ls.y), expf(ls.z))
                let m3 = Matrix3(rows: rot.r0 * s, rot.r1 * s, rot.r2 * s)
                let sigma = m3 * m3.transposed
                let (j0, j1) = projectionJacobian(t, cam, lim)
                let m0 = w.transposed * j0, m1 = w.transposed * j1
                let s0 = sigma * m0, s1 = sigma * m1
                let a = (m0 * s0).sum() + SplatConstants.covarianceBlur
                let b = (m0 * s1).sum()
                let c = (m1 * s1).sum() + SplatConstants.covarianceBlur
                let invDet = 1 / (a * c - b * b)
                let qa = c * invDet, qb = -b * invDet, qc = a * invDet
                let ga = blend.conic[3 * i], gb = blend.conic[3 * i + 1] * 0.5, gc = blend.conic[3 * i + 2]
                // G_C = −Q G_Q Q with Q = [[qa, qb], [qb, qc]], G_Q = [[ga, gb], [gb, gc]].
                let t00 = qa * ga + qb * gb, t01 = qa * gb + qb * gc
                let t10 = qb * ga + qc * gb, t11 = qb * gb + qc * gc
                let g00 = -(t00 * qa + t01 * qb), g01 = -(t00 * qb + t01 * qc)
                let g11 = -(t10 * qb + t11 * qc)
                // ∂L/∂T rows and ∂L/∂Σ.
                let dm0 = 2 * (g00 * s0 + g01 * s1), dm1 = 2 * (g01 * s0 + g11 * s1)
                let dj0 = w * dm0, dj1 = w * dm1
                // J = [[fx/z, 0, −fx·u/z], [0, fy/z, −fy·v/z]], u = clamp(x/z), v = clamp(y/z).
                let z = t.z, z2 = t.z * t.z
                let uRaw = t.x / z, vRaw = t.y / z
                let u = min(max(uRaw, -lim.left), lim.right), vv = min(max(vRaw, -lim.top), lim.bottom)
                dT.z += -dj0.x * cam.fx / z2 + dj0.z * cam.fx * u / z2 - dj1.y * cam.fy / z2 + dj1.z * cam.fy * vv / z2
                let du = -dj0.z * cam.fx / z, dv = -dj1.z * cam.fy / z
                if uRaw > -lim.left && uRaw < lim.right { dT.x += du / z; dT.z -= du * t.x / z2 }
                if vRaw > -lim.top && vRaw < lim.bottom { dT.y += dv / z; dT.z -= dv * t.y / z2 }
                dMean += w.transposed * dT
                gMeans[3 * i] = dMean.x; gMeans[3 * i + 1] = dMean.y; gMeans[3 * i + 2] = dMean.z

                // Σ = M3 M3ᵀ: ∂L/∂Σ = g00 m0m0ᵀ + g01 (m0m1ᵀ + m1m0ᵀ) + g11 m1m1ᵀ; ∂L/∂M3 = 2 ∂L/∂Σ M3.
                let dSigma = Matrix3(rows: g00 * m0.x * m0 + g01 * (m0.x * m1 + m1.x * m0) + g11 * m1.x * m1,
                                     g00 * m0.y * m0 + g01 * (m0.y * m1 + m1.y * m0) + g11 * m1.y * m1,
                                     g00 * m0.z * m0 + g01 * (m0.z * m1 + m1.z * m0) + g11 * m1.z * m1)
                let dM3 = dSigma * m3
                let dM = Matrix3(rows: 2 * dM3.r0, 2 * dM3.r1, 2 * dM3.r2)
                // M3 = R diag(s): ∂L/∂s_k = Σ_i R_ik ∂L/∂M_ik; ∂L/∂R_ik = ∂L/∂M_ik s_k.
                let ds = rot.r0 * dM.r0 + rot.r1 * dM.r1 + rot.r2 * dM.r2
                let dsLog = ds * s
                gLogS[3 * i] = dsLog.x; gLogS[3 * i + 1] = dsLog.y; gLogS[3 * i + 2] = dsLog.z
                let dR = Matrix3(rows: dM.r0 * s, dM.r1 * s, dM.r2 * s)
                let qn = q / (q * q).sum().squareRoot()
                let dq = quaternionGradient(qn, dR)
                let dqRaw = (dq - qn * (qn * dq).sum()) / (q * q).sum().squareRoot()
                gRot[4 * i] = dqRaw[0]; gRot[4 * i + 1] = dqRaw[1]; gRot[4 * i + 2] = dqRaw[2]; gRot[4 * i + 3] = dqRaw[3]
            }
        }
    }}}}}}
}

/// ∂L/∂q̂ for R(q̂), q̂ = (w, x, y, z) unit, given G = ∂L/∂R (3×3).
@inline(__always) func quaternionGradient(_ q: SIMD4<Float>, _ g: Matrix3) -> SIMD4<Float> {
    let w = q[0], x = q[1], y = q[2], z = q[3]
    let dw = 2 * (-z * g[0, 1] + y * g[0, 2] + z * g[1, 0] - x * g[1, 2] - y * g[2, 0] + x * g[2, 1])
    let dx = 2 * (y * g[0, 1] + z * g[0, 2] + y * g[1, 0] - 2 * x * g[1, 1] - w * g[1, 2] + z * g[2, 0] + w * g[2, 1] - 2 * x * g[2, 2])
    let dy = 2 * (-2 * y * g[0, 0] + x * g[0, 1] + w * g[0, 2] + x * g[1, 0] + z * g[1, 2] - w * g[2, 0] + z * g[2, 1] - 2 * y * g[2, 2])
    let dz = 2 * (-2 * z * g[0, 0] - w * g[0, 1] + x * g[0, 2] + w * g[1, 0] - 2 * z * g[1, 1] + y * g[1, 2] + x * g[2, 0] + y * g[2, 1])
    return SIMD4(dw, dx, dy, dz)
}
