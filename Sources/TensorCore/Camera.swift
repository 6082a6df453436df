/// A pinhole camera: the one camera type of the project (DESIGN.md §2, "one core").
///
/// Conventions:
/// - `worldToCamera` maps world points to camera space in the **OpenCV** convention used by the
///   rasterizer: +X right, +Y down, +Z forward (points in front have z > 0).
/// - Pixel (col, row) is sampled at (col + 0.5, row + 0.5); `cx`, `cy` are in the same pixel
///   coordinates, so an image of size 2cx × 2cy has its principal point at the centre.
/// - `fx`, `fy` are focal lengths in pixels.
/// Dataset files store camera-to-world in the OpenGL convention (camera looks down −Z, +Y up);
/// `init(cameraToWorldOpenGL:...)` converts.
public struct Camera: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var fx: Float
    public var fy: Float
    public var cx: Float
    public var cy: Float
    /// Rotation part of world → camera (OpenCV axes).
    public var rotation: Matrix3
    /// Translation part of world → camera: p_cam = rotation · p_world + translation.
    public var translation: SIMD3<Float>

    public init(width: Int, height: Int, fx: Float, fy: Float, cx: Float, cy: Float,
                rotation: Matrix3 = .identity, translation: SIMD3<Float> = .zero) {
        self.width = width; self.height = height
        self.fx = fx; self.fy = fy; self.cx = cx; self.cy = cy
        self.rotation = rotation; self.translation = translation
    }

    /// Builds a camera from a 4x4 camera-to-world matrix in the OpenGL convention (rows of 4,
    /// row-major, as in `transforms_*.json`). The rotation block must be orthonormal
    /// (check with `isRigid` before calling when the matrix comes from a file).
    public init(cameraToWorldOpenGL m: [[Float]], width: Int, height: Int, fx: Float, fy: Float, cx: Float, cy: Float) {
        // OpenGL camera axes → OpenCV camera axes: flip Y and Z columns of the rotation.
        let rc2w = Matrix3(rows: [m[0][0], -m[0][1], -m[0][2]],
                           [m[1][0], -m[1][1], -m[1][2]],
                           [m[2][0], -m[2][1], -m[2][2]])
        let t = SIMD3<Float>(m[0][3], m[1][3], m[2][3])
        let rw2c = rc2w.transposed
        self.init(width: width, height: height, fx: fx, fy: fy, cx: cx, cy: cy,
                  rotation: rw2c, translation: -(rw2c * t))
    }

    /// The 4x4 camera-to-world matrix in the OpenGL convention (inverse of `init(cameraToWorldOpenGL:)`).
    public var cameraToWorldOpenGL: [[Float]] {
        let rc2w = rotation.transposed
        let centre = -(rc2w * translation)
        return [[rc2w.r0.x, -rc2w.r0.y, -rc2w.r0.z, centre.x],
                [rc2w.r1.x, -rc2w.r1.y, -rc2w.r1.z, centre.y],
                [rc2w.r2.x, -rc2w.r2.y, -rc2w.r2.z, centre.z],
                [0, 0, 0, 1]]
    }

    /// Camera centre in world coordinates.
    public var centre: SIMD3<Float> { -(rotation.transposed * translation) }

    /// World point → camera space (OpenCV axes).
    @inlinable public func toCamera(_ p: SIMD3<Float>) -> SIMD3<Float> { rotation * p + translation }

    /// World point → pixel coordinates (col, row) in the (col+0.5, row+0.5) sampling convention,
    /// plus camera depth z. Undefined for z ≤ 0.
    public func project(_ p: SIMD3<Float>) -> (pixel: SIMD2<Float>, depth: Float) {
        let c = toCamera(p)
        return (SIMD2(fx * c.x / c.z + cx, fy * c.y / c.z + cy), c.z)
    }

    /// A camera at `eye` looking at `target`, with `up` the approximate world up direction.
    public static func lookAt(eye: SIMD3<Float>, target: SIMD3<Float>, up: SIMD3<Float> = [0, 1, 0],
                              width: Int, height: Int, focal: Float) -> Camera {
        func normalize(_ v: SIMD3<Float>) -> SIMD3<Float> { v / (v * v).sum().squareRoot() }
        func cross(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> SIMD3<Float> {
            [a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x]
        }
        let forward = normalize(target - eye)            // camera +Z
        let right = normalize(cross(forward, up))        // camera +X
        let down = cross(forward, right)                 // camera +Y (down)
        let r = Matrix3(rows: right, down, forward)
        return Camera(width: width, height: height, fx: focal, fy: focal,
                      cx: Float(width) / 2, cy: Float(height) / 2, rotation: r, translation: -(r * eye))
    }
}

/// True when the 3x3 block of a 4x4 matrix is a rotation (orthonormal, det +1, within `tolerance`)
/// and the last row is (0, 0, 0, 1).
public func isRigid(_ m: [[Float]], tolerance: Float = 1e-3) -> Bool {
    guard m.count == 4, m.allSatisfy({ $0.count == 4 }) else { return false }
    let r = Matrix3(rows: [m[0][0], m[0][1], m[0][2]], [m[1][0], m[1][1], m[1][2]], [m[2][0], m[2][1], m[2][2]])
    let rtr = r.transposed * r
    for i in 0..<3 { for j in 0..<3 where abs(rtr[i, j] - (i == j ? 1 : 0)) > tolerance { return false } }
    if abs(r.determinant - 1) > tolerance { return false }
    let last = m[3]
    return abs(last[0]) <= tolerance && abs(last[1]) <= tolerance && abs(last[2]) <= tolerance && abs(last[3] - 1) <= tolerance
}
