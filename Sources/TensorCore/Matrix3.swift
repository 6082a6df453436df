/// A 3x3 Float matrix stored by rows. Small, value-typed, used for rotations and 2D/3D covariances.
/// (Vectors are built with `SIMD3(x, y, z)`, never array literals: a literal allocates an Array.)
public struct Matrix3: Equatable, Sendable {
    public var r0, r1, r2: SIMD3<Float>

    @inlinable public init(rows r0: SIMD3<Float>, _ r1: SIMD3<Float>, _ r2: SIMD3<Float>) {
        self.r0 = r0; self.r1 = r1; self.r2 = r2
    }

    public static let identity = Matrix3(rows: SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1))

    /// Element at (row, column).
    @inlinable public subscript(row: Int, col: Int) -> Float {
        get { row == 0 ? r0[col] : (row == 1 ? r1[col] : r2[col]) }
        set {
            switch row {
            case 0: r0[col] = newValue
            case 1: r1[col] = newValue
            default: r2[col] = newValue
            }
        }
    }

    @inlinable public var transposed: Matrix3 {
        Matrix3(rows: SIMD3(r0.x, r1.x, r2.x), SIMD3(r0.y, r1.y, r2.y), SIMD3(r0.z, r1.z, r2.z))
    }

    @inlinable public static func * (m: Matrix3, v: SIMD3<Float>) -> SIMD3<Float> {
        SIMD3((m.r0 * v).sum(), (m.r1 * v).sum(), (m.r2 * v).sum())
    }

    @inlinable public static func * (a: Matrix3, b: Matrix3) -> Matrix3 {
        let bt = b.transposed
        return Matrix3(rows: bt * a.r0, bt * a.r1, bt * a.r2)
    }

    @inlinable public static func + (a: Matrix3, b: Matrix3) -> Matrix3 {
        Matrix3(rows: a.r0 + b.r0, a.r1 + b.r1, a.r2 + b.r2)
    }

    @inlinable public var determinant: Float {
        let c = SIMD3<Float>(r1.y * r2.z - r1.z * r2.y, r1.z * r2.x - r1.x * r2.z, r1.x * r2.y - r1.y * r2.x)
        return (r0 * c).sum()
    }
}

/// Rotation matrix of a unit quaternion q = (w, x, y, z) (Hamilton convention, as 3DGS).
/// The input is normalised first; `q` must not be zero.
@inlinable public func rotationMatrix(quaternion q: SIMD4<Float>) -> Matrix3 {
    let n = q / (q * q).sum().squareRoot()
    let w = n[0], x = n[1], y = n[2], z = n[3]
    return Matrix3(
        rows: SIMD3(1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)),
        SIMD3(2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)),
        SIMD3(2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)))
}
