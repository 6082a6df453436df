/// Real spherical harmonics up to degree 3 in the 3DGS convention (constants and sign pattern of
/// graphdeco `forward.cu` `computeColorFromSH`). Directions are unit vectors (x, y, z) from the
/// camera centre to the Gaussian, in world space.
public enum SphericalHarmonics {
    public static let c0: Float = 0.28209479177387814
    static let c1: Float = 0.4886025119029199
    static let c2: [Float] = [1.0925484305920792, -1.0925484305920792, 0.31539156525252005,
                              -1.0925484305920792, 0.5462742152960396]
    static let c3: [Float] = [-0.5900435899266435, 2.890611442640554, -0.4570457994644658,
                              0.3731763325901154, -0.4570457994644658, 1.445305721320277,
                              -0.5900435899266435]

    /// Writes the K = (degree+1)² basis values Y_k(d) into `basis` (count ≥ K).
    public static func basis(_ d: SIMD3<Float>, degree: Int, into basis: inout [Float]) {
        let x = d.x, y = d.y, z = d.z
        basis[0] = c0
        if degree < 1 { return }
        basis[1] = -c1 * y; basis[2] = c1 * z; basis[3] = -c1 * x
        if degree < 2 { return }
        let xx = x * x, yy = y * y, zz = z * z
        basis[4] = c2[0] * x * y
        basis[5] = c2[1] * y * z
        basis[6] = c2[2] * (2 * zz - xx - yy)
        basis[7] = c2[3] * x * z
        basis[8] = c2[4] * (xx - yy)
        if degree < 3 { return }
        basis[9] = c3[0] * y * (3 * xx - yy)
        basis[10] = c3[1] * x * y * z
        basis[11] = c3[2] * y * (4 * zz - xx - yy)
        basis[12] = c3[3] * z * (2 * zz - 3 * xx - 3 * yy)
        basis[13] = c3[4] * x * (4 * zz - xx - yy)
        basis[14] = c3[5] * z * (xx - yy)
        basis[15] = c3[6] * x * (xx - 3 * yy)
    }

    /// Writes ∂Y_k/∂(x, y, z) for k < K into `gradient` (count ≥ K), treating x, y, z as
    /// independent (the normalisation of d is differentiated separately).
    public static func basisGradient(_ d: SIMD3<Float>, degree: Int, into g: inout [SIMD3<Float>]) {
        let x = d.x, y = d.y, z = d.z
        g[0] = .zero
        if degree < 1 { return }
        g[1] = SIMD3(0, -c1, 0); g[2] = SIMD3(0, 0, c1); g[3] = SIMD3(-c1, 0, 0)
        if degree < 2 { return }
        let xx = x * x, yy = y * y, zz = z * z
        let a0 = c2[0], a1 = c2[1], a2 = c2[2], a3 = c2[3], a4 = c2[4]
        g[4] = SIMD3(a0 * y, a0 * x, 0)
        g[5] = SIMD3(0, a1 * z, a1 * y)
        g[6] = SIMD3(-2 * a2 * x, -2 * a2 * y, 4 * a2 * z)
        g[7] = SIMD3(a3 * z, 0, a3 * x)
        g[8] = SIMD3(2 * a4 * x, -2 * a4 * y, 0)
        if degree < 3 { return }
        let b0 = c3[0], b1 = c3[1], b2 = c3[2], b3 = c3[3], b4 = c3[4], b5 = c3[5], b6 = c3[6]
        g[9] = SIMD3(b0 * 6 * x * y, b0 * (3 * xx - 3 * yy), 0)
        g[10] = SIMD3(b1 * y * z, b1 * x * z, b1 * x * y)
        g[11] = SIMD3(b2 * (-2 * x * y), b2 * (4 * zz - xx - 3 * yy), b2 * 8 * y * z)
        g[12] = SIMD3(b3 * (-6 * x * z), b3 * (-6 * y * z), b3 * (6 * zz - 3 * xx - 3 * yy))
        g[13] = SIMD3(b4 * (4 * zz - 3 * xx - yy), b4 * (-2 * x * y), b4 * 8 * x * z)
        g[14] = SIMD3(b5 * 2 * x * z, b5 * (-2 * y * z), b5 * (xx - yy))
        g[15] = SIMD3(b6 * (3 * xx - 3 * yy), b6 * (-6 * x * y), 0)
    }
}
