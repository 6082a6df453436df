/// Vector math kernels for the rasterizer (16 pixels per SIMD register).

public typealias Lanes = SIMD16<Float>
public typealias LaneMask = SIMDMask<SIMD16<Int32>>

/// e^x for x in [−60, 0] (clamped below at −60 to avoid denormals; DESIGN.md §5), 16 lanes.
/// Range reduction x = n·ln2 + r, |r| ≤ ln2/2, then a degree-6 Taylor polynomial:
/// relative error ≤ 2e-7 (≈ 2 ulp) over the domain, checked against `exp` in the tests.
@_transparent public func laneExp(_ x: Lanes) -> Lanes {
    var xc = x
    xc.replace(with: -60, where: x .< -60)
    let t = xc * 1.4426950408889634
    // Round to nearest via the 1.5·2^23 trick (valid for |t| < 2^22): after adding 1.5·2^23 the
    // low mantissa bits hold round(t) as an integer, so no (slow, generic) float→int conversion.
    let shifted = t + 12582912
    let n = shifted - 12582912
    let r = xc - n * 0.693145751953125 - n * 1.428606765330187e-06
    var p = Lanes(repeating: 1.0 / 720)
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let ni = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
    let bits = (ni &+ 127) &<< 23
    return p * unsafeBitCast(bits, to: Lanes.self)
}

/// Lane offsets 0.5, 1.5, …, 15.5: pixel sample points within a 16-pixel row.
public let laneCentres: Lanes = Lanes(0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5, 13.5, 14.5, 15.5)

/// True when every lane of `m` is set. A tree of half-width ANDs: the stdlib's generic `all(_:)`
/// compiles to a lane-by-lane loop (DESIGN.md §5), which dominated the blend when used there.
@_transparent public func allLanes(_ m: LaneMask) -> Bool {
    let v = unsafeBitCast(m, to: SIMD16<Int32>.self)
    let a = v.lowHalf & v.highHalf
    let b = a.lowHalf & a.highHalf
    let c = b.lowHalf & b.highHalf
    return (c[0] & c[1]) == -1
}


/// True when any lane of `m` is set (the OR-tree counterpart of `allLanes`).
@_transparent public func anyLanes(_ m: LaneMask) -> Bool {
    let v = unsafeBitCast(m, to: SIMD16<Int32>.self)
    let a = v.lowHalf | v.highHalf
    let b = a.lowHalf | a.highHalf
    let c = b.lowHalf | b.highHalf
    return (c[0] | c[1]) != 0
}
