import Foundation

/// Triangular mel filters on the bins of a real FFT (HTK mel scale `m = 2595·log10(1 + f/700)`).
///
/// Band `b` (0-based) has edges at mel points `b`, `b+1`, `b+2` of `C + 2` points spaced evenly in mel
/// from `minFrequency` to `maxFrequency`; its weight rises linearly from 0 at the lower edge to 1 at the
/// centre and falls to 0 at the upper edge (peak-normalised, not area-normalised). Stored sparsely:
/// each band keeps only its non-zero bins.
public struct MelFilterBank: Sendable {
    /// Non-zero weights of one band: bins `firstBin ..< firstBin + weights.count`.
    public struct Band: Sendable {
        public var firstBin: Int
        public var weights: [Float]
    }

    public let bands: [Band]
    /// Centre frequency of each band in Hz, `[C]`.
    public let centreFrequencies: [Double]

    public static func hertzToMel(_ f: Double) -> Double { 2595 * log10(1 + f / 700) }
    public static func melToHertz(_ m: Double) -> Double { 700 * (pow(10, m / 2595) - 1) }

    /// Builds `settings.melBands` filters for an FFT of `settings.fftSize` points at `settings.sampleRate`.
    /// `scale` multiplies every weight (used to fold the power normalisation into the filters).
    public init(settings: FeatureSettings, scale: Float = 1) {
        let count = settings.melBands
        let lowMel = Self.hertzToMel(settings.minFrequency)
        let highMel = Self.hertzToMel(settings.maxFrequency)
        let edges = (0..<(count + 2)).map { Self.melToHertz(lowMel + (highMel - lowMel) * Double($0) / Double(count + 1)) }
        let binCount = settings.fftSize / 2 + 1
        let binHz = Double(settings.sampleRate) / Double(settings.fftSize)
        var bands: [Band] = []
        for b in 0..<count {
            let lo = edges[b], centre = edges[b + 1], hi = edges[b + 2]
            var first = -1
            var weights: [Float] = []
            for k in 0..<binCount {
                let f = Double(k) * binHz
                let w = max(0, min((f - lo) / (centre - lo), (hi - f) / (hi - centre)))
                if w > 0 {
                    if first < 0 { first = k }
                    // Keep interior zeros (none occur for a triangle) so the run stays contiguous.
                    weights.append(Float(w) * scale)
                } else if first >= 0 {
                    break
                }
            }
            if first < 0 {
                // A band narrower than a bin: give its nearest bin full weight so it is never empty.
                first = min(binCount - 1, Int((centre / binHz).rounded()))
                weights = [scale]
            }
            bands.append(Band(firstBin: first, weights: weights))
        }
        self.bands = bands
        self.centreFrequencies = Array(edges[1...count])
    }

    /// Index of the band whose centre is nearest to `frequency` in mel.
    public func nearestBand(to frequency: Double) -> Int {
        let m = Self.hertzToMel(frequency)
        var best = 0
        for b in centreFrequencies.indices where abs(Self.hertzToMel(centreFrequencies[b]) - m) < abs(Self.hertzToMel(centreFrequencies[best]) - m) {
            best = b
        }
        return best
    }
}
