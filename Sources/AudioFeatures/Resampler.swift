import Foundation

/// Band-limited sample-rate conversion by a rational factor `L/M` (windowed-sinc, polyphase table).
///
/// Output sample `n` sits at input time `t = n·M/L` and is `Σ_m x[m]·h(t − m)` with
/// `h(τ) = fc·sinc(fc·τ)·kaiser(τ / R)`, cutoff `fc = 0.95·min(1, L/M)` (fraction of the input
/// Nyquist), half-width `R = 32 / fc` input samples, Kaiser β = 8.0 (≈ 80 dB stop band); the
/// transition band is about 0.16·fc wide, so at 16 kHz output the pass band is flat to ≈ 7 kHz and
/// the stop band starts at ≈ 8.2 kHz. Each phase's taps are normalised to sum to 1 (unit DC gain).
/// Output length is `⌈S·L/M⌉`. Used for PCM wav at other rates and for espeak-ng's 22.05 kHz speech.
public struct Resampler: Sendable {
    public let inputRate: Int
    public let outputRate: Int
    let up: Int, down: Int
    /// Taps per phase and the first tap's offset from `⌊t⌋`.
    let tapCount: Int, firstTap: Int
    /// `[up, tapCount]` row-major: row p = taps for fractional position p/up.
    let table: [Float]

    /// Largest number of polyphase rows we precompute (the reduced numerator `L`).
    public static let maxPhases = 4096

    /// nil when the reduced ratio needs more than `maxPhases` phases (use ffmpeg instead).
    public init?(from inputRate: Int, to outputRate: Int) {
        precondition(inputRate > 0 && outputRate > 0)
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let g = gcd(inputRate, outputRate)
        up = outputRate / g
        down = inputRate / g
        guard up <= Self.maxPhases else { return nil }
        self.inputRate = inputRate
        self.outputRate = outputRate
        let cutoff = 0.95 * min(1, Double(up) / Double(down))
        let halfWidth = 32 / cutoff
        let k = Int(halfWidth.rounded(.up))
        firstTap = -k + 1
        tapCount = (2 * k + 7) / 8 * 8  // a multiple of 8 for the SIMD dot product; extra taps are 0
        let beta = 8.0
        func besselI0(_ x: Double) -> Double {
            var sum = 1.0, term = 1.0, i = 1.0
            while term > 1e-12 * sum { term *= (x / (2 * i)) * (x / (2 * i)); sum += term; i += 1 }
            return sum
        }
        let i0Beta = besselI0(beta)
        var table = [Float](repeating: 0, count: up * tapCount)
        for p in 0..<up {
            let frac = Double(p) / Double(up)
            var row = [Double](repeating: 0, count: tapCount)
            for i in 0..<tapCount {
                let tau = frac - Double(firstTap + i)  // t − m with m = ⌊t⌋ + firstTap + i
                guard abs(tau) < halfWidth else { continue }
                let x = Double.pi * cutoff * tau
                let sinc = abs(x) < 1e-12 ? 1 : sin(x) / x
                let r = tau / halfWidth
                row[i] = cutoff * sinc * besselI0(beta * (1 - r * r).squareRoot()) / i0Beta
            }
            let sum = row.reduce(0, +)
            for i in 0..<tapCount { table[p * tapCount + i] = Float(row[i] / sum) }
        }
        self.table = table
    }

    /// Resamples a whole signal (zeros assumed outside it). Identity when the rates are equal.
    public func resample(_ input: [Float]) -> [Float] {
        if up == down { return input }
        let outCount = (input.count * up + down - 1) / down
        var out = [Float](repeating: 0, count: outCount)
        input.withUnsafeBufferPointer { x in
            table.withUnsafeBufferPointer { h in
                out.withUnsafeMutableBufferPointer { y in
                    for n in 0..<outCount {
                        let position = n * down
                        let base = position / up, phase = position % up
                        let taps = h.baseAddress! + phase * tapCount
                        let m0 = base + firstTap
                        var sum: Float = 0
                        if m0 >= 0 && m0 + tapCount <= x.count {
                            var acc = SIMD8<Float>()
                            let xs = UnsafeRawPointer(x.baseAddress! + m0), hs = UnsafeRawPointer(taps)
                            for i in stride(from: 0, to: tapCount, by: 8) {
                                acc.addProduct(hs.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self),
                                               xs.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
                            }
                            sum = acc.sum()
                        } else {
                            for i in 0..<tapCount {
                                let m = m0 + i
                                if m >= 0 && m < x.count { sum += taps[i] * x[m] }
                            }
                        }
                        y[n] = sum
                    }
                }
            }
        }
        return out
    }
}
