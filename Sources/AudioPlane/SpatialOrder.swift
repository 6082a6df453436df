/// A spatial visiting order for the per-Gaussian plane lookups.
///
/// The plane lookups read (and the backward writes) random cells of grids up to 12 MB; in the
/// caller's order nearly every access misses the caches and the TLB (4 KB pages). Visiting the
/// Gaussians in Morton (Z-curve) order of their normalised positions makes consecutive Gaussians
/// touch nearby cells, so the working set stays small. The order is a stable counting sort by a
/// 15-bit key (32 cells per axis), so it is deterministic; results change only by the order of
/// floating-point sums in the backward.
enum SpatialOrder {
    static let bitsPerAxis = 5

    /// Gaussian indices sorted by the Morton key of x̂ [N, 3] (clamped to [−1, 1]); ties keep
    /// their input order.
    static func indices(positions x: UnsafePointer<Float>, count n: Int) -> [Int32] {
        let side = 1 << bitsPerAxis, buckets = side * side * side
        let half = Float(side) * 0.5
        var keys = [Int32](repeating: 0, count: n)
        var starts = [Int](repeating: 0, count: buckets + 1)
        var order = [Int32](repeating: 0, count: n)
        keys.withUnsafeMutableBufferPointer { kp in
        starts.withUnsafeMutableBufferPointer { sp in
        order.withUnsafeMutableBufferPointer { op in
            for g in 0..<n {
                var key = 0
                for axis in 0..<3 {
                    let u = (x[3 * g + axis] + 1) * half
                    let q = u >= Float(side - 1) ? side - 1 : (u > 0 ? Int(u) : 0)   // NaN → 0
                    key |= spread(q) << axis
                }
                kp[g] = Int32(key)
                sp[key + 1] += 1
            }
            for b in 0..<buckets { sp[b + 1] += sp[b] }
            for g in 0..<n {
                let k = Int(kp[g])
                op[sp[k]] = Int32(g)
                sp[k] += 1
            }
        }}}
        return order
    }

    /// Spreads the low 5 bits of `v` to every third bit (bit i → bit 3i).
    @inline(__always) static func spread(_ v: Int) -> Int {
        var s = 0
        for i in 0..<bitsPerAxis { s |= ((v >> i) & 1) << (3 * i) }
        return s
    }
}
