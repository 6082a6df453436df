import Foundation
import TensorCore

/// Small geometry and noise helpers of the procedural head (head frame, metres).

@inline(__always) func smoothstep(_ e0: Float, _ e1: Float, _ x: Float) -> Float {
    let t = min(max((x - e0) / (e1 - e0), 0), 1)
    return t * t * (3 - 2 * t)
}

@inline(__always) func lerp(_ a: Float, _ b: Float, _ t: Float) -> Float { a + (b - a) * t }
@inline(__always) func lerp(_ a: SIMD3<Float>, _ b: SIMD3<Float>, _ t: Float) -> SIMD3<Float> { a + (b - a) * t }

@inline(__always) func dot(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float { (a * b).sum() }
@inline(__always) func length(_ a: SIMD3<Float>) -> Float { dot(a, a).squareRoot() }
@inline(__always) func normalize(_ a: SIMD3<Float>) -> SIMD3<Float> { a / max(length(a), 1e-12) }
@inline(__always) func cross(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> SIMD3<Float> {
    [a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x]
}

/// Unit quaternion (w, x, y, z) of a rotation matrix whose **columns** are `c0, c1, c2`
/// (Shepperd's method).
func quaternion(columns c0: SIMD3<Float>, _ c1: SIMD3<Float>, _ c2: SIMD3<Float>) -> SIMD4<Float> {
    let m00 = c0.x, m11 = c1.y, m22 = c2.z
    let trace = m00 + m11 + m22
    var q: SIMD4<Float>
    if trace > 0 {
        let s = (trace + 1).squareRoot() * 2
        q = [0.25 * s, (c1.z - c2.y) / s, (c2.x - c0.z) / s, (c0.y - c1.x) / s]
    } else if m00 > m11 && m00 > m22 {
        let s = (1 + m00 - m11 - m22).squareRoot() * 2
        q = [(c1.z - c2.y) / s, 0.25 * s, (c1.x + c0.y) / s, (c2.x + c0.z) / s]
    } else if m11 > m22 {
        let s = (1 + m11 - m00 - m22).squareRoot() * 2
        q = [(c2.x - c0.z) / s, (c1.x + c0.y) / s, 0.25 * s, (c2.y + c1.z) / s]
    } else {
        let s = (1 + m22 - m00 - m11).squareRoot() * 2
        q = [(c0.y - c1.x) / s, (c2.x + c0.z) / s, (c2.y + c1.z) / s, 0.25 * s]
    }
    return q / (q * q).sum().squareRoot()
}

/// Quaternion whose local z axis is `normal` and x axis follows `tangent` (orthogonalised).
func quaternion(normal: SIMD3<Float>, tangent: SIMD3<Float>) -> SIMD4<Float> {
    let n = normalize(normal)
    var t = tangent - dot(tangent, n) * n
    if length(t) < 1e-6 { t = abs(n.x) < 0.9 ? cross(n, [1, 0, 0]) : cross(n, [0, 1, 0]) }
    t = normalize(t)
    return quaternion(columns: t, cross(n, t), n)
}

/// Hamilton product a ⊗ b of (w, x, y, z) quaternions.
@inline(__always) func multiply(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
    [a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
     a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
     a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
     a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0]]
}

/// Rotation about the X axis by `angle` radians (positive: +Y towards +Z).
func rotationX(_ angle: Float) -> Matrix3 {
    let c = cosf(angle), s = sinf(angle)
    return Matrix3(rows: [1, 0, 0], [0, c, -s], [0, s, c])
}

/// Rotation from yaw (about +Y), pitch (about +X) and roll (about +Z), radians: R = Ry · Rx · Rz.
func rotation(yaw: Float, pitch: Float, roll: Float) -> Matrix3 {
    let cy = cosf(yaw), sy = sinf(yaw), cp = cosf(pitch), sp = sinf(pitch), cr = cosf(roll), sr = sinf(roll)
    let ry = Matrix3(rows: [cy, 0, sy], [0, 1, 0], [-sy, 0, cy])
    let rx = Matrix3(rows: [1, 0, 0], [0, cp, -sp], [0, sp, cp])
    let rz = Matrix3(rows: [cr, -sr, 0], [sr, cr, 0], [0, 0, 1])
    return ry * rx * rz
}

/// Deterministic 3D value noise in [−1, 1] (trilinear interpolation of hashed lattice values),
/// `frequency` lattice cells per metre.
struct ValueNoise: Sendable {
    var seed: UInt64
    @inline(__always) func lattice(_ x: Int32, _ y: Int32, _ z: Int32) -> Float {
        var h = seed &+ UInt64(bitPattern: Int64(x)) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(bitPattern: Int64(y)) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= UInt64(bitPattern: Int64(z)) &* 0x1656_67B1_9E37_79F9
        h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        return Float(h >> 40) / Float(1 << 24) * 2 - 1
    }
    func sample(_ p: SIMD3<Float>, frequency: Float) -> Float {
        let q = p * frequency
        let f = SIMD3<Float>(floorf(q.x), floorf(q.y), floorf(q.z))
        let t = q - f
        let s = t * t * (3 - 2 * t)
        let x = Int32(f.x), y = Int32(f.y), z = Int32(f.z)
        func l(_ a: Float, _ b: Float, _ t: Float) -> Float { a + (b - a) * t }
        let c00 = l(lattice(x, y, z), lattice(x + 1, y, z), s.x), c10 = l(lattice(x, y + 1, z), lattice(x + 1, y + 1, z), s.x)
        let c01 = l(lattice(x, y, z + 1), lattice(x + 1, y, z + 1), s.x), c11 = l(lattice(x, y + 1, z + 1), lattice(x + 1, y + 1, z + 1), s.x)
        return l(l(c00, c10, s.y), l(c01, c11, s.y), s.z)
    }
    /// Sum of `octaves` octaves (each double frequency, half amplitude), roughly in [−1, 1].
    func fractal(_ p: SIMD3<Float>, frequency: Float, octaves: Int = 3) -> Float {
        var total: Float = 0, amp: Float = 0.5, f = frequency
        for _ in 0..<octaves { total += amp * sample(p, frequency: f); f *= 2; amp *= 0.5 }
        return total / (1 - powf(0.5, Float(octaves)))
    }
}

/// Points spread evenly over the unit sphere (Fibonacci lattice), `count` of them.
func fibonacciSphere(_ count: Int) -> [SIMD3<Float>] {
    let golden = Float.pi * (3 - Float(5).squareRoot())
    return (0..<count).map { i in
        let y = 1 - 2 * (Float(i) + 0.5) / Float(count)
        let r = max(0, 1 - y * y).squareRoot()
        let a = golden * Float(i)
        return [cosf(a) * r, y, sinf(a) * r]
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
